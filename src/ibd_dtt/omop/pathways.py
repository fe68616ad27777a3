"""Treatment pathways (``IFX -> UST -> UST+VDZ -> VDZ``) from advanced-therapy eras, in the
vocabulary of OHDSI TreatmentPatterns (peers.md section 1).

Rule: cut each person's time line at every era start and end; each piece is labelled with the
drugs covering it (``+``-joined, alphabetical). A piece's duration is TreatmentPatterns':
the difference of the dates that bound it, where a piece split off by a combination shares
its boundary day with the combination (an era or a combination lasts last day - first day;
see :func:`_duration`). Then, in order:

1. a piece with two or more drugs whose duration is less than ``combination_window`` is not
   a combination (a switch with overlapping coverage) and is dropped;
2. a single-drug piece split off an era by an adjacent combination (right before or right
   after it), with a duration less than ``min_post_combination_duration``, is dropped
   (TreatmentPatterns' ``minPostCombinationDuration`` applies to both sides);
3. pieces with no drug are dropped and consecutive pieces with the same label merge
   (``filter_treatments="changes"``, the default here); ``"all"`` makes every era a step
   (``A -> A`` for two eras of A, after a gap or back to back); ``"first"`` keeps only the
   first occurrence of each label (TreatmentPatterns' default);
4. eras shorter than ``min_era_duration`` days are left out before the cut, and the pathway
   is cut after ``max_path_length`` steps (TreatmentPatterns' ``minEraDuration`` and
   ``maxPathLength``; ``None`` = no limit).

With the defaults (30 and 30 days) a combination in a pathway is exactly a DTT episode of
:func:`derive_combination_episodes` (overlap >= ``combination_window``).
"""

from __future__ import annotations

import itertools

import pandas as pd

FILTER_TREATMENTS = ("first", "changes", "all")


def derive_treatment_pathways(
    eras: pd.DataFrame,
    combination_window: int = 30,
    min_post_combination_duration: int = 30,
    filter_treatments: str = "changes",
    max_path_length: int | None = None,
    min_era_duration: int = 0,
) -> pd.DataFrame:
    """One row per person: ``person_id, pathway, steps, first_start``.

    ``eras``: ``person_id, drug, era_start, era_end`` (``era_end`` = last covered day).

    >>> eras = pd.DataFrame({"person_id": [1, 1, 1], "drug": ["IFX", "UST", "VDZ"],
    ...     "era_start": pd.to_datetime(["2020-01-01", "2020-06-01", "2020-09-01"]),
    ...     "era_end": pd.to_datetime(["2020-06-10", "2021-06-01", "2021-09-01"])})
    >>> derive_treatment_pathways(eras)["pathway"].item()
    'IFX -> UST -> UST+VDZ -> VDZ'
    """
    if filter_treatments not in FILTER_TREATMENTS:
        raise ValueError(f"filter_treatments must be one of {', '.join(FILTER_TREATMENTS)}")
    if max_path_length is not None and max_path_length < 1:
        raise ValueError("max_path_length must be at least 1 (or None)")
    if min_era_duration > 0 and not eras.empty:
        duration = (pd.to_datetime(eras["era_end"]) - pd.to_datetime(eras["era_start"])).dt.days
        eras = eras[duration >= min_era_duration]
    rows = []
    for person_id, group in eras.groupby("person_id", sort=True):
        # half-open spans [start, last day + 1): pieces then tile the time line exactly
        spans = [
            (pd.Timestamp(s), pd.Timestamp(e) + pd.Timedelta(days=1), d)
            for s, e, d in zip(group["era_start"], group["era_end"], group["drug"], strict=True)
        ]
        labels = _pieces(
            spans, combination_window, min_post_combination_duration, filter_treatments
        )[:max_path_length]
        rows.append(
            {
                "person_id": person_id,
                "pathway": " -> ".join(labels),
                "steps": len(labels),
                "first_start": min(s for s, _e, _d in spans).date(),
            }
        )
    return pd.DataFrame(rows, columns=["person_id", "pathway", "steps", "first_start"])


def _duration(
    left: pd.Timestamp,
    right: pd.Timestamp,
    eras: frozenset,
    spans: list[tuple[pd.Timestamp, pd.Timestamp, str]],
) -> int:
    """A piece's duration as TreatmentPatterns counts it: the difference of the dates that
    bound it, where a piece starts on the start date of an era that begins with it, or else
    on the end date of the era that ended just before it, and ends on the end date of an era
    that ends with it, or else on the start date of the era that begins just after it (a
    split piece shares its boundary day with the neighbouring combination). So an era or a
    combination lasts last day - first day, and a one-day piece between two combinations
    lasts 2 days (TreatmentPatterns' case A-A+C-C-B+C-C)."""
    first = left if any(spans[i][0] == left for i in eras) else left - pd.Timedelta(days=1)
    last = right - pd.Timedelta(days=1) if any(spans[i][1] == right for i in eras) else right
    return (last - first).days


def _pieces(
    spans: list[tuple[pd.Timestamp, pd.Timestamp, str]],
    window: int,
    post: int,
    filter_treatments: str = "changes",
) -> list[str]:
    cuts = sorted({t for s, e, _d in spans for t in (s, e)})
    pieces = []  # (label, drugs, eras covering it, duration)
    for left, right in itertools.pairwise(cuts):
        eras = frozenset(i for i, (s, e, _d) in enumerate(spans) if s <= left and right <= e)
        drugs = sorted({spans[i][2] for i in eras})
        pieces.append(("+".join(drugs), len(drugs), eras, _duration(left, right, eras, spans)))
    # combinations are pieces of two or more drugs lasting at least `window`
    combination = [n >= 2 and days >= window for _l, n, _e, days in pieces]

    def split_from_combination(i: int) -> bool:
        """A single-drug piece cut off an era by an adjacent combination that holds it
        (before or after it: TreatmentPatterns' minPostCombinationDuration applies to both)."""
        for j in (i - 1, i + 1):
            if 0 <= j < len(pieces) and combination[j] and pieces[i][2] & pieces[j][2]:
                return True
        return False

    kept: list[tuple[str, frozenset, int]] = []
    after_gap = False
    for i, (label, n_drugs, eras, days) in enumerate(pieces):
        if n_drugs == 0:
            after_gap = True
            continue
        if n_drugs >= 2 and not combination[i]:
            continue  # a switch with overlapping coverage, not a combination
        if n_drugs == 1 and days < post and split_from_combination(i):
            continue
        if filter_treatments == "all":
            # every era is a step: neighbours merge only while the same eras continue
            same = kept and kept[-1][1] == eras and not after_gap
        else:
            same = kept and kept[-1][0] == label
        after_gap = False
        if same:
            kept[-1] = (label, eras, kept[-1][2] + days + 1)
        else:
            kept.append((label, eras, days))
    labels = [label for label, _e, _d in kept]
    if filter_treatments == "first":
        labels = list(dict.fromkeys(labels))
    return labels
