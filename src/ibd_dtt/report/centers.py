"""Results by center (``ibd-dtt report DATA --by center``): the primary outcomes, baseline
characteristics and safety per center beside the overall column, with a test of
heterogeneity across centers.

Heterogeneity of a proportion across centers is tested two ways, as multicenter reports
give it: Fisher's exact test (Freeman-Halton) on the centers x (responder, non-responder)
table, which makes no large-sample assumption; and a random-effects meta-analysis of the
centers' logit proportions (DerSimonian-Laird), whose I² says how much of the variation
between centers is beyond chance (Higgins & Thompson 2002). Centers with no evaluable
patient are left out of both and named in a footnote.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.report.cohort import Cohort
from ibd_dtt.report.followup import MAIN_OUTCOMES, TIMEPOINT_LABELS
from ibd_dtt.report.model import CharacteristicsBuilder, ReportTable
from ibd_dtt.stats import fisher_exact_rxc, proportion_ci
from ibd_dtt.stats.format import MISSING, format_pvalue, format_rate_cell, round_half_up
from ibd_dtt.stats.meta import meta_proportions

BY_CHOICES = ("center",)
# outcomes shown by center: the paper's primary outcomes and steroid withdrawal
CENTER_OUTCOMES = (*MAIN_OUTCOMES, "steroid_withdrawal")


def centers_of(patients: pd.DataFrame) -> tuple[str, ...]:
    """The centers of the analysed patients, in sorted order."""
    return tuple(sorted(patients["center"].dropna().astype(str).unique()))


def summarise_outcomes_by_center(outcomes: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Responders / evaluable per outcome, timepoint and center, plus the overall row
    (``center`` = "all"), counted from the patient-level outcome results.

    >>> o = pd.DataFrame({"patient_id": ["a", "b", "c"], "outcome": "x", "timepoint": "t",
    ...                   "result": ["yes", "no", "not_evaluable"]})
    >>> p = pd.DataFrame({"patient_id": ["a", "b", "c"], "center": ["A", "B", "B"]})
    >>> summarise_outcomes_by_center(o, p)[["center", "responders", "evaluable"]].values.tolist()
    [['all', 1, 2], ['A', 1, 1], ['B', 0, 1]]
    """
    center = outcomes["patient_id"].map(patients.set_index("patient_id")["center"])
    counted = outcomes[["outcome", "timepoint"]].assign(
        center=center.astype(str).to_numpy(),
        responders=outcomes["result"].eq("yes").to_numpy(bool, na_value=False).astype(int),
        evaluable=outcomes["result"].isin(["yes", "no"]).to_numpy(bool, na_value=False).astype(int),
    )
    keys = ["outcome", "timepoint"]
    frames = [
        counted.groupby(keys, sort=False)[["responders", "evaluable"]].sum().assign(center="all")
    ]
    frames.append(counted.groupby([*keys, "center"], sort=False)[["responders", "evaluable"]].sum())
    out = pd.concat([f.reset_index() for f in frames], ignore_index=True)
    # outcomes and timepoints in the order the analysis gives them, then overall, centers
    pairs = list(dict.fromkeys(zip(outcomes["outcome"], outcomes["timepoint"], strict=True)))
    first = {pair: i for i, pair in enumerate(pairs)}
    order = {c: i for i, c in enumerate(["all", *centers_of(patients)])}
    out = out.assign(
        _pair=[first[pair] for pair in zip(out["outcome"], out["timepoint"], strict=True)],
        _center=out["center"].map(order),
    ).sort_values(["_pair", "_center"], kind="stable")
    return out.reset_index(drop=True)[["outcome", "timepoint", "center", "responders", "evaluable"]]


def center_heterogeneity(counts: pd.DataFrame) -> pd.DataFrame:
    """For each outcome x timepoint of :func:`summarise_outcomes_by_center`: Fisher's exact
    test across centers and the DerSimonian-Laird random-effects pooled proportion with
    tau², I² and Cochran's Q."""
    rows = []
    for (outcome, timepoint), block in counts[counts["center"] != "all"].groupby(
        ["outcome", "timepoint"], sort=False
    ):
        used = block[block["evaluable"] > 0]
        table = [used["responders"].tolist(), (used["evaluable"] - used["responders"]).tolist()]
        exact = fisher_exact_rxc(table) if len(used) >= 2 else None
        meta = meta_proportions(block["responders"], block["evaluable"], block["center"])
        rows.append(
            {
                "outcome": outcome,
                "timepoint": timepoint,
                "centers": meta.k,
                "centers_left_out": "; ".join(meta.left_out),
                "exact_test": exact.test if exact else "none",
                "exact_pvalue": exact.pvalue if exact else None,
                "pooled_random_effects": meta.proportion,
                "pooled_ci_low": meta.ci_low,
                "pooled_ci_high": meta.ci_high,
                "tau2": meta.tau2,
                "i2": meta.i2,
                "q": meta.q,
                "q_pvalue": meta.q_pvalue,
                "meta_method": meta.method,
                "continuity_corrected": "; ".join(meta.corrected),
            }
        )
    return pd.DataFrame(rows)


