"""Turning computed statistics into the strings journals print. Numbers are never rounded
before this step.

Rounding is half-up on the decimal value (15/17 = 88.235... -> 88.24 at 2 decimals), as
journals and SPSS print it; Python's ``round`` rounds half to even.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

from ibd_dtt.stats.continuous import ContinuousSummary
from ibd_dtt.stats.proportions import Proportion
from ibd_dtt.stats.rates import IncidenceRate

EN_DASH = "\u2013"
# The one symbol of the report for a value that is missing or cannot be computed.
MISSING = EN_DASH


# Typography of every printed text: comparison signs and units as journals print them.
_TYPESET = (
    (re.compile(r"<="), "\u2264"),
    (re.compile(r">="), "\u2265"),
    (re.compile(r"\bu(g/(?:g|l|L|mL|dL))\b"), "\u00b5\\1"),
    (re.compile(r"\bmcg/"), "\u00b5g/"),
)


def typeset(text: str) -> str:
    """Printed form of a label or note: '<=' as '≤', '>=' as '≥', 'ug/g' as 'µg/g'.

    >>> typeset("CRP <= ULN; calprotectin < 250 ug/g; HBI >= 3")
    'CRP ≤ ULN; calprotectin < 250 µg/g; HBI ≥ 3'
    """
    for pattern, replacement in _TYPESET:
        text = pattern.sub(replacement, text)
    return text


MINUS = "\u2212"
# a hyphen-minus that starts a number: at the start, after a space or an opening bracket,
# or after the en dash of a range ("-5.0 (-7.5–-2.0)")
_NEGATIVE_NUMBER = re.compile(r"(?<![^\s(\[\u2013])-(?=\.?\d)")


def typeset_minus(text: str) -> str:
    """Negative numbers with the minus sign (U+2212) journals print, not a hyphen; for
    printed text only (HTML, Word, PDF): data files keep numbers as numbers.

    >>> typeset_minus("-5.0 (-7.5–-2.0); TNF-2; 2024-01-31")
    '−5.0 (−7.5–−2.0); TNF-2; 2024-01-31'
    """
    return _NEGATIVE_NUMBER.sub(MINUS, text)


WORD_JOINER = "\u2060"
# a hyphen, en dash or slash inside a word
_BREAK_INSIDE_WORD = re.compile(r"(?<=\S)([-\u2013/])(?=\S)")


def keep_words_whole(text: str) -> str:
    """``text`` with its lines breakable at spaces only, for print: a word joiner (U+2060,
    invisible) either side of each hyphen, en dash or slash inside a word, where Word,
    LibreOffice and browsers would otherwise break a line ("63.56–" / "98.54",
    "de-" / "escalation"). Negative numbers get the minus sign (:func:`typeset_minus`),
    which no renderer breaks after. Copying from the document loses nothing visible.

    >>> keep_words_whole("[63.6–98.5] de-escalation 3/17 -5.0").count(WORD_JOINER)
    6
    """
    return _BREAK_INSIDE_WORD.sub(f"{WORD_JOINER}\\1{WORD_JOINER}", typeset_minus(text))


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
        return f"0 ({MISSING})"
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


def format_rate_cell(
    n: float,
    total: int,
    percent: float | None,
    ci_low: float | None,
    ci_high: float | None,
    decimals: int | None = None,
) -> str:
    """'15/17 (88.2) [63.6–98.5]': n/N (%) [95 % CI], the cell of a response table (the
    header or footnote says what the numbers are). ``n`` may be fractional (the mean
    number of responders over multiple imputations: one decimal).

    >>> from ibd_dtt.stats.proportions import proportion_ci
    >>> p = proportion_ci(15, 17)
    >>> format_rate_cell(p.n, p.total, p.percent, p.ci_low, p.ci_high)
    '15/17 (88.2) [63.6–98.5]'
    >>> format_rate_cell(7.45, 10, 74.5, 0.4, 0.93)
    '7.5/10 (74.5) [40.0–93.0]'
    """
    if total == 0:
        return MISSING
    decimals = percent_decimals() if decimals is None else decimals
    count = str(int(n)) if float(n).is_integer() else round_half_up(n, 1)
    text = f"{count}/{total}"
    if percent is not None and not (isinstance(percent, float) and math.isnan(percent)):
        text += f" ({round_half_up(percent, decimals)})"
    if ci_low is not None and ci_high is not None:
        low, high = round_half_up(100 * ci_low, decimals), round_half_up(100 * ci_high, decimals)
        text += f" [{low}{EN_DASH}{high}]"
    return text


def _number(value: float, decimals: int, trim: bool) -> str:
    text = round_half_up(value, decimals)
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


def format_median_iqr(s: ContinuousSummary, decimals: int = 1, trim: bool = False) -> str:
    """'74.0 (50.5–181.8)'. ``trim``: for counts, no decimals that are zero ('1 (1–2)',
    '1.5 (1–2.25)') instead of '1.00 (1.00–2.00)'.

    >>> from ibd_dtt.stats.continuous import summarise_continuous
    >>> format_median_iqr(summarise_continuous([1, 1, 1, 2, 2, 3]), 2, trim=True)
    '1.5 (1–2.25)'
    """
    if s.n == 0:
        return MISSING
    q1, q3 = _number(s.q1, decimals, trim), _number(s.q3, decimals, trim)
    return f"{_number(s.median, decimals, trim)} ({q1}{EN_DASH}{q3})"


def format_mean_sd(s: ContinuousSummary, decimals: int = 2) -> str:
    """'22.78 (5.31)'."""
    if s.n == 0:
        return MISSING
    sd = MISSING if s.sd is None else round_half_up(s.sd, decimals)
    return f"{round_half_up(s.mean, decimals)} ({sd})"


def format_range(s: ContinuousSummary, decimals: int = 1, trim: bool = False) -> str:
    if s.n == 0:
        return MISSING
    low, high = _number(s.minimum, decimals, trim), _number(s.maximum, decimals, trim)
    return f"{low}{EN_DASH}{high}"


def format_incidence(r: IncidenceRate, decimals: int = 1) -> str:
    """'27.0 (7.4–69.2)' events per 100 patient-years."""
    if r.rate is None:
        return MISSING
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
