"""How complete the data behind the report are: a variable x timepoint table of available /
expected values, and the alerts shown at the top of the report when a primary outcome has
nothing evaluable in a whole group (with the cause, so that a missing HBI is never mistaken
for a result)."""

from __future__ import annotations

import re

import pandas as pd

from ibd_dtt.report.baseline import BASELINE_PARAMETERS
from ibd_dtt.report.cohort import Cohort
from ibd_dtt.report.followup import MAIN_OUTCOMES
from ibd_dtt.report.model import ReportTable

GROUPS = ("UC", "CD", "IBDU")


def table_data_completeness(cohort: Cohort, visits: pd.DataFrame, windows) -> ReportTable:
    """Per variable and timepoint: patients with a value in the window / patients expected.

    Expected: analysed patients the variable applies to (partial Mayo and the Mayo
    endoscopic subscore for UC/IBDU, HBI and SES-CD for CD, the rest for all) whose window
    had opened by the data cut (DTT start + the window's first day <= data cut), whether
    or not they were still on DTT. Available: those with a value in that window (the
    values the outcome rules see).
    """
    patients = cohort.patients
    starts = patients.set_index("patient_id")["dtt_start"]
    diagnosis = patients.set_index("patient_id")["diagnosis"]
    chosen = [windows.baseline, *windows.timepoints, *windows.periods]
    rows, display = [], []
    for parameter, (label, applies_to) in BASELINE_PARAMETERS.items():
        applicable = diagnosis.index[
            diagnosis.isin(applies_to) if applies_to else diagnosis.notna()
        ]
        cells = {"Variable": label}
        for window in chosen:
            opened = starts.loc[applicable] + pd.to_timedelta(window.lower_day, unit="D")
            expected = set(opened.index[opened <= cohort.data_cut])
            found = visits[(visits["parameter"] == parameter) & (visits["window"] == window.name)]
            available = len(expected & set(found["patient_id"]))
            rows.append(
                {
                    "parameter": parameter,
                    "window": window.name,
                    "available": available,
                    "expected": len(expected),
                }
            )
            cells[window.label] = f"{available}/{len(expected)}" if expected else "–"
        display.append(cells)
    return ReportTable(
        "data_completeness",
        "Data completeness: patients with a value / patients expected, by visit window",
        pd.DataFrame(rows),
        pd.DataFrame(display),
        (
            "Expected: analysed patients the variable applies to (partial Mayo and Mayo "
            "endoscopic subscore: UC/IBDU; HBI and SES-CD: CD) whose visit window had opened "
            "by the data cut, on DTT or not. Available: a value in the window (the value the "
            "outcome rules use).",
            "Windows (days from the DTT start): "
            + "; ".join(f"{w.label} {w.lower_day} to {w.upper_day}" for w in chosen)
            + ".",
        ),
    )


def _reason_kind(reason: str) -> str:
    """A reason without its window detail: 'no hbi value in window month_3 [...]' ->
    'no hbi value'."""
    return re.split(r" in (?:the )?(?:baseline )?window\b", str(reason))[0].strip()


def evaluability_alerts(primary, cohort: Cohort, validation_warnings: pd.DataFrame) -> list[str]:
    """Sentences for the top of the report: each primary outcome with no evaluable patient
    in a whole diagnosis group (or in the cohort), with the most common reason recorded in
    the exclusions, and the validator's 'score not computable' findings that explain it."""
    summary = primary.summary
    exclusions = primary.exclusions
    diagnosis = cohort.patients.set_index("patient_id")["diagnosis"]
    labels = {d.id: d.label for d in primary.definitions.outcomes}
    alerts = []
    for outcome in MAIN_OUTCOMES:
        rows = summary[summary["outcome"] == outcome]
        if rows.empty:
            continue
        groups = [g for g in GROUPS if (diagnosis == g).any()]
        empty_all = int(rows.loc[rows["group"] == "all", "evaluable"].sum()) == 0
        for group in ["all"] if empty_all else groups:
            in_group = rows[rows["group"] == group]
            if in_group.empty or int(in_group["evaluable"].sum()) > 0:
                continue
            members = diagnosis.index if group == "all" else diagnosis.index[diagnosis == group]
            reasons = exclusions[
                (exclusions["outcome"] == outcome) & exclusions["patient_id"].isin(members)
            ]
            who = "patient" if group == "all" else f"{group} patient"
            sentence = (
                f"{labels.get(outcome, outcome)}: no {who} is evaluable at any timepoint "
                f"({len(members)} analysed)"
            )
            if not reasons.empty:
                kinds = reasons.assign(kind=reasons["reason"].map(_reason_kind))
                per_kind = (
                    kinds.groupby("kind")["patient_id"]
                    .nunique()
                    .sort_values(ascending=False, kind="stable")
                )
                sentence += (
                    f"; most common reason: {per_kind.index[0]} "
                    f"({per_kind.iloc[0]} of {len(members)} patients)"
                )
            sentence += "." + _not_computable_hint(validation_warnings, members)
            alerts.append(sentence)
    return alerts


def _not_computable_hint(warnings: pd.DataFrame, members) -> str:
    if warnings is None or warnings.empty:
        return ""
    found = warnings[
        (warnings["rule"] == "score.not_computable") & warnings["patient_id"].isin(members)
    ]
    if found.empty:
        return ""
    instrument = found["message"].str.split(" cannot be computed").str[0]
    per_instrument = found.assign(instrument=instrument).groupby("instrument")["patient_id"]
    parts = [
        f"{name} not computable at some visits of {n} patient(s)"
        for name, n in per_instrument.nunique().items()
    ]
    return (
        " Validation found " + "; ".join(parts) + " because items are empty (ibd-dtt validate "
        "--warnings lists them; blank_hbi_complications: absent if empty HBI complications "
        "mean absent)."
    )
