"""Group comparisons, each recording which test was used and why.

- Categorical: Pearson's chi-square when Cochran's rule holds, otherwise Fisher's exact test
  on any R x C table (Freeman-Halton). Cochran (1954): no expected count below 1 and at most
  20 % of cells below 5; for a 2 x 2 table every expected count must be at least 5. Expected
  counts come from ``scipy.stats.contingency.expected_freq``. Chi-square is computed without
  Yates' correction (gtsummary's convention): a table small enough for the correction to
  matter goes to Fisher's test anyway.
- Fisher on R x C: SciPy's default for tables other than 2 x 2 is Monte Carlo (random). We
  enumerate every table with the observed margins and add the probabilities
  (``scipy.stats.random_table(...).pmf`` terms) of those no more probable than the observed
  one, with R's relative tolerance of 1e-7 - deterministic and exact. The tables are
  counted exactly first (:func:`count_tables`); only above ``FISHER_EXACT_MAX_TABLES``
  (2,000,000) tables do we fall back to SciPy's Monte Carlo method with a fixed seed, and
  the test's name then says so with the number of samples and the seed.
- Continuous: Mann-Whitney U (2 groups) or Kruskal-Wallis (> 2 groups), SciPy.
- Paired before/after: Wilcoxon signed-rank, SciPy (zero differences dropped, Wilcox's method).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from ibd_dtt.stats import _checks

RankConvention = Literal["scipy", "r"]
RANK_CONVENTIONS: tuple[str, ...] = ("scipy", "r")
_RANK_TESTS: ContextVar[str] = ContextVar("rank_tests", default="scipy")


def rank_tests() -> str:
    """The convention of the rank tests in use: ``scipy`` (default) or ``r``."""
    return _RANK_TESTS.get()


@contextmanager
def using_rank_tests(convention: RankConvention) -> Iterator[None]:
    """Run the Mann-Whitney and Wilcoxon signed-rank tests inside the block as SciPy's
    defaults (``scipy``) or as R's ``wilcox.test`` defaults (``r``), for users who must
    match R to the digit (``ibd-dtt report --rank-tests r``)."""
    if convention not in RANK_CONVENTIONS:
        raise ValueError(f"rank-test convention must be scipy or r, not {convention!r}")
    token = _RANK_TESTS.set(convention)
    try:
        yield
    finally:
        _RANK_TESTS.reset(token)


FISHER_EXACT_MAX_TABLES = 2_000_000
MONTE_CARLO_RESAMPLES = 200_000
MONTE_CARLO_SEED = 20250101
MONTE_CARLO_MAX_N = 1_000_000


@dataclass(frozen=True)
class TestResult:
    """A p-value with the test that produced it and the reason that test was chosen."""

    __test__ = False  # not a pytest test class

    test: str
    pvalue: float | None
    statistic: float | None = None
    reason: str = ""
    details: dict = field(default_factory=dict)


def cochran_rule(expected: np.ndarray) -> tuple[bool, str]:
    """Whether chi-square is acceptable for a table with these expected counts, and why."""
    expected = np.asarray(expected, dtype=float)
    below5 = int((expected < 5).sum())
    share = below5 / expected.size
    smallest = float(expected.min())
    if expected.shape == (2, 2):
        ok = below5 == 0
        why = f"2x2 table, smallest expected count {smallest:.2f}" + (" >= 5" if ok else " < 5")
        return ok, why
    ok = smallest >= 1 and share <= 0.20
    why = (
        f"{expected.shape[0]}x{expected.shape[1]} table, smallest expected count "
        f"{smallest:.2f}, {below5}/{expected.size} cells ({share:.0%}) below 5"
    )
    return ok, why


def _compositions(total: int, caps: np.ndarray):
    """Every vector of non-negative integers bounded by ``caps`` that sums to ``total``."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    rest = int(caps[1:].sum())
    for first in range(max(0, total - rest), min(int(caps[0]), total) + 1):
        for tail in _compositions(total - first, caps[1:]):
            yield (first, *tail)


def _tables(row_sums: np.ndarray, col_sums: np.ndarray):
    if len(row_sums) == 1:
        yield (tuple(col_sums),)
        return
    for first in _compositions(int(row_sums[0]), col_sums):
        for rest in _tables(row_sums[1:], col_sums - np.array(first)):
            yield (first, *rest)


