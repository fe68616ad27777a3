"""Outcome rules: small functions from one patient's windowed values to True/False/None.

Each rule gets a :class:`RuleContext` (the selected baseline and follow-up values of every
parameter, the patient, the episode, the therapies) and its parameters from the definition
set, and returns an :class:`OutcomeValue` carrying the branch taken and every input used.
Percentages are compared in exact rational arithmetic (``fractions.Fraction`` built from the
decimal text of each value), so "exactly 30 %" or "exactly 50 %" is never decided by a
floating-point rounding error. Sources: ``../shared/reference/clinical.md`` §4.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Record:
    """One selected value: from the analysis visits table."""

    value: float
    day: int
    source_row: str
    dtype: str = "observed"
    visit_date: dt.date | None = None
    censored: str | None = None  # "<" (below a detection limit) or ">" (above a range)

    def audit(self) -> dict[str, Any]:
        out = {"value": _plain(self.value), "day": self.day, "source": self.source_row}
        if self.dtype != "observed":
            out["dtype"] = self.dtype
        if self.censored:
            out["censored"] = self.censored
        return out

    @property
    def shown(self) -> str:
        return f"{self.censored or ''}{_plain(self.value)}"


def at_most(record: Record, limit: Fraction, inclusive: bool = True) -> bool | None:
    """Whether the value is <= ``limit`` (< when not ``inclusive``); None when a censored
    value's bound does not decide it ("<10" against a limit of 5).

    >>> at_most(Record(4.0, 0, ""), Fraction(5))
    True
    >>> at_most(Record(5.0, 0, "", censored="<"), Fraction(5))
    True
    >>> at_most(Record(10.0, 0, "", censored="<"), Fraction(5)) is None
    True
    >>> at_most(Record(5.0, 0, "", censored=">"), Fraction(5))
    False
    """
    bound = exact(record.value)
    if record.censored == "<":  # the true value is below the bound
        if bound <= limit:
            return True
        return None
    if record.censored == ">":  # the true value is above the bound
        if bound >= limit:
            return False
        return None
    return bound <= limit if inclusive else bound < limit


@dataclass(frozen=True)
class OutcomeValue:
    """True / False / None (not evaluable), with the branch, inputs and the reason."""

    value: bool | None
    branch: str
    inputs: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    # "baseline" | "follow_up" | "not_applicable" | "censored" (a bound that decides nothing;
    # never imputed by NRI) | None
    missing: str | None = None


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at for one patient at one window."""

    patient_id: str
    diagnosis: str
    window: str
    baseline: dict[str, Record]
    follow_up: dict[str, Record]
    crp_uln: float
    episode: dict[str, Any]
    therapies: pd.DataFrame | None
    data_cut: dt.date
    # The patient's corticosteroid courses as records; the engine computes them once for all
    # patients and passes no therapies frame (slicing one per patient dominated the run
    # time). ``therapies`` is read only when ``steroid_records`` is not given.
    steroid_records: tuple[dict[str, Any], ...] | None = None

    def pair(self, parameter: str) -> tuple[Record | None, Record | None]:
        return self.baseline.get(parameter), self.follow_up.get(parameter)


def exact(value: float | int) -> Fraction:
    """The decimal value as written (4.1 -> 41/10), not its binary approximation."""
    if isinstance(value, int):
        return Fraction(value)
    return _exact_float(float(value))


@lru_cache(maxsize=65536)
def _exact_float(value: float) -> Fraction:
    # Scores and labs repeat a few thousand distinct values; Fractions are immutable.
    return Fraction(repr(value))


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _missing(parameter: str, base: Record | None, follow: Record | None, window: str):
    if base is None:
        return OutcomeValue(
            None,
            "not evaluable",
            {},
            f"no baseline {parameter} in the baseline window",
            "baseline",
        )
    if follow is None:
        return OutcomeValue(
            None,
            "not evaluable",
            {f"{parameter}_baseline": base.audit()},
            f"no {parameter} value in window {window}",
            "follow_up",
        )
    return None


def _observed_pair(
    ctx: RuleContext, parameter: str
) -> tuple[Record, Record, dict[str, Any]] | OutcomeValue:
    """Baseline and follow-up of ``parameter`` with their audit entries, or the
    not-evaluable result when either is missing."""
    base, follow = ctx.pair(parameter)
    if (miss := _missing(parameter, base, follow, ctx.window)) is not None:
        return miss
    inputs = {f"{parameter}_baseline": base.audit(), f"{parameter}_follow_up": follow.audit()}
    return base, follow, inputs


