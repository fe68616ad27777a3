"""The report's prose: a methods paragraph written from the configuration actually used, and
a results paragraph from the computed headline numbers. Nothing here is typed by hand."""

from __future__ import annotations

from ibd_dtt.outcomes.describe import describe_outcome
from ibd_dtt.stats.format import format_percent, round_half_up

AFTER_EPISODE_TEXT = {
    "exclude": "Assessments after the DTT episode ended were not attributed to DTT.",
    "include_after_deescalation": "Assessments after a planned de-escalation for remission "
    "to one of the DTT agents were attributed to DTT; after any other ending they were not.",
    "include": "Assessments after the DTT episode ended were attributed to DTT.",
}
STRATEGY_TEXT = {
    "as-observed": "patients without an assessment in a window were not evaluable at that "
    "timepoint (as observed)",
    "nri": "patients who stopped DTT for failure or an adverse event were counted as "
    "non-responders at later timepoints (non-responder imputation)",
    "locf": "the last observation on DTT was carried forward into later windows (LOCF), "
    "never past a stop for failure (non-response)",
    "mi": "missing outcomes while on DTT were multiply imputed (20 imputations, stratified by "
    "diagnosis and previous status; stops for failure counted as non-response) and pooled "
    "by Rubin's rules",
}
MEASURE_LABELS = {
    "clinical_response": "clinical response",
    "endoscopic_response": "endoscopic response",
    "steroid_withdrawal": "corticosteroids withdrawn (patients on them at DTT start)",
    "adverse_event_patients": "patients with an adverse event",
    "female": "female",
}
TIMEPOINT_TEXT = {
    "month_3": "at 3 months",
    "month_6": "at 6 months",
    "month_9": "at 9 months",
    "month_12": "at 12 months",
    "by_month_9": "within 9 months",
    "during_dtt": "during DTT",
    "baseline": "",
}


def _pct(row) -> str:
    return format_percent(row["percent"])


def _ci(row) -> str:
    return f"{format_percent(100 * row['ci_low'])}–{format_percent(100 * row['ci_high'])}"


def _masked(row, min_cell_count: int) -> bool:
    return min_cell_count > 0 and (
        0 < row["n"] < min_cell_count or 0 < row["total"] - row["n"] < min_cell_count
    )


def _count(n: float) -> str:
    """A count, or a mean count over imputations with one decimal (7.8)."""
    return str(int(n)) if float(n).is_integer() else round_half_up(n, 1)


def headline_cards(report, min_cell_count: int = 0) -> list[dict]:
    cards = []
    for _, row in report.headline.iterrows():
        when = TIMEPOINT_TEXT.get(row["timepoint"], row["timepoint"])
        if row["measure"] == "steroid_withdrawal":
            when = "within 3 months"
        label = f"{MEASURE_LABELS.get(row['measure'], row['measure'])} {when}".strip()
        if _masked(row, min_cell_count):
            value = f"suppressed (n < {min_cell_count})"
        else:
            value = f"{_pct(row)} % ({_count(row['n'])}/{int(row['total'])})"
        cards.append({"label": label, "value": value})
    return cards


def methods_paragraphs(report) -> list[str]:
    a = report.primary
    w = a.windows
    d = a.definitions
    windows = "; ".join(
        f"{t.label} = day {t.lower_day} to {t.upper_day} (target day {t.target_day})"
        for t in w.timepoints
    )
    periods = "; ".join(f"{p.label} = day {p.lower_day} to {p.upper_day}" for p in w.periods)
    unevaluable = set(getattr(report, "unevaluable", ()))
    outcomes = "; ".join(describe_outcome(o) for o in d.outcomes if o.id not in unevaluable)
    left_out = [o.label for o in d.outcomes if o.id in unevaluable]
    if left_out:
        outcomes = (outcomes + ". " if outcomes else "") + (
            "Not evaluable in these data (no evaluable patient at any timepoint) and not "
            "defined here: " + "; ".join(left_out)
        )
    ci = "Clopper-Pearson (exact)" if report.ci_method == "clopper-pearson" else "Wilson score"
    sensitivity = [
        f"{x.definitions.name} v{x.definitions.version} with {x.strategy}"
        for x in report.analyses[1:]
    ]
    return [
        "Day 0 was the start of dual-targeted therapy (DTT): the day a second advanced "
        "therapy of a different mechanism class was added while the first was running. The "
        "DTT episode ended at the first stop of either agent or at the data cut "
        f"({report.cohort.data_cut.date()}). Baseline was the last assessment from day "
        f"{w.baseline.lower_day} to day {w.baseline.upper_day}. Follow-up visit windows "
        f"(visit windows v{w.version}): {windows}"
        + (f"; periods: {periods}" if periods else "")
        + ". In each window the assessment closest to the target day was used (ties to the "
        f"earlier visit). {AFTER_EPISODE_TEXT[w.after_episode]}",
        f"Outcomes followed the definition set '{d.title}' (ibd-dtt set '{d.name}', version "
        f"{d.version}; source: {d.source}): {outcomes}. For missing data, "
        f"{STRATEGY_TEXT.get(a.strategy, a.strategy)}."
        + (f" Sensitivity analyses: {'; '.join(sensitivity)}." if sensitivity else ""),
        "Categorical variables are reported as n (%) and continuous variables as median "
        "(Q1–Q3) and mean (SD). Proportions have 95 % confidence intervals by the "
        f"{ci} method. Groups were compared with Pearson's chi-square test when Cochran's rule "
        "held (no expected count < 1 and at most 20 % below 5; all ≥ 5 for 2 × 2 tables) and "
        "with Fisher's exact test otherwise; continuous variables with the Mann-Whitney U or "
        "Kruskal-Wallis test, and paired before/after values with the Wilcoxon signed-rank "
        "test. Adverse events are given as patients with ≥ 1 event (%) and as incidence per "
        "100 patient-years with exact Poisson intervals. Persistence on DTT was estimated by "
        "the Kaplan-Meier method (median and its confidence interval as R's survfit) and "
        "compared with the log-rank test. Tests were two-sided with p < 0.05 considered "
        "significant.",
        p_value_methods(getattr(report, "rank_tests", "scipy")),
    ]


