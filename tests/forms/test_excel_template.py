"""The fill-in Excel template (issue 14 item 1): generated from the contract, filled in
programmatically with the paper cohort as a data manager would (Excel dates, numbers,
drop-down values), it validates with no problem at all and gives the same tables and the
same report as the CSV folder."""

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.cli import app
from ibd_dtt.contract import TABLES
from ibd_dtt.forms import write_template
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


def _cell_value(kind: str, text: str):
    """A CSV cell as a person enters it in the template."""
    catalogue = load_drug_catalogue()
    if kind == "date":
        return dt.datetime.fromisoformat(text)
    if kind == "integer":
        return int(text)
    if kind in ("number", "lab") and re.fullmatch(r"[0-9.]+", text):
        return float(text)
    if kind == "drug":  # picked from the drop-down of generic names
        return catalogue.resolve(text).generic_name
    if kind == "drugs":
        return ";".join(catalogue.resolve(d).generic_name for d in text.split(";"))
    return text


def fill_template(workbook: Path, folder: Path, data_cut: str) -> None:
    book = load_workbook(workbook)
    for name, table in TABLES.items():
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        sheet = book[name]
        header = [cell.value for cell in sheet[1]]
        for i, record in enumerate(frame.to_dict("records"), start=2):
            for j, column in enumerate(header, start=1):
                text = record.get(column, "")
                if text:
                    sheet.cell(i, j, _cell_value(table.column(column).kind, text))
    book.save(workbook)
    config = workbook.with_suffix(".study.yaml")
    config.write_text(
        config.read_text().replace("data_cut_date:\n", f"data_cut_date: {data_cut}\n")
    )


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    workbook = tmp_path_factory.mktemp("template") / "registry.xlsx"
    write_template(workbook)
    data_cut = re.search(r"data_cut_date: (\S+)", (EXAMPLE / "study.yaml").read_text())[1]
    fill_template(workbook, EXAMPLE, data_cut)
    return workbook


def test_the_template_has_a_sheet_per_table_notes_drop_downs_and_range_checks(tmp_path):
    workbook, config = write_template(tmp_path / "registry.xlsx")
    assert config.name == "registry.study.yaml" and "blank_hbi_complications" in config.read_text()
    book = load_workbook(workbook)
    assert book.sheetnames == ["instructions", *TABLES, "lists"]
    for name, table in TABLES.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == list(table.column_names)
        assert sheet.freeze_panes == "B2"
        assert all(c.comment is not None for c in sheet[1])
        rules = {
            str(v.sqref).split(":")[0].rstrip("0123456789"): v
            for v in sheet.data_validations.dataValidation
        }
        for j, column in enumerate(table.columns):
            letter = sheet.cell(1, j + 1).column_letter
            rule = rules.get(letter)
            if column.kind in ("code", "codes", "boolean", "drug", "drugs") or column.name.endswith(
                "_grade"
            ):
                assert rule.type == "list", column.name
            elif column.kind == "integer" and column.minimum is not None:
                assert (rule.type, rule.formula1) == ("whole", str(int(column.minimum))), (
                    column.name
                )
            elif column.kind == "date":
                assert rule.type == "date"
    hbi = book["assessments"]["K1"]  # hbi_general_wellbeing: the note says what it is
    assert hbi.value == "hbi_general_wellbeing" and "Only for CD patients" in hbi.comment.text
    brands = [c.value for c in book["lists"]["B"]]
    assert any(v and "Stelara" in v for v in brands)


def _allowed(book, rule) -> set[str] | None:
    match = re.fullmatch(r"='?(\w+)'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", rule.formula1)
    sheet, letter, first, last = match.groups()
    return {str(book[sheet][f"{letter}{r}"].value) for r in range(int(first), int(last) + 1)}


def test_the_paper_cohort_passes_the_templates_own_checks(filled):
    """Every value entered satisfies the drop-downs and ranges Excel would enforce."""
    book = load_workbook(filled)
    checked = 0
    for name in TABLES:
        sheet = book[name]
        for rule in sheet.data_validations.dataValidation:
            if rule.type is None:
                continue
            allowed = _allowed(book, rule) if rule.type == "list" else None
            for cell_range in rule.sqref.ranges:
                for (cell,) in sheet.iter_rows(
                    min_row=2,
                    max_row=sheet.max_row,
                    min_col=cell_range.min_col,
                    max_col=cell_range.max_col,
                ):
                    if cell.value is None:
                        continue
                    checked += 1
                    if rule.type == "list":
                        parts = (
                            str(cell.value).split(";")
                            if not rule.showErrorMessage
                            else [cell.value]
                        )
                        assert {str(p) for p in parts} <= allowed, (
                            name,
                            cell.coordinate,
                            cell.value,
                        )
                    elif rule.type in ("whole", "decimal"):
                        assert float(rule.formula1) <= float(cell.value) <= float(rule.formula2)
                        assert rule.type == "decimal" or float(cell.value).is_integer()
                    elif rule.type == "date":
                        assert isinstance(cell.value, dt.datetime)
    assert checked > 1000


def test_a_filled_template_validates_without_any_problem_and_equals_the_csv_tables(filled):
    from_template, from_csv = load_registry(filled), load_registry(EXAMPLE)
    assert from_template.report.problems.empty, from_template.report.problems
    for table in TABLES:
        pd.testing.assert_frame_equal(from_template.tables[table], from_csv.tables[table])


def test_a_filled_template_gives_the_papers_report(filled):
    def tables(source):
        scored = score_registry(load_registry(source))
        report = build_report(scored, [analyse_registry(scored, "paper")])
        return {key: table.display for key, table in report.tables.items()}

    from_template, from_csv = tables(filled), tables(EXAMPLE)
    assert from_template.keys() == from_csv.keys()
    for key in from_csv:
        pd.testing.assert_frame_equal(from_template[key], from_csv[key])


def test_the_template_command_writes_and_never_replaces(tmp_path):
    out = tmp_path / "my_registry.xlsx"
    first = CliRunner().invoke(app, ["template", "--out", str(out)])
    assert first.exit_code == 0, first.stdout
    assert out.is_file() and (tmp_path / "my_registry.study.yaml").is_file()
    again = CliRunner().invoke(app, ["template", "--out", str(out)])
    assert again.exit_code == 2 and "exists" in again.stdout
    wrong = CliRunner().invoke(app, ["template", "--out", str(tmp_path / "x.csv")])
    assert wrong.exit_code == 2 and ".xlsx" in wrong.stdout
    unfilled = CliRunner().invoke(app, ["validate", str(out)])
    assert unfilled.exit_code == 2 and "data_cut_date is empty" in unfilled.stdout
