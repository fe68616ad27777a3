"""The corpus of issue 12: the example cohort exported the way hospitals export data, and
broken the way real files break. Each case is generated here from the example (so the
fixtures cannot drift from it) and states the exit code and the message it must give;
none may end in a traceback, and every input row is accounted for (accepted + rejected).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.contract import TABLES
from ibd_dtt.pipeline import load_registry

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"
runner = CliRunner()


def _copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data, ignore=shutil.ignore_patterns("README.md"))
    return data


def _edit_text(data: Path, table: str, edit: Callable[[str], str], encoding="utf-8") -> None:
    path = data / f"{table}.csv"
    path.write_bytes(edit(path.read_text(encoding="utf-8")).encode(encoding))


def _edit_config(data: Path, edit: Callable[[str], str], encoding="utf-8") -> None:
    path = data / "study.yaml"
    path.write_bytes(edit(path.read_text(encoding="utf-8")).encode(encoding))


def _lines(table: str) -> list[str]:
    return (EXAMPLE / f"{table}.csv").read_text(encoding="utf-8").splitlines()


def _replace_line(data: Path, table: str, index: int, new: str) -> None:
    lines = _lines(table)
    lines[index] = new
    (data / f"{table}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], None]
    exit_code: int
    message: str
    command: str = "validate"


def _european(data: Path) -> None:
    # Excel on a German/French Windows: semicolons, decimal commas, Windows-1252
    for table in TABLES:
        frame = pd.read_csv(EXAMPLE / f"{table}.csv", dtype=str, keep_default_na=False)
        for column in frame.columns:
            frame[column] = frame[column].str.replace(r"^(\d+)\.(\d+)$", r"\1,\2", regex=True)
        frame.to_csv(data / f"{table}.csv", sep=";", index=False, encoding="cp1252")


def _tabbed_utf16(data: Path) -> None:
    for table in TABLES:
        frame = pd.read_csv(EXAMPLE / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.to_csv(data / f"{table}.csv", sep="\t", index=False, encoding="utf-16")


def _title_rows(data: Path) -> None:
    _edit_text(data, "patients", lambda t: "DTT registry export;;\nPrinted 2024-02-01\n\n" + t)


def _datetimes(data: Path) -> None:
    _edit_text(
        data,
        "therapies",
        lambda t: t.replace(",2020-01-11,", ",2020-01-11 00:00:00,").replace(
            ",2020-09-10,", ",2020-09-10T10:30,"
        ),
    )


def _no_data_left(data: Path) -> None:
    frame = pd.read_csv(EXAMPLE / "therapies.csv", dtype=str, keep_default_na=False)
    frame["start_date"] = "not a date"
    frame.to_csv(data / "therapies.csv", index=False)


CASES = [
    Case(
        "duplicated header",
        lambda d: _edit_text(
            d,
            "adverse_events",
            lambda t: t.replace("term,", "crp,term,", 0).replace("category,", "term,", 1),
        ),
        1,
        "both mean 'term'",
    ),
    Case(
        "console markup in a value",
        lambda d: _edit_text(d, "therapies", lambda t: t.replace(",UST,", ",[/bold]x,", 1)),
        1,
        "[/bold]x",
    ),
    Case(
        "study.yaml in Latin-1",
        lambda d: _edit_config(d, lambda t: t.replace("DTT case series", "Étude DTT"), "latin-1"),
        2,
        "not UTF-8",
    ),
    Case(
        "infinite CRP limit",
        lambda d: _edit_config(d, lambda t: t.replace("crp_uln_mg_l: 5", "crp_uln_mg_l: .inf")),
        2,
        "crp_uln_mg_l",
    ),
    Case(
        "data cut in 2100",
        lambda d: _edit_config(d, lambda t: t.replace("2024-01-31", "2100-01-31")),
        2,
        "in the future",
    ),
    Case("no study.yaml", lambda d: (d / "study.yaml").unlink(), 2, "no study configuration"),
    Case(
        "empty study.yaml",
        lambda d: (d / "study.yaml").write_text(""),
        2,
        "data_cut_date is required",
    ),
    Case(
        "malformed study.yaml",
        lambda d: (d / "study.yaml").write_text("a: [1\n"),
        2,
        "not valid YAML",
    ),
    Case("unknown key", lambda d: _edit_config(d, lambda t: t + "colour: blue\n"), 2, "colour"),
    Case(
        "wrong type",
        lambda d: _edit_config(d, lambda t: t.replace("crp_uln_mg_l: 5", "crp_uln_mg_l: five")),
        2,
        "crp_uln_mg_l",
    ),
    Case(
        "YAML tag",
        lambda d: _edit_config(d, lambda t: t + "x: !!python/object/apply:os.system ['true']\n"),
        2,
        "not valid YAML",
    ),
    Case(
        "truncated line",
        lambda d: _replace_line(d, "therapies", 5, _lines("therapies")[5].rsplit(",", 6)[0]),
        1,
        "field(s) but the header has",
    ),
    Case(
        "unclosed quote",
        lambda d: _edit_text(d, "adverse_events", lambda t: t.replace(",Arthralgia,", ',"Arthr,')),
        1,
        "never closed",
    ),
    Case(
        "1 MB cell",
        lambda d: _edit_text(
            d, "adverse_events", lambda t: t.replace(",Arthralgia,", ',"' + "x" * 1_000_000 + '",')
        ),
        1,
        "characters",
    ),
    Case("semicolons, decimal commas, cp1252", _european, 0, "semicolon"),
    Case("tabs in UTF-16", _tabbed_utf16, 0, "utf-16"),
    Case("title rows above the header", _title_rows, 0, "above the header were skipped"),
    Case("ISO datetimes in CSV", _datetimes, 0, "time 10:30 dropped"),
    Case(
        "allow-rejected with no therapy left",
        _no_data_left,
        1,
        "nothing to analyse",
        "report",
    ),
    Case(
        "allow-rejected with the assessments file missing",
        lambda d: (d / "assessments.csv").unlink(),
        1,
        "missing or unreadable",
        "report",
    ),
    Case(
        "allow-rejected with an unreadable adverse-event file",
        lambda d: _edit_text(d, "adverse_events", lambda t: t.replace(",Alopecia,", ',"Alop,')),
        1,
        "adverse_events missing or unreadable",
        "report",
    ),
    Case(
        "allow-rejected with an empty patients table",
        lambda d: (d / "patients.csv").write_text(_lines("patients")[0] + "\n"),
        1,
        "no patient row",
        "report",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(tmp_path, case):
    data = _copy(tmp_path)
    case.build(data)
    if case.command == "report":
        args = ["report", str(data), "--out", str(tmp_path / "out"), "--allow-rejected"]
    else:
        args = ["validate", str(data)]
    result = runner.invoke(app, args)
    # the console wraps long messages inside table cells: look in the problem list too
    problems = load_registry(data).report.problems
    said = " ".join(
        [" ".join(result.stdout.split())]
        + [str(v) for v in problems["message"].tolist() + problems["value"].tolist()]
    )
    assert result.exit_code == case.exit_code, result.stdout
    assert case.message in said, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout
    assert not (tmp_path / "out").exists()
    if case.exit_code != 2:
        counts = load_registry(data).accounting()
        assert (counts["accepted"] + counts["rejected"] == counts["input_rows"]).all()


def test_a_truncated_line_is_rejected_not_read_as_an_ongoing_course(tmp_path):
    data = _copy(tmp_path)
    _replace_line(data, "therapies", 5, _lines("therapies")[5].rsplit(",", 6)[0])
    result = load_registry(data)
    rejected = result.rejected.query("table == 'therapies'")
    assert rejected["row"].tolist() == [6]
    assert "header has" in rejected["reasons"].iloc[0]


def test_an_unclosed_quote_does_not_swallow_the_rows_after_it(tmp_path):
    data = _copy(tmp_path)
    _edit_text(data, "adverse_events", lambda t: t.replace(",Arthralgia,", ',"Arthr,'))
    result = load_registry(data)
    problem = result.report.errors.query("rule == 'file.unclosed_quote'")
    assert problem["row"].tolist() == [2]
    assert result.lost_tables == ("adverse_events",)


def test_european_and_utf16_exports_give_the_same_tables_as_the_original(tmp_path):
    original = load_registry(EXAMPLE)
    for build in (_european, _tabbed_utf16):
        data = _copy(tmp_path / build.__name__)
        build(data)
        result = load_registry(data)
        assert result.is_valid, result.report.errors
        for table in TABLES:
            pd.testing.assert_frame_equal(
                result.tables[table].drop(columns="_row"),
                original.tables[table].drop(columns="_row"),
            )


def test_title_rows_keep_the_row_numbers_of_the_file(tmp_path):
    data = _copy(tmp_path)
    _title_rows(data)
    result = load_registry(data)
    assert result.tables["patients"]["_row"].iloc[0] == 5  # 3 title lines + header


def test_configured_delimiter_and_decimal_need_no_detection(tmp_path):
    data = _copy(tmp_path)
    _european(data)
    _edit_config(data, lambda t: t + 'csv:\n  delimiter: ";"\n  decimal: ","\n')
    result = load_registry(data)
    assert result.is_valid
    assert not result.report.warnings["rule"].isin(["file.delimiter", "file.decimal_comma"]).any()


# --- Excel workbooks as hospitals export them ---------------------------------------------


def _workbook(data: Path, target: Path, dates: str = "date") -> Path:
    """The example as a workbook; ``dates``: 'date' cells, 'serial' numbers or 'datetime'
    cells with a time."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in TABLES:
        frame = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        sheet = workbook.create_sheet(table)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            cells = []
            for column, value in zip(frame.columns, row, strict=True):
                if column.endswith("_date") and len(value) == 10:
                    day = dt.datetime.fromisoformat(value)
                    if dates == "serial":
                        cells.append((day - dt.datetime(1899, 12, 30)).days)
                    elif dates == "datetime":
                        cells.append(day.replace(hour=0, minute=0))
                    else:
                        cells.append(day)
                else:
                    cells.append(value or None)
            sheet.append(cells)
    workbook.save(target)
    shutil.copy(data / "study.yaml", target.with_suffix(".study.yaml"))
    return target


