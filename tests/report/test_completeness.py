"""Data completeness table and 'not evaluable' alerts (issue 14 item 3): a score that cannot
be computed never turns silently into a result for the other group."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report, write_report

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"
COMPLICATIONS = [
    "hbi_arthralgia",
    "hbi_uveitis",
    "hbi_erythema_nodosum",
    "hbi_aphthous_ulcers",
    "hbi_pyoderma_gangrenosum",
    "hbi_anal_fissure",
    "hbi_new_fistula",
    "hbi_abscess",
]


def test_completeness_counts_values_in_each_window_over_patients_expected(paper_report):
    table = paper_report.tables["data_completeness"]
    data = table.data.set_index(["parameter", "window"])
    patients = paper_report.cohort.patients
    visits = paper_report.primary.visits
    data_cut = paper_report.cohort.data_cut
    for window in paper_report.primary.windows.timepoints:
        for parameter, group in (("hbi", ["CD"]), ("partial_mayo", ["UC", "IBDU"]), ("crp", None)):
            members = patients if group is None else patients[patients["diagnosis"].isin(group)]
            opened = members["dtt_start"] + pd.Timedelta(days=window.lower_day) <= data_cut
            expected = set(members.loc[opened, "patient_id"])
            with_value = set(
                visits.loc[
                    (visits["parameter"] == parameter) & (visits["window"] == window.name),
                    "patient_id",
                ]
            )
            cell = data.loc[(parameter, window.name)]
            assert (cell["available"], cell["expected"]) == (
                len(expected & with_value),
                len(expected),
            )
    # the paper cohort: every CD patient has a baseline HBI, every UC patient a partial Mayo
    display = table.display.set_index("Variable")
    assert display.loc["Harvey-Bradshaw Index", "Baseline"] == "10/10"
    assert display.loc["Partial Mayo score", "Baseline"] == "8/8"
    assert paper_report.alerts == ()


@pytest.fixture(scope="module")
def blank_complications(tmp_path_factory):
    """The issue's scenario: HBI main items entered, the eight complications left blank."""
    folder = tmp_path_factory.mktemp("blank") / "data"
    shutil.copytree(EXAMPLE, folder)
    path = folder / "assessments.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[COMPLICATIONS] = ""
    frame.to_csv(path, index=False)
    scored = score_registry(load_registry(folder))
    return folder, build_report(scored, [analyse_registry(scored, "paper")])


def test_a_group_with_no_evaluable_primary_outcome_gets_an_alert_naming_the_cause(
    blank_complications, tmp_path
):
    folder, report = blank_complications
    (alert,) = report.alerts
    assert alert.startswith("Clinical response: no CD patient is evaluable at any timepoint")
    assert "no baseline hbi (10 of 10 patients)" in alert
    assert "HBI not computable at some visits of 10 patient(s)" in alert
    assert "blank_hbi_complications: absent" in alert
    hbi = (
        report.tables["data_completeness"]
        .display.set_index("Variable")
        .loc["Harvey-Bradshaw Index"]
    )
    assert hbi["Baseline"] == "0/10"
    files = write_report(report, tmp_path / "out", source=folder, generated_at="RUN")
    html = files["html"].read_text(encoding="utf-8")
    # the banner comes before the headline results
    assert html.index("Not evaluable.") < html.index("Headline results")
    assert "Data completeness" in html


def test_with_blank_complications_meaning_absent_there_is_no_alert(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLE, folder)
    path = folder / "assessments.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cd_rows = frame["hbi_general_wellbeing"] != ""
    frame.loc[cd_rows, COMPLICATIONS] = ""
    frame.to_csv(path, index=False)
    config = folder / "study.yaml"
    config.write_text(config.read_text() + "blank_hbi_complications: absent\n")
    scored = score_registry(load_registry(folder))
    report = build_report(scored, [analyse_registry(scored, "paper")])
    assert report.alerts == ()
    assert (
        report.tables["data_completeness"]
        .display.set_index("Variable")
        .loc["Harvey-Bradshaw Index", "Baseline"]
        == "10/10"
    )