def table_outcomes_by_center(
    analysis, patients: pd.DataFrame, labels: dict[str, str], ci_method: str
) -> ReportTable:
    """The primary outcomes per center: n/N (%) [95 % CI] overall and in each center, the
    exact test across centers, and I² (tau²) of the random-effects model.

    ``data`` holds one row per outcome x timepoint x center (``center`` = "all" for the
    cohort) with the counts and interval, and the heterogeneity statistics on each row.
    """
    centers = centers_of(patients)
    wanted = analysis.outcomes[analysis.outcomes["outcome"].isin(CENTER_OUTCOMES)]
    counts = summarise_outcomes_by_center(wanted, patients)
    heterogeneity = center_heterogeneity(counts)
    keys = ["outcome", "timepoint"]
    data = counts.merge(heterogeneity, on=keys, how="left")
    intervals = [
        proportion_ci(int(n), int(total), ci_method)
        for n, total in zip(data["responders"], data["evaluable"], strict=True)
    ]
    data["percent"] = [p.percent for p in intervals]
    data["ci_low"] = [p.ci_low for p in intervals]
    data["ci_high"] = [p.ci_high for p in intervals]
    data["ci_method"] = ci_method
    data.insert(0, "strategy", analysis.strategy)
    data.insert(0, "definition_set", analysis.definitions.name)
    size = patients["center"].astype(str).value_counts()
    head = {"all": f"Overall (N={len(patients)})"} | {c: f"{c} (N={int(size[c])})" for c in centers}
    display = []
    for outcome in CENTER_OUTCOMES:
        block = data[data["outcome"] == outcome]
        if block.empty or int(block["evaluable"].sum()) == 0:
            continue
        display.append({"Outcome": labels.get(outcome, outcome)})
        for timepoint in block["timepoint"].drop_duplicates():
            cells = block[block["timepoint"] == timepoint].set_index("center")
            if int(cells.loc["all", "evaluable"]) == 0:
                continue
            row = {"Outcome": f"    {TIMEPOINT_LABELS.get(timepoint, timepoint)}"}
            for center, column in head.items():
                r = cells.loc[center] if center in cells.index else None
                row[column] = (
                    MISSING
                    if r is None
                    else format_rate_cell(
                        int(r["responders"]),
                        int(r["evaluable"]),
                        r["percent"],
                        r["ci_low"],
                        r["ci_high"],
                    )
                )
            first = cells.iloc[0]
            row["p (exact)"] = format_pvalue(first["exact_pvalue"]) or MISSING
            row["I² (τ²)"] = (
                MISSING
                if pd.isna(first["i2"])
                else f"{round_half_up(100 * first['i2'], 0)} % ({round_half_up(first['tau2'], 2)})"
            )
            display.append(row)
    left_out = sorted(
        {c for text in heterogeneity.get("centers_left_out", []) for c in text.split("; ") if c}
    )
    notes = [
        "Cells: responders/evaluable (%) [95 % CI, "
        + ("Clopper-Pearson" if ci_method == "clopper-pearson" else "Wilson")
        + f"]; {analysis.definitions.name} definitions, {analysis.strategy} analysis. "
        "Timepoints at which no patient was evaluable are not shown.",
        "p (exact): Fisher's exact test (Freeman-Halton) across centers on the responders / "
        "non-responders table. I² (τ²): DerSimonian-Laird random-effects meta-analysis of the "
        "centers' logit proportions, 0.5 added to both cells of a center with none or all "
        "responding; I² = share of the variation between centers beyond chance.",
    ]
    if left_out:
        notes.append(
            "Centers left out of the test and the meta-analysis of a timepoint at which they "
            "had no evaluable patient: " + ", ".join(left_out) + "."
        )
    return ReportTable(
        "outcomes_by_center",
        "Primary outcomes by center",
        data,
        pd.DataFrame(display),
        tuple(notes),
    )


def table_baseline_by_center(cohort: Cohort) -> ReportTable:
    """Baseline characteristics per center, with the test across centers (chi-square or
    Fisher by Cochran's rule; Kruskal-Wallis for continuous variables)."""
    p = cohort.patients.reset_index(drop=True).assign(center=lambda f: f["center"].astype(str))
    b = CharacteristicsBuilder(p, "center", centers_of(p))
    present = set(p["diagnosis"])
    b.categorical("Diagnosis", "diagnosis", {d: d for d in ("UC", "CD", "IBDU") if d in present})
    b.categorical("Sex", "sex", {"F": "Female", "M": "Male"})
    b.continuous("Age at diagnosis, years", p["age_at_diagnosis"])
    b.continuous("Disease duration at DTT start, years", p["disease_duration_years"], decimals=2)
    b.continuous("Failed biologics per patient", p["failed_biologics"], decimals=2, counts=True)
    b.continuous(
        "Failed mechanisms of action (advanced therapies)",
        p["failed_mechanisms"],
        decimals=2,
        counts=True,
    )
    b.flag(
        "Prior intestinal resection",
        p["intestinal_surgery"].map(lambda s: None if pd.isna(s) else s != "none"),
    )
    b.categorical("DTT regimen", "regimen")
    b.continuous("Time on DTT, months", p["duration_months"], show_range=True)
    b.categorical("Status at the data cut", "status")
    return b.build(
        "baseline_by_center",
        "Baseline characteristics by center",
        ("Percentages are over patients with a recorded value.",),
    )
