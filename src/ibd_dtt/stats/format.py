"""Turning computed statistics into the strings journals print. Numbers are never rounded
before this step.

Rounding is half-up on the decimal value (15/17 = 88.235... -> 88.24 at 2 decimals), as
journals and SPSS print it; Python's ``round`` rounds half to even.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

from ibd_dtt.stats.continuous import ContinuousSummary
from ibd_dtt.stats.proportions import Proportion
from ibd_dtt.stats.rates import IncidenceRate

EN_DASH = "\u2013"


def round_half_up(value: float | None, decimals: int = 1) -> str:
    """``value`` rounded half-up to ``decimals`` places, as text ('' for None).

    >>> round_half_up(88.2352941, 2), round_half_up(0.125, 2), round_half_up(2.5, 0)
    ('88.24', '0.13', '3')
    """
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


# Percentages carry one decimal by default (journals' convention for series of this size);
# ``--percent-decimals 2`` reproduces the paper, which printed two.
_PERCENT_DECIMALS: ContextVar[int] = ContextVar("percent_decimals", default=1)


def percent_decimals() -> int:
    """Decimals of every percentage in the current report (1 unless set)."""
    return _PERCENT_DECIMALS.get()


@contextmanager
def using_percent_decimals(decimals: int) -> Iterator[None]:
    """Format percentages with ``decimals`` decimals inside the block.

    >>> from ibd_dtt.stats.proportions import proportion_ci
    >>> with using_percent_decimals(2):
    ...     format_n_percent(proportion_ci(15, 17))
    '15 (88.24)'
    """
    if not isinstance(decimals, int) or not 0 <= decimals <= 3:
        raise ValueError(f"percent decimals must be 0, 1, 2 or 3, not {decimals!r}")
    token = _PERCENT_DECIMALS.set(decimals)
    try:
        yield
    finally:
        _PERCENT_DECIMALS.reset(token)


def format_percent(value: float | None) -> str:
    """A percentage (0-100) with the report's decimals."""
    return round_half_up(value, percent_decimals())


def format_n_percent(p: Proportion, decimals: int | None = None) -> str:
    """'11 (61.1)': the paper's n (%) convention.

    >>> from ibd_dtt.stats.proportions import proportion_ci
    >>> format_n_percent(proportion_ci(11, 18))
    '11 (61.1)'
    """
    if p.total == 0:
        return "0 (-)"
    decimals = percent_decimals() if decimals is None else decimals
    return f"{p.n} ({round_half_up(p.percent, decimals)})"


def format_rate(p: Proportion, decimals: int | None = None) -> str:
    """'15/17 (88.2 %, 63.6–98.5)': n/N, percent and confidence interval.

    >>> from ibd_dtt.stats.proportions import proportion_ci
    >>> format_rate(proportion_ci(15, 17))
    '15/17 (88.2 %, 63.6–98.5)'
    """
    if p.total == 0:
        return "0/0"
    decimals = percent_decimals() if decimals is None else decimals
    low, high = round_half_up(100 * p.ci_low, decimals), round_half_up(100 * p.ci_high, decimals)
    return f"{p.n}/{p.total} ({round_half_up(p.percent, decimals)} %, {low}{EN_DASH}{high})"


def format_median_iqr(s: ContinuousSummary, decimals: int = 1) -> str:
    """'74.0 (50.5–181.8)'."""
    if s.n == 0:
        return "-"
    q1, q3 = round_half_up(s.q1, decimals), round_half_up(s.q3, decimals)
    return f"{round_half_up(s.median, decimals)} ({q1}{EN_DASH}{q3})"


def format_mean_sd(s: ContinuousSummary, decimals: int = 2) -> str:
    """'22.78 (5.31)'."""
    if s.n == 0:
        return "-"
    sd = "-" if s.sd is None else round_half_up(s.sd, decimals)
    return f"{round_half_up(s.mean, decimals)} ({sd})"


def format_range(s: ContinuousSummary, decimals: int = 1) -> str:
    if s.n == 0:
        return "-"
    return f"{round_half_up(s.minimum, decimals)}{EN_DASH}{round_half_up(s.maximum, decimals)}"


def format_incidence(r: IncidenceRate, decimals: int = 1) -> str:
    """'27.0 (7.4–69.2)' events per 100 patient-years."""
    if r.rate is None:
        return "-"
    low, high = round_half_up(r.ci_low, decimals), round_half_up(r.ci_high, decimals)
    return f"{round_half_up(r.rate, decimals)} ({low}{EN_DASH}{high})"


def format_pvalue(p: float | None) -> str:
    """Three decimals, '<0.001' below that, '' when no test was done.

    >>> format_pvalue(0.04999), format_pvalue(0.0004), format_pvalue(None)
    ('0.050', '<0.001', '')
    """
    if p is None:
        return ""
    if p < 0.001:
        return "<0.001"
    return round_half_up(p, 3)
