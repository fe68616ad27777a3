"""OMOP vocabulary helpers shared by the concept sets."""

from __future__ import annotations

import ibis
from ibis import _


def expand_descendants(roots: ibis.Table, concept_ancestor: ibis.Table | None) -> ibis.Table:
    """``(concept_id, root_id)`` for every root concept (``roots.root_id``) and, when
    ``concept_ancestor`` is given, every descendant of it. A CDM without the vocabulary tables
    matches the roots themselves only."""
    mapping = roots.select(concept_id=_.root_id, root_id=_.root_id)
    if concept_ancestor is None:
        return mapping
    below = concept_ancestor.inner_join(
        roots, concept_ancestor.ancestor_concept_id == roots.root_id
    ).select(concept_id=_.descendant_concept_id, root_id=_.ancestor_concept_id)
    return mapping.union(below, distinct=True)