def test_excel_date_serials_and_midnight_datetimes_are_dates(tmp_path):
    original = load_registry(EXAMPLE)
    for dates in ("serial", "datetime"):
        book = _workbook(EXAMPLE, tmp_path / f"{dates}.xlsx", dates)
        result = load_registry(book)
        assert result.is_valid, result.report.errors
        for table in TABLES:
            for column in TABLES[table].columns:
                if column.kind == "date":
                    pd.testing.assert_series_equal(
                        result.tables[table][column.name], original.tables[table][column.name]
                    )
    serial = load_registry(tmp_path / "serial.xlsx").report.warnings
    assert serial["rule"].eq("file.excel_date_serials").any()
    # a date-time with a time of day is the date, with a warning naming the cell
    book = tmp_path / "datetime.xlsx"
    workbook = load_workbook(book)
    sheet = workbook["therapies"]
    start = [c.value for c in sheet[1]].index("start_date") + 1
    sheet.cell(row=2, column=start).value = dt.datetime(2020, 1, 11, 10, 30)
    workbook.save(book)
    result = load_registry(book)
    assert result.is_valid
    warning = result.report.warnings.query("rule.str.startswith('cell.')")
    assert warning[["row", "column"]].values.tolist() == [[2, "start_date"]]
    assert "time 10:30 dropped" in warning["message"].iloc[0]


