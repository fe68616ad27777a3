"""Effect sizes, paired comparisons over time and competing risks: what reviewers of small
real-world DTT series ask for beside the p-values (docs/statistics.md, "Effect sizes")."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ibd_dtt.report.cohort import Cohort
from ibd_dtt.report.followup import MAIN_OUTCOMES
from ibd_dtt.report.model import ReportTable
from ibd_dtt.report.safety import persistence_data
from ibd_dtt.stats.effects import (
    Effect,
    cochrans_q_test,
    cumulative_incidence,
    difference_in_proportions,
    mcnemar_exact,
    odds_ratio_exact,
    rate_ratio_exact,
    reverse_km_follow_up,
)
from ibd_dtt.stats.format import format_percent, format_pvalue, round_half_up

TIMEPOINT_LABELS = {
    "month_3": "3 months",
    "month_6": "6 months",
    "month_9": "9 months",
    "month_12": "12 months",
    "by_month_9": "by 9 months",
}
# how a DTT episode ended, grouped into the competing causes of stopping
CAUSE_OF_ENDING = {
    "de-escalated": "de-escalation",
    "switched": "switch or stop",
    "stopped": "switch or stop",
}


def _number(value: float | None, scale: float, decimals: int, missing: str) -> str:
    if value is None:
        return missing
    if np.isinf(value):
        return "∞"
    return round_half_up(value * scale, decimals)


def _interval(effect: Effect, scale: float = 1.0, decimals: int = 2) -> str:
    if effect.estimate is None:
        return "not estimable"
    low = _number(effect.ci_low, scale, decimals, "–")
    high = _number(effect.ci_high, scale, decimals, "NR")
    return f"{_number(effect.estimate, scale, decimals, '–')} ({low} to {high})"


def table_effects(cohort: Cohort, primary, safety: ReportTable) -> ReportTable:
    """UC vs CD differences in response (Newcombe) and odds ratios (exact); paired change of
    response status between timepoints (exact McNemar, Cochran's Q); the adverse-event rate
    ratio (exact); median follow-up (reverse Kaplan-Meier); cumulative incidence of each way
    DTT ended (Aalen-Johansen)."""
    rows, display = [], []

    def add(section: str, item: str, result: str, p: float | None, method: str, **data):
        display.append(
            {
                "Section": section,
                "Comparison": item,
                "Estimate (95 % CI)": result,
                "p-value": "" if p is None else format_pvalue(p),
                "Method": method,
            }
        )
        rows.append({"section": section, "item": item, "pvalue": p, "method": method, **data})

    outcomes = primary.outcomes
    evaluable = outcomes[outcomes["result"] != "not_evaluable"]
    for outcome in MAIN_OUTCOMES:
        for timepoint in dict.fromkeys(evaluable.loc[evaluable["outcome"] == outcome, "timepoint"]):
            cell = evaluable[
                (evaluable["outcome"] == outcome) & (evaluable["timepoint"] == timepoint)
            ]
            uc, cd = cell[cell["diagnosis"] == "UC"], cell[cell["diagnosis"] == "CD"]
            if uc.empty or cd.empty:
                continue
            x1, n1 = int((uc["result"] == "yes").sum()), len(uc)
            x2, n2 = int((cd["result"] == "yes").sum()), len(cd)
            when = TIMEPOINT_LABELS.get(timepoint, timepoint)
            label = (
                f"{outcome.replace('_', ' ').capitalize()}, {when}: UC {x1}/{n1} vs CD {x2}/{n2}"
            )
            diff = difference_in_proportions(x1, n1, x2, n2)
            add(
                "Response, UC vs CD",
                label + " — difference, percentage points",
                _interval(diff, 100, 1),
                None,
                diff.method,
                estimate=diff.estimate,
                ci_low=diff.ci_low,
                ci_high=diff.ci_high,
            )
            ratio = odds_ratio_exact([[x1, n1 - x1], [x2, n2 - x2]])
            add(
                "Response, UC vs CD",
                label + " — odds ratio",
                _interval(ratio),
                ratio.pvalue,
                ratio.method,
                estimate=ratio.estimate,
                ci_low=ratio.ci_low,
                ci_high=ratio.ci_high,
            )
    response = evaluable[evaluable["outcome"] == "clinical_response"].pivot_table(
        index="patient_id", columns="timepoint", values="result", aggfunc="first"
    )
    points = [t for t in ("month_3", "month_6", "month_9") if t in response.columns]
    for first, second in itertools.pairwise(points):
        both = response[[first, second]].dropna()
        test = mcnemar_exact(both[first] == "yes", both[second] == "yes")
        add(
            "Clinical response over time (same patients)",
            f"{TIMEPOINT_LABELS[first]} vs {TIMEPOINT_LABELS[second]} ({len(both)} patients)",
            ""
            if test.pvalue is None
            else f"discordant {test.details['table'][0][1]} lost, "
            f"{test.details['table'][1][0]} gained",
            test.pvalue,
            test.test if test.pvalue is not None else test.reason,
        )
    if len(points) >= 3:
        complete = response[points].dropna()
        test = cochrans_q_test(complete == "yes")
        add(
            "Clinical response over time (same patients)",
            f"{', '.join(TIMEPOINT_LABELS[t] for t in points)} ({len(complete)} patients)",
            "",
            test.pvalue,
            test.test if test.pvalue is not None else test.reason,
        )
    rates = safety.data
    if {"kind", "group"} <= set(rates.columns):
        all_events = rates[
            (rates["kind"] == "rate") & ~rates["censored_at_first_event"].fillna(False).astype(bool)
        ]
        by_group = all_events.set_index("group")
        if {"UC", "CD"} <= set(by_group.index):
            rr = rate_ratio_exact(
                int(by_group.loc["UC", "n"]),
                float(by_group.loc["UC", "person_years"]),
                int(by_group.loc["CD", "n"]),
                float(by_group.loc["CD", "person_years"]),
            )
            add(
                "Adverse events",
                "Incidence rate ratio, all events during DTT, UC vs CD",
                _interval(rr),
                rr.pvalue,
                rr.method,
                estimate=rr.estimate,
                ci_low=rr.ci_low,
                ci_high=rr.ci_high,
            )
    data = persistence_data(cohort.patients)
    follow = reverse_km_follow_up(data["months"], data["ended"])
    add(
        "Follow-up and ways DTT ended",
        "Median follow-up on DTT, months",
        _interval(follow, 1, 1),
        None,
        follow.method,
        estimate=follow.estimate,
        ci_low=follow.ci_low,
        ci_high=follow.ci_high,
    )
    causes = data["status"].map(CAUSE_OF_ENDING).where(data["ended"])
    if causes.notna().any():
        incidence = cumulative_incidence(data["months"], causes, (6, 12))
        for row in incidence.itertuples(index=False):
            add(
                "Follow-up and ways DTT ended",
                f"Cumulative incidence of {row.cause} by {int(row.time)} months, %",
                format_percent(100 * row.incidence),
                None,
                "Aalen-Johansen (competing causes), estimate only",
                estimate=row.incidence,
                time=row.time,
            )
    return ReportTable(
        "effects",
        "Effect sizes, paired comparisons and competing risks",
        pd.DataFrame(rows),
        pd.DataFrame(display),
        (
            "Differences in proportions: Newcombe's hybrid score interval (Stat Med "
            "1998;17:873). Odds ratios: conditional maximum likelihood with exact interval "
            "and Fisher's exact p. Same patients over time: exact McNemar test (patients "
            "evaluable at both timepoints) and Cochran's Q (evaluable at all). Rate ratio: "
            "exact conditional interval and p (R's poisson.test). Median follow-up: reverse "
            "Kaplan-Meier. Ways DTT ended: cumulative incidence by the Aalen-Johansen "
            "estimator, each cause competing with the others (not 1 - Kaplan-Meier). NR = "
            "not reached.",
        ),
    )


REPEATED_PARAMETERS = {"crp": "CRP, mg/L", "albumin": "Albumin, g/L"}


def table_repeated_labs(cohort: Cohort, visits: pd.DataFrame, windows) -> ReportTable:
    """CRP and albumin at baseline and each timepoint while on DTT, as estimated means from
    a linear mixed model (random intercept per patient) with GEE as the sensitivity
    analysis: every measured value is used, not only complete pairs."""
    from ibd_dtt.report.cohort import is_on_dtt
    from ibd_dtt.stats.repeated import estimated_means

    order = [windows.baseline.name, *(w.name for w in windows.timepoints)]
    labels = {w.name: w.label for w in (windows.baseline, *windows.timepoints)}
    on_dtt = visits[is_on_dtt(visits) & visits["patient_id"].isin(cohort.patients["patient_id"])]
    rows, display = [], []
    for parameter, label in REPEATED_PARAMETERS.items():
        values = on_dtt[on_dtt["parameter"] == parameter]
        data = pd.DataFrame(
            {
                "patient_id": values["patient_id"],
                "visit": values["window"],
                "value": pd.to_numeric(values["value"], errors="coerce"),
            }
        )
        means = estimated_means(data, order)
        if means.empty:
            continue
        for visit in [v for v in order if v in set(means["visit"].dropna())]:
            by_model = means[means["visit"] == visit].set_index("model")
            mixed, gee = by_model.loc["mixed model"], by_model.loc["GEE"]

            def mean_ci(r) -> str:
                return (
                    f"{round_half_up(r['estimate'], 2)} ({round_half_up(r['ci_low'], 2)} to "
                    f"{round_half_up(r['ci_high'], 2)})"
                )

            def change_ci(r) -> str:
                if r["change"] is None or pd.isna(r["change"]):
                    return "reference"
                return (
                    f"{round_half_up(r['change'], 2)} ({round_half_up(r['change_ci_low'], 2)} "
                    f"to {round_half_up(r['change_ci_high'], 2)})"
                )

            display.append(
                {
                    "Parameter": label,
                    "Visit": labels[visit],
                    "Patients": int(mixed["patients"]),
                    "Mixed model: mean (95 % CI)": mean_ci(mixed),
                    "Change from baseline (95 % CI)": change_ci(mixed),
                    "p-value": format_pvalue(mixed["pvalue"]) if pd.notna(mixed["pvalue"]) else "",
                    "GEE: mean (95 % CI)": mean_ci(gee),
                    "GEE p-value": format_pvalue(gee["pvalue"]) if pd.notna(gee["pvalue"]) else "",
                }
            )
        rows.append(means.assign(parameter=parameter))
    data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    notes_convergence = (
        ("Some fits did not fully converge (see the data file's note column).",)
        if not data.empty and (data["note"].fillna("") != "").any()
        else ()
    )
    return ReportTable(
        "lab_repeated",
        "CRP and albumin over follow-up: estimated means from all available values",
        data,
        pd.DataFrame(display),
        (
            "Linear mixed model with a fixed effect per visit window and a random intercept "
            "per patient (statsmodels MixedLM, REML); every value measured on DTT in a window "
            "is used, so patients with missing visits still contribute (missing at random "
            "assumed). Change from baseline: the model's visit coefficient, Wald 95 % CI and "
            "p. Sensitivity: GEE with an exchangeable working correlation and robust "
            "standard errors. Raw values (CRP is right-skewed; the medians are in the lab "
            "table).",
            *notes_convergence,
        ),
    )
