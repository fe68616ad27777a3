"""Binomial confidence intervals against published values.

Reference: Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
of seven methods. Stat Med 1998;17:857-872, Table I (methods 3 "score" = Wilson without
continuity correction, and 5 "exact" = Clopper-Pearson), examples (a)-(d).
"""

import pytest

from ibd_dtt.stats import proportion_ci
from ibd_dtt.stats.format import format_n_percent, format_rate

NEWCOMBE_1998 = [
    # n, N, Clopper-Pearson, Wilson
    (81, 263, (0.2527, 0.3676), (0.2553, 0.3662)),
    (15, 148, (0.0578, 0.1617), (0.0624, 0.1605)),
    (0, 20, (0.0, 0.1684), (0.0, 0.1611)),
    (1, 29, (0.0009, 0.1776), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(
    "n,total,exact,wilson", NEWCOMBE_1998, ids=[f"{r[0]}/{r[1]}" for r in NEWCOMBE_1998]
)
def test_intervals_match_newcombe_1998(n, total, exact, wilson):
    cp = proportion_ci(n, total)
    assert (round(cp.ci_low, 4), round(cp.ci_high, 4)) == exact
    w = proportion_ci(n, total, method="wilson")
    assert (round(w.ci_low, 4), round(w.ci_high, 4)) == wilson


def test_all_responders_has_closed_form_exact_lower_bound():
    # Clopper-Pearson for x = n: lower = (alpha/2) ** (1/n), upper = 1 (worked by hand).
    p = proportion_ci(7, 7)
    assert p.ci_low == pytest.approx(0.025 ** (1 / 7), abs=1e-10)
    assert p.ci_high == 1.0


def test_no_responders_has_closed_form_exact_upper_bound():
    p = proportion_ci(0, 12)
    assert p.ci_low == 0.0
    assert p.ci_high == pytest.approx(1 - 0.025 ** (1 / 12), abs=1e-10)


def test_exact_interval_agrees_with_scipy_binomtest():
    from scipy.stats import binomtest

    for n, total in [(15, 17), (11, 12), (8, 9), (4, 18)]:
        ci = binomtest(n, total).proportion_ci(method="exact")
        p = proportion_ci(n, total)
        assert (p.ci_low, p.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_zero_denominator_is_reported_not_dropped():
    p = proportion_ci(0, 0)
    assert (p.n, p.total, p.proportion, p.ci_low) == (0, 0, None, None)
    assert format_rate(p) == "0/0"


def test_impossible_counts_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="between 0 and `total`"):
        proportion_ci(5, 4)
    with pytest.raises(ValueError, match="`method`"):
        proportion_ci(1, 4, method="wald")


def test_formatting_rounds_half_up_like_the_paper():
    # Paper, Results: 11 (61.11 %) female; 15/17 printed 88.23 (truncated; 88.24 half-up).
    assert format_n_percent(proportion_ci(11, 18), decimals=2) == "11 (61.11)"
    assert format_rate(proportion_ci(15, 17), decimals=2).startswith("15/17 (88.24 %")


def test_sd_is_the_sample_sd_and_quartiles_are_spss_type_6():
    from ibd_dtt.stats import summarise_continuous

    # 1..10: SPSS HAVERAGE (Hyndman-Fan type 6) Q1 = value at rank 0.25 * 11 = 2.75,
    # Q3 = rank 8.25 (R type 7 would give 3.25 / 7.75); sample SD (n - 1) = 3.02765,
    # population SD would be 2.87228. Worked by hand.
    s = summarise_continuous(list(range(1, 11)))
    assert (s.q1, s.median, s.q3) == (2.75, 5.5, 8.25)
    assert s.sd == pytest.approx(3.0276503540974917, abs=1e-12)
    r7 = summarise_continuous(list(range(1, 11)), quantile_method="r7")
    assert (r7.q1, r7.q3) == (3.25, 7.75)