def test_formula_cells_without_saved_values_are_errors_naming_the_cell(tmp_path):
    book = _workbook(EXAMPLE, tmp_path / "cohort.xlsx")
    workbook = load_workbook(book)
    sheet = workbook["assessments"]
    crp = [c.value for c in sheet[1]].index("crp") + 1
    sheet.cell(row=2, column=crp).value = "=10*1.2"  # openpyxl saves no cached value
    workbook.save(book)
    result = runner.invoke(app, ["validate", str(book)])
    assert result.exit_code == 1
    problems = load_registry(book).report.errors
    letter = get_column_letter(crp)
    assert (
        f"cell {letter}2 holds the formula =10*1.2 but no saved value"
        in problems["message"].iloc[0]
    )
    assert problems["sheet"].iloc[0] == "assessments"


def test_two_sheets_for_one_table_are_an_error_naming_both(tmp_path):
    book = _workbook(EXAMPLE, tmp_path / "cohort.xlsx")
    workbook = load_workbook(book)
    hidden = workbook.copy_worksheet(workbook["patients"])
    hidden.title = "Patients."
    hidden.sheet_state = "hidden"
    workbook.save(book)
    result = load_registry(book)
    message = result.report.errors.query("rule == 'file.ambiguous_sheet'")["message"].iloc[0]
    assert "'patients' (visible)" in message and "'Patients.' (hidden)" in message


