"""Problems in the order of their cause (issue 14 item 4): configuration errors that name the
key, the value and the expected form and keep the valid settings; tables found whatever the
case of their file or sheet name; a missing table first and its consequences in one line;
the console location of a problem in a workbook."""

import shutil
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.config import load_study_config, read_study_config
from ibd_dtt.errors import ConfigError
from ibd_dtt.pipeline import load_registry

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _day_first(folder: Path) -> None:
    """Rewrite the therapies' start dates day-first (2022-03-14 -> 14/03/2022)."""
    path = folder / "therapies.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    start = header.index("start_date")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells[start]) == 10:
            y, m, d = cells[start].split("-")
            cells[start] = f"{d}/{m}/{y}"
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n")


def test_a_day_first_data_cut_is_one_error_naming_key_value_and_form_and_dmy_still_applies(
    tmp_path,
):
    folder = _copy(tmp_path)
    _day_first(folder)
    (folder / "study.yaml").write_text("data_cut_date: 31/01/2024\ndate_format: dmy\n")
    result = load_registry(folder)
    errors = result.report.errors
    # one error: the day-first therapy dates are read as dmy, not "ambiguous day/month order"
    assert len(errors) == 1, errors[["rule", "message"]]
    error = errors.iloc[0]
    assert (error["rule"], error["column"], error["value"]) == (
        "config.invalid",
        "data_cut_date",
        "31/01/2024",
    )
    assert "write 2024-01-31" in error["message"]
    assert "YYYY-MM-DD" in error["expected"] and "2024-01-31" in error["expected"]
    assert result.config is None  # a wrong configuration never reaches an analysis
    assert result.tables["therapies"]["start_date"].notna().all()