def _baseline_below(
    parameter: str, base: Record, min_drop: float, inputs: dict[str, Any]
) -> OutcomeValue | None:
    """Not evaluable: a baseline below ``min_drop`` cannot show that drop (e.g. MES 0)."""
    if exact(base.value) >= exact(min_drop):
        return None
    reason = f"baseline {parameter} {base.value} < {min_drop}"
    return OutcomeValue(None, "not evaluable", inputs, reason, "baseline")


def _meets_percent(drop: Fraction, base: Fraction, percent: float, strict: bool) -> bool:
    """``100 * drop >= percent * base`` (or ``>``), exactly."""
    lhs, rhs = 100 * drop, exact(percent) * base
    return lhs > rhs if strict else lhs >= rhs


# ---------------------------------------------------------------------------------------------
def mayo_response(
    ctx: RuleContext,
    parameter: str = "partial_mayo",
    min_drop: int = 3,
    min_percent: float = 30,
    percent_strict: bool = False,
    require_bleeding: bool = True,
    bleeding_min_drop: int = 1,
    bleeding_max: int = 1,
) -> OutcomeValue:
    """UC clinical response (paper; clinical.md §4.1).

    ``(b - f >= min_drop) and (100 (b - f) >= min_percent * b) and
    (RB_b - RB_f >= bleeding_min_drop or RB_f <= bleeding_max)``. A baseline below
    ``min_drop`` cannot show the drop: not evaluable.
    Example: 9 -> 6 with bleeding 3 -> 2 is a response; 9 -> 6 with bleeding 3 -> 3 is not.
    """
    if isinstance(pair := _observed_pair(ctx, parameter), OutcomeValue):
        return pair
    base, follow, inputs = pair
    if (low := _baseline_below(parameter, base, min_drop, inputs)) is not None:
        return low
    b, f = exact(base.value), exact(follow.value)
    drop_ok = b - f >= min_drop
    pct_ok = _meets_percent(b - f, b, min_percent, percent_strict)
    branch = (
        f"drop {_plain(float(b - f))} ({'>' if percent_strict else '>='}{min_percent}%: {pct_ok})"
    )
    if not require_bleeding:
        return OutcomeValue(drop_ok and pct_ok, branch, inputs)
    rb_base, rb_follow = ctx.pair("mayo_rectal_bleeding")
    if (miss := _missing("mayo_rectal_bleeding", rb_base, rb_follow, ctx.window)) is not None:
        return OutcomeValue(None, "not evaluable", inputs, miss.reason, miss.missing)
    inputs |= {"bleeding_baseline": rb_base.audit(), "bleeding_follow_up": rb_follow.audit()}
    rb_drop = exact(rb_base.value) - exact(rb_follow.value) >= bleeding_min_drop
    rb_low = exact(rb_follow.value) <= bleeding_max
    bleeding = (
        "bleeding drop"
        if rb_drop
        else (f"bleeding <= {bleeding_max}" if rb_low else "no bleeding criterion")
    )
    return OutcomeValue(drop_ok and pct_ok and (rb_drop or rb_low), f"{branch}; {bleeding}", inputs)


def _crp_normalisation(ctx: RuleContext, inclusive: bool) -> OutcomeValue:
    if isinstance(pair := _observed_pair(ctx, "crp"), OutcomeValue):
        return pair
    base, follow, inputs = pair
    inputs["crp_uln"] = ctx.crp_uln
    uln = exact(ctx.crp_uln)
    normal_at_baseline = at_most(base, uln)
    if normal_at_baseline is None:
        return _undecided(
            inputs, "baseline CRP", base, "mg/L", f"it was above the ULN {ctx.crp_uln} mg/L"
        )
    if normal_at_baseline:
        return OutcomeValue(
            None,
            "not evaluable",
            inputs,
            f"CRP already normal at baseline ({base.shown} <= ULN {ctx.crp_uln} mg/L)",
            "not_applicable",
        )
    normal = at_most(follow, uln, inclusive)
    if normal is None:
        return _undecided(
            inputs, "follow-up CRP", follow, "mg/L", f"it is within the ULN {ctx.crp_uln} mg/L"
        )
    return OutcomeValue(normal, "CRP normalisation", inputs)


def crp_normalisation(ctx: RuleContext, inclusive: bool = True) -> OutcomeValue:
    """CRP above the ULN at baseline, at or below it at follow-up (``inclusive``: <= ULN).

    A baseline CRP already at or below the ULN cannot normalise: not evaluable, never a success.
    """
    return _crp_normalisation(ctx, inclusive)


