"""Mayo family (UC): partial Mayo (0-9), full Mayo (0-12), Mayo endoscopic subscore, bands.

Source: Schroeder KW et al., NEJM 1987;317:1625 (Mayo score); Lewis JD et al., Inflamm Bowel
Dis 2008;14:1660 (partial Mayo and its bands). Items and bands: clinical.md §1.1-1.2.
A total is missing (``<NA>``) when any item is missing: missing is never 0.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.scores._common import band, total_of


def compute_partial_mayo(
    stool_frequency: pd.Series, rectal_bleeding: pd.Series, physician_global: pd.Series
) -> pd.Series:
    """Partial Mayo score = SF + RB + PGA (0-9).

    Example (clinical.md §9: SF 2, RB 1, PGA 2 -> 5):
        >>> compute_partial_mayo(pd.Series([2]), pd.Series([1]), pd.Series([2])).tolist()
        [5]
    """
    return total_of(stool_frequency, rectal_bleeding, physician_global)


def compute_full_mayo(
    stool_frequency: pd.Series,
    rectal_bleeding: pd.Series,
    endoscopic: pd.Series,
    physician_global: pd.Series,
) -> pd.Series:
    """Full Mayo score = SF + RB + MES + PGA (0-12)."""
    return total_of(stool_frequency, rectal_bleeding, endoscopic, physician_global)


def band_partial_mayo(total: pd.Series) -> pd.Series:
    """Partial Mayo activity: remission <2, mild 2-4, moderate 5-7, severe >7 (Lewis 2008).

    >>> band_partial_mayo(pd.Series([1, 2, 4, 5, 7, 8])).tolist()
    ['remission', 'mild', 'mild', 'moderate', 'moderate', 'severe']
    """
    return band(total, [(1, "remission"), (4, "mild"), (7, "moderate"), (9, "severe")])


def band_full_mayo(
    total: pd.Series,
    stool_frequency: pd.Series,
    rectal_bleeding: pd.Series,
    endoscopic: pd.Series,
    physician_global: pd.Series,
) -> pd.Series:
    """Full Mayo activity: remission = total <= 2 and no subscore > 1; mild 3-5; moderate 6-10;
    severe 11-12 (BSG guideline Table 2; clinical.md §1.1).

    A total <= 2 with a subscore of 2 is not remission; the published bands leave it
    unassigned, and it is reported as ``mild`` (active disease below the mild range).

    >>> s = lambda *v: pd.Series(list(v))
    >>> band_full_mayo(s(2, 2), s(1, 2), s(0, 0), s(1, 0), s(0, 0)).tolist()
    ['remission', 'mild']
    """
    subscore_above_1 = (
        pd.concat([stool_frequency, rectal_bleeding, endoscopic, physician_global], axis=1)
        .gt(1)
        .any(axis=1)
    )
    bands = band(total, [(2, "remission"), (5, "mild"), (10, "moderate"), (12, "severe")])
    return bands.mask((bands == "remission") & subscore_above_1, "mild")


def compute_uc_pro2(stool_frequency: pd.Series, rectal_bleeding: pd.Series) -> pd.Series:
    """UC-PRO2 = Mayo SF + RB (0-6) (Jairath, APT 2015; clinical.md §1.3)."""
    return total_of(stool_frequency, rectal_bleeding)


def is_mayo_endoscopic_remission(endoscopic: pd.Series) -> pd.Series:
    """MES 0: endoscopic remission/healing (STRIDE-II); MES <= 1 is 'improvement'."""
    return endoscopic.eq(0).astype("boolean").where(endoscopic.notna())
