"""A fill-in Excel workbook generated from the data contract (``ibd-dtt template``).

The contract (:mod:`ibd_dtt.contract`) is the single source of truth: every sheet, header,
comment, drop-down list and range check below is derived from it, so a workbook filled in
from the template reads back without surprises (tests fill it with the paper cohort).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.contract import TABLES
from ibd_dtt.contract import codes as C
from ibd_dtt.contract.tables import ALL_DIAGNOSES, Column, Table

# rows of each sheet that carry the drop-downs, formats and checks (a registry of a few
# hundred patients has a few thousand visits)
TEMPLATE_ROWS = 5000
INSTRUCTIONS_SHEET = "instructions"
LISTS_SHEET = "lists"
YES_NO = {"yes": "yes", "no": "no"}

STUDY_YAML_TEMPLATE = """\
# Study configuration read with the registry (docs/data-contract.md, "Study configuration").
# Lines starting with # are comments; remove the # to use a setting.

study_name: My DTT registry

# REQUIRED: the last day data were collected, written YYYY-MM-DD.
# Therapies without a stop date are ongoing at this date; later events are errors.
data_cut_date:

# How dates typed as text are written: iso (2024-01-31), dmy (31/01/2024) or mdy
# (01/31/2024). Dates entered as Excel dates are always read correctly.
date_format: iso

# CRP upper limit of normal, mg/L (CRP normalisation outcomes).
crp_uln_mg_l: 5
# crp_uln_mg_l_by_center:
#   Center B: 8

# Units of lab values when a row gives none in crp_unit / albumin_unit / hematocrit_unit.
default_units:
  crp: mg/L
  albumin: g/L
  hematocrit: "%"

# An empty HBI complication column (hbi_arthralgia ... hbi_abscess) is 'missing' (the HBI
# is then not computed, and validate says so) or 'absent' (0 points). The template asks
# for an explicit yes/no, so keep 'missing'.
blank_hbi_complications: missing
"""


def _list_values(column: Column) -> list[str] | None:
    """The values of a column's drop-down, or None when it has none."""
    if column.kind in ("code", "codes"):
        return list(column.codes)
    if column.kind == "boolean":
        return list(YES_NO)
    if column.kind in ("drug", "drugs"):
        return [drug.generic_name for drug in load_drug_catalogue().drugs]
    if column.name.endswith("_grade") and column.minimum is not None and column.maximum:
        # a grade (CTCAE 1-5) is picked from its few values
        return [str(g) for g in range(int(column.minimum), int(column.maximum) + 1)]
    return None


def _applies(column: Column) -> str:
    if column.applies_to == ALL_DIAGNOSES:
        return ""
    return f"Only for {'/'.join(column.applies_to)} patients (leave empty for the others).\n"


def header_comment(column: Column) -> str:
    """The note on a header cell: description, unit, expected values and who fills it."""
    lines = [column.description.replace("`", "")]
    if column.unit:
        lines.append(f"Unit: {column.unit}.")
    if column.kind in ("code", "codes"):
        lines.append("Codes: " + "; ".join(f"{k} = {v}" for k, v in column.codes.items()))
        if column.kind == "codes":
            lines.append("Several allowed, separated by ';'.")
    elif column.kind in ("drug", "drugs"):
        lines.append("Generic name, abbreviation or brand (sheet 'lists').")
        if column.kind == "drugs":
            lines.append("Several allowed, separated by ';'.")
    else:
        lines.append(f"Expected: {column.expected()}.")
    lines.append(_applies(column).strip())
    lines.append("Required." if column.required else "Optional.")
    if column.source:
        lines.append(f"Source: {column.source}.")
    return "\n".join(line for line in lines if line)