def _two_row_first_rows(first_row_sum: int, col_sums: np.ndarray) -> np.ndarray:
    """Every first row of a 2 x C table with these margins (the second row is the column
    sums minus it), built column by column as one array: the tables of a 2 x C test (e.g.
    responders by center) without a Python loop per table."""
    cols = np.asarray(col_sums, dtype=np.int64)
    after = np.concatenate([np.cumsum(cols[::-1])[::-1][1:], [0]])  # room left after j
    rows = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    for j, cap in enumerate(cols):
        low = np.maximum(0, first_row_sum - sums - after[j])
        high = np.minimum(cap, first_row_sum - sums)
        counts = np.maximum(high - low + 1, 0)
        parent = np.repeat(np.arange(len(rows)), counts)
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        value = low[parent] + offset
        rows = np.column_stack([rows[parent], value])
        sums = sums[parent] + value
    return rows


def _count_two_row_tables(first_row_sum: int, col_sums, cap: float):
    """How many first rows :func:`_two_row_first_rows` gives, by the number of ways to
    reach each partial sum (bounded compositions), without listing them; stops at ``cap``."""
    # exact Python integers when nothing caps the count (it can pass 2**53)
    ways = np.zeros(first_row_sum + 1, dtype=object if cap == float("inf") else float)
    ways[0] = 1
    for c in (int(v) for v in col_sums):
        running = np.concatenate([np.zeros(1, dtype=ways.dtype), np.cumsum(ways)])
        upper = np.arange(first_row_sum + 1) + 1
        ways = np.minimum(running[upper] - running[np.maximum(upper - c - 1, 0)], cap)
    return min(ways[first_row_sum], cap)


def count_tables(row_sums, col_sums, limit: int | None = None) -> int:
    """The number of tables of non-negative integers with these margins (counted column by
    column; rows with equal remaining sums are interchangeable, so states are memoised on
    the sorted remainders). Counting stops once it passes ``limit`` (returns limit + 1).

    >>> count_tables([2, 2], [2, 2])     # 2x2 with n = 4: a = 0, 1 or 2
    3
    >>> count_tables([1, 1, 1], [1, 1, 1])   # the 3! permutation matrices
    6
    """
    rows = tuple(sorted(int(r) for r in row_sums))
    cols = [int(c) for c in col_sums]
    cap = float("inf") if limit is None else limit + 1
    memo: dict[tuple[int, tuple[int, ...]], int] = {}

    def completions(j: int, remaining: tuple[int, ...]) -> int:
        if j == len(cols) - 1:
            return 1  # the last column is what remains
        key = (j, remaining)
        if key in memo:
            return memo[key]
        total = 0
        caps = np.array(remaining)
        for column in _compositions(cols[j], caps):
            rest = tuple(sorted(int(r - c) for r, c in zip(remaining, column, strict=True)))
            total += completions(j + 1, rest)
            if total >= cap:
                break
        memo[key] = int(min(total, cap))
        return memo[key]

    if sum(rows) != sum(cols):
        raise ValueError("row and column sums differ")
    if len(rows) == 2 or len(cols) == 2:  # a 2 x C (or R x 2) table: one composition each
        first, other = (rows[0], cols) if len(rows) == 2 else (cols[0], list(rows))
        return int(_count_two_row_tables(first, other, cap))
    return int(min(completions(0, rows), cap))


def fisher_exact_rxc(table) -> TestResult:
    """Fisher's exact test (Freeman-Halton) for any R x C table, deterministic.

    >>> round(fisher_exact_rxc([[3, 1], [1, 3]]).pvalue, 4)   # = scipy 2x2 two-sided
    0.4857
    """
    observed = _checks.count_table("table", table)
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    if min(observed.shape) < 2:
        return TestResult("none", None, None, "only one row or column has data")
    if observed.shape[1] == 2 and observed.shape[0] > 2:
        observed = observed.T  # the same test; 2 x C tables are listed without a loop
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    n = int(observed.sum())
    const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)

    def log_pmf(cells: np.ndarray) -> np.ndarray:
        return const - gammaln(cells + 1).reshape(len(cells), -1).sum(axis=1)

    observed_log = float(log_pmf(observed.reshape(1, -1))[0])
    n_tables = count_tables(rows, cols, limit=FISHER_EXACT_MAX_TABLES)
    if n_tables <= FISHER_EXACT_MAX_TABLES:
        if len(rows) == 2:
            first = _two_row_first_rows(int(rows[0]), cols)
            tables = np.hstack([first, cols - first]).astype(float)
        else:
            tables = np.array(
                [list(itertools.chain.from_iterable(t)) for t in _tables(rows, cols)],
                dtype=float,
            )
        logs = log_pmf(tables)
        keep = logs <= observed_log + np.log1p(1e-7)  # R's fisher.test tolerance
        pvalue = float(min(1.0, np.exp(logs[keep]).sum()))
        return TestResult(
            "Fisher's exact test",
            pvalue,
            None,
            details={"method": "exact enumeration", "tables": len(tables)},
        )
    if n > MONTE_CARLO_MAX_N:
        # SciPy's table sampler fails on margins this large; no p-value rather than a wrong one
        return TestResult(
            "none",
            None,
            None,
            f"Fisher's exact test not computed: more than {FISHER_EXACT_MAX_TABLES:,} tables "
            f"and {n:,} observations (Monte Carlo sampling is limited to "
            f"{MONTE_CARLO_MAX_N:,})",
        )
    method = stats.MonteCarloMethod(n_resamples=MONTE_CARLO_RESAMPLES, rng=MONTE_CARLO_SEED)
    result = stats.fisher_exact(observed, method=method)
    return TestResult(
        f"Fisher's exact test (Monte Carlo: more than {FISHER_EXACT_MAX_TABLES:,} tables; "
        f"{MONTE_CARLO_RESAMPLES:,} samples, seed {MONTE_CARLO_SEED})",
        float(result.pvalue),
        None,
        details={
            "method": "Monte Carlo",
            "resamples": MONTE_CARLO_RESAMPLES,
            "seed": MONTE_CARLO_SEED,
        },
    )


