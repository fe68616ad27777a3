"""Proportions with 95 % confidence intervals.

Clopper-Pearson ("exact") is the default because the study's denominators are small (7/7,
11/12): the Wald interval statsmodels uses unless told otherwise is wrong there. Wilson (score
interval without continuity correction) is selectable. Both come from statsmodels
``proportion_confint`` (methods ``beta`` and ``wilson``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from statsmodels.stats.proportion import proportion_confint

from ibd_dtt.stats._checks import count

CIMethod = Literal["clopper-pearson", "wilson"]
_STATSMODELS_METHOD = {"clopper-pearson": "beta", "wilson": "wilson"}


@dataclass(frozen=True)
class Proportion:
    """``n`` of ``total`` with its percentage and confidence interval (as fractions 0-1)."""

    n: int
    total: int
    proportion: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    confidence: float

    @property
    def percent(self) -> float | None:
        return None if self.proportion is None else 100 * self.proportion


def proportion_ci(
    n: int, total: int, method: CIMethod = "clopper-pearson", confidence: float = 0.95
) -> Proportion:
    """Proportion ``n/total`` with a two-sided confidence interval.

    A zero denominator gives no estimate (``None``) rather than an error: a timepoint nobody
    reached is reported as 0/0, not dropped.

    >>> p = proportion_ci(7, 7)
    >>> round(p.ci_low, 4), p.ci_high   # lower bound 0.025 ** (1/7)
    (0.5904, 1.0)
    """
    n, total = count("n", n), count("total", total)
    if not 0 < float(confidence) < 1:
        raise ValueError(f"`confidence` must be between 0 and 1, not {confidence!r}")
    return _proportion_ci(n, total, method, float(confidence))


@lru_cache(maxsize=4096)
def _proportion_ci(n: int, total: int, method: str, confidence: float) -> Proportion:
    # A report asks for the same few n/N many times (every 0/18, 1/18, ... of Tables 1-2
    # and the safety table); the result is immutable, so each interval is computed once.
    if method not in _STATSMODELS_METHOD:
        raise ValueError(
            f"`method` must be one of {', '.join(_STATSMODELS_METHOD)}, not {method!r}"
        )
    if total < 0 or n < 0 or n > total:
        raise ValueError(f"`n` must be between 0 and `total`; got {n}/{total}")
    if total == 0:
        return Proportion(n, total, None, None, None, method, confidence)
    low, high = proportion_confint(
        n, total, alpha=1 - confidence, method=_STATSMODELS_METHOD[method]
    )
    # statsmodels returns 1 - 1e-16-style values at the edges; the exact bound is 0 or 1.
    low = 0.0 if n == 0 else float(low)
    high = 1.0 if n == total else float(high)
    return Proportion(n, total, n / total, low, high, method, confidence)
