"""Effect sizes stay exact where that is feasible and fast where it is not: 10 000 patients
(the registry benchmark) must not build 50 million Walsh averages or an exact rank
distribution of 25 million terms."""

import time

import numpy as np
import pytest
from scipy import stats

from ibd_dtt.stats import effects
from ibd_dtt.stats.effects import hodges_lehmann_paired, hodges_lehmann_shift


@pytest.mark.parametrize("n", [60, 301])
def test_bisection_finds_the_same_order_statistics_as_sorting(n, monkeypatch):
    rng = np.random.default_rng(n)
    before = rng.normal(20, 8, n).round(1)  # rounded: ties, as in lab values
    after = before + rng.normal(-3, 5, n).round(1)
    y = rng.normal(18, 6, n // 2 + 7).round(1)
    sorted_paired = hodges_lehmann_paired(before, after)
    sorted_shift = hodges_lehmann_shift(after, y)
    monkeypatch.setattr(effects, "MATERIALISE_MAX_PAIRS", 10)
    bisected_paired = hodges_lehmann_paired(before, after)
    bisected_shift = hodges_lehmann_shift(after, y)
    for a, b in ((sorted_paired, bisected_paired), (sorted_shift, bisected_shift)):
        assert (a.estimate, a.ci_low, a.ci_high) == pytest.approx(
            (b.estimate, b.ci_low, b.ci_high), rel=1e-12, abs=1e-12
        )


def test_the_large_sample_index_is_the_normal_approximation():
    # n = 100 pairs: mean n(n+1)/4 = 2525, variance n(n+1)(2n+1)/24 = 84587.5;
    # 2525 - 1.959964 * 290.84 = 1954.96 -> the 1954th Walsh average (Lehmann 1975)
    d = np.arange(1, 101, dtype=float)
    effect = hodges_lehmann_paired(np.zeros(100), d)
    i, j = np.triu_indices(100)
    walsh = np.sort((d[i] + d[j]) / 2)
    assert effect.ci_low == walsh[1954 - 1] and effect.ci_high == walsh[len(walsh) - 1954]
    assert "normal approximation" in effect.method
    assert effect.estimate == np.median(walsh)


def test_ten_thousand_patients_take_seconds_not_hours():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 1, 6000), rng.normal(0.1, 1, 4000)
    started = time.perf_counter()
    shift = hodges_lehmann_shift(x, y)
    paired = hodges_lehmann_paired(x[:5000], y[:4000].tolist() + [0.0] * 1000)
    assert time.perf_counter() - started < 20
    # the shift estimate of two normal samples is close to the difference in means, and
    # the interval is about the t interval's width
    t = stats.ttest_ind(x, y)
    assert shift.ci_low < x.mean() - y.mean() < shift.ci_high
    width = t.confidence_interval().high - t.confidence_interval().low
    assert shift.ci_high - shift.ci_low == pytest.approx(width, rel=0.1)
    assert paired.ci_low < paired.estimate < paired.ci_high
