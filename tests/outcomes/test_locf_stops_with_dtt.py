"""LOCF carries a value forward only while the patient is on DTT (issue 15 item 7).

Paper cohort: DTT03 responded at month 3 and stopped DTT for an adverse event on day 125;
DTT01 de-escalated in remission on day 188. Month-6 window: days 153-213; month 12:
335-395."""

from pathlib import Path

import pytest

from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


@pytest.fixture(scope="module")
def scored():
    return score_registry(load_registry(EXAMPLE))


def _result(analysis, patient, timepoint, outcome="clinical_response"):
    o = analysis.outcomes
    row = o[
        (o["patient_id"] == patient) & (o["outcome"] == outcome) & (o["timepoint"] == timepoint)
    ]
    return row.iloc[0]


def test_a_stop_for_an_adverse_event_ends_locf_and_counts_as_non_response(scored):
    locf = analyse_registry(scored, "paper", "locf")
    episode = locf.episodes.set_index("patient_id").loc["DTT03"]
    assert (episode["duration_days"], episode["stop_reason"]) == (125, "adverse_event")
    assert _result(locf, "DTT03", "month_3")["result"] == "yes"
    month_6 = _result(locf, "DTT03", "month_6")
    assert month_6["result"] == "no" and month_6["imputed"]
    assert "NRI: DTT stopped on day 125" in month_6["branch"]
    carried = locf.visits[(locf.visits["patient_id"] == "DTT03") & (locf.visits["dtype"] == "LOCF")]
    assert carried.empty  # nothing carried past the stop


def test_after_a_planned_de_escalation_locf_follows_the_window_policy(scored):
    paper = analyse_registry(scored, "paper", "locf")  # include_after_deescalation
    assert _result(paper, "DTT01", "month_12")["result"] == "yes"
    carried = paper.visits[
        (paper.visits["patient_id"] == "DTT01") & (paper.visits["dtype"] == "LOCF")
    ]
    assert "month_12" in set(carried["window"])
    strict = analyse_registry(scored, "paper", "locf", after_episode="exclude")
    assert _result(strict, "DTT01", "month_12")["result"] == "not_evaluable"
