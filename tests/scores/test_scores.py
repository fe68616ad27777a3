"""Boundary tests for every score, against values worked out by hand.

Unless stated otherwise the expected values come from shared/reference/clinical.md §9
("Quick boundary test vectors") and the bands from the sections cited per test.
"""

import pandas as pd
import pytest

from ibd_dtt.contract.codes import SES_CD_SEGMENTS, SES_CD_VARIABLES
from ibd_dtt.scores import (
    add_ses_cd,
    band_full_mayo,
    band_hbi,
    band_partial_mayo,
    band_ses_cd,
    band_uceis,
    classify_montreal_age,
    compute_cd_pro2,
    compute_full_mayo,
    compute_hbi,
    compute_partial_mayo,
    compute_uc_pro2,
    compute_uceis,
)


def s(*values):
    return pd.Series(list(values), dtype="Int64")


def test_partial_mayo_sf2_rb1_pga2_is_5_moderate():  # clinical.md §9
    total = compute_partial_mayo(s(2), s(1), s(2))
    assert total.tolist() == [5]
    assert band_partial_mayo(total).tolist() == ["moderate"]


def test_partial_mayo_is_missing_when_an_item_is_missing():  # clinical.md rule 4: missing != 0
    assert compute_partial_mayo(s(2), s(None), s(2)).isna().all()


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "remission"),
        (1, "remission"),
        (2, "mild"),
        (4, "mild"),
        (5, "moderate"),
        (7, "moderate"),
        (8, "severe"),
        (9, "severe"),
    ],
    ids=lambda v: str(v),
)
def test_partial_mayo_bands_follow_lewis_2008(total, band):  # clinical.md §1.1 PMS row
    assert band_partial_mayo(s(total)).tolist() == [band]


def test_full_mayo_total_2_is_remission_only_without_a_subscore_above_1():  # clinical.md §9
    sf, rb, mes, pga = s(1, 2), s(0, 0), s(1, 0), s(0, 0)
    total = compute_full_mayo(sf, rb, mes, pga)
    assert total.tolist() == [2, 2]
    assert band_full_mayo(total, sf, rb, mes, pga).tolist() == ["remission", "mild"]


@pytest.mark.parametrize(
    ("total", "band"),
    [(3, "mild"), (5, "mild"), (6, "moderate"), (10, "moderate"), (11, "severe"), (12, "severe")],
    ids=lambda v: str(v),
)
def test_full_mayo_bands(total, band):  # clinical.md §1.1 full Mayo row (BSG Table 2)
    items = s(*[min(3, total - 3 * i) if total - 3 * i > 0 else 0 for i in range(4)])
    sf, rb, mes, pga = (items.iloc[[i]].reset_index(drop=True) for i in range(4))
    assert compute_full_mayo(sf, rb, mes, pga).tolist() == [total]
    assert band_full_mayo(s(total), sf, rb, mes, pga).tolist() == [band]


def test_uc_pro2_is_stool_frequency_plus_rectal_bleeding():  # clinical.md §1.3
    assert compute_uc_pro2(s(3, 0), s(3, 1)).tolist() == [6, 1]


def test_hbi_worked_example_is_9():  # clinical.md §9: wb 2, pain 1, stools 4, mass 0, 2 comps
    complications = pd.DataFrame(
        {"arthralgia": [True], "uveitis": [False], "anal_fissure": [True], "abscess": [False]}
    )
    assert compute_hbi(s(2), s(1), s(4), s(0), complications).tolist() == [9]


def test_hbi_is_an_unweighted_sum():
    # calculator.academy doubles pain and stools (clinical.md §1.4) - we must not
    none = pd.DataFrame({"arthralgia": [False]})
    assert compute_hbi(s(0), s(3), s(10), s(0), none).tolist() == [13]


def test_hbi_missing_complication_makes_the_total_missing():
    complications = pd.DataFrame({"arthralgia": [True], "uveitis": [None]}, dtype="boolean")
    assert compute_hbi(s(1), s(1), s(1), s(0), complications).isna().all()


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "remission"), (5, "mild"), (7, "mild"), (8, "moderate"), (16, "moderate"), (17, "severe")],
    ids=lambda v: str(v),
)
def test_hbi_bands(total, band):  # clinical.md §9 HBI band vector
    assert band_hbi(s(total)).tolist() == [band]


