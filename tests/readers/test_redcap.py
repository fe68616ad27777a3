"""REDCap (issue 14 item 6): the shipped project, and exports read in REDCap's own formats.

REDCap is licensed software and cannot run here: the exports are written in REDCap's
documented formats (REDCap Help & FAQ "Data Exports"; API content=record/metadata) from the
shipped dictionary, by ``ibd_dtt.forms.redcap.write_redcap_records``; the API path is
tested with PyCap against a recorded server answer.
"""

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import requests
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.contract import TABLES
from ibd_dtt.forms.redcap import (
    DICTIONARY_COLUMNS,
    METADATA_COLUMNS,
    data_dictionary,
    repeating_instruments,
    write_redcap_records,
)
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "paper_cohort"
TOKEN = "0123456789ABCDEF0123456789ABCDEF"


def _paper_tables() -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(EXAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }


def _export(tmp_path: Path, labels: bool, api_dictionary: bool = False, **kw) -> Path:
    """A REDCap export of the paper cohort with its dictionary and study.yaml beside it."""
    folder = tmp_path / ("labels" if labels else "raw")
    folder.mkdir()
    tables = kw.pop("tables", None) or _paper_tables()
    path = write_redcap_records(tables, folder / "DTT_DATA_2024-01-31_1200.csv", labels, **kw)
    dictionary = data_dictionary()
    if api_dictionary:  # content=metadata names its columns differently
        dictionary.columns = list(METADATA_COLUMNS)
        dictionary.to_csv(folder / "data_dictionary.csv", index=False)
    else:
        dictionary.to_csv(folder / "DTT_DataDictionary_2024-01-31.csv", index=False)
    shutil.copy(EXAMPLE / "study.yaml", folder / "study.yaml")
    return path


def _without_rows(result) -> dict[str, pd.DataFrame]:
    return {name: frame.drop(columns="_row") for name, frame in result.tables.items()}


def _report_tables(result) -> dict[str, pd.DataFrame]:
    scored = score_registry(result)
    report = build_report(scored, [analyse_registry(scored, "paper")])
    return {key: table.display for key, table in report.tables.items()}


