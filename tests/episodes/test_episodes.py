"""DTT episode derivation from therapy courses (rules in src/ibd_dtt/episodes/episodes.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ibd_dtt.episodes import derive_concomitant_therapies, derive_dtt_episodes

CUT = dt.date(2024, 1, 31)
CLASS = {
    "IFX": ("advanced", "anti_tnf"),
    "ADA": ("advanced", "anti_tnf"),
    "VDZ": ("advanced", "anti_integrin"),
    "UST": ("advanced", "anti_il12_23"),
    "TOF": ("advanced", "jak"),
    "UPA": ("advanced", "jak"),
    "AZA": ("immunomodulator", "thiopurine"),
    "PDN": ("corticosteroid", "systemic_corticosteroid"),
}


def therapies(*courses):
    rows = []
    for i, (drug, start, stop, reason) in enumerate(courses):
        category, mechanism = CLASS[drug]
        rows.append(
            {
                "_row": i + 2,
                "patient_id": "P1",
                "drug": drug,
                "start_date": pd.Timestamp(start),
                "stop_date": pd.Timestamp(stop) if stop else pd.NaT,
                "stop_reason": reason,
                "drug_category": category,
                "mechanism_class": mechanism,
            }
        )
    return pd.DataFrame(rows)


def test_maintained_episode_starts_with_the_added_drug():
    e = derive_dtt_episodes(
        therapies(("VDZ", "2022-01-01", None, None), ("UST", "2023-01-01", None, None)), CUT
    )
    row = e.iloc[0]
    assert (row.regimen, row.anchor_drug, row.added_drug, row.status) == (
        "UST+VDZ",
        "VDZ",
        "UST",
        "maintained",
    )
    assert row.start_date == pd.Timestamp("2023-01-01") and row.end_date == pd.Timestamp(CUT)
    assert row.duration_days == 395 and row.duration_months == round(395 / 30.4375, 2)
    assert row.source_rows == "therapies:2;therapies:3"


def test_same_mechanism_class_is_not_dtt():
    e = derive_dtt_episodes(
        therapies(("IFX", "2022-01-01", None, None), ("ADA", "2023-01-01", None, None)), CUT
    )
    assert e.empty


def test_switch_with_stop_on_the_new_start_day_is_not_dtt_but_one_day_overlap_is():
    switch = therapies(
        ("IFX", "2022-01-01", "2023-01-01", "secondary_loss_of_response"),
        ("UST", "2023-01-01", None, None),
    )
    assert derive_dtt_episodes(switch, CUT).empty
    overlap = therapies(
        ("IFX", "2022-01-01", "2023-01-02", "secondary_loss_of_response"),
        ("UST", "2023-01-01", None, None),
    )
    e = derive_dtt_episodes(overlap, CUT)
    assert len(e) == 1 and e.iloc[0].overlap_days == 1


def test_immunomodulator_plus_biologic_is_not_dtt():
    assert derive_dtt_episodes(
        therapies(("AZA", "2022-01-01", None, None), ("IFX", "2022-02-01", None, None)), CUT
    ).empty


def test_deescalated_switched_and_stopped():
    deesc = therapies(
        ("IFX", "2021-01-01", "2022-09-14", "remission_deescalation"),
        ("UST", "2022-03-10", None, None),
    )
    row = derive_dtt_episodes(deesc, CUT).iloc[0]
    assert (row.status, row.continued_drug, row.ended_by, row.stopped_for_failure) == (
        "de-escalated",
        "UST",
        "IFX",
        False,
    )
    assert row.duration_days == 188

    switched = therapies(
        ("TOF", "2022-03-05", "2023-02-10", "other"),
        ("UST", "2022-09-05", "2023-01-08", "adverse_event"),
        ("UPA", "2023-02-12", None, None),
    )
    row = derive_dtt_episodes(switched, CUT).iloc[0]
    assert (row.status, row.stop_reason, row.stopped_for_failure) == (
        "switched",
        "adverse_event",
        True,
    )
    assert row.subsequent_therapies == "UPA@2023-02-12"

    stopped = therapies(
        ("VDZ", "2021-09-09", "2022-10-23", "primary_non_response"),
        ("ADA", "2022-05-09", "2022-10-23", "primary_non_response"),
    )
    row = derive_dtt_episodes(stopped, CUT).iloc[0]
    assert (row.status, row.ended_by) == ("stopped", "ADA+VDZ")


def test_two_episodes_are_numbered_and_the_first_is_the_index():
    t = therapies(
        ("VDZ", "2021-01-01", None, None),
        ("UST", "2022-01-01", "2022-08-01", "primary_non_response"),
        ("TOF", "2023-01-01", None, None),
    )
    e = derive_dtt_episodes(t, CUT)
    assert e["regimen"].tolist() == ["UST+VDZ", "TOF+VDZ"]
    assert e["is_index"].tolist() == [True, False]
    assert e["episode_id"].tolist() == ["P1-E1", "P1-E2"]


def test_added_drug_previously_used_is_flagged_not_naive():
    t = therapies(
        ("UST", "2019-01-01", "2019-12-01", "secondary_loss_of_response"),
        ("VDZ", "2021-01-01", None, None),
        ("UST", "2022-01-01", None, None),
    )
    e = derive_dtt_episodes(t, CUT)
    assert e.iloc[0].added_drug == "UST" and not e.iloc[0].added_drug_naive


def test_concomitant_steroid_running_at_start_including_stop_on_day_zero():
    t = therapies(
        ("VDZ", "2022-01-01", None, None),
        ("UST", "2023-01-01", None, None),
        ("PDN", "2022-12-01", "2023-01-01", "remission_deescalation"),
        ("PDN", "2022-06-01", "2022-07-01", "remission_deescalation"),
    )
    e = derive_dtt_episodes(t, CUT)
    c = derive_concomitant_therapies(t, e, ("corticosteroid",))
    assert c["source_row"].tolist() == ["therapies:4"] and c["stop_day"].tolist() == [0]


def test_a_therapy_starting_on_the_episode_end_day_comes_after_it():
    # end = the earlier stop (2023-02-10); a course starting that very day follows the DTT
    for start in ("2023-02-10", "2023-02-11"):
        courses = therapies(
            ("TOF", "2022-03-05", "2023-02-10", "primary_non_response"),
            ("UST", "2022-09-05", "2023-02-10", "primary_non_response"),
            ("VDZ", start, None, None),
        )
        row = derive_dtt_episodes(courses, CUT).iloc[0]
        assert row.end_date == pd.Timestamp("2023-02-10")
        assert (row.status, row.subsequent_therapies) == ("switched", f"VDZ@{start}")


def test_follow_up_ending_on_dtt_is_censored_not_stopped():
    # both agents still given when the observation period ended (EHR) or the patient was
    # lost to follow-up: the episode is censored there, neither a stop nor a failure
    courses = therapies(
        ("VDZ", "2022-01-01", "2023-06-30", "end_of_follow_up"),
        ("UST", "2022-06-01", "2023-06-30", "end_of_follow_up"),
    )
    row = derive_dtt_episodes(courses, CUT).iloc[0]
    assert (row.status, row.follow_up_ended, row.stopped_for_failure) == ("maintained", True, False)
    assert not row.ongoing_at_data_cut and row.end_date == pd.Timestamp("2023-06-30")
    from ibd_dtt.report.safety import persistence_data

    patients = pd.DataFrame([row]).assign(diagnosis="CD")
    assert persistence_data(patients)["ended"].tolist() == [False]
    # one agent stopped for failure on the same day: a stop, not a censoring
    failed = therapies(
        ("VDZ", "2022-01-01", "2023-06-30", "secondary_loss_of_response"),
        ("UST", "2022-06-01", "2023-06-30", "end_of_follow_up"),
    )
    row = derive_dtt_episodes(failed, CUT).iloc[0]
    assert (row.follow_up_ended, row.stopped_for_failure) == (False, True)
