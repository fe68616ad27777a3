"""Kaplan-Meier persistence and the log-rank test.

The curve and its pointwise 95 % interval come from ``scipy.stats.ecdf`` on censored data
(log-log interval: R's ``survfit(..., conf.type = "log-log")``); the log-rank test from
statsmodels ``survdiff`` (any number of groups). The median and its interval follow R's
``survival`` package (``quantile.survfit``, Therneau): the median is where the curve
reaches 0.5 - the midpoint of the stretch when the curve is flat at exactly 0.5, and the
midpoint of that stretch's start and the last follow-up time when the curve stays at 0.5 to
the end; its limits are where the lower and upper bands reach 0.5, missing (NA, "not
reached") where a band never does. Where the survival is 1 (before the first event) or 0
the log-log interval is undefined and reported as missing, as R does. lifelines is not used:
its current release pins pandas < 3.

Worked example (docs/statistics.md): four patients with events at 1, 2, 3 and 4 months have
S = 0.75, 0.5, 0.25, 0; the curve is flat at 0.5 from 2 to 3 months, so the median is 2.5
(the first time below 0.5 would give 3).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import survdiff

from ibd_dtt.stats import _checks
from ibd_dtt.stats.comparisons import TestResult


@dataclass(frozen=True)
class KaplanMeier:
    """A fitted Kaplan-Meier curve.

    ``curve``: time, at_risk, events, censored, survival, ci_low, ci_high (one row per
    distinct time, starting at time 0; the interval is NaN where S is 1 or 0). ``at_times``:
    survival and numbers at risk at the requested times. ``median`` and each limit of
    ``median_ci`` are None where R's survfit gives NA ("not reached").
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
    _checks.same_length(durations=durations, events=events)
    t = np.asarray(durations, dtype=float)
    e = _checks.flags("events", events)
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
            # log-log is undefined where S is 1 or 0: scipy warns and gives NaN, kept as
            # "not estimable" (R's NA), never printed as a [1, 1] interval
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = sf.confidence_interval(confidence, method="log-log")
        survival = sf.evaluate(distinct)
        low, high = ci.low.evaluate(distinct), ci.high.evaluate(distinct)
    curve = pd.DataFrame(
        {
            "time": np.concatenate([[0.0], distinct]),
            "at_risk": np.concatenate([[t.size], at_risk]),
            "events": np.concatenate([[0], n_events]),
            "censored": np.concatenate([[0], censored]),
            "survival": np.concatenate([[1.0], survival]),
            "ci_low": np.concatenate([[np.nan], low]),
            "ci_high": np.concatenate([[np.nan], high]),
        }
    )
    # log-log limits are undefined where S is 1 or 0 (R reports NA there too)
    undefined = curve["survival"].isin([0.0, 1.0])
    curve.loc[undefined, ["ci_low", "ci_high"]] = np.nan
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
    times_all = curve["time"].to_numpy(float)
    median = survfit_quantile(times_all, curve["survival"].to_numpy(float))
    median_ci = (
        survfit_quantile(times_all, curve["ci_low"].to_numpy(float)),
        survfit_quantile(times_all, curve["ci_high"].to_numpy(float)),
    )
    return KaplanMeier(curve, pd.DataFrame(rows), median, median_ci, int(t.size), int(e.sum()))


# R's default tolerance in quantile.survfit: sqrt(.Machine$double.eps)
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def survfit_quantile(
    times, survival, p: float = 0.5, tolerance: float = QUANTILE_TOLERANCE
) -> float | None:
    """The time at which a survival step curve (or one of its bands) reaches ``1 - p``,
    by R survival's rule (``quantile.survfit``); None where R gives NA.

    ``times`` start at the origin (0), where every curve and band is 1; ``survival`` is the
    curve's value from each time on (NaN where undefined, e.g. a log-log band where S is
    1). The curve reaches the level at the first time it is at or below it; if it is flat
    at exactly the level (within ``tolerance``), the answer is the midpoint of the flat
    stretch, or of its start and the last time of the curve when the flat lasts to the end.

    >>> survfit_quantile([0, 1, 2, 3, 4], [1, 0.75, 0.5, 0.25, 0.0])   # flat 2 to 3
    2.5
    >>> survfit_quantile([0, 1, 2, 3, 4], [1, 0.75, 0.5, 0.5, 0.5])    # flat to the end
    3.0
    >>> survfit_quantile([0, 1, 2], [1, 0.8, 0.6]) is None             # never reached
    True
    """
    x = np.asarray(times, dtype=float)
    cdf = 1.0 - np.asarray(survival, dtype=float)
    if cdf.size:
        cdf[0] = 0.0  # the origin: every curve and band starts at 1 (R's firstx)
    if x.size == 0 or np.all(np.isnan(cdf)) or np.nanmax(cdf) < p:
        return None
    last_time = x[-1]
    # censoring times repeat the level before them: keep each level's first time
    repeated = pd.Series(cdf).duplicated().to_numpy()
    x, cdf = x[~repeated], cdf[~repeated]
    defined = ~np.isnan(cdf)

    def first_position(shift: float) -> int | None:
        hits = np.flatnonzero(defined & (cdf + shift >= p))
        if not hits.size or cdf[defined][0] + shift > p:
            return None
        return int(hits[0])

    start, end = first_position(tolerance), first_position(-tolerance)
    if start is None:
        return None
    if not np.isnan(cdf[-1]) and abs(p - cdf[-1]) < tolerance:
        return float((x[start] + last_time) / 2)
    if end is None:
        return None
    return float((x[start] + x[end]) / 2)


def logrank(durations, events, groups) -> TestResult:
    """Log-rank test of equal survival across two or more groups (statsmodels ``survdiff``)."""
    groups = list(groups)
    _checks.same_length(durations=durations, events=events, groups=groups)
    _checks.flags("events", events)
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