def write_template(path: str | Path) -> tuple[Path, Path]:
    """Write the fill-in workbook ``path`` and its ``<name>.study.yaml``; return both paths.

    One sheet per contract table (frozen header row, header comments, drop-downs for coded,
    yes/no and drug columns, date formats, range checks for every score item and number),
    an ``instructions`` sheet first and a ``lists`` sheet with the allowed values (drugs
    with their abbreviations and brand names). Files are written whole or not at all.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from ibd_dtt.outputs import write_file

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the template is an .xlsx workbook")
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = INSTRUCTIONS_SHEET
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")

    lists = workbook.create_sheet(LISTS_SHEET)
    list_ranges: dict[str, str] = {}
    list_column = 0

    def list_range(name: str, values: list[str], meanings: list[str] | None = None) -> str:
        nonlocal list_column
        if name in list_ranges:
            return list_ranges[name]
        list_column += 1
        letter = get_column_letter(list_column)
        lists.cell(1, list_column, name).font = bold
        for i, value in enumerate(values, start=2):
            lists.cell(i, list_column, value)
        if meanings is not None:
            list_column += 1
            lists.cell(1, list_column, f"{name}: meaning").font = bold
            for i, meaning in enumerate(meanings, start=2):
                lists.cell(i, list_column, meaning)
        last = len(values) + 1
        list_ranges[name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        return list_ranges[name]

    drugs = load_drug_catalogue().drugs
    drug_range = list_range(
        "drug",
        [d.generic_name for d in drugs],
        [f"{d.abbreviation}; {', '.join(d.synonyms) or '-'}; {d.category}" for d in drugs],
    )
    lists.cell(1, list_column).value = "drug: abbreviation; brand names; category"

    for table in TABLES.values():
        sheet = workbook.create_sheet(table.name)
        sheet.freeze_panes = "B2"  # the header row and the patient_id column stay in view
        for j, column in enumerate(table.columns, start=1):
            cell = sheet.cell(1, j, column.name)
            cell.font = bold
            cell.fill = header_fill
            comment = Comment(header_comment(column), "ibd-dtt")
            comment.width, comment.height = 320, 200
            cell.comment = comment
            letter = get_column_letter(j)
            sheet.column_dimensions[letter].width = max(12, min(len(column.name) + 3, 40))
            cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
            validation = _validation(
                column, table, drug_range, list_range, DataValidation, quote_sheetname
            )
            if validation is not None:
                sheet.add_data_validation(validation)
                validation.add(cells)
            # a column style (not 5000 styled cells): Excel applies it to what is typed;
            # partial dates are text so that Excel keeps 2016-03 as written
            number_format = {"date": "yyyy-mm-dd", "partial_date": "@", "id": "@", "text": "@"}
            if column.kind in number_format:
                sheet.column_dimensions[letter].number_format = number_format[column.kind]
    _write_instructions(instructions, bold, Alignment)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    config = path.with_suffix(".study.yaml")
    write_file(path, workbook.save, "template")
    if not config.exists():  # never overwrite a configuration someone has filled in
        write_file(config, lambda p: p.write_text(STUDY_YAML_TEMPLATE, encoding="utf-8"))
    return path, config


def _validation(column: Column, table: Table, drug_range, list_range, DataValidation, quote):
    """The Excel data validation of one column (None when any text is acceptable)."""
    title = column.name[:32]
    prompt = header_comment(column)[:255]
    values = _list_values(column)
    if values is not None:
        if column.kind in ("drug", "drugs"):
            source = drug_range
        else:
            meanings = list(column.codes.values()) if column.kind in ("code", "codes") else None
            source = list_range(
                column.name if column.kind != "boolean" else "yes_no",
                [int(v) if v.isdigit() else v for v in values],
                meanings,
            )
        many = column.kind in ("codes", "drugs")
        return DataValidation(
            type="list",
            formula1=f"={source}",
            allow_blank=True,
            showDropDown=False,  # (sic) False shows the arrow
            showErrorMessage=not many and column.kind != "drug",
            errorTitle="Not in the list",
            error=f"Pick a value of the list for {column.name}.",
            promptTitle=title,
            prompt=prompt,
            showInputMessage=True,
        )
    if column.kind in ("integer", "number") and column.minimum is not None:
        kind = "whole" if column.kind == "integer" else "decimal"
        maximum = column.maximum if column.maximum is not None else 1e9
        return DataValidation(
            type=kind,
            operator="between",
            formula1=_number(column.minimum),
            formula2=_number(maximum),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Out of range",
            error=f"{column.name}: {column.expected()}"[:225],
            promptTitle=title,
            prompt=prompt,
            showInputMessage=True,
        )
    if column.kind == "date":
        return DataValidation(
            type="date",
            operator="between",
            formula1=str(_excel_serial(dt.date(1900, 1, 1))),
            formula2=str(_excel_serial(dt.date(2100, 12, 31))),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not a date",
            error=f"{column.name}: a date between 1900 and 2100, e.g. 2024-01-31",
            promptTitle=title,
            prompt=prompt,
            showInputMessage=True,
        )
    return DataValidation(
        type=None, allow_blank=True, promptTitle=title, prompt=prompt, showInputMessage=True
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def _write_instructions(sheet, bold, Alignment) -> None:
    lines = [
        ("ibd-dtt registry template", True),
        ("", False),
        ("How to fill in this workbook", True),
        (
            "One sheet per table; one row per patient, therapy course, visit or adverse event.",
            False,
        ),
        (
            "Keep the header row (row 1) as it is; hover over a header for its meaning, unit and "
            "allowed values.",
            False,
        ),
        ("Use study IDs only (e.g. DTT01): never names, hospital numbers or birth dates.", False),
        (
            "Coded columns have drop-down lists (sheet 'lists' gives each code's meaning); yes/no "
            "columns take yes or no: answer them explicitly (an empty cell means 'not recorded').",
            False,
        ),
        (
            "Dates: enter them as Excel dates (shown YYYY-MM-DD). Diagnosis, start and stop "
            "dates may be YYYY-MM or YYYY when the day is unknown (those cells are text).",
            False,
        ),
        (
            "Scores: fill in the items (partial Mayo, HBI, SES-CD segments); the totals are "
            "computed. Use the *_total_recorded columns only when just the total is known.",
            False,
        ),
        ("Leave a cell empty when the value was not measured; do not write 0 or 'n/a'.", False),
        ("", False),
        ("Then", True),
        ("1. Fill in the data cut date in the .study.yaml file next to this workbook.", False),
        (
            "2. ibd-dtt validate THIS_WORKBOOK.xlsx   (lists every problem with sheet, row and "
            "column)",
            False,
        ),
        ("3. ibd-dtt report THIS_WORKBOOK.xlsx --out report/", False),
        ("", False),
        ("Tables", True),
    ]
    lines += [
        (f"{t.name}: {t.description} (one row = {t.row_meaning})", False) for t in TABLES.values()
    ]
    lines += [
        ("", False),
        ("Codes used in several tables", True),
        ("Stop reasons: " + "; ".join(f"{k} = {v}" for k, v in C.STOP_REASONS.items()), False),
    ]
    sheet.column_dimensions["A"].width = 120
    for i, (text, is_title) in enumerate(lines, start=1):
        cell = sheet.cell(i, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if is_title:
            cell.font = bold