def p_value_methods(rank_tests: str = "scipy") -> str:
    """How each p-value was computed (exact or approximate, continuity correction) and with
    which software, for the Methods section."""
    from importlib.metadata import version

    if rank_tests == "r":
        ranks = (
            "the Mann-Whitney U and Wilcoxon signed-rank tests follow R's wilcox.test "
            "defaults: exact with fewer than 50 observations per group (or non-zero pairs) "
            "and no ties or zero differences, otherwise the normal approximation with "
            "continuity and tie correction"
        )
    else:
        ranks = (
            "the Mann-Whitney U test is exact when a group has at most 8 values and there "
            "are no ties, otherwise the normal approximation with continuity and tie "
            "correction; the Wilcoxon signed-rank test (zero differences dropped) is exact "
            "with at most 50 pairs and no ties or zeros, an exact permutation over every "
            "sign pattern with ties or zeros up to 13 pairs, otherwise the normal "
            "approximation without continuity correction"
        )
    return (
        "P-values: chi-square asymptotic, without continuity correction; Fisher's exact "
        "test by enumerating every table with the observed margins (Monte Carlo with a fixed "
        "seed only above 2,000,000 tables, named in the table's footnote); "
        f"{ranks}; Kruskal-Wallis and log-rank asymptotic chi-square. Software: ibd-dtt "
        f"{version('ibd-dtt')}, SciPy {version('scipy')}, statsmodels "
        f"{version('statsmodels')}."
    )


def results_paragraphs(report, min_cell_count: int = 0) -> list[str]:
    p = report.cohort.patients
    attrition = report.primary.attrition
    n_input = int(attrition.iloc[0]["patients"])
    dx = p["diagnosis"].value_counts()
    parts = [
        f"Of {n_input} patients in the input, {len(p)} were analysed ("
        + ", ".join(f"{n} {d}" for d, n in dx.sort_index(ascending=False).items())
        + ")."
    ]
    h = report.headline.set_index(["measure", "timepoint"])
    clinical = [
        (tp, h.loc[("clinical_response", tp)])
        for tp in ("month_3", "month_6", "month_9", "month_12")
        if ("clinical_response", tp) in h.index
    ]
    if clinical:
        items = [
            (
                "suppressed"
                if _masked(r, min_cell_count)
                else f"{_pct(r)} % ({_count(r['n'])}/{int(r['total'])}; 95 % CI {_ci(r)})"
            )
            + f" {TIMEPOINT_TEXT[tp]}"
            for tp, r in clinical
        ]
        parts.append("Clinical response was " + ", ".join(items) + ".")
    for measure, tp, text in (
        ("endoscopic_response", "by_month_9", "Endoscopic response within 9 months was"),
        ("steroid_withdrawal", "month_3", "Corticosteroids were withdrawn within 3 months in"),
        ("adverse_event_patients", "during_dtt", "Adverse events during DTT occurred in"),
    ):
        if (measure, tp) in h.index:
            r = h.loc[(measure, tp)]
            value = (
                "a suppressed number of patients"
                if _masked(r, min_cell_count)
                else f"{_pct(r)} % ({_count(r['n'])}/{int(r['total'])}; 95 % CI {_ci(r)})"
            )
            parts.append(f"{text} {value}.")
    persistence = report.tables["persistence"].data
    overall = persistence[persistence["group"] == "all"]
    if not overall.empty:
        median = overall["median"].iloc[0]
        parts.append(
            f"{int(overall['events'].iloc[0])} of {int(overall['n'].iloc[0])} patients ended "
            "DTT during follow-up; median persistence "
            + (
                "was not reached."
                if median is None or median != median
                else f"was {round_half_up(median, 1)} months."
            )
        )
    return [" ".join(parts)]