def test_title_block_and_merged_cells_in_a_sheet(tmp_path):
    book = _workbook(EXAMPLE, tmp_path / "cohort.xlsx")
    workbook = load_workbook(book)
    sheet = workbook["therapies"]
    sheet.insert_rows(1, amount=2)
    sheet["A1"] = "Therapy courses - export of 2024-02-01"
    sheet.merge_cells("A1:F1")
    # the first patient's three courses with the patient ID merged down, as in a report
    first = sheet["A4"].value
    rows = [r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 1).value == first]
    for r in rows[1:]:
        sheet.cell(r, 1).value = None
    sheet.merge_cells(f"A{rows[0]}:A{rows[-1]}")
    workbook.save(book)
    result = load_registry(book)
    assert result.is_valid, result.report.errors
    rules = set(result.report.warnings["rule"])
    assert {"file.title_rows", "file.merged_cells"} <= rules
    original = load_registry(EXAMPLE)
    pd.testing.assert_series_equal(
        result.tables["therapies"]["patient_id"], original.tables["therapies"]["patient_id"]
    )


# --- CSV dialects, property-based --------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ibd_dtt.readers.registry import read_csv_table  # noqa: E402


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    table=st.sampled_from(["patients", "therapies", "adverse_events"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n"]),
    ragged=st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
)
def test_csv_dialects_read_the_same_cells_or_name_the_broken_row(
    tmp_path_factory, table, delimiter, encoding, quote_all, line_end, ragged
):
    import csv
    import io

    original = pd.read_csv(EXAMPLE / f"{table}.csv", dtype=str, keep_default_na=False)
    original.iloc[0, 1] = original.iloc[0, 1] + " é"  # one accented cell: cp1252 differs
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator=line_end,
    )
    writer.writerow(original.columns)
    rows = original.values.tolist()
    for i, row in enumerate(rows):
        writer.writerow(row[:3] if i == ragged else row)
    path = tmp_path_factory.mktemp("dialect") / f"{table}.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    raw, problems = read_csv_table(path, table)
    errors = [p for p in problems if p.severity == "error"]
    if ragged is not None:
        assert [(p.rule, p.row) for p in errors] == [("row.too_few_fields", ragged + 2)]
        return
    assert errors == []
    assert raw is not None and len(raw.frame) == len(original)
    read = raw.frame.drop(columns="_row")
    for column in original.columns:
        expected = original[column].str.strip()
        if delimiter == ";":  # decimal commas are converted back in numeric columns only
            expected = expected.where(~expected.str.fullmatch(r"\d+,\d+"), read[column])
        assert read[column].tolist() == expected.tolist(), column
    named = {p.rule for p in problems}
    assert ("file.delimiter" in named) is (delimiter != ",")
    assert ("file.encoding" in named) is (encoding in ("utf-16", "cp1252"))


