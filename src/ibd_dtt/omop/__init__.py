"""The EHR front door (OMOP CDM): open a CDM on DuckDB, PostgreSQL or Spark, find drug-aware
treatment eras, DTT combination episodes and treatment pathways (Ibis expressions, so one
implementation runs on every backend), and extract the registry tables so that the registry
pipeline runs unchanged on EHR data. Rules: docs/omop.md."""

from importlib import import_module

# Imported when first used (PEP 562): a command that needs the eras does not pay for the
# extraction's imports.
_HOMES = {
    "CdmError": "cdm",
    "open_cdm": "cdm",
    "require": "cdm",
    "drug_concepts": "concepts",
    "load_concept_set": "concepts",
    "derive_ibd_cohort": "conditions",
    "derive_combination_episodes": "episodes",
    "advanced_therapy_concepts": "eras",
    "derive_drug_eras": "eras",
    "Extraction": "extract",
    "ExtractOptions": "extract",
    "extract_registry": "extract",
    "write_extraction": "extract",
    "PathwaySummary": "pathway_summary",
    "summarise_pathways": "pathway_summary",
    "derive_treatment_pathways": "pathways",
}

__all__ = [
    "CdmError",
    "ExtractOptions",
    "Extraction",
    "PathwaySummary",
    "advanced_therapy_concepts",
    "derive_combination_episodes",
    "derive_drug_eras",
    "derive_ibd_cohort",
    "derive_treatment_pathways",
    "drug_concepts",
    "extract_registry",
    "load_concept_set",
    "open_cdm",
    "require",
    "summarise_pathways",
    "write_extraction",
]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(f"ibd_dtt.omop.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ibd_dtt.omop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
