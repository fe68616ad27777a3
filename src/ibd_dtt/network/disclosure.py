"""Disclosure control for what leaves a site: small-cell suppression with secondary
suppression, and bins merged until no cell is small.

Rules (docs/network.md):

* **Primary suppression**: a count from 1 to ``min_cell_count`` - 1 is not written (0 is:
  an empty cell reveals nobody), as OHDSI network studies apply ``minCellCount``.
* **Secondary suppression**: cells are tied by sums (responders + non-responders =
  evaluable; UC + CD = overall; the exclusions of a step add up to the patients it removed).
  When exactly one cell of such a sum is hidden, it could be recomputed from the others, so
  another is hidden too: the smallest non-zero published part (a zero if there is none;
  the total if no part is left). This repeats until no sum has exactly one hidden cell.
* **Bins** (distributions shared for medians and quartiles) are never suppressed but merged:
  adjacent bins of a fixed grid are joined, on one partition shared by every group of the
  variable, until each group's count in each bin is 0 or at least ``min_cell_count``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

PRIMARY = "primary"
SECONDARY = "secondary"


def suppress_cells(
    values: pd.Series, min_count: int, sums: Iterable[tuple[Hashable, Sequence[Hashable]]]
) -> pd.Series:
    """Which cells of ``values`` (counts, indexed by cell) to hide, and why.

    ``sums``: (total cell, [part cells]) with total = sum of parts. Returns a Series of
    "primary", "secondary" or "" aligned with ``values``.

    >>> v = pd.Series({"all": 20, "UC": 3, "CD": 17})
    >>> suppress_cells(v, 5, [("all", ["UC", "CD"])]).to_dict()
    {'all': '', 'UC': 'primary', 'CD': 'secondary'}
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    counts = pd.to_numeric(values, errors="raise")
    reason = pd.Series("", index=values.index, dtype=object)
    reason[(counts > 0) & (counts < min_count)] = PRIMARY
    sums = [(total, list(parts)) for total, parts in sums]
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            cells = [total, *parts]
            hidden = [c for c in cells if reason[c]]
            if len(hidden) != 1:
                continue
            shown = [c for c in parts if not reason[c]]
            if shown:
                positive = [c for c in shown if counts[c] > 0]
                pick = min(positive or shown, key=lambda c: (counts[c], str(c)))
            else:
                pick = total
            reason[pick] = SECONDARY
            changed = True
    return reason


def recoverable_cells(
    values: pd.Series, hidden: pd.Series, sums: Iterable[tuple[Hashable, Sequence[Hashable]]]
) -> list[Hashable]:
    """Hidden cells an attacker can compute exactly from the shown cells and the sums
    (repeatedly solving any sum with one unknown); empty when suppression holds."""
    known = {c: values[c] for c in values.index if not hidden[c]}
    sums = [(total, list(parts)) for total, parts in sums]
    found = []
    progress = True
    while progress:
        progress = False
        for total, parts in sums:
            unknown = [c for c in [total, *parts] if c not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            if cell == total:
                known[cell] = sum(known[p] for p in parts)
            else:
                known[cell] = known[total] - sum(known[p] for p in parts if p != cell)
            found.append(cell)
            progress = True
    return found


def merge_bins(counts: pd.DataFrame, min_count: int) -> list[tuple[int, int]]:
    """One partition of the base bins (rows of ``counts``, one column per group) into runs
    of adjacent bins in which every group's count is 0 or at least ``min_count``.

    Returns (first, last) base-bin positions of each merged bin. Runs grow from the left;
    a short remainder at the right end is joined to the last run. Empty when some group's
    total is below ``min_count`` (nothing about it can be shared).

    >>> c = pd.DataFrame({"all": [2, 4, 0, 6, 1], "UC": [2, 4, 0, 0, 0]})
    >>> merge_bins(c, 5)
    [(0, 1), (2, 2), (3, 4)]
    """
    array = counts.to_numpy(dtype=np.int64)
    totals = array.sum(axis=0)
    if len(array) == 0 or ((totals > 0) & (totals < min_count)).any():
        return []

    def fine(cells: np.ndarray) -> bool:
        return bool(((cells == 0) | (cells >= min_count)).all())

    runs, start, acc = [], 0, np.zeros(array.shape[1], dtype=np.int64)
    for i, row in enumerate(array):
        acc = acc + row
        if fine(acc):
            runs.append((start, i))
            start, acc = i + 1, np.zeros_like(acc)
    if start < len(array):  # leftover bins with small counts: join them to the last run
        if runs:
            runs[-1] = (runs[-1][0], len(array) - 1)
        else:
            runs = [(0, len(array) - 1)]
    # joining may leave the last run small in some group: merge backwards until it is fine
    while len(runs) > 1 and not fine(array[runs[-1][0] : runs[-1][1] + 1].sum(axis=0)):
        runs[-2:] = [(runs[-2][0], runs[-1][1])]
    return runs
