"""Helpers shared by the score functions."""

from __future__ import annotations

import pandas as pd


def total_of(*items: pd.Series) -> pd.Series:
    """Sum of instrument items; missing (``<NA>``) when any item is missing."""
    frame = pd.concat([pd.Series(i, dtype="Int64").reset_index(drop=True) for i in items], axis=1)
    total = frame.sum(axis=1, min_count=len(items)).astype("Int64")
    total = total.where(frame.notna().all(axis=1))
    total.index = items[0].index
    return total


def band(total: pd.Series, upper_bounds: list[tuple[float, str]]) -> pd.Series:
    """Label each value with the first band whose inclusive upper bound it does not exceed."""
    labels = pd.Series(pd.NA, index=total.index, dtype=pd.StringDtype("python"))
    remaining = total.notna()
    for upper, label in upper_bounds:
        hit = remaining & (total <= upper).fillna(False)
        labels[hit] = label
        remaining &= ~hit
    return labels