def absolute_drop(ctx: RuleContext, parameter: str, min_drop: float = 1) -> OutcomeValue:
    """``b - f >= min_drop``; a baseline below ``min_drop`` (e.g. MES 0) is not evaluable."""
    if isinstance(pair := _observed_pair(ctx, parameter), OutcomeValue):
        return pair
    base, follow, inputs = pair
    if (low := _baseline_below(parameter, base, min_drop, inputs)) is not None:
        return low
    b, f = exact(base.value), exact(follow.value)
    return OutcomeValue(b - f >= exact(min_drop), f"drop {_plain(float(b - f))}", inputs)


def percent_drop(
    ctx: RuleContext, parameter: str, min_percent: float = 50, strict: bool = True
) -> OutcomeValue:
    """``100 (b - f) > min_percent * b`` (``strict``) or ``>=``; baseline 0 is not evaluable.

    SES-CD response (paper, STRIDE-II) is strict: 10 -> 5 is exactly 50 % and is *not* a
    response; 10 -> 4 is. PRO2 response (STRIDE-II, ">= 50 %") is not strict.
    """
    if isinstance(pair := _observed_pair(ctx, parameter), OutcomeValue):
        return pair
    base, follow, inputs = pair
    b, f = exact(base.value), exact(follow.value)
    if b == 0:
        return OutcomeValue(None, "not evaluable", inputs, f"baseline {parameter} is 0", "baseline")
    met = _meets_percent(b - f, b, min_percent, strict)
    pct = float((b - f) * 100 / b)
    return OutcomeValue(met, f"drop {pct:.2f}% ({'>' if strict else '>='}{min_percent}%)", inputs)


def hbi_response(
    ctx: RuleContext,
    min_drop: int = 3,
    low_hbi_max: int = 4,
    low_hbi_refers_to: str = "baseline",
    low_hbi_may_qualify_by_drop: bool = False,
    crp_normal_inclusive: bool = True,
    limberg_min_drop: int = 2,
) -> OutcomeValue:
    """CD clinical response (paper; clinical.md §4.1).

    HBI drop >= ``min_drop``; for patients whose HBI is <= ``low_hbi_max`` (the *baseline*
    HBI by default: a 3-point drop from <= 4 is hardly possible), response is instead CRP
    normalisation or a Limberg drop >= ``limberg_min_drop``. With
    ``low_hbi_may_qualify_by_drop`` such a patient may also qualify by the HBI drop.
    """
    if isinstance(pair := _observed_pair(ctx, "hbi"), OutcomeValue):
        return pair
    base, follow, inputs = pair
    reference = base if low_hbi_refers_to == "baseline" else follow
    drop = exact(base.value) - exact(follow.value)
    if exact(reference.value) > low_hbi_max:
        return OutcomeValue(
            drop >= min_drop, f"HBI drop {_plain(float(drop))} (>= {min_drop})", inputs
        )
    # low-HBI branch: CRP normalisation or Limberg drop
    alternatives = {
        "CRP normalisation": _crp_normalisation(ctx, crp_normal_inclusive),
        "Limberg drop": absolute_drop(ctx, "limberg", limberg_min_drop),
    }
    for alt in alternatives.values():
        inputs |= alt.inputs
    label = f"HBI {low_hbi_refers_to} <= {low_hbi_max}"
    if low_hbi_may_qualify_by_drop and drop >= min_drop:
        return OutcomeValue(True, f"{label}; HBI drop {_plain(float(drop))}", inputs)
    met = [name for name, alt in alternatives.items() if alt.value is True]
    if met:
        return OutcomeValue(True, f"{label}; {' and '.join(met)}", inputs)
    undecided = [alt.reason for alt in alternatives.values() if alt.missing == "censored"]
    if undecided:  # a censored value might have met it: the answer is not known
        return OutcomeValue(
            None, "not evaluable", inputs, f"{label}, and {undecided[0]}", "censored"
        )
    evaluable = [name for name, alt in alternatives.items() if alt.value is False]
    if evaluable:
        return OutcomeValue(False, f"{label}; not met: {', '.join(evaluable)}", inputs)
    reasons = "; ".join(f"{name}: {alt.reason}" for name, alt in alternatives.items())
    missing = (
        "follow_up" if any(a.missing == "follow_up" for a in alternatives.values()) else "baseline"
    )
    return OutcomeValue(None, "not evaluable", inputs, f"{label}, and {reasons}", missing)


_OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}


def _undecided(inputs: dict, name: str, record: Record, unit: str, question: str) -> OutcomeValue:
    """Not evaluable: a censored value whose bound does not answer ``question``."""
    shown = f"{name} {record.shown} {unit}".strip()
    return OutcomeValue(
        None,
        "not evaluable",
        inputs,
        f"{shown}: a censored value that cannot tell whether {question}",
        "censored",
    )