def compare_categorical(table) -> TestResult:
    """Chi-square or Fisher's exact test for a contingency table, chosen by Cochran's rule.

    ``table`` is an array-like of counts (rows x columns) or a DataFrame crosstab. Rows and
    columns with no observations are dropped first.

    >>> r = compare_categorical([[2, 8], [9, 1]])
    >>> r.test, round(r.pvalue, 4)
    ("Fisher's exact test", 0.0055)
    """
    observed = _checks.count_table("table", table)
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    if min(observed.shape) < 2:
        return TestResult("none", None, None, "fewer than two groups or levels with data")
    expected = stats.contingency.expected_freq(observed)
    ok, why = cochran_rule(expected)
    if ok:
        chi2 = stats.chi2_contingency(observed, correction=False)
        return TestResult(
            "Pearson's chi-square test",
            float(chi2.pvalue),
            float(chi2.statistic),
            f"Cochran's rule met ({why})",
            {
                "dof": int(chi2.dof),
                "yates": False,
                "method": "asymptotic chi-square, no continuity correction",
            },
        )
    fisher = fisher_exact_rxc(observed)
    return TestResult(
        fisher.test, fisher.pvalue, None, f"Cochran's rule not met ({why})", fisher.details
    )


def compare_continuous(values, groups) -> TestResult:
    """Mann-Whitney U (two groups) or Kruskal-Wallis (more), over the non-missing values."""
    groups = list(groups)
    _checks.same_length(values=values, groups=groups)
    values = pd.Series(values, dtype="float").to_numpy(float, na_value=np.nan)
    groups = np.asarray(groups, dtype=object)
    present = ~np.isnan(values) & ~pd.isna(groups)
    values, groups = values[present], groups[present]
    samples = [values[groups == g] for g in sorted(set(groups))]
    if len(samples) < 2:
        return TestResult("none", None, None, "fewer than two groups with values")
    if len(samples) == 2:
        statistic, pvalue, method = mann_whitney(samples[0], samples[1])
        return TestResult(
            "Mann-Whitney U test",
            pvalue,
            statistic,
            "two groups, distribution-free comparison of a continuous variable",
            {"method": method, "convention": rank_tests()},
        )
    result = stats.kruskal(*samples)
    return TestResult(
        "Kruskal-Wallis test",
        float(result.pvalue),
        float(result.statistic),
        f"{len(samples)} groups, distribution-free comparison of a continuous variable",
        {"method": "chi-square approximation with tie correction"},
    )


