"""Simple Endoscopic Score for Crohn's disease (SES-CD).

Source: Daperno M et al., Gastrointest Endosc 2004;60:505. Four variables x five segments
(ileum, right colon, transverse colon, left colon, rectum), each 0-3; total = sum of the 20
cells (arithmetic maximum 60; published range 0-56). Segment handling follows clinical.md
§1.6: a segment is scored, not reached, resected or not recorded; the total sums the scored
segments and is marked incomplete when a segment was not reached or not recorded (a resected
segment does not make it incomplete). Bands: 0-2 inactive, 3-6 mild, 7-15 moderate, >15 severe.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.contract.codes import SES_CD_SEGMENTS, SES_CD_VARIABLES
from ibd_dtt.scores._common import band

STRING = pd.StringDtype("python")


def segment_status(assessments: pd.DataFrame, segment: str) -> pd.Series:
    """Recorded status of a segment, or inferred: 4 cells filled -> scored, none -> not_recorded.

    A partly filled segment without a status is ``not_recorded`` (validation rejects it).
    """
    cells = assessments[[f"ses_{segment}_{v}" for v in SES_CD_VARIABLES]]
    inferred = pd.Series("not_recorded", index=assessments.index, dtype=STRING).mask(
        cells.notna().all(axis=1), "scored"
    )
    recorded = assessments.get(f"ses_{segment}_status")
    return inferred if recorded is None else recorded.astype(STRING).fillna(inferred)


def add_ses_cd(assessments: pd.DataFrame, exclude_narrowing: bool = False) -> pd.DataFrame:
    """Add SES-CD columns: per-segment subtotal, ``ses_cd`` total, its source and completeness.

    Added columns: ``ses_<segment>_subtotal``, ``ses_cd``, ``ses_cd_segments_scored``,
    ``ses_cd_complete`` (False when a segment was not reached/not recorded), ``ses_cd_source``
    (``cells``, ``recorded_total`` or missing). ``exclude_narrowing`` drops the narrowing
    variable (used by some trials for eligibility, e.g. VECTORS).

    Example: ileum 3+3+3+0, right colon 1+1+1+0, rest 0 (scored) -> 12.
        >>> row = {f"ses_{s}_{v}": 0 for s in SES_CD_SEGMENTS for v in SES_CD_VARIABLES}
        >>> row.update(ses_ileum_ulcer_size=3, ses_ileum_ulcerated_surface=3,
        ...            ses_ileum_affected_surface=3, ses_right_colon_ulcer_size=1,
        ...            ses_right_colon_ulcerated_surface=1, ses_right_colon_affected_surface=1)
        >>> out = add_ses_cd(pd.DataFrame([row]))
        >>> r = out.iloc[0]
        >>> int(r.ses_cd), bool(r.ses_cd_complete), r.ses_cd_source
        (12, True, 'cells')
    """
    variables = [v for v in SES_CD_VARIABLES if not (exclude_narrowing and v == "narrowing")]
    out = assessments.copy()
    subtotals, statuses = [], []
    for segment in SES_CD_SEGMENTS:
        status = segment_status(assessments, segment)
        cells = assessments[[f"ses_{segment}_{v}" for v in variables]].astype("Int64")
        subtotal = (
            cells.sum(axis=1, min_count=len(variables)).astype("Int64").where(status == "scored")
        )
        out[f"ses_{segment}_subtotal"] = subtotal
        subtotals.append(subtotal)
        statuses.append(status)
    status_frame = pd.concat(statuses, axis=1)
    scored = (status_frame == "scored").sum(axis=1)
    from_cells = pd.concat(subtotals, axis=1).sum(axis=1, min_count=1).astype("Int64")
    recorded = assessments.get("ses_cd_total_recorded")
    use_recorded = scored == 0
    if recorded is not None:
        use_recorded &= recorded.notna()
    else:
        use_recorded &= False
    total = from_cells.where(scored > 0)
    if recorded is not None:
        total = total.mask(use_recorded, recorded.astype("Int64"))
    out["ses_cd"] = total
    out["ses_cd_segments_scored"] = scored.astype("Int64")
    incomplete = status_frame.isin(["not_reached", "not_recorded"]).any(axis=1)
    out["ses_cd_complete"] = (~incomplete).astype("boolean").where(scored > 0)
    out["ses_cd_source"] = (
        pd.Series(pd.NA, index=out.index, dtype=STRING)
        .mask(scored > 0, "cells")
        .mask(use_recorded, "recorded_total")
    )
    return out


def band_ses_cd(total: pd.Series) -> pd.Series:
    """SES-CD activity: 0-2 inactive, 3-6 mild, 7-15 moderate, >15 severe.

    >>> band_ses_cd(pd.Series([2, 3, 6, 7, 15, 16])).tolist()
    ['inactive', 'mild', 'mild', 'moderate', 'moderate', 'severe']
    """
    return band(total, [(2, "inactive"), (6, "mild"), (15, "moderate"), (float("inf"), "severe")])
