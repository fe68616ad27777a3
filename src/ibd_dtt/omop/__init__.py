"""The EHR front door (OMOP CDM), in progress: drug-aware treatment eras and DTT combination
episodes written once as Ibis expressions, so the same logic runs on DuckDB, PostgreSQL and
Spark. See docs/omop.md for what exists and what is still to come."""

from ibd_dtt.omop.conditions import derive_ibd_cohort
from ibd_dtt.omop.episodes import derive_combination_episodes
from ibd_dtt.omop.eras import advanced_therapy_concepts, derive_drug_eras

__all__ = [
    "advanced_therapy_concepts",
    "derive_combination_episodes",
    "derive_drug_eras",
    "derive_ibd_cohort",
]