def _holds(record: Record, op: str, limit: Fraction) -> bool | None:
    """``value op limit``; for a censored value, what its bound decides, else None."""
    bound = exact(record.value)
    if record.censored == "<" and bound <= limit:  # the value is below the limit
        return op in ("<", "<=")
    if record.censored == ">" and bound >= limit:  # the value is above the limit
        return op in (">", ">=")
    if record.censored:
        return None
    return _OPS[op](bound, limit)


def all_conditions(ctx: RuleContext, conditions: list[dict[str, Any]]) -> OutcomeValue:
    """Every ``{parameter, op, value}`` holds at follow-up (remission-type rules).

    Example: partial Mayo remission = partial_mayo <= 2 and every subscore <= 1.
    """
    inputs: dict[str, Any] = {}
    failed = []
    for cond in conditions:
        parameter = cond["parameter"]
        record = ctx.follow_up.get(parameter)
        if record is None:
            return OutcomeValue(
                None,
                "not evaluable",
                inputs,
                f"no {parameter} value in window {ctx.window}",
                "follow_up",
            )
        inputs[parameter] = record.audit()
        holds = _holds(record, cond["op"], exact(cond["value"]))
        if holds is None:
            return _undecided(inputs, parameter, record, "", f"it is {cond['op']} {cond['value']}")
        if not holds:
            failed.append(f"{parameter} {record.shown} not {cond['op']} {cond['value']}")
    text = " and ".join(f"{c['parameter']} {c['op']} {c['value']}" for c in conditions)
    return OutcomeValue(not failed, text if not failed else "; ".join(failed), inputs)


def any_of(ctx: RuleContext, rules: list[dict[str, Any]]) -> OutcomeValue:
    """True if any sub-rule is True; False if the evaluable ones are all False.

    Example: STRIDE-II CD clinical remission = PRO2 criteria or HBI < 5.
    """
    results = [(r["rule"], RULES[r["rule"]][0](ctx, **r.get("params", {}))) for r in rules]
    inputs: dict[str, Any] = {}
    for _, res in results:
        inputs |= res.inputs
    met = [name for name, res in results if res.value is True]
    if met:
        return OutcomeValue(True, f"met: {', '.join(met)}", inputs)
    if any(res.value is False for _, res in results):
        return OutcomeValue(False, "none met", inputs)
    missing = "follow_up" if any(res.missing == "follow_up" for _, res in results) else "baseline"
    return OutcomeValue(
        None, "not evaluable", inputs, "; ".join(r.reason or "" for _, r in results), missing
    )


def biomarker_normalisation(
    ctx: RuleContext,
    crp_inclusive: bool = True,
    calprotectin_below: float = 250,
    require_calprotectin: bool = False,
) -> OutcomeValue:
    """CRP <= ULN (``crp_inclusive``; else < ULN), and fecal calprotectin < 250 ug/g when
    measured (STRIDE-II biomarker target; clinical.md §4.5)."""
    crp = ctx.follow_up.get("crp")
    fc = ctx.follow_up.get("fecal_calprotectin")
    if crp is None:
        return OutcomeValue(
            None, "not evaluable", {}, f"no CRP in window {ctx.window}", "follow_up"
        )
    inputs: dict[str, Any] = {"crp": crp.audit(), "crp_uln": ctx.crp_uln}
    uln = exact(ctx.crp_uln)
    crp_ok = at_most(crp, uln, crp_inclusive)
    if crp_ok is None:
        return _undecided(inputs, "CRP", crp, "mg/L", f"it is within the ULN {ctx.crp_uln} mg/L")
    if fc is None:
        if require_calprotectin:
            return OutcomeValue(None, "not evaluable", inputs, "no fecal calprotectin", "follow_up")
        return OutcomeValue(crp_ok, "CRP only (no calprotectin measured)", inputs)
    inputs["fecal_calprotectin"] = fc.audit()
    fc_ok = at_most(fc, exact(calprotectin_below), inclusive=False)
    if fc_ok is None:
        return _undecided(
            inputs, "fecal calprotectin", fc, "µg/g", f"it is below {calprotectin_below} µg/g"
        )
    return OutcomeValue(crp_ok and fc_ok, "CRP and calprotectin", inputs)


