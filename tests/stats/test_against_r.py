"""Statistics against values printed by R (pinned in r_cases.py; the same cases run live
against Rscript in test_r_live.py when R is installed)."""

import pytest
from r_cases import (
    FISHER_TABLES,
    HODGES_LEHMANN_PAIRED,
    HODGES_LEHMANN_SHIFT,
    KAPLAN_MEIER_MEDIANS,
    MANN_WHITNEY,
    RATE_RATIOS,
    WILCOXON_PAIRED,
)

from ibd_dtt.stats import compare_continuous, compare_paired, fisher_exact_rxc, kaplan_meier
from ibd_dtt.stats.comparisons import using_rank_tests
from ibd_dtt.stats.effects import hodges_lehmann_paired, hodges_lehmann_shift, rate_ratio_exact


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


@pytest.mark.parametrize(("pair", "expected"), WILCOXON_PAIRED)
def test_signed_rank_as_r_wilcox_test_and_as_coin_exact(pair, expected):
    r_default, coin_exact = expected
    assert _close(compare_paired(*pair).pvalue, coin_exact)
    with using_rank_tests("r"):
        assert _close(compare_paired(*pair).pvalue, r_default)


@pytest.mark.parametrize(("samples", "expected"), MANN_WHITNEY)
def test_mann_whitney_as_r_wilcox_test(samples, expected):
    x, y = samples
    with using_rank_tests("r"):
        result = compare_continuous([*x, *y], ["x"] * len(x) + ["y"] * len(y))
    assert _close(result.pvalue, expected)


def test_the_report_says_how_each_p_value_was_computed_and_can_follow_r(scored_paper):
    from ibd_dtt.pipeline import analyse_registry
    from ibd_dtt.report import build_report
    from ibd_dtt.report.narrative import methods_paragraphs

    analysis = analyse_registry(scored_paper, "paper")
    default = build_report(scored_paper, [analysis])
    as_r = build_report(scored_paper, [analysis], rank_tests="r")
    text = methods_paragraphs(default)[-1]
    assert text.startswith("P-values:") and "without continuity correction" in text
    assert "SciPy 1.17.1" in text and "statsmodels" in text
    assert "R's wilcox.test defaults" in methods_paragraphs(as_r)[-1]
    labs = default.tables["lab_changes"].data.dropna(subset=["pvalue"])
    labs_r = as_r.tables["lab_changes"].data.dropna(subset=["pvalue"])
    assert set(labs["method"]) and set(labs_r["method"])
    # with tied differences the two conventions give different p-values (R approximates)
    tied = labs["method"].str.startswith("exact permutation")
    assert (labs.loc[tied, "pvalue"].to_numpy() != labs_r.loc[tied, "pvalue"].to_numpy()).all()


@pytest.mark.parametrize(("pair", "expected"), HODGES_LEHMANN_PAIRED)
def test_hodges_lehmann_paired_as_r(pair, expected):
    after, before = pair
    e = hodges_lehmann_paired(before, after)
    assert all(
        _close(g, x) for g, x in zip((e.estimate, e.ci_low, e.ci_high), expected, strict=True)
    )


@pytest.mark.parametrize(("samples", "expected"), HODGES_LEHMANN_SHIFT)
def test_hodges_lehmann_shift_as_r(samples, expected):
    e = hodges_lehmann_shift(*samples)
    assert all(
        _close(g, x) for g, x in zip((e.estimate, e.ci_low, e.ci_high), expected, strict=True)
    )


@pytest.mark.parametrize(("args", "expected"), RATE_RATIOS)
def test_rate_ratio_as_r_poisson_test(args, expected):
    e = rate_ratio_exact(*args)
    got = (e.estimate, e.ci_low, e.ci_high, e.pvalue)
    assert all(_close(g, x) for g, x in zip(got, expected, strict=True))


def _core_values():
    """ibd-dtt's answers to CORE_CASES, in the same order."""
    from r_cases import PLACEBO, SIX_MP

    from ibd_dtt.stats import compare_categorical, incidence_rate, logrank, proportion_ci
    from ibd_dtt.stats.effects import mcnemar_exact

    p1, p2, rate = proportion_ci(15, 17), proportion_ci(0, 12), incidence_rate(4, 10)
    km = kaplan_meier(*SIX_MP, times=[7, 13, 22]).at_times
    return [
        (p1.ci_low, p1.ci_high),
        (p2.ci_low, p2.ci_high),
        (rate.ci_low, rate.ci_high),
        (compare_categorical([[30, 20], [15, 35]]).pvalue,),
        (
            mcnemar_exact(
                [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]
            ).pvalue,
        ),
        (
            logrank(
                SIX_MP[0] + PLACEBO[0], SIX_MP[1] + PLACEBO[1], ["6-MP"] * 21 + ["placebo"] * 21
            ).statistic,
        ),
        (*km["survival"], *km["ci_low"], *km["ci_high"]),
    ]


def test_core_statistics_as_r():
    from r_cases import CORE_CASES

    for (expression, expected), got in zip(CORE_CASES, _core_values(), strict=True):
        assert all(_close(g, e) for g, e in zip(got, expected, strict=True)), (expression, got)
