"""DTT combination episodes from treatment eras.

Two eras of advanced therapies of **different** mechanism classes form an episode when
``min(era ends) - max(era starts) >= combination_window`` (default 30; TreatmentPatterns'
name and arithmetic, with OMOP's inclusive end dates): start = the later era start, end = the
earlier era end (the last day both are covered), ``ended_by`` = the agent whose era ended
first (both when they end together), ``overlap_days`` = end - start.
"""

from __future__ import annotations

import ibis
from ibis import _


def derive_combination_episodes(eras: ibis.Table, combination_window: int = 30) -> ibis.Table:
    """One row per pair of overlapping eras of different mechanisms (drug_a < drug_b)."""
    if combination_window < 1:
        raise ValueError("`combination_window` must be at least 1 day")
    a = eras.view()
    b = eras.view()
    pairs = a.inner_join(
        b,
        [
            a.person_id == b.person_id,
            a.drug < b.drug,
            a.mechanism_class != b.mechanism_class,
            a.era_start <= b.era_end,
            b.era_start <= a.era_end,
        ],
    ).select(
        person_id=a.person_id,
        drug_a=a.drug,
        drug_b=b.drug,
        start=ibis.greatest(a.era_start, b.era_start),
        end=ibis.least(a.era_end, b.era_end),
        end_a=a.era_end,
        end_b=b.era_end,
    )
    pairs = pairs.mutate(overlap_days=_.end.delta(_.start, unit="day"))
    pairs = pairs.filter(_.overlap_days >= combination_window)
    return pairs.mutate(
        regimen=_.drug_a.concat("+", _.drug_b),
        ended_by=ibis.cases(
            (_.end_a < _.end_b, _.drug_a),
            (_.end_b < _.end_a, _.drug_b),
            else_=_.drug_a.concat("+", _.drug_b),
        ),
    ).select("person_id", "regimen", "drug_a", "drug_b", "start", "end", "ended_by", "overlap_days")
