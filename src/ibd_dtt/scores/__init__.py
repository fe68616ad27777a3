"""Clinical scores as small pure functions over Series/DataFrames, each citing its source.

``add_scores(assessments)`` adds every computable total and band to validated assessments.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.scores._common import total_with_recorded
from ibd_dtt.scores.hbi import band_hbi, compute_hbi, hbi_complication_columns
from ibd_dtt.scores.mayo import (
    band_full_mayo,
    band_partial_mayo,
    compute_full_mayo,
    compute_partial_mayo,
    compute_uc_pro2,
    is_mayo_endoscopic_remission,
)
from ibd_dtt.scores.other import (
    band_uceis,
    classify_montreal_age,
    classify_montreal_age_between,
    compute_cd_pro2,
    compute_uceis,
    derive_age_at_diagnosis,
)
from ibd_dtt.scores.ses_cd import add_ses_cd, band_ses_cd

SCORE_COLUMNS = (
    "partial_mayo",
    "partial_mayo_source",
    "partial_mayo_band",
    "full_mayo",
    "full_mayo_band",
    "uc_pro2",
    "uceis",
    "uceis_band",
    "hbi",
    "hbi_source",
    "hbi_band",
    "cd_pro2",
    "ses_cd",
    "ses_cd_band",
    "ses_cd_complete",
    "ses_cd_source",
    "ses_cd_segments_scored",
)


BLANK_HBI_COMPLICATIONS = ("missing", "absent")


def add_scores(assessments: pd.DataFrame, blank_hbi_complications: str = "missing") -> pd.DataFrame:
    """Add every instrument total and band computable from the items of each visit.

    Totals are missing when an item is missing (never imputed as 0), with two documented
    exceptions: a recorded total (``partial_mayo_total_recorded``, ``hbi_total_recorded``,
    ``ses_cd_total_recorded``) is used when the items are not all given (the items win when
    they are; validation rejects a visit where the two differ), and
    ``blank_hbi_complications="absent"`` (study.yaml) counts an empty HBI complication as 0
    points, for registries that tick only the complications present.

    Added columns: partial_mayo (0-9), partial_mayo_source (items / recorded_total),
    partial_mayo_band, full_mayo (0-12, items only: its remission band needs every
    subscore), full_mayo_band, uc_pro2 (0-6), uceis (0-8), uceis_band, hbi, hbi_source,
    hbi_band, cd_pro2, ses_cd (plus per-segment subtotals, ses_cd_complete, ses_cd_source,
    ses_cd_segments_scored), ses_cd_band.
    """
    if blank_hbi_complications not in BLANK_HBI_COMPLICATIONS:
        raise ValueError("blank_hbi_complications must be 'missing' or 'absent'")
    a = add_ses_cd(assessments)
    sf, rb = a["mayo_stool_frequency"], a["mayo_rectal_bleeding"]
    pga, mes = a["mayo_physician_global"], a["mayo_endoscopic"]
    a["partial_mayo"], a["partial_mayo_source"] = total_with_recorded(
        compute_partial_mayo(sf, rb, pga), a.get("partial_mayo_total_recorded")
    )
    a["partial_mayo_band"] = band_partial_mayo(a["partial_mayo"])
    a["full_mayo"] = compute_full_mayo(sf, rb, mes, pga)
    a["full_mayo_band"] = band_full_mayo(a["full_mayo"], sf, rb, mes, pga)
    a["uc_pro2"] = compute_uc_pro2(sf, rb)
    a["uceis"] = compute_uceis(
        a["uceis_vascular_pattern"], a["uceis_bleeding"], a["uceis_erosions_ulcers"]
    )
    a["uceis_band"] = band_uceis(a["uceis"])
    complications = a[hbi_complication_columns()]
    if blank_hbi_complications == "absent":
        complications = complications.astype("boolean").fillna(False)
    a["hbi"], a["hbi_source"] = total_with_recorded(
        compute_hbi(
            a["hbi_general_wellbeing"],
            a["hbi_abdominal_pain"],
            a["hbi_liquid_stools"],
            a["hbi_abdominal_mass"],
            complications,
        ),
        a.get("hbi_total_recorded"),
    )
    a["hbi_band"] = band_hbi(a["hbi"])
    a["cd_pro2"] = compute_cd_pro2(a["cd_pro2_stool_mean"], a["cd_pro2_pain_mean"])
    a["ses_cd_band"] = band_ses_cd(a["ses_cd"])
    return a


__all__ = [
    "SCORE_COLUMNS",
    "add_scores",
    "add_ses_cd",
    "band_full_mayo",
    "band_hbi",
    "band_partial_mayo",
    "band_ses_cd",
    "band_uceis",
    "classify_montreal_age",
    "classify_montreal_age_between",
    "compute_cd_pro2",
    "compute_full_mayo",
    "compute_hbi",
    "compute_partial_mayo",
    "compute_uc_pro2",
    "compute_uceis",
    "derive_age_at_diagnosis",
    "is_mayo_endoscopic_remission",
]
