"""Exposure-adjusted incidence rates with exact (Garwood) Poisson intervals.

statsmodels ``confint_poisson(method="exact-c")`` is the central interval from the gamma
distribution, identical to Garwood (1936) and to R's ``poisson.test``.
"""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.rates import confint_poisson

from ibd_dtt.stats._checks import count, non_negative


@dataclass(frozen=True)
class IncidenceRate:
    events: int
    person_years: float
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    per: float
    method: str = "exact Poisson (Garwood)"


def incidence_rate(
    events: int, person_years: float, per: float = 100.0, confidence: float = 0.95
) -> IncidenceRate:
    """Events per ``per`` person-years with an exact Poisson interval.

    >>> r = incidence_rate(4, 10.0)
    >>> round(r.rate, 1), round(r.ci_low, 2), round(r.ci_high, 2)
    (40.0, 10.9, 102.42)
    """
    events = count("events", events)
    person_years = non_negative("person_years", person_years)
    if person_years == 0:
        return IncidenceRate(events, 0.0, None, None, None, per)
    low, high = confint_poisson(events, person_years, method="exact-c", alpha=1 - confidence)
    return IncidenceRate(
        events,
        float(person_years),
        per * events / person_years,
        0.0 if events == 0 else per * float(low),
        per * float(high),
        per,
    )