def steroid_course_records(therapies: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    """The corticosteroid courses of ``therapies`` as records (drug, row, dates, class)."""
    steroids = therapies[therapies["drug_category"] == "corticosteroid"]
    columns = ["patient_id", "drug", "_row", "start_date", "stop_date", "mechanism_class"]
    return tuple(steroids.reindex(columns=columns).to_dict("records"))


def _steroid_courses(ctx: RuleContext, include_local: bool) -> list[dict[str, Any]]:
    records = ctx.steroid_records
    if records is None:
        if ctx.therapies is None:
            raise ValueError("a RuleContext needs steroid_records or therapies")
        records = steroid_course_records(ctx.therapies)
    return [
        r for r in records if include_local or r["mechanism_class"] == "systemic_corticosteroid"
    ]


def _running_between(course: dict[str, Any], first: pd.Timestamp, last: pd.Timestamp) -> bool:
    """Whether a course runs at some time from ``first`` to ``last`` (open courses run on)."""
    stop = course["stop_date"]
    return course["start_date"] <= last and (pd.isna(stop) or stop >= first)


def steroid_withdrawal(
    ctx: RuleContext, within_days: int = 91, include_local: bool = True
) -> OutcomeValue:
    """Every corticosteroid running at the DTT start stopped within ``within_days``.

    Not applicable (not evaluable) without a corticosteroid at the start; not evaluable while
    a course is still running when follow-up ended before ``within_days``.
    """
    start = pd.Timestamp(ctx.episode["start_date"])
    running = [r for r in _steroid_courses(ctx, include_local) if _running_between(r, start, start)]
    if not running:
        return OutcomeValue(
            None, "not applicable", {}, "no corticosteroid at DTT start", "not_applicable"
        )
    inputs = {
        f"{r['drug']}@therapies:{r['_row']}": {
            "start": str(r["start_date"].date()),
            "stop": None if pd.isna(r["stop_date"]) else str(r["stop_date"].date()),
            "stop_day": None if pd.isna(r["stop_date"]) else int((r["stop_date"] - start).days),
        }
        for r in running
    }
    stop_days = [v["stop_day"] for v in inputs.values()]
    if all(d is not None and d <= within_days for d in stop_days):
        return OutcomeValue(True, f"all {len(stop_days)} stopped by day {within_days}", inputs)
    if any(d is not None and d > within_days for d in stop_days):
        return OutcomeValue(False, f"stopped after day {within_days}", inputs)
    follow_days = (pd.Timestamp(ctx.data_cut) - start).days
    if follow_days < within_days:
        return OutcomeValue(
            None,
            "not evaluable",
            inputs,
            f"still on corticosteroid at the data cut (day {follow_days})",
            "follow_up",
        )
    return OutcomeValue(False, f"still running at day {within_days}", inputs)


def steroid_free_remission(
    ctx: RuleContext,
    conditions: list[dict[str, Any]],
    steroid_free_days: int = 84,
    include_local: bool = True,
) -> OutcomeValue:
    """Remission (``all_conditions``) and no corticosteroid in the ``steroid_free_days``
    before the assessment (CORE-IBD: >= 12 weeks = 84 days; clinical.md §4.4)."""
    remission = all_conditions(ctx, conditions)
    if remission.value is None:
        return remission
    dates = [
        r.visit_date for p, r in ctx.follow_up.items() if p in {c["parameter"] for c in conditions}
    ]
    visit = pd.Timestamp(max(d for d in dates if d is not None))
    since = visit - pd.Timedelta(days=steroid_free_days)
    overlapping = [
        r for r in _steroid_courses(ctx, include_local) if _running_between(r, since, visit)
    ]
    inputs = remission.inputs | {
        "steroid_courses_in_period": [f"{r['drug']}@therapies:{r['_row']}" for r in overlapping]
    }
    free = not overlapping
    branch = f"{remission.branch}; steroid-free {steroid_free_days} days: {free}"
    return OutcomeValue(bool(remission.value and free), branch, inputs)


# rule id -> (function, version). Bump the version when a rule's logic changes.
RULES: dict[str, tuple[Callable[..., OutcomeValue], str]] = {
    "mayo_response": (mayo_response, "1.0"),
    "hbi_response": (hbi_response, "1.0"),
    "crp_normalisation": (crp_normalisation, "1.0"),
    "absolute_drop": (absolute_drop, "1.0"),
    "percent_drop": (percent_drop, "1.0"),
    "all_conditions": (all_conditions, "1.0"),
    "any_of": (any_of, "1.0"),
    "biomarker_normalisation": (biomarker_normalisation, "1.0"),
    "steroid_withdrawal": (steroid_withdrawal, "1.0"),
    "steroid_free_remission": (steroid_free_remission, "1.0"),
}
