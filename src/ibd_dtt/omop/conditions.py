"""The IBD cohort from ``condition_occurrence``: Crohn's disease (SNOMED 34000006, OMOP
201606) and ulcerative colitis (SNOMED 64766004, OMOP 81893; chronic ulcerative proctitis
75580), with their descendant concepts through ``concept_ancestor`` when the CDM has it
(clinical.md section 5.3; the codes live in ``omop/concepts/conditions.csv``)."""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from ibd_dtt.omop.concepts import load_concept_set
from ibd_dtt.omop.vocabulary import expand_descendants

DIAGNOSIS_OF_CONCEPT_SET = {"crohns_disease": "CD", "ulcerative_colitis": "UC"}


def derive_ibd_cohort(
    condition_occurrence: ibis.Table,
    concept_ancestor: ibis.Table | None = None,
    conditions: pd.DataFrame | None = None,
) -> ibis.Table:
    """One row per person with an IBD condition: ``person_id, diagnosis, first_ibd_date``.

    ``diagnosis`` is CD or UC, or IBDU when a person has records of both (the data manager
    decides; the registry contract accepts IBDU).
    """
    conditions = load_concept_set("conditions") if conditions is None else conditions
    ibd = conditions[conditions["concept_set"].isin(DIAGNOSIS_OF_CONCEPT_SET)]
    roots = ibis.memtable(
        pd.DataFrame(
            {
                "root_id": ibd["concept_id"].astype("int64").to_numpy(),
                "diagnosis": ibd["concept_set"].map(DIAGNOSIS_OF_CONCEPT_SET).to_numpy(),
            }
        ).drop_duplicates()
    )
    mapping = expand_descendants(roots.select("root_id"), concept_ancestor)
    mapping = mapping.inner_join(roots, "root_id").select(
        condition_concept_id=_.concept_id, diagnosis=_.diagnosis
    )
    hits = condition_occurrence.inner_join(mapping, "condition_concept_id")
    per_person = hits.group_by("person_id").aggregate(
        kinds=_.diagnosis.nunique(),
        diagnosis=_.diagnosis.max(),
        first_ibd_date=_.condition_start_date.cast("date").min(),
    )
    return per_person.mutate(diagnosis=ibis.ifelse(_.kinds > 1, "IBDU", _.diagnosis)).select(
        "person_id", "diagnosis", "first_ibd_date"
    )
