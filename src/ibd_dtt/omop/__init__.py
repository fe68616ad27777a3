"""The EHR front door (OMOP CDM): open a CDM on DuckDB, PostgreSQL or Spark, find drug-aware
treatment eras, DTT combination episodes and treatment pathways (Ibis expressions, so one
implementation runs on every backend), and extract the registry tables so that the registry
pipeline runs unchanged on EHR data. Rules: docs/omop.md."""

from ibd_dtt.omop.cdm import CdmError, open_cdm, require
from ibd_dtt.omop.concepts import drug_concepts, load_concept_set
from ibd_dtt.omop.conditions import derive_ibd_cohort
from ibd_dtt.omop.episodes import derive_combination_episodes
from ibd_dtt.omop.eras import advanced_therapy_concepts, derive_drug_eras
from ibd_dtt.omop.extract import Extraction, ExtractOptions, extract_registry, write_extraction
from ibd_dtt.omop.pathway_summary import PathwaySummary, summarise_pathways
from ibd_dtt.omop.pathways import derive_treatment_pathways

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
