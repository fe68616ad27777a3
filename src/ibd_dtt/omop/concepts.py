"""Concept sets shipped as data (``omop/concepts/*.csv`` and the drug catalogue), with the
evidence for each code (clinical.md sections 3.2, 5 and 8).

- drugs: advanced therapies, immunomodulators and corticosteroids come from the drug
  catalogue (``catalogue/drugs.csv``: OMOP ingredient concept, mechanism class, dosing
  interval), so the registry and the EHR path share one list;
- ``conditions.csv``: Crohn's disease and ulcerative colitis (descendants included through
  ``concept_ancestor``);
- ``measurements.csv``: lab concepts with the unit concepts accepted for each contract column
  (a value in any other unit is not converted but listed in the extraction log);
- ``adverse_events.csv``: condition concepts counted as adverse events during DTT, by OMOP
  concept ID or SNOMED code (resolved through the CDM's ``concept`` table).

A site can replace any of the three CSV files with its own (``--concepts FOLDER``), e.g. to
add local concepts for partial Mayo or HBI items stored as measurements: a row of
``measurements.csv`` whose ``column`` is an ``assessments`` column of the data contract.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.contract import TABLES
from ibd_dtt.errors import IbdDttError

SHIPPED = Path(__file__).with_name("concepts")
CONCEPT_FILES = {
    "conditions": ("concept_set", "concept_id"),
    "measurements": ("column", "concept_id", "unit"),
    "adverse_events": ("term", "category"),
}
# Columns a file may leave out: read as empty, so every consumer can rely on them.
OPTIONAL_COLUMNS = {
    "conditions": (),
    "measurements": ("unit_concept_id", "unit_source_values"),
    "adverse_events": ("concept_id", "snomed_code"),
}
DRUG_CATEGORIES = ("advanced", "immunomodulator", "corticosteroid")


class ConceptSetError(IbdDttError):
    """A concept-set file is missing a column or has an unusable row."""


def drug_concepts(categories: tuple[str, ...] = ("advanced",)) -> pd.DataFrame:
    """Ingredients of the drug catalogue in ``categories``: OMOP ingredient ``concept_id``,
    ``drug`` (abbreviation), ``category``, ``mechanism_class``, ``interval_days``.

    >>> drug_concepts().set_index("drug").loc["UST", ["concept_id", "interval_days"]].tolist()
    [40161532, 56]
    """
    drugs = [
        d
        for d in load_drug_catalogue().drugs
        if d.category in categories and d.omop_concept_id is not None
    ]
    return pd.DataFrame(
        {
            "concept_id": pd.Series([d.omop_concept_id for d in drugs], dtype="int64"),
            "drug": [d.abbreviation for d in drugs],
            "category": [d.category for d in drugs],
            "mechanism_class": [d.mechanism_class for d in drugs],
            "interval_days": pd.Series([d.maintenance_interval_days for d in drugs], dtype="int64"),
        }
    )


def load_concept_set(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """One concept-set file: the site's copy in ``folder`` when it has one, else ours."""
    if name not in CONCEPT_FILES:
        raise ValueError(f"unknown concept set {name!r}; known: {', '.join(CONCEPT_FILES)}")
    path = SHIPPED / f"{name}.csv"
    if folder is not None and (Path(folder) / f"{name}.csv").exists():
        path = Path(folder) / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CONCEPT_FILES[name] if c not in frame.columns]
    if missing:
        raise ConceptSetError(f"{path} lacks column(s) {', '.join(missing)}")
    for column in OPTIONAL_COLUMNS[name]:
        if column not in frame.columns:
            frame[column] = ""
    problems = []
    for column in ("concept_id", "unit_concept_id"):
        if column in frame:
            bad = frame[column].ne("") & ~frame[column].str.fullmatch(r"\d+")
            problems += [
                f"row {i + 2}: {column} {v!r} is not a concept ID"
                for i, v in frame.loc[bad, column].items()
            ]
            numbers = pd.to_numeric(frame[column].replace("", None), errors="coerce")
            frame[column] = numbers.astype("Int64")
    if name == "measurements":
        assessment_columns = set(TABLES["assessments"].column_names)
        unknown = ~frame["column"].isin(assessment_columns)
        problems += [
            f"row {i + 2}: {v!r} is not an assessments column of the data contract"
            for i, v in frame.loc[unknown, "column"].items()
        ]
    if name == "adverse_events":
        unresolvable = frame["concept_id"].isna() & frame["snomed_code"].eq("")
        problems += [
            f"row {i + 2}: needs a concept_id or a snomed_code" for i in frame.index[unresolvable]
        ]
    if problems:
        raise ConceptSetError(f"{path}: " + "; ".join(problems))
    return frame