def _ses_row(**cells):
    row = {f"ses_{seg}_{var}": 0 for seg in SES_CD_SEGMENTS for var in SES_CD_VARIABLES}
    row.update(cells)
    return row


def test_ses_cd_sums_twenty_cells():
    # hand-worked: ileum 3+2+3+1 = 9, left colon 1+1+2+0 = 4 -> 13
    row = _ses_row(
        ses_ileum_ulcer_size=3,
        ses_ileum_ulcerated_surface=2,
        ses_ileum_affected_surface=3,
        ses_ileum_narrowing=1,
        ses_left_colon_ulcer_size=1,
        ses_left_colon_ulcerated_surface=1,
        ses_left_colon_affected_surface=2,
    )
    out = add_ses_cd(pd.DataFrame([row]))
    assert out["ses_cd"].tolist() == [13]
    assert out["ses_ileum_subtotal"].tolist() == [9]
    assert out["ses_cd_complete"].tolist() == [True]


def test_ses_cd_exclude_narrowing_option_drops_the_narrowing_variable():
    row = _ses_row(ses_ileum_ulcer_size=2, ses_ileum_narrowing=3)
    assert add_ses_cd(pd.DataFrame([row]), exclude_narrowing=True)["ses_cd"].tolist() == [2]


def test_ses_cd_resected_segment_keeps_the_total_complete():  # clinical.md §1.6
    row = _ses_row(ses_ileum_ulcer_size=2)
    for var in SES_CD_VARIABLES:
        row[f"ses_right_colon_{var}"] = None
    row["ses_right_colon_status"] = "resected"
    out = add_ses_cd(pd.DataFrame([row]))
    assert out["ses_cd"].tolist() == [2]
    assert out["ses_cd_complete"].tolist() == [True]
    assert out["ses_cd_segments_scored"].tolist() == [4]


def test_ses_cd_not_reached_segment_marks_the_total_incomplete():  # clinical.md §1.6
    row = _ses_row(ses_ileum_ulcer_size=2)
    for var in SES_CD_VARIABLES:
        row[f"ses_ileum_{var}"] = None
    row["ses_ileum_status"] = "not_reached"
    out = add_ses_cd(pd.DataFrame([row]))
    assert out["ses_cd"].tolist() == [0]
    assert out["ses_cd_complete"].tolist() == [False]


def test_ses_cd_recorded_total_is_used_when_no_cells_exist():
    row = {f"ses_{seg}_{var}": None for seg in SES_CD_SEGMENTS for var in SES_CD_VARIABLES}
    row["ses_cd_total_recorded"] = 9
    out = add_ses_cd(pd.DataFrame([row]))
    assert out["ses_cd"].tolist() == [9]
    assert out["ses_cd_source"].tolist() == ["recorded_total"]


def test_ses_cd_with_no_endoscopy_is_missing_not_zero():
    row = {f"ses_{seg}_{var}": None for seg in SES_CD_SEGMENTS for var in SES_CD_VARIABLES}
    assert add_ses_cd(pd.DataFrame([row]))["ses_cd"].isna().all()


@pytest.mark.parametrize(
    ("total", "band"),
    [(2, "inactive"), (3, "mild"), (6, "mild"), (7, "moderate"), (15, "moderate"), (16, "severe")],
    ids=lambda v: str(v),
)
def test_ses_cd_bands(total, band):  # clinical.md §1.6; SES-CD remission <= 2 (§9)
    assert band_ses_cd(s(total)).tolist() == [band]


def test_uceis_total_and_bands():  # clinical.md §1.8
    assert compute_uceis(s(2), s(3), s(3)).tolist() == [8]
    assert band_uceis(s(1, 2, 4, 5, 6, 7, 8)).tolist() == [
        "remission",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]


def test_cd_pro2_worked_example_is_11():  # clinical.md §9: 2*3 + 5*1
    assert compute_cd_pro2(pd.Series([3.0]), pd.Series([1.0])).tolist() == [11.0]


@pytest.mark.parametrize(
    ("age", "klass"),
    [(16.9, "A1"), (17.0, "A2"), (40.9, "A2"), (41.0, "A3"), (16, "A1"), (0.5, "A1")],
    ids=lambda v: str(v),
)
def test_montreal_age_uses_completed_years(age, klass):  # clinical.md §9 Montreal age
    assert classify_montreal_age(pd.Series([age])).tolist() == [klass]