def test_every_wrong_setting_is_named_and_the_valid_ones_are_kept(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(
        "data_cut: 2024-01-31\n"
        "date_format: dmy\n"
        "crp_uln_mg_l: -1\n"
        "csv: {delimiter: '|'}\n"
        "blank_hbi_complications: absent\n"
    )
    reading = read_study_config(path)
    by_key = {p.key: p for p in reading.problems}
    assert set(by_key) == {"data_cut", "data_cut_date", "crp_uln_mg_l", "csv.delimiter"}
    assert "did you mean 'data_cut_date'" in by_key["data_cut"].message
    assert by_key["data_cut_date"].message == "data_cut_date is required but missing"
    assert by_key["crp_uln_mg_l"].value == -1
    assert "crp_uln_mg_l: 5" in by_key["crp_uln_mg_l"].expected
    assert reading.config is None
    assert reading.usable.date_format == "dmy"
    assert reading.usable.blank_hbi_complications == "absent"
    assert reading.usable.crp_uln_mg_l == 5  # the default in place of the wrong value
    try:
        load_study_config(path)
    except ConfigError as exc:
        assert "unknown setting 'data_cut'" in str(exc) and "expected" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a wrong configuration must raise")


def test_an_ambiguous_day_first_data_cut_offers_both_readings(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("data_cut_date: 03/04/2024\n")
    (problem,) = read_study_config(path).problems
    assert "write 2024-04-03 or 2024-03-04" in problem.message


def test_capitalised_file_and_sheet_names_are_read_with_a_warning(tmp_path, write_workbook):
    folder = _copy(tmp_path)
    (folder / "patients.csv").rename(folder / "Patients.csv")
    (folder / "adverse_events.csv").rename(folder / "Adverse Events.CSV")
    result = load_registry(folder)
    assert result.is_valid, result.report.errors
    warned = result.report.warnings.query("rule == 'file.table_name'")
    assert set(warned["table"]) == {"patients", "adverse_events"}
    assert len(result.tables["patients"]) == 18

    workbook = tmp_path / "registry.xlsx"
    write_workbook(EXAMPLE, workbook)
    book = load_workbook(workbook)
    book["patients"].title = "renamed"  # openpyxl would make "Patients" "Patients1"
    book["renamed"].title = "Patients"
    book.save(workbook)
    result = load_registry(workbook)
    assert result.is_valid
    (sheet,) = result.report.warnings.query("rule == 'file.table_name'")["sheet"]
    assert sheet == "Patients"


def test_two_files_for_one_table_are_an_error(tmp_path):
    folder = _copy(tmp_path)
    shutil.copy(folder / "patients.csv", folder / "PATIENTS.csv")
    errors = load_registry(folder).report.errors
    (message,) = errors.query("rule == 'file.ambiguous_file'")["message"]
    assert "PATIENTS.csv" in message and "patients.csv" in message


def test_a_missing_patients_table_comes_first_and_its_consequences_are_one_line(tmp_path):
    folder = _copy(tmp_path)
    (folder / "patients.csv").rename(folder / "patients_old.txt")
    report = load_registry(folder).report
    assert report.problems.iloc[0]["rule"] == "file.missing_table"
    assert len(report.errors) == 1
    assert not (report.problems["rule"] == "ref.unknown_patient").any()
    (summary,) = report.warnings.query("rule == 'ref.not_checked'")["message"]
    # 90 therapy rows, 57 visits and 5 adverse events of the paper cohort
    assert "152 row(s) (therapies 90, assessments 57, adverse_events 5)" in summary


def test_configuration_errors_come_before_row_errors(tmp_path):
    folder = _copy(tmp_path)
    (folder / "study.yaml").write_text("data_cut_date: 2024-01-31\nunits: mg\n")
    text = (folder / "assessments.csv").read_text().splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("mayo_stool_frequency")] = "9"
    (folder / "assessments.csv").write_text("\n".join([text[0], ",".join(cells), *text[2:]]))
    rules = list(load_registry(folder).report.errors["rule"])
    assert rules[0] == "config.invalid" and len(rules) == 2


def test_the_console_names_file_sheet_and_row_of_a_workbook_problem(tmp_path, write_workbook):
    workbook = tmp_path / "registry.xlsx"
    write_workbook(EXAMPLE, workbook)
    book = load_workbook(workbook)
    book["therapies"]["C2"] = "XYZ"
    book.save(workbook)
    result = CliRunner().invoke(app, ["validate", str(workbook)])
    assert result.exit_code == 1
    assert "registry.xlsx [therapies]:2" in result.stdout  # not swallowed as markup


def test_the_six_patient_scenario_gives_causes_in_order_and_never_a_silent_score_loss(
    tmp_path, write_workbook
):
    """Issue 14's scenario: a 6-patient workbook (3 UC, 3 CD) with a sheet named 'Patients',
    HBI complications left blank and a day-first data cut."""
    import pandas as pd

    from ibd_dtt.contract import TABLES
    from ibd_dtt.pipeline import analyse_registry, score_registry
    from ibd_dtt.report import build_report

    folder = tmp_path / "six"
    folder.mkdir()
    patients = pd.read_csv(EXAMPLE / "patients.csv", dtype=str, keep_default_na=False)
    chosen = list(patients[patients["diagnosis"] == "UC"]["patient_id"][:3]) + list(
        patients[patients["diagnosis"] == "CD"]["patient_id"][:3]
    )
    for name in TABLES:
        frame = pd.read_csv(EXAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        frame = frame[frame["patient_id"].isin(chosen)]
        if name == "assessments":
            frame[
                [
                    c
                    for c in frame.columns
                    if c.startswith("hbi_")
                    and c
                    not in (
                        "hbi_general_wellbeing",
                        "hbi_abdominal_pain",
                        "hbi_liquid_stools",
                        "hbi_abdominal_mass",
                    )
                ]
            ] = ""
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "study.yaml").write_text("data_cut_date: 31/01/2024\ndate_format: dmy\n")
    workbook = tmp_path / "six.xlsx"
    write_workbook(folder, workbook)
    book = load_workbook(workbook)
    book["patients"].title = "renamed"
    book["renamed"].title = "Patients"
    book.save(workbook)

    result = load_registry(workbook)
    problems = result.report.problems
    assert list(result.report.errors["rule"]) == ["config.invalid"]  # the cause, alone
    assert "write 2024-01-31" in problems.iloc[0]["message"]
    warnings = result.report.warnings
    assert "file.table_name" in set(warnings["rule"])
    not_computable = warnings[warnings["rule"] == "score.not_computable"]
    assert sorted(not_computable["patient_id"]) == sorted(chosen[3:])  # one per CD patient
    assert all("all 8 complication columns" in m for m in not_computable["message"])

    workbook.with_suffix(".study.yaml").write_text("data_cut_date: 2024-01-31\ndate_format: dmy\n")
    result = load_registry(workbook)
    assert result.is_valid
    scored = score_registry(result)
    report = build_report(scored, [analyse_registry(scored, "paper")])
    (alert,) = report.alerts
    assert alert.startswith("Clinical response: no CD patient is evaluable")
    assert "HBI not computable" in alert
