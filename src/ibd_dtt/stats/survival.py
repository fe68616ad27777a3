"""Kaplan-Meier persistence and the log-rank test.

The curve and its pointwise 95 % interval come from ``scipy.stats.ecdf`` on censored data
(log-log interval, the "exponential Greenwood" of lifelines and R's ``conf.type="log-log"``);
the median and its interval from statsmodels ``SurvfuncRight`` (Brookmeyer-Crowley with the
complementary log-log transform); the log-rank test from statsmodels ``survdiff`` (any number of
groups). lifelines is not used: its current release pins pandas < 3.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from ibd_dtt.stats.comparisons import TestResult


@dataclass(frozen=True)
class KaplanMeier:
    """A fitted Kaplan-Meier curve.

    ``curve``: time, at_risk, events, censored, survival, ci_low, ci_high (one row per
    distinct time, starting at time 0). ``at_times``: survival and numbers at risk at the
    requested times. ``median`` is None when the curve never falls to 0.5.
    """

    curve: pd.DataFrame
    at_times: pd.DataFrame
    median: float | None
    median_ci: tuple[float | None, float | None]
    n: int
    events: int


def _none_if_inf(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def kaplan_meier(
    durations, events, times: Sequence[float] = (3, 6, 9, 12), confidence: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier estimate for right-censored ``durations`` (``events`` true = event).

    >>> km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 0], times=[2])
    >>> km.at_times[["time", "survival", "at_risk"]].values.tolist()
    [[2.0, 0.75, 3.0]]
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.size == 0:
        raise ValueError("no durations to fit")
    if np.any(t < 0) or np.any(~np.isfinite(t)):
        raise ValueError("durations must be finite and non-negative")
    distinct = np.unique(t)
    at_risk = np.array([(t >= u).sum() for u in distinct])
    n_events = np.array([(e & (t == u)).sum() for u in distinct])
    censored = np.array([(~e & (t == u)).sum() for u in distinct])
    survival = np.ones(distinct.size)
    low = np.ones(distinct.size)
    high = np.ones(distinct.size)
    if e.any():
        data = stats.CensoredData(uncensored=t[e], right=t[~e])
        sf = stats.ecdf(data).sf
        with warnings.catch_warnings():
            # log-log is undefined where S = 1 (before the first event); the interval is
            # degenerate there and we report [1, 1], as lifelines does.
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = sf.confidence_interval(confidence, method="log-log")
        survival = sf.evaluate(distinct)
        low, high = ci.low.evaluate(distinct), ci.high.evaluate(distinct)
        low = np.where(np.isnan(low) & (survival == 1.0), 1.0, low)
        high = np.where(np.isnan(high) & (survival == 1.0), 1.0, high)
    curve = pd.DataFrame(
        {
            "time": np.concatenate([[0.0], distinct]),
            "at_risk": np.concatenate([[t.size], at_risk]),
            "events": np.concatenate([[0], n_events]),
            "censored": np.concatenate([[0], censored]),
            "survival": np.concatenate([[1.0], survival]),
            "ci_low": np.concatenate([[1.0], low]),
            "ci_high": np.concatenate([[1.0], high]),
        }
    )
    rows = []
    for time in times:
        step = curve[curve["time"] <= time].iloc[-1]
        rows.append(
            {
                "time": float(time),
                "survival": float(step["survival"]),
                "ci_low": float(step["ci_low"]),
                "ci_high": float(step["ci_high"]),
                "at_risk": float((t >= time).sum()),
                "reached_by_follow_up": bool(t.max() >= time),
            }
        )
    median: float | None = None
    median_ci: tuple[float | None, float | None] = (None, None)
    if e.any():
        fit = SurvfuncRight(t, e.astype(int))
        median = _none_if_inf(fit.quantile(0.5))
        # cloglog of S = 0 or 1 is infinite: statsmodels warns and returns an open bound,
        # which _none_if_inf reports as "not reached"; the warning would only alarm users.
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = fit.quantile_ci(0.5, alpha=1 - confidence, method="cloglog")
        median_ci = (_none_if_inf(lo), _none_if_inf(hi))
    return KaplanMeier(curve, pd.DataFrame(rows), median, median_ci, int(t.size), int(e.sum()))


def logrank(durations, events, groups) -> TestResult:
    """Log-rank test of equal survival across two or more groups (statsmodels ``survdiff``)."""
    frame = pd.DataFrame(
        {
            "t": pd.Series(durations, dtype=float),
            "e": pd.Series(events, dtype=bool),
            "g": list(groups),
        }
    ).dropna()
    labels = sorted(frame["g"].unique())
    if len(labels) < 2:
        return TestResult("none", None, None, "fewer than two groups")
    if not frame["e"].any():
        return TestResult("none", None, None, "no events in any group")
    chi2, pvalue = survdiff(
        frame["t"].to_numpy(), frame["e"].astype(int).to_numpy(), frame["g"].to_numpy()
    )
    return TestResult(
        "log-rank test",
        float(pvalue),
        float(chi2),
        f"time to DTT discontinuation compared across {len(labels)} groups",
        {"groups": labels, "dof": len(labels) - 1},
    )
