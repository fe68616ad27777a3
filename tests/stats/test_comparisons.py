"""Group comparisons: Cochran's rule, chi-square, exact Fisher on R x C, rank tests.

Independent references are cited per test; R values are from the R documentation examples
(``?fisher.test``) and were computed with R 4.x ``fisher.test``.
"""

import numpy as np
import pytest
from scipy import stats

from ibd_dtt.stats import (
    cochran_rule,
    compare_categorical,
    compare_continuous,
    compare_paired,
    fisher_exact_rxc,
)


def test_fisher_2x2_equals_scipy_exact_two_sided():
    # R ?fisher.test "TeaTasting" example: p-value = 0.4857.
    assert fisher_exact_rxc([[3, 1], [1, 3]]).pvalue == pytest.approx(0.4857, abs=5e-5)
    for table in ([[2, 8], [9, 1]], [[0, 5], [6, 2]], [[10, 3], [4, 12]]):
        assert fisher_exact_rxc(table).pvalue == pytest.approx(
            stats.fisher_exact(table).pvalue, rel=1e-9
        )


@pytest.mark.parametrize(
    "table",
    [[[2, 1, 0], [0, 1, 2]], [[1, 2, 0], [2, 0, 1]], [[3, 0, 1], [0, 2, 1]]],
    ids=["2x3-a", "2x3-b", "2x3-c"],
)
def test_fisher_rxc_equals_full_permutation_enumeration(table):
    # Independent algorithm: SciPy's permutation test over all n! pairings (n <= 8 here, so
    # PermutationMethod enumerates exactly rather than sampling).
    reference = stats.fisher_exact(table, method=stats.PermutationMethod()).pvalue
    result = fisher_exact_rxc(table)
    assert result.details["method"] == "exact enumeration"
    assert result.pvalue == pytest.approx(reference, abs=1e-9)


def test_fisher_rxc_is_deterministic():
    table = [[4, 1, 3, 0], [1, 5, 0, 4]]
    assert fisher_exact_rxc(table).pvalue == fisher_exact_rxc(table).pvalue


