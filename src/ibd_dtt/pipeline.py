"""Composes the stages: read -> validate -> score -> episodes -> windows -> outcomes.

The only module that imports them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ibd_dtt.config import StudyConfig
from ibd_dtt.eligibility import attrition_table, screen_eligibility
from ibd_dtt.episodes import (
    EpisodeOptions,
    derive_concomitant_therapies,
    derive_dtt_episodes,
    select_index_episodes,
)
from ibd_dtt.errors import ConfigError
from ibd_dtt.outcomes import (
    DefinitionSet,
    evaluate_outcomes,
    load_definition_set,
    summarise_outcomes,
)
from ibd_dtt.outcomes.imputation import pool_imputations
from ibd_dtt.outputs import neutralise_formulas
from ibd_dtt.readers import read_registry
from ibd_dtt.scores import add_scores, classify_montreal_age_between, derive_age_at_diagnosis
from ibd_dtt.validate import ValidationResult, validate
from ibd_dtt.windows import VisitWindows, derive_analysis_visits, load_visit_windows
from ibd_dtt.windows.visits import derive_locf_records


@dataclass
class ScoredRegistry:
    """Validated tables with scores added to assessments and Montreal age to patients."""

    validation: ValidationResult
    patients: pd.DataFrame
    therapies: pd.DataFrame
    assessments: pd.DataFrame
    adverse_events: pd.DataFrame


def load_registry(
    source: str | Path, config: StudyConfig | str | Path | None = None
) -> ValidationResult:
    """Read and validate a registry dataset (CSV folder or .xlsx workbook)."""
    return validate(read_registry(source, config))


def score_registry(validation: ValidationResult) -> ScoredRegistry:
    """Add instrument totals/bands to validated assessments, the age at diagnosis (recorded,
    or derived from the birth year with its bounds) and the Montreal age class."""
    tables = validation.tables
    patients = derive_age_at_diagnosis(tables["patients"])
    patients["montreal_age"] = classify_montreal_age_between(
        patients["age_at_diagnosis_min"], patients["age_at_diagnosis_max"]
    )
    return ScoredRegistry(
        validation,
        patients,
        tables["therapies"].copy(),
        add_scores(
            tables["assessments"],
            validation.config.blank_hbi_complications if validation.config else "missing",
        ),
        tables["adverse_events"].copy(),
    )


def summarise_registry(scored: ScoredRegistry) -> dict[str, pd.DataFrame]:
    """Small descriptive tables of what was read (counts computed from the data)."""
    p = scored.patients
    by_dx = p.groupby("diagnosis", dropna=False).agg(
        patients=("patient_id", "size"),
        female=("sex", lambda s: int((s == "F").sum())),
        mean_age_at_diagnosis=("age_at_diagnosis", "mean"),
    )
    total = pd.DataFrame(
        {
            "patients": [len(p)],
            "female": [int((p["sex"] == "F").sum())],
            "mean_age_at_diagnosis": [p["age_at_diagnosis"].mean()],
        },
        index=pd.Index(["all"], name="diagnosis"),
    )
    cohort = pd.concat([by_dx, total]).round(2)
    advanced = scored.therapies[scored.therapies["drug_category"] == "advanced"]
    drugs = advanced.groupby("drug").agg(
        courses=("patient_id", "size"), patients=("patient_id", "nunique")
    )
    a = scored.assessments
    score_cols = [
        "partial_mayo",
        "full_mayo",
        "mayo_endoscopic",
        "hbi",
        "ses_cd",
        "limberg",
        "crp",
        "albumin",
    ]
    scores = pd.DataFrame(
        {
            "visits_with_value": [int(a[c].notna().sum()) for c in score_cols],
            "min": [a[c].min() for c in score_cols],
            "median": [a[c].median() for c in score_cols],
            "max": [a[c].max() for c in score_cols],
        },
        index=pd.Index(score_cols, name="score"),
    )
    ae = scored.adverse_events
    safety = pd.DataFrame(
        {"adverse_events": [len(ae)], "patients_with_event": [ae["patient_id"].nunique()]}
    )
    safety.index = pd.Index(["all"], name="patients")
    return {
        "cohort": cohort,
        "advanced therapy courses (all lines, prior and after DTT included)": drugs,
        "scores (all visits)": scores,
        "adverse events": safety,
    }


@dataclass
class AnalysisResult:
    """Everything the outcome stage derived, each table traceable to its input rows."""

    definitions: DefinitionSet
    windows: VisitWindows
    strategy: str
    episodes: pd.DataFrame
    concomitant: pd.DataFrame
    screening: pd.DataFrame
    attrition: pd.DataFrame
    visits: pd.DataFrame
    candidates: pd.DataFrame
    outcomes: pd.DataFrame
    summary: pd.DataFrame
    exclusions: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "episodes": self.episodes,
            "concomitant_therapies": self.concomitant,
            "eligibility": self.screening,
            "attrition": self.attrition,
            "analysis_visits": self.visits,
            "visit_candidates": self.candidates,
            "outcomes": self.outcomes,
            "outcome_summary": self.summary,
            "exclusions": self.exclusions,
        }

    def write(
        self, out_dir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")
    ) -> list[Path]:
        """Write every table as CSV and/or Parquet; returns the files written.

        CSV is written by Arrow, whose CSV writer is about 20 times faster
        than pandas' on the large patient-level datasets (RFC 4180 CSV: text fields quoted,
        booleans as true/false, empty cells for missing values). Text that a spreadsheet
        would run as a formula is prefixed with ``'`` in the CSV (not in Parquet).
        """
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.tables().items():
            if "csv" in formats:
                pa_csv.write_csv(
                    pa.Table.from_pandas(
                        neutralise_formulas(_dates_as_days(frame)), preserve_index=False
                    ),
                    out / f"{name}.csv",
                )
                written.append(out / f"{name}.csv")
            if "parquet" in formats:
                frame.to_parquet(out / f"{name}.parquet", index=False)
                written.append(out / f"{name}.parquet")
        return written


def _dates_as_days(frame: pd.DataFrame) -> pd.DataFrame:
    """Date-time columns that hold whole days, as dates (CSV shows 2024-01-31, not
    2024-01-31 00:00:00)."""
    converted = {}
    for column in frame.columns:
        values = frame[column]
        if (
            pd.api.types.is_datetime64_any_dtype(values)
            and (values.dropna() == values.dropna().dt.normalize()).all()
        ):
            converted[column] = values.dt.date
    return frame.assign(**converted) if converted else frame


def _exclusions(
    validation: ValidationResult, screening: pd.DataFrame, outcomes: pd.DataFrame
) -> pd.DataFrame:
    rejected = validation.rejected[validation.rejected["table"] == "patients"]
    parts = [
        pd.DataFrame(
            {
                "patient_id": rejected["patient_id"],
                "stage": "validation",
                "outcome": None,
                "timepoint": None,
                "reason": "patients row "
                + rejected["row"].astype(str)
                + ": "
                + rejected["reasons"],
            }
        ),
        pd.DataFrame(
            {
                "patient_id": screening.loc[screening["decision"] == "excluded", "patient_id"],
                "stage": "eligibility",
                "outcome": None,
                "timepoint": None,
                "reason": screening.loc[screening["decision"] == "excluded", "reasons"],
            }
        ),
    ]
    missing = outcomes[outcomes["result"] == "not_evaluable"]
    parts.append(
        pd.DataFrame(
            {
                "patient_id": missing["patient_id"],
                "stage": "outcome:" + missing["definition_set"] + ":" + missing["strategy"],
                "outcome": missing["outcome"],
                "timepoint": missing["timepoint"],
                "reason": missing["reason"],
            }
        )
    )
    return pd.concat([p for p in parts if len(p)], ignore_index=True).reindex(
        columns=["patient_id", "stage", "outcome", "timepoint", "reason"]
    )


def analyse_registry(
    scored: ScoredRegistry,
    definitions: str | Path | DefinitionSet = "paper",
    strategy: str = "as-observed",
    windows: str | Path | VisitWindows | None = None,
    after_episode: str | None = None,
    episode_options: EpisodeOptions | None = None,
    jobs: int = 1,
) -> AnalysisResult:
    """Episodes -> eligibility -> windowed visits -> outcomes, for one definition set and
    one missing-data strategy (``as-observed``, ``nri``, ``locf`` or ``mi``: multiple
    imputation, :mod:`ibd_dtt.outcomes.imputation`).

    ``after_episode`` overrides both the window set and the definition set. ``jobs``:
    processes to evaluate the outcomes in (same result for any number).
    """
    config = scored.validation.config
    if config is None:
        raise ConfigError("no study configuration: the data cut date is needed")
    if not isinstance(definitions, DefinitionSet):
        definitions = load_definition_set(definitions)
    if not isinstance(windows, VisitWindows):
        windows = load_visit_windows(windows)
    policy = after_episode or definitions.after_episode
    if policy:
        windows = windows.model_copy(update={"after_episode": policy})
    episode_options = episode_options or EpisodeOptions(
        min_overlap_days=config.dtt_min_overlap_days
    )
    all_episodes = derive_dtt_episodes(scored.therapies, config.data_cut_date, episode_options)
    index = select_index_episodes(all_episodes)
    screening = screen_eligibility(scored.patients, index)
    analysed_ids = set(screening.loc[screening["decision"] == "analysed", "patient_id"])
    analysed = index[index["patient_id"].isin(analysed_ids)].reset_index(drop=True)
    patients_in = scored.validation.input_rows.get("patients", len(scored.patients))
    attrition = attrition_table(screening, patients_in, patients_in - len(scored.patients))
    windowed = derive_analysis_visits(scored.assessments, analysed, windows)
    visits = windowed.visits
    if strategy == "locf":
        visits = derive_locf_records(visits, analysed, windows, config.data_cut_date)
    outcomes = evaluate_outcomes(
        visits,
        analysed,
        scored.patients,
        scored.therapies,
        definitions,
        windows,
        config,
        strategy,  # type: ignore[arg-type]
        workers=jobs,
    )
    return AnalysisResult(
        definitions=definitions,
        windows=windows,
        strategy=strategy,
        episodes=all_episodes,
        concomitant=derive_concomitant_therapies(scored.therapies, analysed),
        screening=screening,
        attrition=attrition,
        visits=visits,
        candidates=windowed.candidates,
        outcomes=outcomes,
        summary=pool_imputations(outcomes) if strategy == "mi" else summarise_outcomes(outcomes),
        exclusions=_exclusions(scored.validation, screening, outcomes),
    )
