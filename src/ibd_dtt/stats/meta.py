"""Random-effects meta-analysis of proportions across centers or sites.

Each center's proportion enters on the logit scale, log(x / (n - x)), with variance
1/x + 1/(n - x); a center with 0 or n events gets 0.5 added to both cells (the usual
continuity correction, as R's ``meta::metaprop(sm = "PLOGIT")`` applies it by default). A
center with no evaluable patient carries no information and is left out (and listed).

Between-center variance tau² by DerSimonian-Laird (moment estimator from Cochran's Q,
floored at 0) or by Paule-Mandel (``"pm"``, statsmodels' ``combine_effects``, iterated);
I² = (Q - df) / Q,
floored at 0 (Higgins & Thompson 2002, Stat Med 21:1539). The pooled logit and its Wald
interval are transformed back to a proportion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats
from scipy.special import expit

from ibd_dtt.stats import _checks

TauMethod = Literal["dl", "pm"]
TAU_METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}
CONTINUITY_CORRECTION = 0.5


@dataclass(frozen=True)
class MetaProportion:
    """A random-effects pooled proportion (fractions 0-1) and the heterogeneity between
    the groups that entered it."""

    proportion: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None  # 0-1
    q: float | None
    q_pvalue: float | None
    k: int  # groups pooled
    left_out: tuple[str, ...]  # groups with no evaluable patient
    corrected: tuple[str, ...]  # groups with 0 or all events (continuity correction)
    method: str
    confidence: float = 0.95


def meta_proportions(
    events,
    totals,
    names=None,
    method: TauMethod = "dl",
    confidence: float = 0.95,
) -> MetaProportion:
    """Pool proportions ``events / totals`` of several groups on the logit scale.

    >>> r = meta_proportions([9, 3, 5], [10, 20, 10])
    >>> round(r.proportion, 4), round(r.i2, 3), round(r.tau2, 4), r.k
    (0.5018, 0.818, 2.4553, 3)
    """
    if method not in TAU_METHODS:
        raise ValueError(f"method must be one of {sorted(TAU_METHODS)}, not {method!r}")
    x = np.array([_checks.count("events", v) for v in np.asarray(events, dtype=object)], int)
    n = np.array([_checks.count("totals", v) for v in np.asarray(totals, dtype=object)], int)
    if len(x) != len(n):
        raise ValueError("events and totals differ in length")
    if (x > n).any():
        raise ValueError("events exceed totals")
    names = [str(i + 1) for i in range(len(x))] if names is None else [str(v) for v in names]
    used = n > 0
    left_out = tuple(name for name, u in zip(names, used, strict=True) if not u)
    x, n = x[used].astype(float), n[used].astype(float)
    kept = [name for name, u in zip(names, used, strict=True) if u]
    edge = (x == 0) | (x == n)
    corrected = tuple(name for name, e in zip(kept, edge, strict=True) if e)
    xc = np.where(edge, x + CONTINUITY_CORRECTION, x)
    nc = np.where(edge, n + 2 * CONTINUITY_CORRECTION, n)
    label = f"random effects ({TAU_METHODS[method]}), logit scale"
    if len(x) == 0:
        return MetaProportion(None, None, None, None, None, None, None, 0, left_out, (), label)
    logit = np.log(xc / (nc - xc))
    variance = 1 / xc + 1 / (nc - xc)
    z = stats.norm.ppf(0.5 + confidence / 2)
    if len(x) == 1:  # one group: its own estimate, no heterogeneity to speak of
        se = float(np.sqrt(variance[0]))
        return MetaProportion(
            float(expit(logit[0])),
            float(expit(logit[0] - z * se)),
            float(expit(logit[0] + z * se)),
            None,
            None,
            None,
            None,
            1,
            left_out,
            corrected,
            label,
            confidence,
        )
    df = len(x) - 1
    weights = 1 / variance
    fixed = float((weights * logit).sum() / weights.sum())
    q = float((weights * (logit - fixed) ** 2).sum())
    if method == "dl":
        # DerSimonian-Laird, floored at 0 as they define it: statsmodels 0.15's
        # combine_effects(method_re="dl") leaves a negative moment estimate unfloored and
        # weights the centers with it (Q < df), so it is computed here
        c = float(weights.sum() - (weights**2).sum() / weights.sum())
        tau2 = max(0.0, (q - df) / c)
    else:
        from statsmodels.stats.meta_analysis import combine_effects

        tau2 = float(combine_effects(logit, variance, method_re="iterated").tau2)
    weights_re = 1 / (variance + tau2)
    mean = float((weights_re * logit).sum() / weights_re.sum())
    se = float(np.sqrt(1 / weights_re.sum()))
    return MetaProportion(
        float(expit(mean)),
        float(expit(mean - z * se)),
        float(expit(mean + z * se)),
        tau2,
        max(0.0, (q - df) / q) if q > 0 else 0.0,
        q,
        float(stats.chi2.sf(q, df)),
        len(x),
        left_out,
        corrected,
        label,
        confidence,
    )
