"""Random-effects pooling of proportions across centers (issue 17), checked against the
DerSimonian-Laird formulas worked by hand (DerSimonian & Laird 1986, Control Clin Trials
7:177; Higgins & Thompson 2002, Stat Med 21:1539) and against scipy for the Q test."""

import math

import pytest
from scipy import stats
from scipy.special import expit

from ibd_dtt.stats.meta import meta_proportions


def _dl_by_hand(events, totals):
    """Every step of the DerSimonian-Laird estimator on the logit scale, written out."""
    ys, vs = [], []
    for x, n in zip(events, totals, strict=True):
        if x in (0, n):
            x, n = x + 0.5, n + 1.0
        ys.append(math.log(x / (n - x)))
        vs.append(1 / x + 1 / (n - x))
    w = [1 / v for v in vs]
    fixed = sum(wi * yi for wi, yi in zip(w, ys, strict=True)) / sum(w)
    q = sum(wi * (yi - fixed) ** 2 for wi, yi in zip(w, ys, strict=True))
    df = len(ys) - 1
    c = sum(w) - sum(wi**2 for wi in w) / sum(w)
    tau2 = max(0.0, (q - df) / c)
    wr = [1 / (v + tau2) for v in vs]
    mean = sum(wi * yi for wi, yi in zip(wr, ys, strict=True)) / sum(wr)
    se = math.sqrt(1 / sum(wr))
    return {
        "proportion": expit(mean),
        "ci_low": expit(mean - 1.959963984540054 * se),
        "ci_high": expit(mean + 1.959963984540054 * se),
        "tau2": tau2,
        "i2": max(0.0, (q - df) / q),
        "q": q,
        "q_pvalue": stats.chi2.sf(q, df),
    }


@pytest.mark.parametrize(
    "events, totals",
    [
        ([9, 3, 5], [10, 20, 10]),  # heterogeneous: tau² > 0
        ([8, 12, 5], [10, 20, 10]),  # Q < df: tau² and I² are floored at 0
        ([0, 7, 10], [6, 14, 10]),  # none and all: continuity correction on both
        ([15, 2, 4, 11], [17, 8, 9, 30]),
    ],
)
def test_dersimonian_laird_matches_the_formulas_worked_by_hand(events, totals):
    result = meta_proportions(events, totals)
    expected = _dl_by_hand(events, totals)
    for name, value in expected.items():
        assert getattr(result, name) == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert result.k == len(events)


def test_q_zero_below_df_gives_no_heterogeneity():
    result = meta_proportions([8, 12, 5], [10, 20, 10])
    assert result.q < 2 and result.i2 == 0.0 and result.tau2 == 0.0


def test_centers_without_evaluable_patients_are_left_out_and_named():
    result = meta_proportions([3, 0, 4], [5, 0, 9], names=["A", "B", "C"])
    assert result.k == 2 and result.left_out == ("B",)
    same = meta_proportions([3, 4], [5, 9])
    assert result.proportion == pytest.approx(same.proportion)


def test_continuity_correction_is_recorded_for_each_center_it_touched():
    result = meta_proportions([0, 3, 5], [4, 6, 5], names=["A", "B", "C"])
    assert result.corrected == ("A", "C")


def test_paule_mandel_solves_its_estimating_equation():
    """Paule-Mandel's tau² makes the generalised Q equal its degrees of freedom."""
    events, totals = [9, 3, 5, 12], [10, 20, 10, 15]
    result = meta_proportions(events, totals, method="pm")
    ys = [math.log(x / (n - x)) for x, n in zip(events, totals, strict=True)]
    vs = [1 / x + 1 / (n - x) for x, n in zip(events, totals, strict=True)]
    w = [1 / (v + result.tau2) for v in vs]
    mean = sum(wi * yi for wi, yi in zip(w, ys, strict=True)) / sum(w)
    generalised_q = sum(wi * (yi - mean) ** 2 for wi, yi in zip(w, ys, strict=True))
    assert generalised_q == pytest.approx(len(ys) - 1, rel=1e-4)
    assert result.method.startswith("random effects (Paule-Mandel)")


def test_one_center_is_its_own_estimate_and_none_is_nothing():
    one = meta_proportions([3, 0], [6, 0])
    assert one.k == 1 and one.proportion == pytest.approx(0.5) and one.i2 is None
    none = meta_proportions([0], [0])
    assert none.k == 0 and none.proportion is None


@pytest.mark.parametrize(
    "events, totals, message",
    [([3, 7], [5, 6], "exceed"), ([1.5], [4], "whole number"), ([1, 2], [3], "length")],
)
def test_impossible_counts_are_refused(events, totals, message):
    with pytest.raises(ValueError, match=message):
        meta_proportions(events, totals)


def test_dersimonian_laird_equals_statsmodels_when_its_estimate_is_positive():
    """Where statsmodels' moment estimate needs no floor it is the same estimator (its
    combine_effects leaves a negative one unfloored, which is why ours is computed)."""
    import numpy as np
    from statsmodels.stats.meta_analysis import combine_effects

    events, totals = [9, 3, 5, 12], [10, 20, 10, 15]
    ys = np.log(np.array(events) / (np.array(totals) - np.array(events)))
    vs = 1 / np.array(events) + 1 / (np.array(totals) - np.array(events))
    reference = combine_effects(ys, vs, method_re="dl")
    result = meta_proportions(events, totals)
    assert reference.tau2 > 0
    assert result.tau2 == pytest.approx(reference.tau2, rel=1e-12)
    assert result.proportion == pytest.approx(expit(reference.mean_effect_re), rel=1e-12)
    assert result.i2 == pytest.approx(reference.i2, rel=1e-12)
