"""Harvey-Bradshaw Index (CD).

Source: Harvey RF, Bradshaw JM, Lancet 1980;1(8167):514 — plain sum of items, no weights
(calculator.academy's x2 weights are an error, clinical.md §1.4). Bands: <5 remission, 5-7
mild, 8-16 moderate, >16 severe.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.contract.tables import HBI_COMPLICATIONS
from ibd_dtt.scores._common import band, total_of


def compute_hbi(
    wellbeing: pd.Series,
    abdominal_pain: pd.Series,
    liquid_stools: pd.Series,
    abdominal_mass: pd.Series,
    complications: pd.DataFrame,
) -> pd.Series:
    """HBI = well-being + pain + liquid stools + mass + one point per complication.

    ``complications`` holds the 8 yes/no complication columns; a missing complication makes
    the total missing (it is not assumed absent).

    Example (clinical.md §9: wb 2, pain 1, stools 4, mass 0, arthralgia + anal fissure -> 9):
        >>> comp = pd.DataFrame({"a": [True], "b": [True], "c": [False]})
        >>> compute_hbi(pd.Series([2]), pd.Series([1]), pd.Series([4]), pd.Series([0]), comp)
        0    9
        dtype: Int64
    """
    complication_points = (
        complications.astype("boolean")
        .astype("Int64")
        .sum(axis=1, min_count=complications.shape[1])
        .where(complications.notna().all(axis=1))
    )
    return total_of(
        wellbeing,
        abdominal_pain,
        liquid_stools,
        abdominal_mass,
        complication_points.astype("Int64"),
    )


def band_hbi(total: pd.Series) -> pd.Series:
    """HBI activity bands.

    >>> band_hbi(pd.Series([4, 5, 7, 8, 16, 17])).tolist()
    ['remission', 'mild', 'mild', 'moderate', 'moderate', 'severe']
    """
    return band(total, [(4, "remission"), (7, "mild"), (16, "moderate"), (float("inf"), "severe")])


def hbi_complication_columns() -> list[str]:
    return [f"hbi_{c}" for c in HBI_COMPLICATIONS]
