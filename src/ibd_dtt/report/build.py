"""Assemble the report: every table, the headline numbers and the analysis datasets."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ibd_dtt.episodes import select_index_episodes
from ibd_dtt.errors import IbdDttError
from ibd_dtt.report.baseline import table_baseline_characteristics, table_clinical_baseline
from ibd_dtt.report.centers import (
    BY_CHOICES,
    centers_of,
    table_baseline_by_center,
    table_outcomes_by_center,
)
from ibd_dtt.report.cohort import Cohort, build_cohort
from ibd_dtt.report.completeness import evaluability_alerts, table_data_completeness
from ibd_dtt.report.effects import table_effects, table_repeated_labs
from ibd_dtt.report.followup import (
    MAIN_OUTCOMES,
    table_lab_changes,
    table_response,
    tables_patient_listings,
)
from ibd_dtt.report.model import ReportTable
from ibd_dtt.report.safety import (
    table_drugs_and_regimens,
    table_persistence,
    table_safety,
    table_steroid_withdrawal,
)
from ibd_dtt.report.strobe import table_strobe
from ibd_dtt.stats import proportion_ci
from ibd_dtt.stats.comparisons import using_rank_tests
from ibd_dtt.stats.format import using_percent_decimals


@dataclass
class Report:
    """The computed report: tables (numbers + text), headline figures and provenance."""

    cohort: Cohort
    tables: dict[str, ReportTable]
    headline: pd.DataFrame
    analyses: list  # AnalysisResult, primary first
    scored: object  # ScoredRegistry
    ci_method: str
    provenance: dict = field(default_factory=dict)
    # shown at the top of the report: a primary outcome with nothing evaluable, and why
    alerts: tuple[str, ...] = ()
    percent_decimals: int = 1
    rank_tests: str = "scipy"
    # outcomes of the primary analysis with no evaluable patient at any timepoint: their
    # definitions are left out of the Methods (the alerts say why)
    unevaluable: tuple[str, ...] = ()
    # "center" for a report with results by center (``--by center``), else None
    by: str | None = None

    @property
    def primary(self):
        return self.analyses[0]


def summarise_headline(primary, cohort: Cohort, ci_method: str) -> pd.DataFrame:
    """The figures the paper's abstract reports, computed from the primary analysis."""
    s = primary.summary[primary.summary["group"] == "all"]
    rows = []
    for outcome, timepoint in (
        ("clinical_response", "month_3"),
        ("clinical_response", "month_6"),
        ("clinical_response", "month_9"),
        ("clinical_response", "month_12"),
        ("endoscopic_response", "by_month_9"),
        ("steroid_withdrawal", "month_3"),
    ):
        cell = s[(s["outcome"] == outcome) & (s["timepoint"] == timepoint)]
        if cell.empty or int(cell["evaluable"].iloc[0]) == 0:
            continue
        if "mi_ci_low" in cell and pd.notna(cell["mi_ci_low"].iloc[0]):
            # multiple imputation: the pooled estimate, never a truncated count
            first = cell.iloc[0]
            rows.append(
                {
                    "measure": outcome,
                    "timepoint": timepoint,
                    "n": float(first["responders"]),
                    "total": int(first["evaluable"]),
                    "percent": float(first["percent"]),
                    "ci_low": float(first["mi_ci_low"]),
                    "ci_high": float(first["mi_ci_high"]),
                }
            )
            continue
        prop = proportion_ci(
            int(cell["responders"].iloc[0]), int(cell["evaluable"].iloc[0]), ci_method
        )
        rows.append(
            {
                "measure": outcome,
                "timepoint": timepoint,
                "n": prop.n,
                "total": prop.total,
                "percent": prop.percent,
                "ci_low": prop.ci_low,
                "ci_high": prop.ci_high,
            }
        )
    ae = cohort.adverse_events[cohort.adverse_events["during_dtt"]]
    prop = proportion_ci(int(ae["patient_id"].nunique()), len(cohort.patients), ci_method)
    rows.append(
        {
            "measure": "adverse_event_patients",
            "timepoint": "during_dtt",
            "n": prop.n,
            "total": prop.total,
            "percent": prop.percent,
            "ci_low": prop.ci_low,
            "ci_high": prop.ci_high,
        }
    )
    female = proportion_ci(
        int((cohort.patients["sex"] == "F").sum()), len(cohort.patients), ci_method
    )
    rows.append(
        {
            "measure": "female",
            "timepoint": "baseline",
            "n": female.n,
            "total": female.total,
            "percent": female.percent,
            "ci_low": female.ci_low,
            "ci_high": female.ci_high,
        }
    )
    return pd.DataFrame(rows)


