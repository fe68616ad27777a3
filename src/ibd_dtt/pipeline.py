"""Composes the stages: read -> validate -> score. The only module that imports them all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ibd_dtt.config import StudyConfig
from ibd_dtt.readers import read_registry
from ibd_dtt.scores import add_scores, classify_montreal_age
from ibd_dtt.validate import ValidationResult, validate


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
    """Add instrument totals/bands to validated assessments and the Montreal age class."""
    tables = validation.tables
    patients = tables["patients"].copy()
    patients["montreal_age"] = classify_montreal_age(patients["age_at_diagnosis"])
    return ScoredRegistry(
        validation,
        patients,
        tables["therapies"].copy(),
        add_scores(tables["assessments"]),
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
