"""Safety, drug and regimen frequencies, persistence (Kaplan-Meier) and corticosteroids."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ibd_dtt.contract import codes as C
from ibd_dtt.episodes.episodes import DAYS_PER_MONTH
from ibd_dtt.report.cohort import Cohort
from ibd_dtt.report.model import ReportTable
from ibd_dtt.stats import incidence_rate, kaplan_meier, logrank, proportion_ci
from ibd_dtt.stats.format import (
    format_incidence,
    format_n_percent,
    format_percent,
    format_pvalue,
    format_rate,
    round_half_up,
)

DAYS_PER_YEAR = 365.25
PERSISTENCE_TIMES = (3, 6, 9, 12)


def _groups(cohort: Cohort, by: str = "diagnosis") -> list[str]:
    if by != "diagnosis":
        return ["all", *sorted(cohort.patients[by].dropna().astype(str).unique())]
    present = set(cohort.patients["diagnosis"])
    return ["all", *[g for g in ("UC", "CD", "IBDU") if g in present]]


def _subset(frame: pd.DataFrame, group: str, by: str = "diagnosis") -> pd.DataFrame:
    return frame if group == "all" else frame[frame[by].astype(str) == group]


def _label(group: str) -> str:
    return "Overall" if group == "all" else group


def table_safety(cohort: Cohort, by: str = "diagnosis") -> ReportTable:
    """Adverse events during DTT: patients and events, by category, seriousness, drug,
    action, outcome and month of onset, with incidence per 100 patient-years; overall and
    per diagnosis (``by="center"``: per center)."""
    p = cohort.patients
    ae = cohort.adverse_events[cohort.adverse_events["during_dtt"]].copy()
    if by not in ae:
        ae[by] = ae["patient_id"].map(p.set_index("patient_id")[by])
    exposure_days = (p["dtt_end"] - p["dtt_start"]).dt.days.clip(lower=0)
    p = p.assign(exposure_years=exposure_days / DAYS_PER_YEAR)
    first = ae.groupby("patient_id")["onset_day"].min()
    p = p.assign(
        years_to_first_event=[
            (first[pid] / DAYS_PER_YEAR) if pid in first.index else years
            for pid, years in zip(p["patient_id"], p["exposure_years"], strict=True)
        ]
    )
    rows, display = [], []

    heading = ""  # the block an indented row belongs to, named in its data item

    def section(title: str) -> None:
        nonlocal heading
        heading = title
        display.append({"Adverse events during DTT": title})

    def add(label: str, counts: dict[str, tuple[int, int]], kind: str = "patients") -> None:
        nonlocal heading
        if not label.startswith(" "):
            heading = label
        item = f"{heading}: {label.strip()}" if label.startswith(" ") else label
        row = {"Adverse events during DTT": label}
        for g, (n, total) in counts.items():
            prop = proportion_ci(n, total)
            row[_label(g)] = format_n_percent(prop) if kind == "patients" else str(n)
            rows.append(
                {
                    "item": item,
                    "group": g,
                    "kind": kind,
                    "n": n,
                    "total": total,
                    "percent": prop.percent if kind == "patients" else None,
                    "ci_low": prop.ci_low if kind == "patients" else None,
                    "ci_high": prop.ci_high if kind == "patients" else None,
                }
            )
        display.append(row)

    groups = _groups(cohort, by)

    # counts over plain arrays: the table asks dozens of small questions of a few events
    event_group = {
        g: np.ones(len(ae), bool) if g == "all" else (ae[by].astype(str) == g).to_numpy(bool)
        for g in groups
    }
    event_patient = ae["patient_id"].to_numpy(object)
    group_size = {g: len(_subset(p, g, by)) for g in groups}

    def _selected(mask: pd.Series | None) -> np.ndarray:
        if mask is None:
            return np.ones(len(ae), bool)
        return pd.Series(mask, index=ae.index).astype("boolean").to_numpy(bool, na_value=False)

    def patients_with(mask: pd.Series | None = None) -> dict[str, tuple[int, int]]:
        chosen = _selected(mask)
        return {
            g: (len(set(event_patient[chosen & event_group[g]])), group_size[g]) for g in groups
        }

    def events_where(mask: pd.Series | None = None) -> dict[str, tuple[int, int]]:
        chosen = _selected(mask)
        return {
            g: (int((chosen & event_group[g]).sum()), int(event_group[g].sum())) for g in groups
        }

    add("Patients with ≥ 1 adverse event, n (%)", patients_with())
    ci_row = {"Adverse events during DTT": "    95 % CI (Clopper-Pearson)"}
    for g, (n, total) in patients_with().items():
        prop = proportion_ci(n, total)
        ci_row[_label(g)] = (
            f"{format_percent(100 * prop.ci_low)}–{format_percent(100 * prop.ci_high)}"
            if total
            else ""
        )
    display.append(ci_row)
    add("Patients with ≥ 1 serious adverse event, n (%)", patients_with(ae["serious"]))
    # Events: the total and the serious ones, then each breakdown under its own heading, so
    # no breakdown reads as a subdivision of the row above it.
    add("Adverse events, n", events_where(), kind="events")
    add("    serious", events_where(ae["serious"]), kind="events")
    section("Adverse events by category, n")
    for category in [c for c in C.AE_CATEGORIES if c in set(ae["category"])]:
        add(
            f"    {C.AE_CATEGORIES[category]}",
            events_where(ae["category"] == category),
            kind="events",
        )
    if "ctcae_grade" in ae and len(ae):
        section("Adverse events by CTCAE grade, n")
        for grade in sorted(ae["ctcae_grade"].dropna().unique()):
            add(
                f"    grade {int(grade)}",
                events_where(ae["ctcae_grade"] == grade),
                kind="events",
            )
        if ae["ctcae_grade"].isna().any():
            add(
                "    grade not recorded",
                events_where(ae["ctcae_grade"].isna()),
                kind="events",
            )
    suspected = ae["suspected_drugs"].fillna("").str.split(";")
    drugs = sorted({d for ds in suspected for d in ds if d})
    if drugs:
        section("Adverse events by suspected drug, n")
    for drug in drugs:
        add(
            f"    {drug}",
            events_where(suspected.map(lambda ds, d=drug: d in ds)),
            kind="events",
        )
    actions = (
        ae["action_taken"]
        .fillna("")
        .str.split(";")
        .map(lambda xs: {x.partition(":")[2] for x in xs if x})
    )
    taken = [a for a in C.AE_ACTIONS if any(a in s for s in actions)]
    if taken:
        section("Adverse events by action taken, n")
    for action in taken:
        add(
            f"    {C.AE_ACTIONS[action]}",
            events_where(actions.map(lambda s, a=action: a in s)),
            kind="events",
        )
    outcomes = [o for o in C.AE_OUTCOMES if o in set(ae["outcome"])]
    if outcomes:
        section("Adverse events by outcome, n")
    for outcome in outcomes:
        add(
            f"    {C.AE_OUTCOMES[outcome]}",
            events_where(ae["outcome"] == outcome),
            kind="events",
        )
    months = sorted(ae["onset_month"].dropna().unique())
    if months:
        section("Adverse events by month of onset on DTT, n")
    for month in months:
        add(
            f"    month {int(month)}",
            events_where(ae["onset_month"] == month),
            kind="events",
        )
    section("Incidence per 100 patient-years (95 % CI)")
    all_label = "    all events"
    first_label = "    patients with a first event (time at risk to the first event)"
    rate_rows = {
        all_label: {"Adverse events during DTT": all_label},
        first_label: {"Adverse events during DTT": first_label},
    }
    for g in groups:
        sub = _subset(p, g, by)
        rates = (
            (
                all_label,
                incidence_rate(len(_subset(ae, g, by)), float(sub["exposure_years"].sum())),
                False,
            ),
            (
                first_label,
                incidence_rate(
                    int(_subset(ae, g, by)["patient_id"].nunique()),
                    float(sub["years_to_first_event"].sum()),
                ),
                True,
            ),
        )
        for label, rate, censored in rates:
            rows.append(
                {
                    "item": f"Incidence per 100 patient-years: {label.strip()}",
                    "group": g,
                    "kind": "rate",
                    "n": rate.events,
                    "person_years": rate.person_years,
                    "rate": rate.rate,
                    "ci_low": rate.ci_low,
                    "ci_high": rate.ci_high,
                    "censored_at_first_event": censored,
                }
            )
            rate_rows[label][_label(g)] = format_incidence(rate)
    display.extend(rate_rows.values())
    exposure = {"Adverse events during DTT": "    DTT exposure, patient-years"}
    for g in groups:
        exposure[_label(g)] = round_half_up(float(_subset(p, g, by)["exposure_years"].sum()), 2)
    display.append(exposure)
    notes = (
        "Events with onset from the DTT start to the end of the episode (or the data cut). "
        "Month of onset: month 1 = days 0-30 (day / 30.4375, rounded down, + 1).",
        "Incidence: exact Poisson (Garwood) 95 % CI. 'All events' counts every event over "
        "all DTT exposure; 'first event' counts patients, with time at risk censored at each "
        "patient's first event.",
        "Serious: any ICH E2A seriousness criterion recorded.",
    )
    if by == "diagnosis":
        key, title = "safety", "Adverse events during DTT"
    else:
        key, title = f"safety_by_{by}", f"Adverse events during DTT by {by}"
    return ReportTable(key, title, pd.DataFrame(rows), pd.DataFrame(display), notes)


def table_drugs_and_regimens(cohort: Cohort) -> ReportTable:
    """How often each agent and each two-drug regimen was used in the index DTT episode."""
    p = cohort.patients
    total = len(p)
    rows, display = [], []
    drugs = pd.concat([p["anchor_drug"], p["added_drug"]])
    for drug, n in (
        drugs.value_counts().sort_index().sort_values(ascending=False, kind="stable").items()
    ):
        prop = proportion_ci(int(n), total)
        rows.append(
            {"kind": "drug", "item": drug, "n": int(n), "total": total, "percent": prop.percent}
        )
        display.append({"": "Agent", "Item": drug, "Patients, n (%)": format_n_percent(prop)})
    for regimen, n in (
        p["regimen"].value_counts().sort_index().sort_values(ascending=False, kind="stable").items()
    ):
        prop = proportion_ci(int(n), total)
        rows.append(
            {
                "kind": "regimen",
                "item": regimen,
                "n": int(n),
                "total": total,
                "percent": prop.percent,
            }
        )
        display.append(
            {
                "": "Regimen",
                "Item": regimen.replace("+", " + "),
                "Patients, n (%)": format_n_percent(prop),
            }
        )
    notes = (
        f"Index DTT episode of each of the {total} analysed patients; each patient "
        "contributes two agents.",
    )
    return ReportTable(
        "drugs_regimens",
        "Agents and regimens used for DTT",
        pd.DataFrame(rows),
        pd.DataFrame(display),
        notes,
    )


def persistence_data(patients: pd.DataFrame) -> pd.DataFrame:
    """Per patient of the cohort: months on DTT and whether DTT ended (event) or was ongoing
    at the data cut or when follow-up ended (censored)."""
    p = patients
    follow_up_ended = (
        p["follow_up_ended"].fillna(False).astype(bool)
        if "follow_up_ended" in p
        else pd.Series(False, index=p.index)
    )
    return pd.DataFrame(
        {
            "patient_id": p["patient_id"],
            "diagnosis": p["diagnosis"],
            "months": p["duration_days"].astype(float) / DAYS_PER_MONTH,
            "ended": ~p["ongoing_at_data_cut"].astype(bool) & ~follow_up_ended,
            "status": p["status"],
        }
    )


def table_persistence(cohort: Cohort) -> ReportTable:
    """Kaplan-Meier persistence on DTT, by diagnosis, with the log-rank test, and
    the reasons DTT ended."""
    data = persistence_data(cohort.patients)
    rows, display = [], []
    test = logrank(data["months"], data["ended"], data["diagnosis"])
    for g in _groups(cohort):
        sub = _subset(data, g)
        km = kaplan_meier(sub["months"], sub["ended"], PERSISTENCE_TIMES)
        median = "not reached" if km.median is None else round_half_up(km.median, 1)
        low, high = km.median_ci
        row = {
            "Group": _label(g),
            "Patients": km.n,
            "DTT ended": km.events,
            "Median months (95 % CI)": median
            + (
                ""
                if km.median is None and low is None
                else f" ({'NR' if low is None else round_half_up(low, 1)}–"
                f"{'NR' if high is None else round_half_up(high, 1)})"
            ),
        }
        for r in km.at_times.itertuples(index=False):
            rows.append(
                {
                    "group": g,
                    "time_months": r.time,
                    "survival": r.survival,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "at_risk": int(r.at_risk),
                    "median": km.median,
                    "median_ci_low": km.median_ci[0],
                    "median_ci_high": km.median_ci[1],
                    "events": km.events,
                    "n": km.n,
                }
            )
            if r.at_risk <= 0:
                cell = "not estimable (no one at risk); 0"
            elif np.isnan(r.ci_low) or np.isnan(r.ci_high):
                # before the first event (S = 1) the log-log interval does not exist
                cell = f"{format_percent(100 * r.survival)} (CI –); {int(r.at_risk)}"
            else:
                cell = (
                    f"{format_percent(100 * r.survival)} ({format_percent(100 * r.ci_low)}–"
                    f"{format_percent(100 * r.ci_high)}); {int(r.at_risk)}"
                )
            row[f"On DTT at {int(r.time)} months, % (95 % CI); at risk"] = cell
        display.append(row)
    reasons = cohort.patients[cohort.patients["discontinued"]]
    for (status, reason), n in reasons.groupby(["status", "stop_reason"]).size().items():
        display.append(
            {"Group": f"Ended: {status}, {C.STOP_REASONS.get(reason, reason)}", "Patients": int(n)}
        )
        rows.append({"group": "reason", "status": status, "stop_reason": reason, "n": int(n)})
    notes = (
        "Kaplan-Meier estimate of remaining on both agents; DTT ends at the first stop of "
        "either agent; patients on DTT at the data cut are censored. 95 % CI log-log "
        "(pointwise; not estimable where S is 1, before the first event); median and its CI as R's "
        "survfit: where the curve and its bands reach 0.5, the midpoint of a stretch at exactly "
        "0.5; NR = not reached.",
        f"Log-rank test across diagnoses: {test.test}, p = {format_pvalue(test.pvalue)}"
        if test.pvalue is not None
        else f"No log-rank test: {test.reason}.",
    )
    table = pd.DataFrame(display)
    table["DTT ended"] = table["DTT ended"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return ReportTable(
        "persistence", "Persistence on DTT", pd.DataFrame(rows), table.fillna(""), notes
    )


def table_steroid_withdrawal(
    cohort: Cohort, concomitant: pd.DataFrame, outcome_summary: pd.DataFrame
) -> ReportTable:
    """Corticosteroids running at the DTT start and their withdrawal."""
    steroid = concomitant[
        (concomitant["drug_category"] == "corticosteroid")
        & concomitant["patient_id"].isin(cohort.patients["patient_id"])
    ]
    s = outcome_summary[outcome_summary["outcome"] == "steroid_withdrawal"]
    rows, display = [], []
    for g in _groups(cohort):
        on = _subset(steroid.merge(cohort.patients[["patient_id", "diagnosis"]]), g)
        total = len(_subset(cohort.patients, g))
        at_start = proportion_ci(int(on["patient_id"].nunique()), total)
        cell = s[s["group"] == g]
        withdrawn = proportion_ci(int(cell["responders"].sum()), int(cell["evaluable"].sum()))
        stop_days = on["stop_day"].dropna()
        rows.append(
            {
                "group": g,
                "on_steroid_at_start": at_start.n,
                "patients": total,
                "withdrawn_by_month_3": withdrawn.n,
                "evaluable": withdrawn.total,
                "percent": withdrawn.percent,
                "ci_low": withdrawn.ci_low,
                "ci_high": withdrawn.ci_high,
                "median_stop_day": stop_days.median() if len(stop_days) else None,
            }
        )
        display.append(
            {
                "Group": _label(g),
                "On a corticosteroid at DTT start, n (%)": format_n_percent(at_start),
                "Withdrawn within 3 months": format_rate(withdrawn),
                "Day stopped, median (range)": ""
                if stop_days.empty
                else f"{int(stop_days.median())} ({int(stop_days.min())}–{int(stop_days.max())})",
            }
        )
    notes = (
        "Corticosteroid (systemic or budesonide) running on the DTT start day; "
        "withdrawn = every such course stopped within 91 days (the definition set's "
        "steroid_withdrawal rule). Percentages over patients on a corticosteroid.",
    )
    return ReportTable(
        "steroids", "Corticosteroid withdrawal", pd.DataFrame(rows), pd.DataFrame(display), notes
    )