# Score columns: the registry has no clinical or endoscopic score when all are empty (an
# extract from an EHR / OMOP CDM, where scores are not recorded as structured data).
SCORE_COLUMN_PREFIXES = ("mayo_", "hbi_", "ses_", "partial_mayo", "cd_pro2_", "uceis_")


def has_scores(assessments: pd.DataFrame) -> bool:
    """Whether any assessment records a clinical or endoscopic score item or total."""
    from ibd_dtt.contract.tables import ASSESSMENTS

    recorded = {c.name for c in ASSESSMENTS.columns}  # inputs, not columns derived by scoring
    columns = [
        c for c in assessments.columns if c.startswith(SCORE_COLUMN_PREFIXES) and c in recorded
    ]
    return bool(columns) and bool(assessments[columns].notna().any().any())


def unevaluable_outcomes(primary) -> tuple[str, ...]:
    """Outcomes of the primary analysis with no evaluable patient at any timepoint."""
    s = primary.summary
    overall = s[s["group"] == "all"].groupby("outcome")["evaluable"].sum()
    return tuple(d.id for d in primary.definitions.outcomes if int(overall.get(d.id, 0)) == 0)


def source_alerts(scored, primary, labels: dict[str, str]) -> list[str]:
    """The banner for data without scores: which outcomes cannot be evaluated, and why."""
    if has_scores(scored.assessments):
        return []
    missing = [labels.get(o, o) for o in unevaluable_outcomes(primary)]
    if not missing:
        return []
    return [
        "The data hold no clinical or endoscopic score (partial Mayo, HBI, Mayo endoscopic "
        "subscore, SES-CD), as in an extract from electronic health records (OMOP CDM), where "
        "scores are not recorded as structured data. These outcomes cannot be evaluated and "
        "their definitions are left out of the Methods: " + "; ".join(missing) + ". The report "
        "gives exposure, persistence, laboratory values and safety."
    ]


def measured_values(visits: pd.DataFrame) -> pd.DataFrame:
    """The analysis visits without censored values (``<5``, ``>100``) and with no change
    computed from a censored baseline."""
    if "censored" not in visits.columns:
        return visits
    measured = visits[visits["censored"].isna()]
    if measured["baseline_censored"].notna().any():
        measured = measured.copy()
        bad = measured["baseline_censored"].notna()
        measured.loc[bad, ["baseline_value", "change", "percent_change"]] = np.nan
    return measured


