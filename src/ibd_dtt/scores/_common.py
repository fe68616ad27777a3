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


def total_with_recorded(
    from_items: pd.Series, recorded: pd.Series | None
) -> tuple[pd.Series, pd.Series]:
    """The total from the items when they are all given, else the recorded total; and its
    source (``items``, ``recorded_total`` or missing). Validation has already rejected a
    visit whose recorded total differs from its complete items.

    >>> total, source = total_with_recorded(pd.Series([5, None], dtype="Int64"),
    ...                                     pd.Series([5, 7], dtype="Int64"))
    >>> total.tolist(), source.tolist()
    ([5, 7], ['items', 'recorded_total'])
    """
    total = from_items.astype("Int64")
    source = pd.Series(pd.NA, index=from_items.index, dtype=pd.StringDtype("python"))
    source = source.mask(total.notna(), "items")
    if recorded is not None:
        use_recorded = total.isna() & recorded.notna()
        total = total.mask(use_recorded, recorded.astype("Int64"))
        source = source.mask(use_recorded, "recorded_total")
    return total, source