def test_the_shipped_project_is_generated_from_the_contract():
    shipped = pd.read_csv(ROOT / "redcap" / "data_dictionary.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(shipped, data_dictionary().astype(str))
    repeating = pd.read_csv(ROOT / "redcap" / "repeating_instruments.csv", dtype=str)
    pd.testing.assert_frame_equal(repeating, repeating_instruments())


def test_the_dictionary_follows_redcaps_rules():
    d = data_dictionary()
    assert tuple(d.columns) == DICTIONARY_COLUMNS
    names = d["Variable / Field Name"]
    assert names.iloc[0] == "patient_id" and d["Form Name"].iloc[0] == "patients"
    assert names.is_unique
    # REDCap: variable names are lower case letters, digits and underscores, from a letter
    assert names.str.fullmatch(r"[a-z][a-z0-9_]{0,99}").all()
    assert set(d["Field Type"]) <= {"text", "dropdown", "checkbox", "yesno", "calc"}
    assert set(d["Text Validation Type OR Show Slider Number"]) <= {
        "",
        "integer",
        "number",
        "date_ymd",
    }
    for row in d[d["Field Type"].isin(["dropdown", "checkbox"])].itertuples(index=False):
        codes = [item.split(",", 1)[0].strip() for item in row[5].split(" | ")]
        assert all(re.fullmatch(r"[A-Za-z0-9_]+", c) for c in codes), (row[0], codes)
    for logic in d["Branching Logic (Show field only if...)"]:
        for field in re.findall(r"\[(\w+)\]", logic):
            assert field == "diagnosis"
    for formula in d.loc[d["Field Type"] == "calc", "Choices, Calculations, OR Slider Labels"]:
        assert set(re.findall(r"\[(\w+)\]", formula)) <= set(names)
    contract = {c.name for t in TABLES.values() for c in t.columns}
    assert contract <= set(names)
    # UC items only for UC/IBDU, CD items only for CD
    logic = dict(zip(names, d["Branching Logic (Show field only if...)"], strict=True))
    assert logic["mayo_stool_frequency"] == "[diagnosis] = 'UC' or [diagnosis] = 'IBDU'"
    assert logic["hbi_abdominal_mass"] == "[diagnosis] = 'CD'"
    ranges = d.set_index("Variable / Field Name")
    assert (
        ranges.loc["hbi_general_wellbeing", "Text Validation Min"],
        ranges.loc["hbi_general_wellbeing", "Text Validation Max"],
    ) == ("0", "4")


@pytest.mark.parametrize("api_dictionary", [False, True])
def test_a_raw_export_round_trips_to_the_same_tables_and_report(tmp_path, api_dictionary):
    export = _export(tmp_path, labels=False, api_dictionary=api_dictionary)
    from_redcap, from_csv = load_registry(export), load_registry(EXAMPLE)
    assert from_redcap.report.problems.empty, from_redcap.report.problems
    redcap_tables, csv_tables = _without_rows(from_redcap), _without_rows(from_csv)
    for name in TABLES:
        pd.testing.assert_frame_equal(redcap_tables[name], csv_tables[name], check_like=True)
    if not api_dictionary:
        redcap_report, csv_report = _report_tables(from_redcap), _report_tables(from_csv)
        for key in csv_report:
            pd.testing.assert_frame_equal(redcap_report[key], csv_report[key])


def test_a_labels_export_with_centers_as_data_access_groups_round_trips(tmp_path):
    tables = _paper_tables()
    centers = sorted(set(tables["patients"]["center"]))
    tables["patients"]["center"] = ""  # the center is only the DAG
    export = _export(
        tmp_path,
        labels=True,
        tables=tables,
        data_access_groups_by_center=None,
    )
    # DAG labels as REDCap writes them in a labels export (on each record's first row)
    original = _paper_tables()["patients"].set_index("patient_id")["center"]
    with export.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    dag, instrument = rows[0].index("Data Access Group"), rows[0].index("Repeat Instrument")
    for row in rows[1:]:
        row[dag] = original[row[0]] if not row[instrument] else ""
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = load_registry(export)
    assert result.is_valid, result.report.errors
    (warning,) = result.report.warnings["message"]
    assert "center taken from the Data Access Group for 18 row(s)" in warning
    redcap_tables, csv_tables = _without_rows(result), _without_rows(load_registry(EXAMPLE))
    for name in TABLES:
        pd.testing.assert_frame_equal(redcap_tables[name], csv_tables[name], check_like=True)
    assert sorted(set(result.tables["patients"]["center"])) == centers


def test_missing_data_codes_are_read_as_not_recorded_with_a_warning(tmp_path):
    tables = _paper_tables()
    tables["assessments"].loc[0, "crp"] = "UNK"
    tables["assessments"].loc[1, "albumin"] = "NASK"
    export = _export(tmp_path, labels=False, tables=tables)
    result = load_registry(export)
    assert result.is_valid
    (message,) = result.report.warnings.query("rule == 'redcap.missing_data_codes'")["message"]
    assert "2 cell(s)" in message and "NASK 1" in message and "UNK 1" in message
    first = result.tables["assessments"].iloc[0]
    assert pd.isna(first["crp"])


def test_a_labels_export_without_its_dictionary_is_one_clear_error(tmp_path):
    export = _export(tmp_path, labels=True)
    (export.parent / "DTT_DataDictionary_2024-01-31.csv").unlink()
    errors = load_registry(export).report.errors
    assert list(errors["rule"]) == ["redcap.labels_without_dictionary"]
    result = CliRunner().invoke(app, ["validate", str(export)])
    assert result.exit_code == 1 and "data dictionary" in result.stdout


def test_a_problem_in_an_export_names_the_form_and_line(tmp_path):
    tables = _paper_tables()
    tables["therapies"].loc[0, "start_date"] = "2020-13-45"
    export = _export(tmp_path, labels=False, tables=tables)
    errors = load_registry(export).report.errors
    (error,) = errors.itertuples()
    assert (error.sheet, error.column) == ("therapies", "start_date")
    line = pd.read_csv(export, dtype=str, keep_default_na=False)
    # the export's line (header = line 1) of the first therapies row
    first = line.index[line["redcap_repeat_instrument"] == "therapies"][0] + 2
    assert error.row == first


class _RecordedRedcap:
    """Answers PyCap's POSTs as a REDCap server answered them (content=record / metadata,
    format=csv), and records what was asked."""

    def __init__(self, records: str, metadata: str):
        self.records, self.metadata, self.asked = records, metadata, []

    def post(self, url, data=None, **kwargs):
        self.asked.append(dict(data))
        response = requests.Response()
        response.status_code = 200
        as_json = data.get("format") == "json"
        if data["token"] != TOKEN:
            body = "ERROR: You do not have permissions to use the API"
            body = json.dumps({"error": body[7:]}) if as_json else body
        elif as_json:  # PyCap reads the project's fields as JSON first
            text = {"record": self.records, "metadata": self.metadata}[data["content"]]
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            body = frame.to_json(orient="records")
        else:
            body = {"record": self.records, "metadata": self.metadata}[data["content"]]
        response._content = body.encode("utf-8")
        response.headers["Content-Type"] = (
            "application/json" if as_json else "text/csv; charset=utf-8"
        )
        response.encoding = "utf-8"
        return response


@pytest.fixture
def recorded_server(tmp_path, monkeypatch):
    redcap_request = pytest.importorskip("redcap.request")
    export = _export(tmp_path, labels=False, api_dictionary=True)
    server = _RecordedRedcap(
        export.read_text(encoding="utf-8"),
        (export.parent / "data_dictionary.csv").read_text(encoding="utf-8"),
    )
    monkeypatch.setattr(redcap_request._session, "post", server.post)
    return server


def test_the_api_path_downloads_records_and_dictionary_that_validate(
    tmp_path, recorded_server, monkeypatch
):
    out = tmp_path / "fetched"
    out.mkdir()
    shutil.copy(EXAMPLE / "study.yaml", out / "study.yaml")
    monkeypatch.setenv("REDCAP_API_TOKEN", TOKEN)
    result = CliRunner().invoke(
        app, ["redcap", "fetch", "--url", "https://redcap.example.org/api/", "--out", str(out)]
    )
    assert result.exit_code == 0, result.stdout
    assert TOKEN not in result.stdout
    asked = {q["content"]: q for q in recorded_server.asked}
    assert asked["record"]["format"] == "csv" and asked["record"]["rawOrLabel"] == "raw"
    assert asked["record"]["exportDataAccessGroups"] in (True, "true")
    assert (out / "study.yaml").is_file()  # kept
    fetched = load_registry(out / "records.csv")
    assert fetched.report.problems.empty, fetched.report.problems
    expected = _without_rows(load_registry(EXAMPLE))
    for name, frame in _without_rows(fetched).items():
        pd.testing.assert_frame_equal(frame, expected[name], check_like=True)


def test_a_refused_or_missing_token_is_one_line_and_never_echoed(
    tmp_path, recorded_server, monkeypatch
):
    wrong = "FEDCBA9876543210FEDCBA9876543210"
    monkeypatch.setenv("REDCAP_API_TOKEN", wrong)
    args = [
        "redcap",
        "fetch",
        "--url",
        "https://redcap.example.org/api/",
        "--out",
        str(tmp_path / "o"),
    ]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2
    assert "You do not have permissions" in refused.stdout and wrong not in refused.stdout
    monkeypatch.delenv("REDCAP_API_TOKEN")
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 2 and "REDCAP_API_TOKEN" in missing.stdout


def test_the_project_command_writes_the_three_upload_files(tmp_path):
    out = tmp_path / "project"
    result = CliRunner().invoke(
        app, ["redcap", "project", "--out", str(out), "--center", "Hôpital Nord", "--center", "B"]
    )
    assert result.exit_code == 0, result.stdout
    dags = pd.read_csv(out / "data_access_groups.csv", dtype=str)
    assert list(dags["unique_group_name"]) == ["h_pital_nord", "b"]
    assert (out / "data_dictionary.csv").is_file() and (out / "repeating_instruments.csv").is_file()


def test_a_single_table_csv_is_not_taken_for_a_redcap_export():
    result = CliRunner().invoke(app, ["validate", str(EXAMPLE / "patients.csv")])
    assert result.exit_code == 2
    assert "no REDCap columns" in result.stdout and "give the folder" in result.stdout


def test_a_longitudinal_export_with_visits_as_events_gives_the_same_tables(tmp_path):
    """Projects that keep visits as events (month_3_arm_1 ...) export one non-repeating row
    per record and event, with redcap_event_name; visits are windowed from their dates."""
    export = _export(tmp_path, labels=False)
    with export.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    instrument = header.index("redcap_repeat_instrument")
    instance = header.index("redcap_repeat_instance")
    out = [[header[0], "redcap_event_name", *header[1:]]]
    for row in rows[1:]:
        event = "baseline_arm_1"
        if row[instrument] == "assessments":
            event = f"visit_{row[instance]}_arm_1"
            row[instrument] = row[instance] = ""
        out.append([row[0], event, *row[1:]])
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(out)
    result = load_registry(export)
    assert result.report.problems.empty, result.report.problems
    expected = _without_rows(load_registry(EXAMPLE))
    for name, frame in _without_rows(result).items():
        pd.testing.assert_frame_equal(frame, expected[name], check_like=True)
