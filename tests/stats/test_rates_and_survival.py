"""Incidence rates and Kaplan-Meier against published values.

- Exact Poisson limits for 4 events: 1.0899-10.2416 (Garwood 1936; tabulated e.g. in
  Ulm K, Am J Epidemiol 1990;131:373-5).
- Kaplan-Meier and log-rank: Freireich et al. 1963 6-MP remission data, as worked in Kleinbaum
  & Klein, *Survival Analysis: A Self-Learning Text*, 3rd ed., ch. 2: 6-MP group S(6)=0.857,
  S(7)=0.807, S(10)=0.753, S(13)=0.690, S(16)=0.627, S(22)=0.538, S(23)=0.448, median 23
  weeks; log-rank chi-square 6-MP vs placebo = 16.79. The log-log 95 % interval at t=6
  (0.620-0.952) is R ``survfit(..., conf.type="log-log")`` on the same data.
"""

import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from ibd_dtt.stats import incidence_rate, kaplan_meier, logrank

SIX_MP_TIMES = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_EVENTS = [1] * 9 + [0] * 12
PLACEBO_TIMES = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_exact_poisson_interval_for_four_events():
    r = incidence_rate(4, 100.0, per=100)
    assert r.rate == pytest.approx(4.0)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (1.0899, 10.2416)


def test_zero_events_has_zero_lower_bound_and_closed_form_upper():
    # Garwood upper limit for 0 events = -ln(0.025) = 3.6889 events.
    r = incidence_rate(0, 10.0, per=1)
    assert r.ci_low == 0.0
    assert r.ci_high == pytest.approx(3.6889 / 10, abs=1e-4)


def test_kaplan_meier_reproduces_kleinbaum_six_mp_table():
    km = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENTS, times=[6, 7, 10, 13, 16, 22, 23])
    expected = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert [round(s, 3) for s in km.at_times["survival"]] == expected
    assert km.median == 23
    first = km.at_times.iloc[0]
    assert (round(first["ci_low"], 3), round(first["ci_high"], 3)) == (0.620, 0.952)
    assert list(km.at_times["at_risk"])[:3] == [21, 17, 15]


def test_kaplan_meier_agrees_with_statsmodels_step_function():
    fit = SurvfuncRight(SIX_MP_TIMES, SIX_MP_EVENTS)
    km = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENTS, times=list(fit.surv_times))
    assert list(km.at_times["survival"]) == pytest.approx(list(fit.surv_prob))


def test_median_is_none_when_curve_stays_above_half():
    km = kaplan_meier([2, 5, 8, 9], [1, 0, 0, 0])
    assert km.median is None
    assert km.at_times.set_index("time").loc[12.0, "reached_by_follow_up"] == False  # noqa: E712


def test_logrank_reproduces_kleinbaum_and_scipy():
    result = logrank(
        SIX_MP_TIMES + PLACEBO_TIMES, SIX_MP_EVENTS + [1] * 21, ["6-MP"] * 21 + ["placebo"] * 21
    )
    assert result.statistic == pytest.approx(16.79, abs=0.005)
    treated = stats.CensoredData(
        uncensored=[t for t, e in zip(SIX_MP_TIMES, SIX_MP_EVENTS, strict=True) if e],
        right=[t for t, e in zip(SIX_MP_TIMES, SIX_MP_EVENTS, strict=True) if not e],
    )
    reference = stats.logrank(treated, stats.CensoredData(uncensored=PLACEBO_TIMES))
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-9)
