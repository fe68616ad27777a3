"""Statistics against values printed by R (pinned in r_cases.py; the same cases run live
against Rscript in test_r_live.py when R is installed)."""

import pytest
from r_cases import FISHER_TABLES, KAPLAN_MEIER_MEDIANS

from ibd_dtt.stats import fisher_exact_rxc, kaplan_meier


def _close(got, expected, tolerance=1e-6):
    if expected is None:
        return got is None
    return got is not None and abs(got - expected) <= tolerance * max(1.0, abs(expected))


@pytest.mark.parametrize(("case", "expected"), KAPLAN_MEIER_MEDIANS)
def test_kaplan_meier_median_and_ci_as_r_survfit(case, expected):
    km = kaplan_meier(*case)
    got = (km.median, *km.median_ci)
    assert all(_close(g, e) for g, e in zip(got, expected, strict=True)), (got, expected)


@pytest.mark.parametrize(("table", "expected"), FISHER_TABLES)
def test_fisher_exact_as_r_fisher_test(table, expected):
    result = fisher_exact_rxc(table)
    assert "Monte Carlo" not in result.test
    assert _close(result.pvalue, expected, 1e-9)


def test_a_3x4_table_of_54_patients_is_enumerated_exactly_not_simulated():
    # 541 875 tables share these margins (counted exactly); the old bound said 8e7 and
    # simulated. R: fisher.test(matrix(c(5,3,6,4, 4,6,3,5, 4,5,4,5), 3, byrow=TRUE))
    result = fisher_exact_rxc([[5, 3, 6, 4], [4, 6, 3, 5], [4, 5, 4, 5]])
    assert result.details == {"method": "exact enumeration", "tables": 541_875}


def test_monte_carlo_says_so_with_samples_and_seed(monkeypatch):
    from ibd_dtt.stats import comparisons

    monkeypatch.setattr(comparisons, "FISHER_EXACT_MAX_TABLES", 10)
    result = comparisons.fisher_exact_rxc([[5, 3, 6, 4], [4, 6, 3, 5], [4, 5, 4, 5]])
    assert "Monte Carlo" in result.test and "samples" in result.test and "seed" in result.test
    assert result.details["seed"] == comparisons.MONTE_CARLO_SEED
