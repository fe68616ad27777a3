"""Visit windows: bounds, tie-breaking, baseline, after-episode policy and LOCF."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ibd_dtt.errors import ConfigError
from ibd_dtt.windows import derive_analysis_visits, load_visit_windows
from ibd_dtt.windows.visits import derive_locf_records

START = pd.Timestamp("2023-01-01")


def episode(end=None, status="maintained", stop_reason=None):
    return pd.DataFrame(
        [
            {
                "patient_id": "P1",
                "episode_id": "P1-E1",
                "start_date": START,
                "end_date": pd.Timestamp(end) if end else pd.Timestamp("2024-01-31"),
                "ongoing_at_data_cut": end is None,
                "status": status,
                "stop_reason": stop_reason,
            }
        ]
    )


def assessments(days_and_hbi):
    return pd.DataFrame(
        {
            "_row": range(2, 2 + len(days_and_hbi)),
            "patient_id": "P1",
            "visit_date": [START + pd.Timedelta(days=d) for d, _ in days_and_hbi],
            "hbi": [float(v) for _, v in days_and_hbi],
        }
    )


def selected(result, window):
    v = result.visits
    return v[(v["window"] == window) & (v["parameter"] == "hbi")]


@pytest.mark.parametrize(("day", "used"), [(76, False), (77, True), (105, True), (106, False)])
def test_three_month_window_is_day_77_to_105(day, used):
    # 3 months +/- 2 weeks = day 91 +/- 14
    r = derive_analysis_visits(assessments([(-2, 9), (day, 5)]), episode(), load_visit_windows())
    assert len(selected(r, "month_3")) == int(used)
    if not used:
        log = r.candidates[r.candidates["analysis_day"] == day]
        assert "month_3" not in set(log["window"].dropna())
        assert log["reason"].str.contains("outside every baseline/timepoint window").any()


@pytest.mark.parametrize(("day", "used"), [(-31, False), (-30, True), (7, True), (8, False)])
def test_baseline_window_is_day_minus_30_to_7(day, used):
    r = derive_analysis_visits(assessments([(day, 9), (91, 5)]), episode(), load_visit_windows())
    assert len(selected(r, "baseline")) == int(used)


def test_tie_goes_to_the_earlier_visit_and_is_logged():
    r = derive_analysis_visits(
        assessments([(-2, 12), (84, 7), (98, 6)]), episode(), load_visit_windows()
    )
    chosen = selected(r, "month_3").iloc[0]
    assert chosen.analysis_day == 84 and chosen.value == 7 and chosen.change == -5
    log = r.candidates[(r.candidates["window"] == "month_3") & (r.candidates["analysis_day"] == 98)]
    assert not log["selected"].iloc[0] and "tie" in log["reason"].iloc[0]


def test_closest_to_target_wins_and_baseline_is_the_last_in_window():
    r = derive_analysis_visits(
        assessments([(-20, 10), (-3, 9), (80, 7), (93, 6)]), episode(), load_visit_windows()
    )
    assert selected(r, "baseline").iloc[0].value == 9
    assert selected(r, "month_3").iloc[0].analysis_day == 93


def test_assessments_after_the_episode_are_not_attributed_by_default():
    data = assessments([(-2, 9), (90, 5), (272, 2)])
    ended = episode(end="2023-07-08", status="de-escalated", stop_reason="remission_deescalation")
    default = derive_analysis_visits(data, ended, load_visit_windows())
    assert selected(default, "month_9").empty
    reason = default.candidates[default.candidates["analysis_day"] == 272]["reason"].iloc[0]
    assert "after the DTT episode ended" in reason
    planned = derive_analysis_visits(
        data, ended, load_visit_windows(after_episode="include_after_deescalation")
    )
    assert selected(planned, "month_9").iloc[0].value == 2
    failure = episode(end="2023-07-08", status="de-escalated", stop_reason="primary_non_response")
    not_planned = derive_analysis_visits(
        data, failure, load_visit_windows(after_episode="include_after_deescalation")
    )
    assert selected(not_planned, "month_9").empty


def test_locf_carries_the_last_follow_up_value_only_to_opened_windows():
    windows = load_visit_windows()
    r = derive_analysis_visits(assessments([(-2, 9), (91, 5)]), episode(), windows)
    # data cut 2023-07-15 = day 195: month_6 (opens day 153) imputed; month_9 (244) not
    locf = derive_locf_records(r.visits, episode(), windows, dt.date(2023, 7, 15))
    hbi = locf[locf["parameter"] == "hbi"].set_index("window")
    assert hbi.loc["month_6", "dtype"] == "LOCF" and hbi.loc["month_6", "value"] == 5
    assert "month_9" not in hbi.index


def test_overlapping_windows_are_refused(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "version: '1'\n"
        "baseline: {name: baseline, label: b, lower_day: -30, upper_day: 7}\n"
        "timepoints:\n"
        "  - {name: m1, label: m1, target_day: 30, lower_day: 5, upper_day: 40}\n"
    )
    with pytest.raises(ConfigError, match="overlap"):
        load_visit_windows(path)


@pytest.mark.parametrize(("end_day", "attributed"), [(91, True), (90, False)])
def test_a_visit_on_the_episode_end_day_belongs_to_the_episode(end_day, attributed):
    # the visit is on day 91; an episode ending that day still covers it (after = visit > end)
    ended = episode(
        end=START + pd.Timedelta(days=end_day), status="stopped", stop_reason="adverse_event"
    )
    r = derive_analysis_visits(assessments([(-2, 9), (91, 5)]), ended, load_visit_windows())
    assert len(selected(r, "month_3")) == int(attributed)
