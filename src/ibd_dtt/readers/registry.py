"""Read a registry dataset from a folder of CSV files or from one .xlsx workbook."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ibd_dtt.config import CONFIG_FILE_NAME, CsvOptions, StudyConfig, read_study_config
from ibd_dtt.contract import TABLES
from ibd_dtt.errors import DataContractError
from ibd_dtt.problems import Problem

ROW_COLUMN = "_row"  # the row number in the source file, kept on every table


@dataclass(frozen=True)
class RawTable:
    """One table as read: every cell is text ('' when empty); ``_row`` is the source row."""

    name: str
    file: str
    sheet: str | None
    frame: pd.DataFrame
    header: tuple[str, ...]


@dataclass
class RawTables:
    """Everything read from one dataset, before validation."""

    source: Path
    tables: dict[str, RawTable]
    config: StudyConfig | None
    problems: list[Problem] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    # tables whose file exists but could not be read: the line numbers of their data rows
    # (every non-empty line after the first), so that they count as rejected, not as 0 rows
    unreadable_rows: dict[str, list[int]] = field(default_factory=dict)


def normalise_column_name(name: object) -> str:
    """``' Patient ID '`` -> ``'patient_id'``: lower case, runs of non-alphanumerics -> ``_``
    (letters of any script are kept, so that ``Prénom`` or ``姓名`` can be recognised as
    identifiers rather than read as a column without a name)."""
    text = "" if name is None else str(name)
    return re.sub(r"[\W_]+", "_", text.strip().lower()).strip("_")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame(rows: list[list[str]], header: list[str], row_numbers: list[int]) -> pd.DataFrame:
    columns = [normalise_column_name(h) for h in header]
    frame = (
        pd.DataFrame(rows, columns=columns, dtype=object)
        if rows
        else pd.DataFrame(columns=columns, dtype=object)
    )
    frame = frame.astype(object).fillna("")
    frame.insert(0, ROW_COLUMN, pd.Series(row_numbers, dtype="int64"))
    return frame


def _check_header(
    header: list[str], table: str, file: str, sheet: str | None, row: int = 1
) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    for raw in header:
        name = normalise_column_name(raw)
        if not name:
            problems.append(
                Problem(
                    "error",
                    "header.empty_name",
                    "a column has no name",
                    "every column needs a header",
                    table,
                    file,
                    sheet,
                    row,
                    value=str(raw),
                )
            )
        elif name in seen:
            problems.append(
                Problem(
                    "error",
                    "header.duplicate_column",
                    f"columns {seen[name]!r} and {raw!r} both mean {name!r}",
                    "each column once",
                    table,
                    file,
                    sheet,
                    row,
                    name,
                    value=raw,
                )
            )
        seen.setdefault(name, str(raw))
    return problems


# Excel's own limit for one cell; a longer cell is almost always a broken quote or a
# pasted document, never a registry value.
MAX_CELL_CHARACTERS = 32_767
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# How far down a title block may push the header row (hospital exports put the report
# name, the date and a blank line above it).
HEADER_SEARCH_ROWS = 10


def _problem(
    rule, message, expected, table, file, row=None, column=None, value="", warn=False, sheet=None
):
    return Problem(
        "warning" if warn else "error",
        rule,
        message,
        expected,
        table,
        file,
        sheet,
        row,
        column,
        value=value,
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file's bytes: UTF-8 (with or without BOM), UTF-16 (BOM, or
    the NUL-byte pattern of UTF-16 text without one), else Windows-1252 (what Excel on
    European Windows saves as "CSV"), else Latin-1, which decodes anything.

    >>> decode_text("café".encode("cp1252"))
    ('café', 'cp1252')
    >>> decode_text("\ufeffcafé".encode("utf-16-le"))
    ('café', 'utf-16')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if len(data) >= 4:
        even, odd = data[0::2], data[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
            return data.decode("utf-16-le", errors="replace"), "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
            return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _split_line(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _known_columns(cells: list[str], table: str) -> int:
    names = {c.name for c in TABLES[table].columns}
    return sum(normalise_column_name(c) in names for c in cells)


def _sniff_delimiter(lines: list[str], table: str) -> str:
    """The delimiter that splits some early line into the most contract column names
    (ties: the most fields)."""
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        for line in lines:
            cells = _split_line(line, delimiter)
            score = (_known_columns(cells, table), len(cells))
            if score > best_score:
                best, best_score = delimiter, score
    return best


def _header_index(records: list[tuple[int, list[str]]], table: str) -> int:
    """Index of the header row: the first of the early rows that names at least two
    contract columns (or only one, when a row names one and nothing better appears)."""
    scores = [_known_columns(r, table) for _, r in records[:HEADER_SEARCH_ROWS]]
    for needed in (2, 1):
        for i, score in enumerate(scores):
            if score >= needed:
                return i
    return 0


def _locate_header(
    records: list[tuple[int, list[str]]], table: str, file: str, sheet: str | None = None
) -> tuple[int, list[str] | None, list[Problem]]:
    """(index of the header row, header, problems) of a table's non-empty rows, in a CSV
    file or a sheet alike: a title block above the header is skipped with a warning, empty
    names after the last column (a delimiter at the end of every line) are dropped, and the
    header is None when a column is named twice (which of the two holds the data cannot be
    known)."""
    skip = _header_index(records, table)
    problems = []
    if skip:
        problems.append(
            _problem(
                "file.title_rows",
                f"{skip} row(s) above the header were skipped (a title?); the header is "
                f"row {records[skip][0]}",
                "the header in the first row",
                table,
                file,
                row=records[skip][0],
                warn=True,
                value=" | ".join(" ".join(r).strip() for _, r in records[:skip])[:80],
                sheet=sheet,
            )
        )
    row, header = records[skip]
    header = list(header)
    while header and not header[-1].strip():
        header.pop()
    problems += _check_header(header, table, file, sheet, row)
    if any(p.rule == "header.duplicate_column" for p in problems):
        return skip, None, problems
    return skip, header, problems


_DECIMAL_COMMA = re.compile(r"^([<>]=?\s*)?[+-]?\d+,\d+$")
NUMERIC_KINDS = ("number", "integer", "lab")


def _numeric_columns(header: list[str], table: str) -> list[int]:
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    return [
        i
        for i, name in enumerate(header)
        if kinds.get(normalise_column_name(name)) in NUMERIC_KINDS
    ]


def read_csv_table(
    path: Path, table: str, csv_options: CsvOptions | None = None
) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file; rows keep their line number in the file.

    Hospital exports are read as they come, each adaptation named in a warning: the
    encoding (UTF-8, UTF-16, Windows-1252), the delimiter (comma, semicolon, tab) and
    decimal commas (``12,5``) in numeric columns, unless ``csv_options`` fixes them; a
    title block above the header row is skipped. What cannot be read safely is an error
    naming the row: a row with fewer or more fields than the header (a truncated or broken
    line), an unclosed quote that swallows the rows after it, a cell over 32 767 characters,
    a column named twice.
    """
    file = str(path)
    data = path.read_bytes()
    text, encoding = decode_text(data)
    problems: list[Problem] = []
    if encoding not in ("utf-8",):
        problems.append(
            _problem(
                "file.encoding",
                f"not UTF-8: read as {encoding}",
                "a UTF-8 CSV file (Excel: save as 'CSV UTF-8'); check accented text",
                table,
                file,
                warn=True,
            )
        )
    if "\x00" in text:
        return None, [
            _problem("file.binary", "file contains NUL bytes", "a text CSV file", table, file)
        ]
    options = csv_options or CsvOptions()
    # no cell size limit while reading: an over-long cell is reported below, with its row
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    delimiter = options.delimiter or _sniff_delimiter(lines, table)
    if delimiter != "," and options.delimiter is None:
        problems.append(
            _problem(
                "file.delimiter",
                f"fields are separated by {DELIMITERS[delimiter]}s, not commas: read as such",
                "comma-separated values (or set csv: delimiter in study.yaml)",
                table,
                file,
                warn=True,
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    start = 1
    try:
        for row in reader:
            records.append((start, reader.line_num, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        return None, [
            _problem(
                "file.csv_syntax",
                f"cannot parse CSV: {exc}",
                "well-formed CSV",
                table,
                file,
                row=reader.line_num,
            )
        ]
    if text.count('"') % 2:
        spans = [(s, e) for s, e, r in records if e > s and any("\n" in c for c in r)]
        first, last = spans[-1] if spans else (records[-1][:2] if records else (1, 1))
        return None, [
            _problem(
                "file.unclosed_quote",
                f'a quote (") opened on line {first} is never closed: lines {first}-{last} '
                f"would be read as one cell and the rows in them lost",
                'every quoted cell closed with "',
                table,
                file,
                row=first,
            )
        ]
    numbered = [(s, r) for s, e, r in records if any(cell.strip() for cell in r)]
    if not numbered:
        return None, [
            _problem(
                "file.empty",
                "file is empty (not even a header row)",
                "a header row naming the columns",
                table,
                file,
            )
        ]
    skip, header, found = _locate_header(numbered, table, file)
    problems += found
    if header is None:
        return None, problems
    decimal = options.decimal or ("," if delimiter == ";" else ".")
    numeric = _numeric_columns(header, table) if decimal == "," else []
    converted = 0
    rows, numbers = [], []
    for line, row in numbered[skip + 1 :]:
        if len(row) < len(header):
            problems.append(
                _problem(
                    "row.too_few_fields",
                    f"row has {len(row)} field(s) but the header has {len(header)} "
                    f"(a truncated or broken line?); the missing cells would be read as empty",
                    f"{len(header)} fields",
                    table,
                    file,
                    row=line,
                    column=normalise_column_name(header[len(row)]) if row else None,
                    value=delimiter.join(row)[-80:],
                )
            )
        elif len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(
                _problem(
                    "row.too_many_fields",
                    f"row has {len(row)} fields but the header has {len(header)}",
                    f"{len(header)} fields",
                    table,
                    file,
                    row=line,
                    value=delimiter.join(row[len(header) :])[:80],
                )
            )
        row = (row + [""] * len(header))[: len(header)]
        cells = [cell.strip() for cell in row]
        for i, cell in enumerate(cells):
            if len(cell) > MAX_CELL_CHARACTERS:
                problems.append(
                    _problem(
                        "row.cell_too_long",
                        f"cell has {len(cell):,} characters (a broken quote or pasted text?)",
                        f"at most {MAX_CELL_CHARACTERS:,} characters",
                        table,
                        file,
                        row=line,
                        column=normalise_column_name(header[i]),
                        value=cell[:40] + "...",
                    )
                )
                cells[i] = ""
        for i in numeric:
            if _DECIMAL_COMMA.match(cells[i]):
                cells[i] = cells[i].replace(",", ".")
                converted += 1
        rows.append(cells)
        numbers.append(line)
    if converted and options.decimal is None:
        problems.append(
            _problem(
                "file.decimal_comma",
                f"{converted} number(s) written with a decimal comma (12,5) read as 12.5",
                "a decimal point (or set csv: decimal in study.yaml)",
                table,
                file,
                warn=True,
            )
        )
    return RawTable(table, file, None, _frame(rows, header, numbers), tuple(header)), problems


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")  # the validator warns
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
# Excel date serials from here on are dates (3000 = 1908-03-18); smaller numbers in a
# partial-date column are years ("1990"), and elsewhere "not a date".
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 3000, 2_958_465
DATE_KINDS = ("date", "partial_date")


def _merged_ranges(path: Path, worksheet_path: str | None) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of each merged range of a sheet,
    1-based, read from the sheet's XML (openpyxl's streaming reader does not report them)."""
    import zipfile

    from openpyxl.utils import column_index_from_string

    if not worksheet_path:
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(worksheet_path)
    except (KeyError, OSError, zipfile.BadZipFile):
        return []
    return [
        (
            column_index_from_string(c1.decode()),
            int(r1),
            column_index_from_string(c2.decode()),
            int(r2),
        )
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]


def _name_matched(table: str, where: str, file: str, sheet: str | None = None) -> Problem:
    return Problem(
        "warning",
        "file.table_name",
        f"table {table!r} was read from {where} (names are matched ignoring case, spaces "
        f"and punctuation)",
        f"named {table!r}",
        table,
        file,
        sheet,
    )


def _csv_files_for_tables(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The CSV file of each contract table, matched like sheets: ``Patients.csv``,
    ``PATIENTS.CSV`` or ``Adverse events.csv`` are found (with a warning); two files for one
    table are an error."""
    matches: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() == ".csv":
            matches.setdefault(normalise_column_name(path.stem), []).append(path)
    chosen, problems = {}, []
    for table in TABLES:
        paths = matches.get(table, [])
        if len(paths) > 1:
            problems.append(
                Problem(
                    "error",
                    "file.ambiguous_file",
                    f"{len(paths)} files could hold table {table!r}: "
                    f"{', '.join(p.name for p in paths)}",
                    f"one file named {table}.csv (delete or rename the others)",
                    table,
                    str(folder),
                )
            )
        elif paths:
            chosen[table] = paths[0]
            if paths[0].name != f"{table}.csv":
                problems.append(_name_matched(table, f"{paths[0].name!r}", str(paths[0])))
    return chosen, problems


def _sheets_for_tables(workbook, path: Path) -> tuple[dict[str, str], list[Problem]]:
    """The sheet of each contract table, matched by normalised name ("Patients " ->
    patients); two sheets for one table are an error (which one holds the data cannot be
    guessed), a hidden sheet is used with a warning."""
    matches: dict[str, list[str]] = {}
    for name in workbook.sheetnames:
        matches.setdefault(normalise_column_name(name), []).append(name)
    chosen, problems = {}, []
    for table in TABLES:
        names = matches.get(table, [])
        if len(names) > 1:
            states = [f"{n!r} ({workbook[n].sheet_state})" for n in names]
            problems.append(
                Problem(
                    "error",
                    "file.ambiguous_sheet",
                    f"{len(names)} sheets could hold table {table!r}: {', '.join(states)}",
                    f"one sheet named {table!r} (delete or rename the others)",
                    table,
                    str(path),
                )
            )
        elif names:
            chosen[table] = names[0]
            if names[0] != table:
                problems.append(_name_matched(table, f"sheet {names[0]!r}", str(path), names[0]))
            if workbook[names[0]].sheet_state != "visible":
                problems.append(
                    Problem(
                        "warning",
                        "file.hidden_sheet",
                        f"table {table!r} was read from the {workbook[names[0]].sheet_state} "
                        f"sheet {names[0]!r}",
                        "a visible sheet",
                        table,
                        str(path),
                        names[0],
                    )
                )
    return chosen, problems


def read_xlsx_tables(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every contract table from one sheet each of an .xlsx workbook.

    Workbooks are read as hospitals export them: a title block above the header is skipped
    (warning), vertically merged cells are filled with their value (warning), Excel date
    serial numbers in date columns are dates (warning); formula cells without a saved value
    (workbooks written by programs and never opened in Excel) and two sheets for one table
    are errors naming the cells or sheets.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import from_excel

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        return {}, [
            Problem(
                "error",
                "file.xlsx_unreadable",
                f"cannot open workbook: {type(exc).__name__}: {exc}",
                "an .xlsx workbook saved by Excel or LibreOffice",
                file=str(path),
            )
        ]
    tables: dict[str, RawTable] = {}
    sheets, problems = _sheets_for_tables(workbook, path)
    file = str(path)
    for table, sheet in sheets.items():
        values = [list(row) for row in workbook[sheet].iter_rows(values_only=True)]
        formula_rows = formulas[sheet].iter_rows(values_only=True)
        unsaved = []
        for i, (row, written) in enumerate(zip(values, formula_rows, strict=False), start=1):
            for j, (value, formula) in enumerate(zip(row, written, strict=False), start=1):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    unsaved.append((i, j, formula))
        for i, j, formula in unsaved[:50]:
            problems.append(
                Problem(
                    "error",
                    "file.formula_without_value",
                    f"cell {get_column_letter(j)}{i} holds the formula {formula[:40]} but no "
                    f"saved value (the workbook was written by a program and never "
                    f"recalculated)",
                    "open and save the workbook in Excel or LibreOffice, or paste values",
                    table,
                    file,
                    sheet,
                    i,
                )
            )
        if len(unsaved) > 50:
            problems.append(
                Problem(
                    "error",
                    "file.formula_without_value",
                    f"{len(unsaved) - 50} more formula cells without a saved value",
                    "saved values",
                    table,
                    file,
                    sheet,
                )
            )
        filled = 0
        for c1, r1, c2, r2 in _merged_ranges(
            path, getattr(workbook[sheet], "_worksheet_path", None)
        ):
            if r2 == r1 or r1 > len(values):
                continue  # a merge across columns only (titles): nothing to repeat
            for r in range(r1 + 1, min(r2, len(values)) + 1):
                for c in range(c1, c2 + 1):
                    row = values[r - 1]
                    row.extend([None] * (c - len(row)))
                    if row[c - 1] is None:
                        row[c - 1] = values[r1 - 1][c - 1] if c - 1 < len(values[r1 - 1]) else None
                        filled += 1
        records = [(n, [_cell_text(v) for v in row]) for n, row in enumerate(values, start=1)]
        records = [(n, r) for n, r in records if any(r)]
        if not records:
            problems.append(
                Problem(
                    "error",
                    "file.empty",
                    "sheet is empty (no header row)",
                    "a header row naming the columns",
                    table,
                    file,
                    sheet,
                )
            )
            continue
        skip, header, found = _locate_header(records, table, file, sheet)
        problems += found
        if header is None:
            continue
        if filled:
            problems.append(
                Problem(
                    "warning",
                    "file.merged_cells",
                    f"{filled} cell(s) of vertically merged ranges were given the merged value",
                    "one value per cell",
                    table,
                    file,
                    sheet,
                )
            )
        kinds = {c.name: c.kind for c in TABLES[table].columns}
        date_columns = [
            j
            for j, name in enumerate(header)
            if kinds.get(normalise_column_name(name)) in DATE_KINDS
        ]
        serials = 0
        example = ""
        rows, numbers = [], []
        for line, row in records[skip + 1 :]:
            extra = [c for c in row[len(header) :] if c]
            if extra:
                problems.append(
                    Problem(
                        "error",
                        "row.too_many_fields",
                        "row has values beyond the last named column",
                        f"{len(header)} columns",
                        table,
                        file,
                        sheet,
                        line,
                        value=",".join(extra)[:80],
                    )
                )
            cells = (row + [""] * len(header))[: len(header)]
            raw_row = values[line - 1]
            for j in date_columns:
                value = raw_row[j] if j < len(raw_row) else None
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and EXCEL_SERIAL_MIN <= value <= EXCEL_SERIAL_MAX
                ):
                    day = from_excel(value, workbook.epoch)
                    cells[j] = _cell_text(day)
                    serials += 1
                    example = example or f"{_cell_text(value)} -> {cells[j]}"
            rows.append(cells)
            numbers.append(line)
        if serials:
            problems.append(
                Problem(
                    "warning",
                    "file.excel_date_serials",
                    f"{serials} date(s) stored as Excel serial numbers were read as dates "
                    f"({example})",
                    "cells formatted as dates",
                    table,
                    file,
                    sheet,
                )
            )
        tables[table] = RawTable(table, file, sheet, _frame(rows, header, numbers), tuple(header))
    workbook.close()
    formulas.close()
    return tables, problems


def _find_config(source: Path) -> Path | None:
    folder = source if source.is_dir() else source.parent
    candidates = [] if source.is_dir() else [source.with_suffix(".study.yaml")]
    candidates.append(folder / CONFIG_FILE_NAME)
    return next((c for c in candidates if c.is_file()), None)


def read_registry(source: str | Path, config: StudyConfig | str | Path | None = None) -> RawTables:
    """Read a registry dataset: a folder of ``<table>.csv`` files, an ``.xlsx`` workbook or
    a REDCap records export (one ``.csv`` file, raw or labels, with the project's data
    dictionary beside it; :mod:`ibd_dtt.readers.redcap`).

    The study configuration is ``config`` when given (a :class:`StudyConfig` or a path),
    else ``study.yaml`` in the folder (or ``<workbook>.study.yaml`` / ``study.yaml`` beside a
    workbook). A missing table or configuration becomes an error in ``problems``.

    Raises :class:`DataContractError` only when ``source`` does not exist or is neither a
    folder nor an .xlsx file — there is nothing to report problems about.
    """
    source = Path(source)
    if not source.exists():
        raise DataContractError(f"{source}: no such file or folder")
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    tables: dict[str, RawTable] = {}
    unreadable: dict[str, list[int]] = {}
    study_config = _read_config(source, config, problems, hashes)
    if source.is_dir():
        csv_options = study_config.csv if study_config is not None else None
        files, problems_found = _csv_files_for_tables(source)
        problems += problems_found
        for table, path in files.items():
            hashes[path.name] = _sha256(path)
            raw, found = read_csv_table(path, table, csv_options)
            problems += found
            if raw is not None:
                tables[table] = raw
            else:
                unreadable[table] = _data_lines(path)
        where = f"{source}/<table>.csv"
    elif source.suffix.lower() == ".csv":
        from ibd_dtt.readers.redcap import looks_like_redcap_export, read_redcap_export

        if not looks_like_redcap_export(source):
            raise DataContractError(
                f"{source}: one CSV file is read as a REDCap records export, and this one has "
                f"no REDCap columns (redcap_repeat_instrument, <form>_complete ...); for a "
                f"registry of CSV files give the folder that holds patients.csv, "
                f"therapies.csv, assessments.csv and adverse_events.csv"
            )

        hashes[source.name] = _sha256(source)
        missing_codes = tuple(study_config.redcap_missing_codes) if study_config else ()
        tables, found = read_redcap_export(source, missing_codes=missing_codes or None)
        problems += found
        where = f"a REDCap form of {source}"
    elif source.suffix.lower() in (".xlsx", ".xlsm"):
        hashes[source.name] = _sha256(source)
        tables, found = read_xlsx_tables(source)
        problems += found
        where = f"a sheet of {source}"
    else:
        raise DataContractError(
            f"{source}: expected a folder of CSV files, an .xlsx workbook or a REDCap "
            f"records export (.csv)"
        )
    reported = {p.table for p in problems if p.severity == "error" and p.table} - set(tables)
    if not tables and any(p.severity == "error" and p.rule.startswith("redcap.") for p in problems):
        reported = set(TABLES)  # the export could not be read at all: that is the one error
    for table in TABLES:
        if table not in tables and table not in reported:
            problems.append(
                Problem(
                    "error",
                    "file.missing_table",
                    f"table {table!r} not found",
                    f"{where} named {table!r}",
                    table,
                    str(source),
                )
            )
    return RawTables(source, tables, study_config, problems, hashes, unreadable)


def _data_lines(path: Path) -> list[int]:
    """Line numbers of the non-empty lines after the first of a file that could not be
    read as CSV: what is known of its rows."""
    text, _ = decode_text(path.read_bytes())
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return lines[1:]


def _read_config(
    source: Path,
    config: StudyConfig | str | Path | None,
    problems: list[Problem],
    hashes: dict[str, str],
) -> StudyConfig | None:
    if isinstance(config, StudyConfig):
        return config
    config_path = Path(config) if config is not None else _find_config(source)
    if config_path is None:
        problems.append(
            Problem(
                "error",
                "config.missing",
                "no study configuration found",
                f"{CONFIG_FILE_NAME} with at least data_cut_date",
                file=str(source),
            )
        )
        return None
    reading = read_study_config(config_path)
    for wrong in reading.problems:
        problems.append(
            Problem(
                "error",
                "config.invalid",
                wrong.message,
                wrong.expected
                or "a valid study.yaml (docs/data-contract.md, 'Study configuration')",
                file=str(config_path),
                column=wrong.key or None,
                value=None if wrong.value is None else str(wrong.value),
            )
        )
    if reading.usable is not None:
        hashes[config_path.name] = _sha256(config_path)
    # with wrong settings the valid ones still say how to read the data (date_format ...);
    # the config.invalid errors stop every analysis
    return reading.usable
