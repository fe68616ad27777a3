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
    era_end`` (the last covered day, inclusive, like OMOP's ``drug_era_end_date``),
    ``records``.

    OHDSI's arithmetic (the era builder, TreatmentPatterns): a record starting on day ``s``
    covers days ``s .. s + covered - 1``; the next record of the same ingredient joins the
    era while it starts on or before ``era_end + era_gap``.

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
    records = records.mutate(
        end=(_.start + (_.covered_days - 1).as_interval("D")).cast("date")  # last covered day
    )
    by = ["person_id", "ingredient_id"]
    order = [_.start, _.end]
    # One sort of the records: every window below shares this partition and order, so the
    # database evaluates them in one pass (DuckDB, Spark and PostgreSQL all do).
    #  - coverage of all earlier records = running max of their ends (rows before);
    #  - position in the partition, and the partition's last coverage and size.
    records = records.mutate(
        previous_coverage=_.end.max().over(
            ibis.window(group_by=by, order_by=order, rows=(None, -1))
        ),
        position=ibis.row_number().over(ibis.window(group_by=by, order_by=order)),
        partition_end=_.end.max().over(ibis.window(group_by=by, order_by=order, rows=(None, None))),
        partition_records=_.start.count().over(
            ibis.window(group_by=by, order_by=order, rows=(None, None))
        ),
    )
    # An era starts where a record begins more than era_gap days after the last day covered
    # by all earlier records (it joins while start <= coverage end + era_gap).
    starts = records.filter(
        _.previous_coverage.isnull() | (_.start.delta(_.previous_coverage, unit="day") > era_gap)
    )
    # Because eras are separated by gaps, the coverage before the *next* era's first record
    # is exactly this era's end, and positions count its records: a window over era starts
    # only (a few per person), not over all records.
    following = ibis.window(group_by=by, order_by=_.position)
    eras = starts.mutate(
        next_previous_coverage=_.previous_coverage.lead().over(following),
        next_position=_.position.lead().over(following),
    ).select(
        *by,
        era_start=_.start,
        era_end=_.next_previous_coverage.fill_null(_.partition_end),
        records=(_.next_position.fill_null(_.partition_records) - _.position).cast("int64"),
    )
    names = concepts.select(
        ingredient_id=_.concept_id, drug=_.drug, mechanism_class=_.mechanism_class
    )
    return eras.inner_join(names, "ingredient_id").select(
        "person_id", "drug", "mechanism_class", "era_start", "era_end", "records"
    )
