"""Drug-aware treatment eras from OMOP ``drug_exposure`` rows.

Rule (issue 5; peers.md section 2 on why one gap for all drugs breaks 8-weekly infusions):
each record covers ``max(expected dosing interval of its ingredient, days_supply)`` days from
its start date; records of the same ingredient merge into one era while the next record starts
no more than ``era_gap`` days (default 30) after the coverage so far ends.

Intervals are half-open: a record starting on day ``s`` and covering ``n`` days covers days
``s .. s+n-1``; ``era_end`` is the first day *not* covered. The gap between two records is
``next_start - coverage_end`` (uncovered days), so a gap of exactly ``era_gap`` merges and one
day more starts a new era.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from ibd_dtt.omop.concepts import drug_concepts
from ibd_dtt.omop.vocabulary import expand_descendants


def advanced_therapy_concepts() -> pd.DataFrame:
    """Advanced-therapy ingredients from the drug catalogue: OMOP ingredient concept ID,
    abbreviation, mechanism class and expected maintenance interval (days)."""
    return drug_concepts(("advanced",))


def derive_drug_eras(
    drug_exposure: ibis.Table,
    concepts: ibis.Table | pd.DataFrame | None = None,
    era_gap: int = 30,
    concept_ancestor: ibis.Table | None = None,
) -> ibis.Table:
    """One row per person x ingredient era: ``person_id, drug, mechanism_class, era_start,
    era_end`` (first uncovered day), ``records``.

    ``drug_exposure`` needs ``person_id, drug_concept_id, drug_exposure_start_date,
    days_supply`` (NULL days_supply = 0, i.e. the dosing interval alone). Drug concepts map to
    the ingredients of ``concepts`` through ``concept_ancestor`` when it is given (clinical
    and branded drugs, e.g. "ustekinumab 90 MG/ML Prefilled Syringe [Stelara]", descend from
    their ingredient), and directly (ingredient-level records) in any case.
    """
    if era_gap < 0:
        raise ValueError("`era_gap` must be 0 or more days")
    if concepts is None:
        concepts = advanced_therapy_concepts()
    if isinstance(concepts, pd.DataFrame):
        concepts = ibis.memtable(concepts)
    mapping = expand_descendants(concepts.select(root_id=_.concept_id), concept_ancestor).select(
        drug_concept_id=_.concept_id, ingredient_id=_.root_id
    )
    mapped = drug_exposure.inner_join(mapping, "drug_concept_id")
    # Work on integer keys (ingredient concept) and attach names after aggregating: cheaper
    # partitions and sorts on tens of millions of rows.
    intervals = concepts.select(ingredient_id=_.concept_id, interval_days=_.interval_days)
    records = mapped.inner_join(intervals, "ingredient_id").select(
        person_id=_.person_id,
        ingredient_id=_.ingredient_id,
        start=_.drug_exposure_start_date.cast("date"),
        covered_days=ibis.greatest(_.interval_days, _.days_supply.fill_null(0)).cast("int64"),
    )
    records = records.mutate(end=(_.start + _.covered_days.as_interval("D")).cast("date"))
    by = ["person_id", "ingredient_id"]
    order = [_.start, _.end]
    # coverage of all earlier records = running max of their ends (one window, rows before)
    records = records.mutate(
        previous_coverage=_.end.max().over(
            ibis.window(group_by=by, order_by=order, rows=(None, -1))
        )
    )
    records = records.mutate(
        new_era=ibis.ifelse(
            _.previous_coverage.isnull()
            | (_.start.delta(_.previous_coverage, unit="day") > era_gap),
            1,
            0,
        )
    )
    records = records.mutate(
        era_number=_.new_era.sum().over(ibis.cumulative_window(group_by=by, order_by=order))
    )
    eras = records.group_by([*by, "era_number"]).aggregate(
        era_start=_.start.min(), era_end=_.end.max(), records=_.count()
    )
    names = concepts.select(
        ingredient_id=_.concept_id, drug=_.drug, mechanism_class=_.mechanism_class
    )
    return eras.inner_join(names, "ingredient_id").select(
        "person_id", "drug", "mechanism_class", "era_start", "era_end", "records"
    )