def build_report(
    scored,
    analyses: list,
    ci_method: str = "clopper-pearson",
    percent_decimals: int = 1,
    rank_tests: str = "scipy",
    by: str | None = None,
) -> Report:
    """Compute every table of the report from a scored registry and one or more analyses
    (the first is the primary analysis; the others are sensitivity analyses shown beside it
    in the response tables). The figures are drawn by :func:`~ibd_dtt.report.write_report`.

    ``percent_decimals``: decimals of every percentage (1; 2 reproduces the paper's print).
    ``rank_tests``: ``scipy`` (default) or ``r`` - the Mann-Whitney and Wilcoxon
    signed-rank tests as R's ``wilcox.test`` defaults (docs/statistics.md).
    ``by="center"``: add the primary outcomes, baseline characteristics and safety per
    center, with the test of heterogeneity across centers (:mod:`ibd_dtt.report.centers`).
    """
    if by is not None and by not in BY_CHOICES:
        raise ReportError(f"--by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    with using_percent_decimals(percent_decimals), using_rank_tests(rank_tests):
        report = _build_report(scored, analyses, ci_method, by)
    report.percent_decimals = percent_decimals
    report.rank_tests = rank_tests
    report.by = by
    return report


class ReportError(IbdDttError, ValueError):
    """The report cannot be made as asked (the message says why)."""


def _center_tables(cohort: Cohort, analyses: list, labels: dict, ci_method: str) -> list:
    """The by-center tables, from the first analysis that counts patients (multiple
    imputation has no per-patient result to count by center)."""
    centers = centers_of(cohort.patients)
    if len(centers) < 2:
        raise ReportError(
            "--by center needs at least two centers among the analysed patients; found "
            + (f"only {centers[0]!r}" if centers else "none")
            + " in the patients table's center column"
        )
    analysis = next((a for a in analyses if a.strategy != "mi"), None)
    if analysis is None:
        raise ReportError(
            "--by center counts patients per center: add a --missing strategy other than "
            "mi (as-observed or nri)"
        )
    return [
        table_outcomes_by_center(analysis, cohort.patients, labels, ci_method),
        table_baseline_by_center(cohort),
        table_safety(cohort, by="center"),
    ]


def _build_report(scored, analyses: list, ci_method: str, by: str | None = None) -> Report:
    if not analyses:
        raise ValueError("`analyses` needs at least the primary analysis")
    primary = analyses[0]
    config = scored.validation.config
    cohort = build_cohort(
        scored.patients,
        scored.therapies,
        scored.adverse_events,
        select_index_episodes(primary.episodes),
        primary.screening,
        config.data_cut_date,
    )
    labels = {d.id: d.label for a in analyses for d in a.definitions.outcomes}
    summaries = [a.summary for a in analyses]
    secondary = tuple(
        dict.fromkeys(
            d.id
            for a in analyses
            for d in a.definitions.outcomes
            if d.id not in MAIN_OUTCOMES and d.id != "steroid_withdrawal"
        )
    )
    # Censored lab values (<5, >100) are bounds, not measurements: the outcome rules use
    # them where the bound decides; listings, means and changes use measured values only.
    measured = measured_values(primary.visits)
    maintained, discontinued = tables_patient_listings(
        cohort, primary.outcomes, measured, primary.concomitant
    )
    tables = [
        table_baseline_characteristics(cohort),
        table_clinical_baseline(cohort, measured, primary.concomitant),
        maintained,
        discontinued,
        table_response(summaries, labels, ci_method),
        table_response(
            summaries,
            labels,
            ci_method,
            outcomes=secondary,
            key="secondary_outcomes",
            title="Remission and other outcomes",
        ),
        table_lab_changes(cohort, measured),
        table_steroid_withdrawal(cohort, primary.concomitant, primary.summary),
        table_drugs_and_regimens(cohort),
        table_persistence(cohort),
        table_safety(cohort),
        table_data_completeness(cohort, primary.visits, primary.windows),
    ]
    safety = next(t for t in tables if t.key == "safety")
    tables.insert(len(tables) - 1, table_effects(cohort, primary, safety))
    labs_at = next(i for i, t in enumerate(tables) if t.key == "lab_changes")
    tables.insert(labs_at + 1, table_repeated_labs(cohort, measured, primary.windows))
    if by == "center":
        tables += _center_tables(cohort, analyses, labels, ci_method)
    attrition = primary.attrition
    tables.append(
        ReportTable(
            "attrition",
            "Patient flow (STROBE)",
            attrition,
            attrition.rename(
                columns={
                    "step": "Step",
                    "patients": "Patients leaving / remaining",
                    "meeting_criterion": "Meeting the criterion",
                }
            ),
            ("Each patient leaves at the first step that removes them.",),
        )
    )
    by_key = {t.key: t for t in tables}
    strobe = table_strobe(by_key, list(analyses), attrition, str(cohort.data_cut.date()))
    by_key[strobe.key] = strobe
    return Report(
        cohort,
        by_key,
        summarise_headline(primary, cohort, ci_method),
        list(analyses),
        scored,
        ci_method,
        alerts=tuple(
            source_alerts(scored, primary, labels)
            or evaluability_alerts(primary, cohort, scored.validation.report.warnings)
        ),
        unevaluable=unevaluable_outcomes(primary),
    )