def test_a_censored_crp_is_a_bound_not_a_value(tmp_path):
    # DTT14 (CD, baseline HBI 4, CRP 15.2) responds at 3 months through CRP normalisation
    # (4.1 <= ULN 5). "<5" still decides it; "<10" cannot, so it is not evaluable, and the
    # censored value never enters a mean.
    from ibd_dtt.pipeline import analyse_registry, score_registry

    def month_3(text: str):
        data = _copy(tmp_path / text.replace("<", "lt"))
        visits = pd.read_csv(data / "assessments.csv", dtype=str, keep_default_na=False)
        mine = visits[visits["patient_id"] == "DTT14"].sort_values("visit_date")
        assert visits.loc[mine.index[1], "crp"] == "4.1"
        visits.loc[mine.index[1], "crp"] = text
        visits.to_csv(data / "assessments.csv", index=False)
        scored = score_registry(load_registry(data))
        analysis = analyse_registry(scored)
        outcome = analysis.outcomes.query(
            "patient_id == 'DTT14' and outcome == 'clinical_response' and timepoint == 'month_3'"
        ).iloc[0]
        return outcome, analysis

    below_uln, _ = month_3("<5")
    assert below_uln["result"] == "yes"
    unknown, analysis = month_3("<10")
    assert unknown["result"] == "not_evaluable"
    assert "censored" in unknown["reason"]
    crp = analysis.visits.query("patient_id == 'DTT14' and parameter == 'crp'")
    censored = crp[crp["censored"].notna()]
    assert len(censored) == 1 and pd.isna(censored["change"].iloc[0])
    from ibd_dtt.report.build import measured_values

    assert "DTT14" not in set(
        measured_values(analysis.visits).query("parameter == 'crp' and window == 'month_3'")[
            "patient_id"
        ]
    )


def test_the_rows_of_an_unreadable_file_count_as_rejected(tmp_path):
    data = _copy(tmp_path)
    _edit_text(data, "adverse_events", lambda t: t.replace(",Alopecia,", ',"Alop,'))
    result = load_registry(data)
    counts = result.accounting().set_index("table")
    assert counts.loc["adverse_events"].tolist() == [5, 0, 5]  # input, accepted, rejected
    lost = result.rejected.query("table == 'adverse_events'")
    assert lost["row"].tolist() == [2, 3, 4, 5, 6]
    assert lost["reasons"].str.contains("could not be read").all()


def test_a_registry_without_any_dtt_episode_says_so(tmp_path):
    data = _copy(tmp_path)
    therapies = pd.read_csv(data / "therapies.csv", dtype=str, keep_default_na=False)
    therapies.groupby("patient_id").head(1).to_csv(data / "therapies.csv", index=False)
    result = runner.invoke(app, ["report", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.stdout
    assert "no patient has a DTT episode" in " ".join(result.stdout.split())
    assert not (tmp_path / "out").exists()


def test_omop_extract_without_dtt_persons_is_a_valid_answer_with_clean_stderr(tmp_path):
    import subprocess
    import sys

    cli = "from ibd_dtt.cli import main; main()"
    cdm, out = tmp_path / "cdm", tmp_path / "registry"
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            cli,
            "synth-omop",
            "--persons",
            "3",
            "--seed",
            "5",
            "--out",
            str(cdm),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    done = subprocess.run(
        [sys.executable, "-c", cli, "omop", "extract", "--cdm", str(cdm), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # no "nanobind: leaked" noise, no warning
    assert "No IBD person with a DTT episode" in " ".join(done.stdout.split())
    assert (out / "patients.csv").read_text().startswith("patient_id,")
    report = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "report")])
    assert report.exit_code == 1 and "nothing to analyse" in report.stdout