def mann_whitney(x, y) -> tuple[float, float, str]:
    """``(U of the first sample, two-sided p, how p was computed)`` under the current
    rank-test convention (:func:`using_rank_tests`).

    ``scipy`` (default, ``scipy.stats.mannwhitneyu`` method "auto"): exact when one group
    has at most 8 values and there are no ties, else the normal approximation with
    continuity and tie correction. ``r`` (R's ``wilcox.test`` defaults): exact when both
    groups have fewer than 50 values and there are no ties, else the same approximation.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    both = np.concatenate([x, y])
    ties = len(np.unique(both)) < len(both)
    if rank_tests() == "r":
        exact = len(x) < 50 and len(y) < 50 and not ties
    else:
        exact = min(len(x), len(y)) <= 8 and not ties
    result = stats.mannwhitneyu(
        x, y, alternative="two-sided", method="exact" if exact else "asymptotic"
    )
    how = "exact" if exact else "normal approximation with continuity and tie correction"
    return float(result.statistic), float(result.pvalue), how


def compare_paired(before, after) -> TestResult:
    """Wilcoxon signed-rank test on complete before/after pairs."""
    _checks.same_length(before=before, after=after)
    before = pd.Series(before, dtype="float").to_numpy(float, na_value=np.nan)
    after = pd.Series(after, dtype="float").to_numpy(float, na_value=np.nan)
    complete = ~np.isnan(before) & ~np.isnan(after)
    before, after = before[complete], after[complete]
    pairs = len(before)
    nonzero = int((after - before != 0).sum())
    if pairs < 2 or nonzero < 2:
        if not pairs:
            why = "no complete pairs"
        elif pairs < 2:
            why = "1 complete pair"
        else:
            why = f"{pairs} complete pairs, {nonzero} with a non-zero difference (needs 2)"
        return TestResult("none", None, None, why)
    statistic, pvalue, method = signed_rank(before, after)
    return TestResult(
        "Wilcoxon signed-rank test",
        pvalue,
        statistic,
        f"paired values, {pairs} complete pairs",
        {"pairs": pairs, "method": method, "convention": rank_tests()},
    )


def signed_rank(before, after) -> tuple[float, float, str]:
    """``(statistic, two-sided p, how p was computed)`` of the Wilcoxon signed-rank test
    under the current rank-test convention (:func:`using_rank_tests`); zero differences
    are dropped (Wilcoxon's method) in both.

    ``scipy`` (default): :func:`wilcoxon_signed_rank`, i.e. ``scipy.stats.wilcoxon``:
    exact with at most 50 pairs and no ties or zeros; with ties or zeros an exact
    permutation over every sign pattern up to 13 pairs; otherwise the normal approximation
    **without** continuity correction. ``r`` (R's ``wilcox.test(paired = TRUE)``
    defaults): exact with fewer than 50 non-zero differences and no ties or zeros,
    otherwise the normal approximation **with** continuity and tie correction (R then
    warns "cannot compute exact p-value with ties / zeroes").
    """
    d = np.asarray(before, dtype=float) - np.asarray(after, dtype=float)
    nonzero = d[d != 0]
    clean = len(np.unique(np.abs(nonzero))) == len(nonzero) and len(nonzero) == len(d)
    if rank_tests() == "r":
        if clean and len(nonzero) < 50:
            result = stats.wilcoxon(nonzero, method="exact")
            return float(result.statistic), float(result.pvalue), "exact"
        result = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
        return (
            float(result.statistic),
            float(result.pvalue),
            "normal approximation with continuity and tie correction",
        )
    statistic, pvalue = wilcoxon_signed_rank(before, after)
    if clean and len(d) <= 50:
        how = "exact"
    elif not clean and len(d) <= EXACT_PERMUTATION_MAX_PAIRS:
        how = "exact permutation over every sign pattern (ties or zero differences)"
    else:
        how = "normal approximation without continuity correction"
    return statistic, pvalue, how


# SciPy's method="auto" uses an exact permutation test up to this many pairs when there are
# ties or zero differences (2**13 sign patterns < its 9 999 resamples).
EXACT_PERMUTATION_MAX_PAIRS = 13


def wilcoxon_signed_rank(before, after) -> tuple[float, float]:
    """``(statistic, p)`` exactly as ``scipy.stats.wilcoxon(before, after)`` (two-sided,
    zero_method "wilcox", method "auto") returns them.

    With ties or zero differences and at most 13 pairs SciPy runs an exact permutation test
    (every sign pattern) through a non-vectorised statistic: 2**n calls, about 0.1-0.8 s per
    test. Here the same test runs through ``scipy.stats.permutation_test`` with the
    signed-rank sum vectorised (ranks of |d| do not change when signs flip), which gives the
    same null distribution and p-value (tested against ``stats.wilcoxon``) in milliseconds.
    Every other case is ``stats.wilcoxon`` itself.
    """
    d = np.asarray(before, dtype=float) - np.asarray(after, dtype=float)
    nonzero = d != 0
    magnitudes = np.abs(d[nonzero])
    ties_or_zeros = len(np.unique(magnitudes)) < len(magnitudes) or not nonzero.all()
    if not (ties_or_zeros and nonzero.any() and len(d) <= EXACT_PERMUTATION_MAX_PAIRS):
        result = stats.wilcoxon(before, after)
        return float(result.statistic), float(result.pvalue)
    ranks = np.zeros_like(d)
    ranks[nonzero] = stats.rankdata(magnitudes)

    def positive_rank_sum(x, axis):
        return np.sum((x > 0) * ranks, axis=axis)

    result = stats.permutation_test(
        (d,),
        positive_rank_sum,
        permutation_type="samples",
        vectorized=True,
        n_resamples=9999,
        alternative="two-sided",
        axis=-1,
    )
    r_plus, r_minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    return float(min(r_plus, r_minus)), float(result.pvalue)
