"""The pooled report of a network study: the tables and figures of :class:`PooledStudy`
as HTML (and PDF with Chromium), Excel, Word and CSV, with the report's own renderers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ibd_dtt import __version__
from ibd_dtt.network.pool import KM_TIMES, OUTCOME_KEYS, PooledStudy, forest_rates
from ibd_dtt.outputs import neutralise_formulas, output_folder
from ibd_dtt.report.followup import MAIN_OUTCOMES, TIMEPOINT_LABELS
from ibd_dtt.report.layout import PAPER_SIZES
from ibd_dtt.report.model import ReportTable
from ibd_dtt.stats.format import (
    MISSING,
    format_pvalue,
    format_rate_cell,
    round_half_up,
)

GROUP_LABELS = {"all": "Overall", "UC": "UC", "CD": "CD", "IBDU": "IBDU"}
FOREST_OUTCOMES = (*MAIN_OUTCOMES, "steroid_withdrawal")
STRATEGY_NAMES = {"as-observed": "As observed", "nri": "NRI", "locf": "LOCF"}


def _labels(study: PooledStudy) -> dict[str, str]:
    labels = {}
    for a in study.packages[0].manifest["analyses"]:
        labels.update({k: v["label"] for k, v in a.get("outcomes", {}).items()})
    return labels


def _left_out_note(frame: pd.DataFrame) -> list[str]:
    if "sites_left_out" not in frame:
        return []
    left = sorted({s for text in frame["sites_left_out"].fillna("") for s in text.split("; ") if s})
    if not left:
        return []
    return [
        "Suppressed cells: where a site hid a count (fewer than its minimum cell count, or "
        "hidden so that it cannot be recomputed), that site is left out of the cell's pooled "
        "value, never counted as zero; cells concerned are marked † (sites: "
        + ", ".join(left)
        + ")."
    ]


def _count_text(n, sites: int, left: str) -> str:
    """A summed count: as is when every site published it, "≥ n †" when some hid theirs
    (hidden counts are not negative), "suppressed" when no site published it."""
    if not left:
        return str(int(n))
    return "suppressed" if sites == 0 or int(n) == 0 else f"≥ {int(n)} †"


def _group_columns(frame: pd.DataFrame) -> list[str]:
    present = set(frame["group"])
    return [g for g in ("all", "UC", "CD", "IBDU") if g in present]


def _analysed(study: PooledStudy) -> int | None:
    """Patients analysed at all sites, or None when a site hid its number."""
    flow = study.attrition.set_index("step")
    if "Analysed" in flow.index and not flow.loc["Analysed", "sites_left_out"]:
        return int(flow.loc["Analysed", "patients"])
    return None


def _sizes(study: PooledStudy) -> dict[str, str]:
    sizes = {}
    cat = study.categorical
    sex = cat[(cat["variable"] == "Sex") & (cat["level"] == "total")].set_index("group")
    for g in ("all", "UC", "CD", "IBDU"):
        if g in sex.index and not sex.loc[g, "sites_left_out"]:
            sizes[g] = f"{GROUP_LABELS[g]} (N={int(sex.loc[g, 'n'])})"
        else:
            sizes[g] = GROUP_LABELS[g]
    if (analysed := _analysed(study)) is not None:
        sizes["all"] = f"Overall (N={analysed})"
    return sizes


def table_flow(study: PooledStudy) -> ReportTable:
    a = study.attrition
    display = pd.DataFrame(
        {
            "Step": a["step"],
            "Patients": [
                _count_text(n, sites, left)
                for n, sites, left in zip(
                    a["patients"], a["sites"], a["sites_left_out"], strict=True
                )
            ],
        }
    )
    return ReportTable(
        "pooled_flow",
        "Patient flow, all sites",
        a,
        display,
        ("Patients at each step summed over the sites.", *_left_out_note(a)),
    )


def table_baseline(study: PooledStudy) -> ReportTable:
    cat, cont = study.categorical, study.continuous
    groups = _group_columns(cat)
    sizes = _sizes(study)
    rows = []
    for (table, variable), block in cat.groupby(["table", "variable"], sort=False):
        if table != "table1_baseline" and variable in set(
            cat.loc[cat["table"] == "table1_baseline", "variable"]
        ):
            continue
        rows.append({"Characteristic": variable})
        totals = block[block["level"] == "total"].set_index("group")
        missing = block[block["level"] == "missing"].set_index("group")
        for level, lines in block[~block["level"].isin(["total", "missing"])].groupby(
            "level", sort=False
        ):
            lines = lines.set_index("group")
            row = {"Characteristic": f"    {level}"}
            for g in groups:
                if g not in lines.index:
                    row[sizes[g]] = MISSING
                    continue
                n, left = int(lines.loc[g, "n"]), lines.loc[g, "sites_left_out"]
                recorded = (
                    int(totals.loc[g, "n"]) - int(missing.loc[g, "n"])
                    if g in totals.index and g in missing.index
                    else None
                )
                complete = not (
                    left or totals.loc[g, "sites_left_out"] or missing.loc[g, "sites_left_out"]
                )
                if recorded and complete:
                    row[sizes[g]] = f"{n} ({round_half_up(100 * n / recorded, 1)})"
                else:
                    row[sizes[g]] = _count_text(n, int(lines.loc[g, "sites"]), left)
            rows.append(row)
    if not cont.empty:
        rows.append({"Characteristic": "Measurements"})
        for _, block in cont.groupby("variable", sort=False):
            first = block.iloc[0]
            unit = f", {first['unit']}" if first["unit"] else ""
            lines = block.set_index("group")
            mean_row = {"Characteristic": f"    {first['label']}{unit}: mean (SD)"}
            grid = study.packages[0].manifest["bins"].get(first["variable"], {})
            width = f", bins of {grid['width']:g}" if grid.get("width") else ""
            median_row = {"Characteristic": f"    {first['label']}{unit}: ≈ median (Q1–Q3){width}"}
            for g in groups:
                if g not in lines.index or int(lines.loc[g, "n"]) == 0:
                    mean_row[sizes[g]] = median_row[sizes[g]] = MISSING
                    continue
                r = lines.loc[g]
                mark = " †" if r["sites_left_out"] else ""
                mean_row[sizes[g]] = (
                    f"{round_half_up(r['mean'], 1)} ({round_half_up(r['sd'], 1)}){mark}"
                    if pd.notna(r["sd"])
                    else MISSING
                )
                median_row[sizes[g]] = (
                    f"≈ {round_half_up(r['median'], 1)} ({round_half_up(r['q1'], 1)}–"
                    f"{round_half_up(r['q3'], 1)}){mark}"
                    if pd.notna(r["median"])
                    else MISSING
                )
            rows += [mean_row, median_row]
    display = pd.DataFrame(rows).fillna("")
    return ReportTable(
        "pooled_baseline",
        "Baseline characteristics, all sites",
        cat,
        display,
        (
            "n (%) of patients with the characteristic recorded; summed over the sites.",
            "Mean (SD) from the sites' counts, sums and sums of squares: equal to the central "
            "analysis. ≈ median (Q1–Q3): approximate, from the sites' counts in bins of the "
            "fixed grid written in the package manifest (width 1 unit for most measurements, "
            "0.5 years for disease duration), merged at each site until no count was small; "
            "the true value lies within the bounds given in pooled_continuous.csv "
            "(median_low, median_high), at most one merged bin from the estimate.",
            *_left_out_note(cat),
        ),
    )


def table_outcomes(study: PooledStudy, definition_set: str, strategy: str) -> ReportTable:
    labels = _labels(study)
    o = study.outcomes
    o = o[(o["definition_set"] == definition_set) & (o["strategy"] == strategy)]
    groups = _group_columns(o)
    sizes = _sizes(study)
    rows = []
    for outcome, block in o.groupby("outcome", sort=False):
        if int(block["evaluable"].sum()) == 0:
            continue
        rows.append({"Outcome": labels.get(outcome, outcome)})
        for timepoint, cells in block.groupby("timepoint", sort=False):
            cells = cells.set_index("group")
            if int(cells["evaluable"].sum()) == 0:
                continue
            row = {"Outcome": f"    {TIMEPOINT_LABELS.get(timepoint, timepoint)}"}
            for g in groups:
                if g in cells.index and int(cells.loc[g, "sites"]) == 0:
                    row[sizes[g]] = "suppressed"  # every site hid it: unknown, not zero
                    continue
                if g not in cells.index or int(cells.loc[g, "evaluable"]) == 0:
                    row[sizes[g]] = ""
                    continue
                r = cells.loc[g]
                row[sizes[g]] = format_rate_cell(
                    int(r["responders"]),
                    int(r["evaluable"]),
                    r["percent"],
                    r["ci_low"],
                    r["ci_high"],
                ) + (" †" if r["sites_left_out"] else "")
            rows.append(row)
    ci = "Clopper-Pearson" if study.ci_method == "clopper-pearson" else "Wilson"
    return ReportTable(
        f"pooled_outcomes_{definition_set}_{strategy}",
        f"Outcomes, all sites: {definition_set} definitions, "
        f"{STRATEGY_NAMES.get(strategy, strategy)}",
        o,
        pd.DataFrame(rows).fillna(""),
        (
            f"Responders/evaluable (%) [95 % CI, {ci}] from the counts summed over the sites "
            "(the same as analysing the patients together). Blank: no evaluable patient "
            "(e.g. a UC-only outcome in CD). † the rate of the sites that published the "
            "count; suppressed: every site hid it.",
            *_left_out_note(o),
        ),
    )


def table_meta(study: PooledStudy) -> ReportTable:
    labels = _labels(study)
    definition_set, strategy = study.primary_analysis
    m = study.meta
    m = m[
        (m["definition_set"] == definition_set)
        & (m["strategy"] == strategy)
        & m["outcome"].isin(FOREST_OUTCOMES)
    ]
    pooled = study.outcomes.set_index(OUTCOME_KEYS)
    rows = []
    for r in m.to_dict("records"):
        key = (definition_set, strategy, r["outcome"], r["timepoint"], "all")
        if key not in pooled.index or int(pooled.loc[key, "evaluable"]) == 0:
            continue
        p = pooled.loc[key]

        def interval(est, low, high):
            if est is None or pd.isna(est):
                return MISSING
            return (
                f"{round_half_up(100 * est, 1)} "
                f"[{round_half_up(100 * low, 1)}–{round_half_up(100 * high, 1)}]"
            )

        rows.append(
            {
                "Outcome": f"{labels.get(r['outcome'], r['outcome'])}, "
                f"{TIMEPOINT_LABELS.get(r['timepoint'], r['timepoint'])}",
                "Sites": int(r["sites"]),
                "Summed counts": format_rate_cell(
                    int(p["responders"]),
                    int(p["evaluable"]),
                    p["percent"],
                    p["ci_low"],
                    p["ci_high"],
                ),
                "Random effects, DL": interval(r["dl_proportion"], r["dl_ci_low"], r["dl_ci_high"]),
                "Random effects, PM": interval(r["pm_proportion"], r["pm_ci_low"], r["pm_ci_high"]),
                "I²": MISSING if pd.isna(r["i2"]) else f"{round_half_up(100 * r['i2'], 0)} %",
                "τ² (DL)": MISSING if pd.isna(r["tau2"]) else round_half_up(r["tau2"], 2),
                "Q p": format_pvalue(r["q_pvalue"]) or MISSING,
                "Exact p": format_pvalue(r["exact_pvalue"]) or MISSING,
            }
        )
    return ReportTable(
        "pooled_meta_analysis",
        "Primary outcomes: meta-analysis across sites",
        m,
        pd.DataFrame(rows),
        (
            "Summed counts: responders/evaluable (%) [95 % CI] of all sites together. Random "
            "effects: the sites' proportions pooled on the logit scale (0.5 added to both "
            "cells of a site with none or all responding), between-site variance τ² by "
            "DerSimonian-Laird (DL) or Paule-Mandel (PM); % [95 % CI]. I²: share of the "
            "variation between sites beyond chance; Q p: Cochran's Q test; exact p: Fisher's "
            "exact test (Freeman-Halton) of responders by site.",
            *_left_out_note(m),
        ),
    )


def table_sites(study: PooledStudy) -> ReportTable:
    labels = _labels(study)
    rates = forest_rates(study, FOREST_OUTCOMES)
    sizes = {
        p.site: p.tables["attrition.csv"].set_index("step")["value"].get("Analysed")
        for p in study.packages
    }
    head = {"all": _sizes(study)["all"]} | {
        s: f"{s} (N={int(sizes[s])})" if pd.notna(sizes.get(s)) else s for s in study.sites
    }
    rows = []
    for outcome, block in rates.groupby("outcome", sort=False):
        rows.append({"Outcome": labels.get(outcome, outcome)})
        for timepoint, cells in block.groupby("timepoint", sort=False):
            cells = cells.set_index("center")
            if "all" not in cells.index or int(cells.loc["all", "evaluable"]) == 0:
                continue
            row = {"Outcome": f"    {TIMEPOINT_LABELS.get(timepoint, timepoint)}"}
            for site, column in head.items():
                if site not in cells.index:
                    row[column] = "suppressed"
                    continue
                r = cells.loc[site]
                row[column] = format_rate_cell(
                    int(r["responders"]),
                    int(r["evaluable"]),
                    r["percent"],
                    r["ci_low"],
                    r["ci_high"],
                )
            rows.append(row)
    return ReportTable(
        "pooled_by_site",
        "Primary outcomes by site",
        rates,
        pd.DataFrame(rows).fillna(""),
        (
            "Responders/evaluable (%) [95 % CI] per site and of all sites together (primary "
            "analysis). 'suppressed': the site hid the count (small cell).",
        ),
    )


def table_safety(study: PooledStudy) -> ReportTable:
    s = study.safety
    groups = _group_columns(s)
    sizes = _sizes(study)
    names = {
        "patients_with_adverse_event": "Patients with ≥ 1 adverse event, n (%) [95 % CI]",
        "patients_with_serious_adverse_event": "Patients with ≥ 1 serious adverse event, "
        "n (%) [95 % CI]",
        "adverse_events": "Adverse events, n",
        "serious_adverse_events": "Serious adverse events, n",
        "person_years": "Time on DTT, patient-years",
        "eair: adverse_events": "Adverse events per 100 patient-years [95 % CI]",
        "eair: patients_with_adverse_event": "First adverse events per 100 patient-years "
        "at risk [95 % CI]",
    }
    rows = []
    items = [i for i in names if i in set(s["item"])]
    items += [i for i in dict.fromkeys(s["item"]) if i.startswith("adverse_events_category: ")]
    for item in items:
        label = names.get(item) or "    " + item.split(": ", 1)[1] + ", n"
        row = {"Item": label}
        lines = s[s["item"] == item].set_index("group")
        for g in groups:
            if g not in lines.index:
                row[sizes[g]] = MISSING
                continue
            r = lines.loc[g]
            mark = " †" if r["sites_left_out"] else ""
            if item.startswith("eair: "):
                row[sizes[g]] = (
                    f"{round_half_up(r['rate'], 1)} [{round_half_up(r['ci_low'], 1)}–"
                    f"{round_half_up(r['ci_high'], 1)}]"
                    if pd.notna(r["rate"])
                    else MISSING
                )
            elif item == "person_years":
                row[sizes[g]] = (
                    "suppressed"
                    if r["sites"] == 0
                    else f"{'≥ ' if mark else ''}{round_half_up(r['value'], 1)}{mark}"
                )
            elif pd.notna(r.get("percent")):
                row[sizes[g]] = (
                    f"{int(r['value'])} ({round_half_up(r['percent'], 1)}) "
                    f"[{round_half_up(100 * r['ci_low'], 1)}–"
                    f"{round_half_up(100 * r['ci_high'], 1)}]"
                )
            else:
                row[sizes[g]] = _count_text(r["value"], int(r["sites"]), r["sites_left_out"])
        rows.append(row)
    return ReportTable(
        "pooled_safety",
        "Adverse events, all sites",
        s,
        pd.DataFrame(rows),
        (
            "Counts and patient-years summed over the sites; incidence per 100 patient-years "
            "with exact Poisson (Garwood) intervals from the summed events and exposure.",
            *_left_out_note(s),
        ),
    )


def table_persistence(study: PooledStudy) -> ReportTable:
    curves = set(study.persistence.get("curve", []))
    groups = [g for g in ("all", "UC", "CD", "IBDU") if g in curves]
    sizes = _sizes(study)
    rows, data = [], []
    for g in groups:
        km = study.kaplan_meier(g)
        if km is None:
            continue
        row = {"Group": sizes[g]}
        for r in km.at_times.to_dict("records"):
            if r["time"] == 0:
                continue
            cell = f"{round_half_up(100 * r['survival'], 1)}"
            if pd.notna(r["ci_low"]):
                cell += (
                    f" [{round_half_up(100 * r['ci_low'], 1)}–"
                    f"{round_half_up(100 * r['ci_high'], 1)}]"
                )
            row[f"{int(r['time'])} months"] = f"{cell} ({int(r['at_risk'])} at risk)"
            data.append({"group": g, **r})
        rows.append(row)
    until = study.persistence_until_months
    how = (
        "from the sites' day-by-day risk tables: equal to the central Kaplan-Meier estimate"
        if study.persistence_exact
        else "approximate: from the sites' risk tables on a month grid (intervals merged "
        "until no count was small), each interval's events and censorings spread evenly over it"
    )
    notes = [
        f"On DTT, % [95 % CI, log-log] (patients at risk), Kaplan-Meier {how}.",
    ]
    missing = [g for g in _group_columns(study.outcomes) if g not in groups]
    if missing:
        notes.append(
            f"No {' or '.join(missing)} curve: at some site the table for it was joined "
            "into intervals of more than a year (too few patients for finer intervals at the "
            "minimum cell count), or the site did not share it; sites can share day-level "
            "tables (ibd-dtt share --km-steps) where their rules allow."
        )
    if until is not None:
        notes.append(
            f"Shown up to {round_half_up(until, 1)} months: the shortest follow-up every site "
            "could share (sites stop their table before fewer than the minimum cell count "
            "remain at risk)."
        )
    return ReportTable(
        "pooled_persistence",
        "Persistence on DTT, all sites",
        pd.DataFrame(data),
        pd.DataFrame(rows),
        tuple(notes),
    )


def _site_value(frame: pd.DataFrame, **where) -> float | None:
    """The one published value of ``frame`` matching ``where`` (None: hidden or absent)."""
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    if rows.empty:
        return None
    value = pd.to_numeric(rows["value"], errors="coerce").iloc[0]
    return None if pd.isna(value) else float(value)


def _share_text(n: float | None, of: float | None) -> str:
    if n is None or not of:
        return "suppressed"
    return f"{int(n)} ({round_half_up(100 * n / of, 1)})"


def _mean_sd_text(moments: pd.DataFrame, variable: str) -> str:
    r = moments[(moments["variable"] == variable) & (moments["group"] == "all")]
    if r.empty:
        return MISSING
    if pd.isna(r["n"].iloc[0]):
        return "suppressed"
    n, total, squares = (float(r[c].iloc[0]) for c in ("n", "sum", "sum_squares"))
    if n < 2:
        return MISSING
    mean = total / n
    sd = max(0.0, (squares - n * mean**2) / (n - 1)) ** 0.5
    return f"{round_half_up(mean, 1)} ({round_half_up(sd, 1)})"


def table_site_characteristics(study: PooledStudy) -> ReportTable:
    """A few characteristics per site, from each site's own package (as it published them:
    what a site hid reads "suppressed"): patients analysed, women, UC, age at diagnosis and
    time on DTT (mean, SD), patients with an adverse event and the incidence of adverse
    events per 100 patient-years."""
    rows, data = [], []
    labels = [
        "Patients analysed, n",
        "Women, n (%)",
        "Ulcerative colitis, n (%)",
        "Age at diagnosis, years, mean (SD)",
        "Time on DTT, months, mean (SD)",
        "Patients with ≥ 1 adverse event, n (%)",
        "Adverse events per 100 patient-years",
    ]
    columns = {}
    for p in study.packages:
        cat, mom = p.tables["categorical_counts.csv"], p.tables["continuous_moments.csv"]
        safety = p.tables["safety_counts.csv"]
        analysed = _site_value(p.tables["attrition.csv"], step="Analysed")
        base = {"table": "table1_baseline", "group": "all"}
        total = _site_value(cat, variable="Sex", level="total", **base)
        women = _site_value(cat, variable="Sex", level="F", **base)
        uc = _site_value(cat, table="table1_baseline", variable="Sex", level="total", group="UC")
        with_ae = _site_value(safety, item="patients_with_adverse_event", group="all")
        events = _site_value(safety, item="adverse_events", group="all")
        years = _site_value(safety, item="person_years", group="all")

        rate = (
            round_half_up(100 * events / years, 1) if events is not None and years else "suppressed"
        )
        columns[f"{p.site} (N={int(analysed)})" if analysed else p.site] = [
            str(int(analysed)) if analysed is not None else "suppressed",
            _share_text(women, total),
            _share_text(uc, total),
            _mean_sd_text(mom, "age_at_diagnosis"),
            _mean_sd_text(mom, "duration_months"),
            _share_text(with_ae, total),
            rate,
        ]
        data.append(
            {
                "site": p.site,
                "analysed": analysed,
                "patients": total,
                "women": women,
                "uc": uc,
                "patients_with_adverse_event": with_ae,
                "adverse_events": events,
                "person_years": years,
            }
        )
    rows = pd.DataFrame({"Characteristic": labels, **columns})
    return ReportTable(
        "pooled_site_characteristics",
        "Characteristics by site",
        pd.DataFrame(data),
        rows,
        (
            "Each site's own numbers as its package published them; 'suppressed': the site "
            "hid the count (fewer than its minimum cell count). Means (SD) from the site's "
            "counts, sums and sums of squares.",
        ),
    )


def pooled_tables(study: PooledStudy) -> list[ReportTable]:
    tables = [table_flow(study), table_baseline(study)]
    for a in study.packages[0].manifest["analyses"]:
        tables.append(table_outcomes(study, a["definition_set"], a["strategy"]))
    tables += [
        table_meta(study),
        table_sites(study),
        table_site_characteristics(study),
        table_safety(study),
    ]
    if study.persistence_until_months is not None:
        tables.append(table_persistence(study))
    return [_never_empty(t) for t in tables]


def _never_empty(table: ReportTable) -> ReportTable:
    """A table with no row says why, rather than printing a bare header (or nothing)."""
    if len(table.display) and len(table.display.columns):
        return table
    from dataclasses import replace

    why = "Nothing to show: every site hid these counts (fewer than its minimum cell count)."
    return replace(table, display=pd.DataFrame({"Result": [why]}))


def pooled_figures(study: PooledStudy) -> list:
    from ibd_dtt.report.figures import plot_center_forest, plot_kaplan_meier, save_figure

    definition_set, strategy = study.primary_analysis
    figures = []
    rates = forest_rates(study, FOREST_OUTCOMES)
    if not rates.empty and int(rates.loc[rates["center"] == "all", "evaluable"].sum()) > 0:
        figures.append(
            save_figure(
                plot_center_forest(rates, _labels(study)),
                "fig1_site_forest",
                f"Primary outcomes by site ({len(study.sites)} sites): responders/evaluable "
                "with 95 % CI per site, all sites' summed counts, and the DerSimonian-Laird "
                f"random-effects estimate (diamond) with I² and the exact test "
                f"({definition_set} definitions, {strategy})",
            )
        )
    until = study.persistence_until_months
    if until is not None and until > 0 and not study.persistence.empty:
        times = tuple(t for t in KM_TIMES if t <= until) or (0,)
        approx = "" if study.persistence_exact else "approximate (month grid), "
        figures.append(
            save_figure(
                plot_kaplan_meier(
                    study.persistence[study.persistence["curve"] != "all"],
                    times,
                    overall=study.persistence[study.persistence["curve"] == "all"],
                ),
                "fig2_persistence",
                f"Kaplan-Meier persistence on DTT, all sites, {approx}up to "
                f"{round_half_up(until, 1)} months: solid line estimate, dotted lines 95 % CI, "
                "numbers at risk below",
            )
        )
    return figures


def _methods(study: PooledStudy) -> list[str]:
    m = study.packages[0].manifest
    analyses = m["analyses"]
    primary = analyses[0]
    outcomes = "; ".join(v["definition"] for v in primary.get("outcomes", {}).values())
    counts = sorted({int(p.manifest["min_cell_count"]) for p in study.packages})
    return [
        f"Network study of {len(study.sites)} sites ({', '.join(study.sites)}). Each site ran "
        f"the same analysis locally with ibd-dtt and shared an aggregate package only (counts, "
        f"sums and sums of squares, binned distributions, risk tables); no patient-level data "
        f"left a site. Counts from 1 to {max(counts) - 1} were suppressed at the sites, with "
        "secondary suppression so that no hidden count could be recomputed from totals.",
        f"Outcomes followed the definition set '{primary['definition_set']}' (version "
        f"{primary['definition_version']}), identical at every site (checked by hash): "
        f"{outcomes}. Visit windows: {primary.get('windows', '')}.",
        "Pooled proportions are the summed responders over the summed evaluable patients, "
        "with exact (Clopper-Pearson) 95 % intervals unless stated; heterogeneity between "
        "sites was assessed by random-effects meta-analysis of logit proportions "
        "(DerSimonian-Laird and Paule-Mandel, statsmodels), I², Cochran's Q and Fisher's exact "
        "test. Means and SDs come from the summed sufficient statistics; medians and "
        "quartiles are approximated from the binned distributions. Adverse events are given "
        "as patients with ≥ 1 event and as incidence per 100 patient-years with exact Poisson "
        "intervals. Persistence on DTT was estimated by the Kaplan-Meier method from the "
        "summed risk tables.",
    ]


def pooled_headline(study: PooledStudy) -> list[dict]:
    """The pooled clinical response at each timepoint (the report's and console's headline)."""
    definition_set, strategy = study.primary_analysis
    o = study.outcomes
    o = o[
        (o["definition_set"] == definition_set)
        & (o["strategy"] == strategy)
        & (o["group"] == "all")
        & (o["outcome"] == "clinical_response")
    ]
    cards = []
    for r in o.to_dict("records"):
        if r["evaluable"] == 0:
            continue
        when = TIMEPOINT_LABELS.get(r["timepoint"], r["timepoint"])
        cards.append(
            {
                "label": f"Clinical response at {when}",
                "value": f"{round_half_up(r['percent'], 1)} % "
                f"({int(r['responders'])}/{int(r['evaluable'])})"
                + (" †" if r["sites_left_out"] else ""),
            }
        )
    return cards


def write_pooled_report(
    study: PooledStudy,
    out_dir: str | Path,
    inputs: tuple = (),
    paper: str = "a4",
    pdf: bool | None = None,
    generated_at: str | None = None,
) -> dict[str, Path | None]:
    """Write the pooled report (report.html, report.pdf with Chromium, tables.xlsx,
    tables.docx, tables/*.csv with the numbers, figures/), whole or not at all."""
    from ibd_dtt.report.figure_inputs import write_figures
    from ibd_dtt.report.pdf import print_to_pdf
    from ibd_dtt.report.render import (
        DEFAULT_STUDY_NAME,
        prints_pdf,
        render_report_page,
        typeset_table,
        write_table_documents,
    )

    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, not {paper!r}")
    tables = [typeset_table(t) for t in pooled_tables(study)]
    figures = pooled_figures(study)
    name = study.packages[0].manifest.get("study_name") or DEFAULT_STUDY_NAME
    title = f"{name}: pooled network report"
    with output_folder(out_dir, inputs, kind="pooled report") as out:
        (out / "tables").mkdir()
        for t in tables:
            neutralise_formulas(t.display).to_csv(out / "tables" / f"{t.key}.csv", index=False)
            neutralise_formulas(t.data.copy()).to_csv(
                out / "tables" / f"{t.key}.data.csv", index=False
            )
        for label, frame in (
            ("pooled_outcomes", study.outcomes),
            ("pooled_continuous", study.continuous),
            ("pooled_meta_analysis_all", study.meta),
        ):
            neutralise_formulas(frame.copy()).to_csv(
                out / "tables" / f"{label}.data.csv", index=False
            )
        documents, layouts = write_table_documents(tables, out, title, paper)
        write_figures(figures, out / "figures")
        provenance = {
            "ibd_dtt_version": __version__,
            "sites": [
                {
                    "site": p.site,
                    "ibd_dtt_version": p.manifest["ibd_dtt_version"],
                    "min_cell_count": p.manifest["min_cell_count"],
                    "km_resolution": p.manifest["km_resolution"],
                    "files_sha256": p.manifest.get("files_sha256", {}),
                }
                for p in study.packages
            ],
            "analyses": study.packages[0].manifest["analyses"],
            "ci_method": study.ci_method,
        }
        (out / "provenance.json").write_text(
            json.dumps(provenance, indent=2, sort_keys=True) + "\n"
        )
        rows = [("ibd-dtt version (pooling)", __version__)]
        rows += [
            (
                f"Site {p.site}",
                f"ibd-dtt {p.manifest['ibd_dtt_version']}, minimum cell count "
                f"{p.manifest['min_cell_count']}, Kaplan-Meier table {p.manifest['km_resolution']}",
            )
            for p in study.packages
        ]
        rows += [("Confidence intervals", study.ci_method)]
        analysed = _analysed(study)
        page = render_report_page(
            title=title,
            paper=paper,
            study=name,
            subtitle=f"Pooled from {len(study.sites)} site packages ({', '.join(study.sites)}) · "
            + (
                f"{analysed} patients analysed"
                if analysed is not None
                else "patients analysed: see the patient flow"
            )
            + f" · primary analysis {'/'.join(study.primary_analysis)}",
            suppression="Aggregate data only: every number comes from the sites' packages, in "
            "which small counts were suppressed; † marks a pooled value from which a site was "
            "left out because it had hidden the count.",
            alerts=(),
            headline=pooled_headline(study),
            methods=_methods(study),
            results=list(study.notes),
            documents=documents,
            layouts=layouts,
            figures=figures,
            provenance_rows=rows,
            generated_at=generated_at,
        )
        (out / "report.html").write_text(page, encoding="utf-8")
        printed = prints_pdf(pdf)
        if printed:
            print_to_pdf(out / "report.html", out / "report.pdf")
    out = Path(out_dir)
    return {
        "html": out / "report.html",
        "pdf": out / "report.pdf" if printed else None,
        "xlsx": out / "tables.xlsx",
        "docx": out / "tables.docx",
        "tables": out / "tables",
        "figures": out / "figures",
    }
