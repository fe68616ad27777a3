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

from ibd_dtt.config import CONFIG_FILE_NAME, StudyConfig, load_study_config
from ibd_dtt.contract import TABLES
from ibd_dtt.errors import ConfigError, DataContractError
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


def normalise_column_name(name: object) -> str:
    """``' Patient ID '`` -> ``'patient_id'``: lower case, runs of non-alphanumerics -> ``_``."""
    text = "" if name is None else str(name)
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


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


def _check_header(header: list[str], table: str, file: str, sheet: str | None) -> list[Problem]:
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
                    1,
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
                    1,
                    name,
                    value=raw,
                )
            )
        seen.setdefault(name, str(raw))
    return problems


def _decode(path: Path) -> tuple[str | None, Problem | None]:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, Problem(
            "error",
            "file.encoding",
            f"not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
            "a UTF-8 encoded CSV file (save as 'CSV UTF-8')",
            file=str(path),
        )


def read_csv_table(path: Path, table: str) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file; rows keep their line number in the file."""
    text, problem = _decode(path)
    if problem is not None:
        return None, [Problem(**{**problem.as_dict(), "table": table})]
    assert text is not None
    if "\x00" in text:
        return None, [
            Problem(
                "error",
                "file.binary",
                "file contains NUL bytes",
                "a text CSV file",
                table,
                str(path),
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        return None, [
            Problem(
                "error",
                "file.csv_syntax",
                f"cannot parse CSV: {exc}",
                "well-formed CSV",
                table,
                str(path),
                row=reader.line_num,
            )
        ]
    records = [(n, r) for n, r in records if any(cell.strip() for cell in r)]
    if not records:
        return None, [
            Problem(
                "error",
                "file.empty",
                "file is empty (not even a header row)",
                "a header row naming the columns",
                table,
                str(path),
            )
        ]
    _, header = records[0]
    problems += _check_header(header, table, str(path), None)
    rows, numbers = [], []
    for line, row in records[1:]:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(
                Problem(
                    "error",
                    "row.too_many_fields",
                    f"row has {len(row)} fields but the header has {len(header)}",
                    f"{len(header)} fields",
                    table,
                    str(path),
                    None,
                    line,
                    value=",".join(row[len(header) :])[:80],
                )
            )
        row = (row + [""] * len(header))[: len(header)]
        rows.append([cell.strip() for cell in row])
        numbers.append(line)
    return RawTable(table, str(path), None, _frame(rows, header, numbers), tuple(header)), problems


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx_tables(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every contract table from one sheet each of an .xlsx workbook."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
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
    problems: list[Problem] = []
    sheets = {normalise_column_name(name): name for name in workbook.sheetnames}
    for table in TABLES:
        sheet = sheets.get(table)
        if sheet is None:
            continue
        records = [
            (i, [_cell_text(v) for v in row])
            for i, row in enumerate(workbook[sheet].iter_rows(values_only=True), start=1)
        ]
        records = [(n, r) for n, r in records if any(r)]
        if not records:
            problems.append(
                Problem(
                    "error",
                    "file.empty",
                    "sheet is empty (no header row)",
                    "a header row naming the columns",
                    table,
                    str(path),
                    sheet,
                )
            )
            continue
        _, header = records[0]
        while header and not header[-1]:
            header.pop()
        problems += _check_header(header, table, str(path), sheet)
        rows, numbers = [], []
        for line, row in records[1:]:
            extra = [c for c in row[len(header) :] if c]
            if extra:
                problems.append(
                    Problem(
                        "error",
                        "row.too_many_fields",
                        "row has values beyond the last named column",
                        f"{len(header)} columns",
                        table,
                        str(path),
                        sheet,
                        line,
                        value=",".join(extra)[:80],
                    )
                )
            rows.append((row + [""] * len(header))[: len(header)])
            numbers.append(line)
        tables[table] = RawTable(
            table, str(path), sheet, _frame(rows, header, numbers), tuple(header)
        )
    workbook.close()
    return tables, problems


def _find_config(source: Path) -> Path | None:
    folder = source if source.is_dir() else source.parent
    candidates = [] if source.is_dir() else [source.with_suffix(".study.yaml")]
    candidates.append(folder / CONFIG_FILE_NAME)
    return next((c for c in candidates if c.is_file()), None)


def read_registry(source: str | Path, config: StudyConfig | str | Path | None = None) -> RawTables:
    """Read a registry dataset: a folder of ``<table>.csv`` files or an ``.xlsx`` workbook.

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
    if source.is_dir():
        for table in TABLES:
            path = source / f"{table}.csv"
            if not path.is_file():
                continue
            hashes[path.name] = _sha256(path)
            raw, found = read_csv_table(path, table)
            problems += found
            if raw is not None:
                tables[table] = raw
        where = f"{source}/<table>.csv"
    elif source.suffix.lower() in (".xlsx", ".xlsm"):
        hashes[source.name] = _sha256(source)
        tables, found = read_xlsx_tables(source)
        problems += found
        where = f"a sheet of {source}"
    else:
        raise DataContractError(f"{source}: expected a folder of CSV files or an .xlsx workbook")
    unreadable = {p.table for p in problems if p.rule.startswith("file.")}
    for table in TABLES:
        if table not in tables and table not in unreadable:
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
    study_config: StudyConfig | None = None
    if isinstance(config, StudyConfig):
        study_config = config
    else:
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
        else:
            try:
                study_config = load_study_config(config_path)
                hashes[config_path.name] = _sha256(config_path)
            except ConfigError as exc:
                problems.append(
                    Problem(
                        "error",
                        "config.invalid",
                        str(exc),
                        "a valid study.yaml",
                        file=str(config_path),
                    )
                )
    return RawTables(source, tables, study_config, problems, hashes)
