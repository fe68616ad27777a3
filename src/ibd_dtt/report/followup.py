"""Follow-up tables: per-patient listings (Tables 3 and 4), response rates with exact
intervals for every definition set and missing-data strategy, and laboratory changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ibd_dtt.contract import codes as C
from ibd_dtt.outcomes.imputation import MI_IMPUTATIONS, MI_SEED
from ibd_dtt.report.cohort import Cohort, is_on_dtt
from ibd_dtt.report.model import ReportTable
from ibd_dtt.stats import compare_paired, proportion_ci, summarise_continuous
from ibd_dtt.stats.effects import hodges_lehmann_paired
from ibd_dtt.stats.format import (
    format_pvalue,
    format_rate_cell,
    round_half_up,
)

TIMEPOINT_LABELS = {
    "month_3": "3 months",
    "month_6": "6 months",
    "month_9": "9 months",
    "month_12": "12 months",
    "by_month_9": "within 9 months",
}
RESULT_SYMBOL = {"yes": "Yes", "no": "No", "not_evaluable": "–"}
MAIN_OUTCOMES = ("clinical_response", "endoscopic_response")


def _timepoint(tp: str) -> str:
    return TIMEPOINT_LABELS.get(tp, tp.replace("_", " "))


def _subsequent(row: dict) -> str:
    """'UPA (day 160)' from 'UPA@2023-02-12': relative days only, no calendar dates."""
    text = row.get("subsequent_therapies")
    if text is None or pd.isna(text) or not text:
        return ""
    parts = []
    for item in str(text).split(";"):
        drug, _, date = item.partition("@")
        day = (pd.Timestamp(date) - row["dtt_start"]).days if date else None
        parts.append(f"{drug} (day {day})" if day is not None else drug)
    return ", ".join(parts)


def _last_on_treatment(visits: pd.DataFrame, parameter: str) -> pd.DataFrame:
    v = visits[
        (visits["parameter"] == parameter)
        & visits["window"].str.startswith("month_")
        & is_on_dtt(visits)
    ]
    v = v.sort_values(["patient_id", "target_day"]).drop_duplicates("patient_id", keep="last")
    return v.set_index("patient_id")[["value", "baseline_value", "window"]]


def _arrow(base, last, decimals: int = 1) -> str:
    if pd.isna(base) and pd.isna(last):
        return ""
    left = "–" if pd.isna(base) else round_half_up(float(base), decimals)
    right = "–" if pd.isna(last) else round_half_up(float(last), decimals)
    return f"{left} → {right}"


def tables_patient_listings(
    cohort: Cohort, outcomes: pd.DataFrame, visits: pd.DataFrame, concomitant: pd.DataFrame
) -> tuple[ReportTable, ReportTable]:
    """Table 3 (maintained on DTT) and Table 4 (discontinued): one row per patient."""
    p = cohort.patients
    results = outcomes.pivot_table(
        index="patient_id", columns=["outcome", "timepoint"], values="result", aggfunc="first"
    )
    crp, alb = _last_on_treatment(visits, "crp"), _last_on_treatment(visits, "albumin")
    steroid = concomitant[concomitant["drug_category"] == "corticosteroid"]
    steroid_day = steroid.groupby("patient_id")["stop_day"].max()
    ae = cohort.adverse_events[cohort.adverse_events["during_dtt"]]
    ae_terms = ae.groupby("patient_id")["term"].agg(lambda s: "; ".join(sorted(s)))
    # Column-wise (one lookup per column, not per patient): 10 000 patients in well under
    # a second instead of several seconds.
    pid = p["patient_id"]
    discontinued = p["discontinued"].astype(bool)
    data = pd.DataFrame(
        {
            "patient_id": pid,
            "diagnosis": p["diagnosis"],
            "regimen": p["anchor_drug"].astype(str) + " + " + p["added_drug"].astype(str),
            "duration_months": p["duration_months"].astype(float),
            "status": p["status"],
        }
    )

    def result_of(outcome: str, timepoint: str) -> pd.Series:
        column = (outcome, timepoint)
        if column not in results.columns:
            return pd.Series(None, index=p.index, dtype=object)
        return pid.map(results[column]).astype(object)

    for tp in ("month_3", "month_6", "month_9", "month_12"):
        data[f"clinical_response_{tp}"] = result_of("clinical_response", tp)
    data["endoscopic_response_by_month_9"] = result_of("endoscopic_response", "by_month_9")
    for name, frame in (("crp", crp), ("albumin", alb)):
        data[f"{name}_baseline"] = pid.map(frame["baseline_value"])
        data[f"{name}_last"] = pid.map(frame["value"])
        data[f"{name}_last_window"] = pid.map(frame["window"])
    data["steroid_stop_day"] = pid.map(steroid_day)
    data["adverse_events"] = pid.map(ae_terms).astype(object).fillna("")
    data["stop_reason"] = p["stop_reason"].where(discontinued, None)
    data["ended_by"] = p["ended_by"].where(discontinued, None)
    data["subsequent_therapy"] = [_subsequent(row) for row in p.to_dict("records")]
    data = data.reset_index(drop=True)

    def display(frame: pd.DataFrame, discontinued: bool) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                # the diagnosis beside the study ID: one column fewer keeps the listing at
                # 9 pt on a landscape A4 page
                "Patient (Dx)": [
                    f"{p} ({d})"
                    for p, d in zip(frame["patient_id"], frame["diagnosis"], strict=True)
                ],
                "Regimen (anchor + added)": frame["regimen"],
                "DTT, months": frame["duration_months"].map(lambda v: round_half_up(v, 1)),
            }
        )
        for tp in ("month_3", "month_6", "month_9"):
            out[f"Clinical response: {_timepoint(tp)}"] = frame[f"clinical_response_{tp}"].map(
                lambda r: RESULT_SYMBOL.get(r, "–") if isinstance(r, str) else "–"
            )
        out["Endoscopic response ≤ 9 months"] = frame["endoscopic_response_by_month_9"].map(
            lambda r: RESULT_SYMBOL.get(r, "–") if isinstance(r, str) else "–"
        )
        out["Baseline → last: CRP, mg/L"] = [
            _arrow(b, v) for b, v in zip(frame["crp_baseline"], frame["crp_last"], strict=True)
        ]
        out["Baseline → last: Albumin, g/L"] = [
            _arrow(b, v)
            for b, v in zip(frame["albumin_baseline"], frame["albumin_last"], strict=True)
        ]
        out["Steroid stopped (day)"] = frame["steroid_stop_day"].map(
            lambda d: "" if pd.isna(d) else str(int(d))
        )
        out["Adverse events"] = frame["adverse_events"]
        if discontinued:
            out["Drug stopped"] = frame["ended_by"].fillna("")
            out["Reason"] = frame["stop_reason"].map(
                lambda r: C.STOP_REASONS.get(r, "") if isinstance(r, str) else ""
            )
            out["Status / subsequent therapy"] = [
                f"{s}; {t}" if t else s
                for s, t in zip(frame["status"], frame["subsequent_therapy"], strict=True)
            ]
        return out.reset_index(drop=True)

    def spanners(frame: pd.DataFrame) -> tuple[tuple[str, int], ...]:
        # grouped headers, as a journal prints them: "3 months" under "Clinical response"
        # keeps the 15-column listing at 9 pt on a landscape page
        rest = len(frame.columns) - 9
        return (("", 3), ("Clinical response", 3), ("", 1), ("Baseline → last", 2), ("", rest))

    notes = (
        "Clinical response by the definition set's rule at each visit window (– = not "
        "evaluable: no assessment in the window, or the patient was no longer on DTT).",
        "Last: the latest windowed value while on DTT. Days are counted from the DTT start; "
        "no calendar dates are shown.",
    )
    maintained = data[data["status"] == "maintained"].reset_index(drop=True)
    stopped = data[data["status"] != "maintained"].reset_index(drop=True)
    return (
        ReportTable(
            "table3_maintained",
            f"Table 3. Patients maintained on DTT (n = {len(maintained)})",
            maintained,
            display(maintained, False),
            notes,
            patient_level=True,
            spanners=spanners(display(maintained, False)),
        ),
        ReportTable(
            "table4_discontinued",
            f"Table 4. Patients who discontinued DTT "
            f"(monotherapy or other drugs, n = {len(stopped)})",
            stopped,
            display(stopped, True),
            notes,
            patient_level=True,
            spanners=spanners(display(stopped, True)),
        ),
    )


def summarise_response_rates(
    summaries: list[pd.DataFrame],
    ci_method: str = "clopper-pearson",
    outcomes: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """n/N, percent and CI per definition set x strategy x outcome x timepoint x group."""
    frame = pd.concat(summaries, ignore_index=True)
    if outcomes is not None:
        frame = frame[frame["outcome"].isin(outcomes)]
    rows = []
    for r in frame.to_dict("records"):
        pooled = r.get("strategy") == "mi"
        if pooled:
            # multiple imputation: Rubin's rules (ibd_dtt.outcomes.imputation)
            percent, low, high = r["percent"], r["mi_ci_low"], r["mi_ci_high"]
            responders, method = float(r["responders"]), "Rubin's rules"
            percent = None if pd.isna(percent) else percent
        else:
            prop = proportion_ci(int(r["responders"]), int(r["evaluable"]), method=ci_method)
            percent, low, high = prop.percent, prop.ci_low, prop.ci_high
            responders, method = int(r["responders"]), ci_method
        rows.append(
            {
                "definition_set": r["definition_set"],
                "strategy": r["strategy"],
                "outcome": r["outcome"],
                "timepoint": r["timepoint"],
                "group": r["group"],
                "responders": responders,
                "evaluable": int(r["evaluable"]),
                "not_evaluable": int(r["not_evaluable"]),
                "imputed": int(r["imputed"]),
                "percent": percent,
                "ci_low": low,
                "ci_high": high,
                "ci_method": method,
            }
        )
    return pd.DataFrame(rows)


STRATEGY_LABELS = {
    "as-observed": "As observed",
    "nri": "NRI",
    "locf": "LOCF",
    "mi": "Multiple imputation",
}
GROUP_LABELS = {"all": "Overall"}


def _analysis_label(definition_set: str, strategy: str, several_sets: bool) -> str:
    label = STRATEGY_LABELS.get(strategy, strategy)
    return f"{definition_set}, {label}" if several_sets else label


def _rate_cell(record: dict) -> str:
    """One response cell: 'n/N (%) [95 % CI]' from a row of :func:`summarise_response_rates`
    (which computed the interval: the CI method, or Rubin's rules for multiple imputation);
    'none of N evaluable' when N is 0."""
    if record["evaluable"] == 0:
        return f"none of {int(record['not_evaluable'])} evaluable"
    return format_rate_cell(
        record["responders"],
        int(record["evaluable"]),
        record["percent"],
        record["ci_low"],
        record["ci_high"],
    )


def table_response(
    summaries: list[pd.DataFrame],
    labels: dict[str, str],
    ci_method: str = "clopper-pearson",
    outcomes: tuple[str, ...] = MAIN_OUTCOMES,
    key: str = "response",
    title: str = "Clinical and endoscopic response",
) -> ReportTable:
    """Response rates as gtsummary prints them: one row per outcome x timepoint (the outcome
    as a bold section row), one column per analysis (definition set x missing-data strategy)
    and group, each spanned by its analysis's name; the rules are in the footnotes.

    A group an outcome is not defined for (an endoscopic healing by MES in CD) is blank,
    with a footnote naming it; never "0/0".
    """
    data = summarise_response_rates(summaries, ci_method, outcomes)
    data = data[data["evaluable"] + data["not_evaluable"] > 0]
    order = {o: i for i, o in enumerate(outcomes)}
    tp_order = {t: i for i, t in enumerate(TIMEPOINT_LABELS)}
    data = (
        data.assign(_o=data["outcome"].map(order), _t=data["timepoint"].map(tp_order).fillna(99))
        .sort_values(["_o", "_t", "definition_set", "strategy"], kind="stable")
        .drop(columns=["_o", "_t"])
        .reset_index(drop=True)
    )
    analyses = list(dict.fromkeys(zip(data["definition_set"], data["strategy"], strict=True))) or [
        ("", "")
    ]
    several_sets = len({d for d, _ in analyses}) > 1
    groups = [g for g in ("all", "UC", "CD", "IBDU") if g in set(data["group"])]
    cells: dict[tuple, dict] = {}  # first row per (outcome, timepoint, analysis, group)
    for record in data.to_dict("records"):
        cell_key = (
            record["outcome"],
            record["timepoint"],
            record["definition_set"],
            record["strategy"],
            record["group"],
        )
        cells.setdefault(cell_key, record)
    columns = {
        (d, s, g): f"{_analysis_label(d, s, several_sets)}: {GROUP_LABELS.get(g, g)}"
        for d, s in analyses
        for g in groups
    }
    defined_for = {
        outcome: {c[4] for c in cells if c[0] == outcome} for outcome in set(data["outcome"])
    }
    display_rows = []
    for outcome in dict.fromkeys(data["outcome"]):
        display_rows.append({"Outcome": labels.get(outcome, outcome)})
        for tp in dict.fromkeys(data.loc[data["outcome"] == outcome, "timepoint"]):
            row = {"Outcome": f"    {_timepoint(tp)}"}
            for (d, s, g), column in columns.items():
                c = cells.get((outcome, tp, d, s, g))
                row[column] = "" if c is None else _rate_cell(c)
            display_rows.append(row)
    display = pd.DataFrame(display_rows, columns=["Outcome", *columns.values()]).fillna("")
    spanners = (
        ("", 1),
        *((_analysis_label(d, s, several_sets), len(groups)) for d, s in analyses),
    )
    method = "Clopper-Pearson (exact)" if ci_method == "clopper-pearson" else "Wilson score"
    notes = [
        f"n/N (%) [95 % CI, {method}]. N = patients evaluable at that timepoint; patients "
        "not evaluable (no assessment in the window, off DTT, window not reached by the data "
        "cut) are listed with the reason in exclusions.csv; 'none of k evaluable': no patient "
        "of the k in the group could be assessed.",
    ]
    strategies = {s for _, s in analyses}
    explained = {
        "as-observed": "As observed: evaluable patients only",
        "nri": "NRI (non-responder imputation): stopping DTT for failure or an adverse event "
        "counts as non-response",
        "locf": "LOCF: last observation on DTT carried forward",
    }
    notes.append("; ".join(text for s, text in explained.items() if s in strategies) + ".")
    if "mi" in strategies:
        notes.append(
            f"Multiple imputation: missing on-DTT outcomes multiply imputed ({MI_IMPUTATIONS} "
            f"imputations, seed {MI_SEED}; stratified by diagnosis and previous status), "
            "stopping for failure or an adverse event counted as non-response; n = mean "
            "responders over the imputations, N = patients analysed; 95 % CI by Rubin's rules "
            "(t distribution; Clopper-Pearson when the imputations agree)."
        )
    for outcome, present in defined_for.items():
        blank = [g for g in groups if g != "all" and g not in present]
        if blank:
            only = ", ".join(g for g in groups if g != "all" and g in present)
            notes.append(
                f"{labels.get(outcome, outcome)}: defined for {only} only; "
                f"its {', '.join(blank)} cells are blank."
            )
    return ReportTable(key, title, data, display, tuple(notes), spanners=spanners)


LAB_PARAMETERS = {"crp": "CRP, mg/L", "albumin": "Albumin, g/L"}


def table_lab_changes(
    cohort: Cohort,
    visits: pd.DataFrame,
    timepoints: tuple[str, ...] = ("month_3", "month_6", "month_9", "month_12"),
) -> ReportTable:
    """CRP and albumin at baseline and each timepoint, complete pairs only, by diagnosis."""
    dx = cohort.patients.set_index("patient_id")["diagnosis"]
    v = visits[
        visits["parameter"].isin(list(LAB_PARAMETERS))
        & visits["window"].isin(timepoints)
        & visits["patient_id"].isin(dx.index)
    ].copy()
    v = v[v["value"].notna() & v["baseline_value"].notna() & is_on_dtt(v)]
    v["diagnosis"] = v["patient_id"].map(dx)
    rows, display_rows = [], []
    cells = {
        key: (
            part["baseline_value"].to_numpy(float),
            part["value"].to_numpy(float),
            part["patient_id"].to_numpy(object),
            part["diagnosis"].to_numpy(object),
        )
        for key, part in v.groupby(["parameter", "window"], sort=False)
    }
    for parameter, label in LAB_PARAMETERS.items():
        for tp in timepoints:
            if (parameter, tp) not in cells:
                continue
            baseline_values, values, patient_ids, diagnoses = cells[(parameter, tp)]
            for group in ("all", *[g for g in ("UC", "CD", "IBDU") if g in set(dx)]):
                chosen = np.ones(len(values), bool) if group == "all" else diagnoses == group
                if not chosen.any():
                    continue
                before = summarise_continuous(baseline_values[chosen])
                after = summarise_continuous(values[chosen])
                test = compare_paired(baseline_values[chosen], values[chosen])
                shift = hodges_lehmann_paired(baseline_values[chosen], values[chosen])
                rows.append(
                    {
                        "parameter": parameter,
                        "timepoint": tp,
                        "group": group,
                        "pairs": before.n,
                        "patients": ";".join(sorted(patient_ids[chosen])),
                        "baseline_mean": before.mean,
                        "baseline_sd": before.sd,
                        "baseline_median": before.median,
                        "baseline_q1": before.q1,
                        "baseline_q3": before.q3,
                        "followup_mean": after.mean,
                        "followup_sd": after.sd,
                        "followup_median": after.median,
                        "followup_q1": after.q1,
                        "followup_q3": after.q3,
                        "test": test.test,
                        "pvalue": test.pvalue,
                        "method": test.details.get("method", test.reason),
                        "median_change": shift.estimate,
                        "median_change_ci_low": shift.ci_low,
                        "median_change_ci_high": shift.ci_high,
                        "median_change_method": shift.method,
                    }
                )
                display_rows.append(
                    {
                        "Parameter": label,
                        "Timepoint": _timepoint(tp),
                        "Group": "Overall" if group == "all" else group,
                        "n (pairs)": before.n,
                        "Baseline mean": round_half_up(before.mean, 2),
                        "Follow-up mean": round_half_up(after.mean, 2),
                        "Baseline median (Q1–Q3)": f"{round_half_up(before.median, 1)} "
                        f"({round_half_up(before.q1, 1)}–{round_half_up(before.q3, 1)})",
                        "Follow-up median (Q1–Q3)": f"{round_half_up(after.median, 1)} "
                        f"({round_half_up(after.q1, 1)}–{round_half_up(after.q3, 1)})",
                        "Median change (95 % CI)": (
                            ""
                            if shift.estimate is None
                            else f"{round_half_up(shift.estimate, 2)} "
                            f"({round_half_up(shift.ci_low, 2)} to "
                            f"{round_half_up(shift.ci_high, 2)})"
                        ),
                        "p-value": format_pvalue(test.pvalue),
                    }
                )
    notes = (
        "Complete pairs only: patients with a value in the baseline window and in the "
        "timepoint's window while on DTT. Means to 2 decimals as the paper reports them.",
        "Median change: Hodges-Lehmann estimate (median of the Walsh averages of the "
        "follow-up minus baseline differences) with its exact signed-rank 95 % CI, the "
        "effect size that goes with the Wilcoxon test. "
        "p-value: Wilcoxon signed-rank test, two-sided (blank with fewer than 2 pairs). "
        "CRP in mg/L and albumin in g/L after unit conversion.",
    )
    return ReportTable(
        "lab_changes",
        "CRP and albumin during DTT",
        pd.DataFrame(rows),
        pd.DataFrame(display_rows),
        notes,
    )