def test_large_rxc_falls_back_to_seeded_monte_carlo_close_to_r():
    # R ?fisher.test "Job satisfaction" 4x4 example: fisher.test(Job) p-value = 0.7827.
    job = [[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]
    result = compare_categorical(job)
    assert result.test.startswith("Fisher")
    assert result.pvalue == pytest.approx(0.7827, abs=0.005)
    assert result.pvalue == compare_categorical(job).pvalue  # fixed seed


def test_cochran_rule_2x2_needs_every_expected_count_at_least_5():
    ok, why = cochran_rule(np.array([[5.0, 5.0], [5.0, 5.0]]))
    assert ok and ">= 5" in why
    ok, _ = cochran_rule(np.array([[4.99, 5.0], [5.0, 5.0]]))
    assert not ok


def test_cochran_rule_larger_tables_allow_20_percent_below_5_but_none_below_1():
    # 2x5 = 10 cells: 2 below 5 (20 %) is allowed, 3 (30 %) is not; any cell < 1 fails.
    base = np.full((2, 5), 6.0)
    two = base.copy()
    two[0, :2] = 4.0
    assert cochran_rule(two)[0]
    three = base.copy()
    three[0, :3] = 4.0
    assert not cochran_rule(three)[0]
    tiny = base.copy()
    tiny[0, 0] = 0.99
    assert not cochran_rule(tiny)[0]


def test_chi_square_used_when_cochran_holds_and_matches_scipy_without_yates():
    table = [[30, 20], [15, 35]]
    result = compare_categorical(table)
    assert result.test == "Pearson's chi-square test"
    assert "Cochran's rule met" in result.reason
    reference = stats.chi2_contingency(table, correction=False)
    assert result.pvalue == pytest.approx(reference.pvalue)
    # Hand-worked: expected 22.5/27.5 per row; X2 = 9.0909...; p = 0.002569
    assert result.statistic == pytest.approx(100 / 11, rel=1e-9)


def test_fisher_used_and_reason_recorded_when_expected_counts_are_small():
    result = compare_categorical([[7, 1], [8, 2]])
    assert result.test == "Fisher's exact test"
    assert "Cochran's rule not met" in result.reason and "smallest expected" in result.reason


def test_empty_rows_are_dropped_and_single_group_gives_no_test():
    assert compare_categorical([[3, 2], [0, 0]]).test == "none"


def test_mann_whitney_and_kruskal_match_scipy():
    a, b, c = [1.2, 3.4, 2.2, 5.0], [4.1, 6.3, 7.7, 5.5, 8.0], [0.5, 0.7, 1.1]
    r = compare_continuous(a + b, ["x"] * 4 + ["y"] * 5)
    assert r.test == "Mann-Whitney U test"
    assert r.pvalue == pytest.approx(stats.mannwhitneyu(a, b).pvalue)
    r3 = compare_continuous(a + b + c, ["x"] * 4 + ["y"] * 5 + ["z"] * 3)
    assert r3.test == "Kruskal-Wallis test"
    assert r3.pvalue == pytest.approx(stats.kruskal(a, b, c).pvalue)


def test_wilcoxon_signed_rank_on_complete_pairs_only():
    before = [19.4, 11.3, 28.5, 22.3, None]
    after = [2.1, 1.6, 1.2, 0.84, 3.0]
    r = compare_paired(before, after)
    assert r.details["pairs"] == 4
    # 4 pairs, all decreases: exact two-sided p = 2 * (1/2)**4 = 0.125 (worked by hand).
    assert r.pvalue == pytest.approx(0.125)


def test_fast_exact_signed_rank_equals_scipy_wilcoxon():
    # The vectorised permutation path must give exactly what scipy.stats.wilcoxon gives
    # (method "auto": exact permutation test with ties or zeros and n <= 13).
    from ibd_dtt.stats.comparisons import wilcoxon_signed_rank

    rng = np.random.default_rng(2024)
    checked = 0
    for _ in range(60):
        n = int(rng.integers(2, 11))
        before = rng.integers(0, 6, n).astype(float)
        after = rng.integers(0, 6, n).astype(float) + rng.choice([0.0, 0.5], n)
        if (before == after).all():
            continue
        statistic, pvalue = wilcoxon_signed_rank(before, after)
        expected = stats.wilcoxon(before, after)
        assert statistic == float(expected.statistic)
        assert pvalue == pytest.approx(float(expected.pvalue), rel=1e-12, abs=1e-15)
        checked += 1
    assert checked > 50
    # no ties, no zeros, and n > 13 with ties: SciPy's own exact / asymptotic paths
    for before, after in (([1.0, 2, 3, 4, 5], [2.5, 4.1, 6.2, 8.3, 10.9]), (range(20), [0] * 20)):
        expected = stats.wilcoxon(list(before), list(after))
        assert wilcoxon_signed_rank(list(before), list(after)) == (
            float(expected.statistic),
            float(expected.pvalue),
        )


def test_two_row_tables_are_listed_and_counted_as_the_general_enumeration_does():
    """The 2 x C path (arrays, no loop per table) lists and counts exactly the tables the
    general R x C enumeration lists, and gives its p-value; an R x 2 table is its
    transpose."""
    import itertools

    from scipy.special import gammaln

    from ibd_dtt.stats.comparisons import _tables, _two_row_first_rows, count_tables

    rng = np.random.default_rng(11)
    for _ in range(150):
        table = rng.integers(0, 7, (2, int(rng.integers(2, 6))))
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
            continue
        rows, cols = table.sum(axis=1), table.sum(axis=0)
        listed = [tuple(itertools.chain.from_iterable(t)) for t in _tables(rows, cols)]
        first = _two_row_first_rows(int(rows[0]), cols)
        assert sorted(map(tuple, first.tolist())) == sorted(t[: len(cols)] for t in listed)
        assert count_tables(rows, cols) == len(listed) == count_tables(cols, rows)
        # the p-value by the general enumeration, summed here
        const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(rows.sum() + 1)
        logs = const - gammaln(np.array(listed, dtype=float) + 1).sum(axis=1)
        observed = const - gammaln(table + 1.0).sum()
        expected = min(1.0, np.exp(logs[logs <= observed + np.log1p(1e-7)]).sum())
        assert fisher_exact_rxc(table).pvalue == pytest.approx(expected, rel=1e-12)
        assert fisher_exact_rxc(table.T).pvalue == pytest.approx(expected, rel=1e-12)
