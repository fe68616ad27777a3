"""The deliberately broken dataset in tests/data/broken/ gives exactly this list of problems.

Each expected problem is (severity, rule, table, row, column); rows are as a person sees them
in the CSV file (header = row 1).
"""

from pathlib import Path

import pytest

from ibd_dtt.pipeline import load_registry

BROKEN = Path(__file__).parents[1] / "data" / "broken"

EXPECTED = {
    # adverse_events.csv
    ("error", "date.resolution_before_onset", "adverse_events", 2, "resolution_date"),
    ("error", "code.inconsistent_outcome", "adverse_events", 3, "outcome"),  # grade 5, recovered
    ("error", "cell.integer", "adverse_events", 4, "ctcae_grade"),  # grade 7
    ("error", "cell.drugs", "adverse_events", 4, "suspected_drugs"),  # XYZ
    ("warning", "privacy.identifier_value", "adverse_events", 4, "term"),  # phone: masked
    # assessments.csv
    ("error", "key.duplicate", "assessments", 2, "visit_date"),
    ("error", "key.duplicate", "assessments", 3, "visit_date"),
    ("error", "cell.integer", "assessments", 4, "mayo_stool_frequency"),  # 4 on a 0-3 item
    ("error", "date.before_diagnosis", "assessments", 5, "visit_date"),
    ("error", "cell.integer", "assessments", 6, "hbi_general_wellbeing"),  # 5 on a 0-4 item
    ("error", "date.after_data_cut", "assessments", 7, "visit_date"),
    ("error", "cell.code", "assessments", 8, "crp_unit"),  # ug/L
    ("warning", "unit.suspicious_magnitude", "assessments", 2, "albumin"),  # 3.9 "g/L"
    ("warning", "score.incomplete", "assessments", 6, "hbi_general_wellbeing"),
    ("warning", "score.incomplete", "assessments", 9, "hbi_general_wellbeing"),
    # row 6's HBI cannot be computed (its 5 on a 0-4 item is an error, so the cell is empty),
    # said once per patient and instrument, naming the first empty item
    ("warning", "score.not_computable", "assessments", 6, "hbi_abdominal_pain"),
    ("warning", "cell.lab", "assessments", 4, "crp"),  # <5: censored, used as a bound
    # patients.csv
    ("error", "privacy.identifier_column", "patients", 1, "phone_number"),
    ("error", "code.inconsistent_diagnosis", "patients", 4, "montreal_extent"),  # E2 on CD
    ("error", "cell.code", "patients", 4, "sex"),
    ("error", "row.missing_age", "patients", 5, "age_at_diagnosis"),
    ("error", "key.duplicate", "patients", 5, "patient_id"),
    ("error", "key.duplicate", "patients", 6, "patient_id"),
    ("error", "cell.number", "patients", 7, "age_at_diagnosis"),  # 150
    ("error", "date.after_data_cut", "patients", 7, "diagnosis_date"),
    ("error", "code.inconsistent_indication", "patients", 7, "indication_active_eim"),
    # therapies.csv
    ("error", "date.stop_before_start", "therapies", 3, "stop_date"),
    ("error", "cell.drug", "therapies", 4, "drug"),
    ("error", "cell.partial_date", "therapies", 5, "start_date"),  # 31/02/2023
    ("error", "row.stop_reason_without_stop", "therapies", 6, "stop_reason"),
    ("error", "ref.unknown_patient", "therapies", 7, "patient_id"),
    ("error", "ref.patient_rejected", "therapies", 8, "patient_id"),
}


@pytest.fixture(scope="module")
def result():
    return load_registry(BROKEN)


def test_every_problem_is_reported_with_its_location(result):
    found = {
        (p.severity, p.rule, p.table, p.row, p.column) for p in result.report.problems.itertuples()
    }
    assert found == EXPECTED


def test_problem_reports_give_value_and_expectation(result):
    problems = result.report.problems.set_index(["table", "row", "column"])
    sf = problems.loc[("assessments", 4, "mayo_stool_frequency")]
    assert sf["value"] == "4"
    assert sf["expected"] == "a whole number from 0 to 3"
    assert sf["patient_id"] == "P01"
    assert Path(sf["file"]).name == "assessments.csv"


def test_identifier_values_are_never_copied_into_the_report(result):
    values = " ".join(result.report.problems["value"].dropna())
    assert "0171" not in values
    assert "withheld" in values


def test_identifier_column_is_not_in_the_validated_table(result):
    assert "phone_number" not in result.tables["patients"].columns


def test_accepted_plus_rejected_rows_equal_input_rows(result):
    counts = result.accounting().set_index("table")
    assert (counts["accepted"] + counts["rejected"] == counts["input_rows"]).all()
    assert counts.loc["patients"].tolist() == [6, 2, 4]
    assert counts.loc["assessments"].tolist() == [8, 1, 7]


def test_rejected_rows_list_every_reason(result):
    rejected = result.rejected.set_index(["table", "row"])
    reasons = rejected.loc[("patients", 7), "reasons"]
    assert "age_at_diagnosis: above the maximum 100" in reasons
    assert "diagnosis_date: after the data cut (2024-01-31)" in reasons


def test_day_first_dates_are_read_when_configured(result):
    therapies = result.tables["therapies"]
    assert therapies.loc[therapies["drug"] == "UST", "start_date"].iloc[0].isoformat()[:10] == (
        "2023-01-05"
    )


def test_report_is_written_as_csv_and_json(result, tmp_path):
    import json

    result.report.write(tmp_path / "report.json")
    result.report.write(tmp_path / "report.csv")
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["valid"] is False
    assert len(data["problems"]) == len(EXPECTED)
    assert (tmp_path / "report.csv").read_text().count("\n") == len(EXPECTED) + 1
