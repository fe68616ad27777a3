"""Validation of raw registry tables against the data contract.

Every problem is reported at once; nothing raises for bad data. Rows with an error are
rejected (listed with all their reasons), so accepted rows + rejected rows = input rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.config import StudyConfig
from ibd_dtt.contract import TABLES
from ibd_dtt.contract.tables import Table
from ibd_dtt.outputs import neutralise_formulas
from ibd_dtt.problems import Problem
from ibd_dtt.readers import RawTable, RawTables
from ibd_dtt.readers.registry import ROW_COLUMN
from ibd_dtt.validate import identifiers
from ibd_dtt.validate.cells import STRING, parse_column
from ibd_dtt.validate.report import ValidationReport


@dataclass
class ValidationResult:
    """Validated (typed) tables, the rows rejected, and the report of every problem."""

    tables: dict[str, pd.DataFrame]
    rejected: pd.DataFrame
    report: ValidationReport
    config: StudyConfig | None
    input_rows: dict[str, int] = field(default_factory=dict)
    # tables that are missing or could not be read at all (their rows are unknown)
    lost_tables: tuple[str, ...] = ()

    @property
    def is_valid(self) -> bool:
        return self.report.is_valid

    def accounting(self) -> pd.DataFrame:
        """Per table: input rows = accepted rows + rejected rows."""
        rows = []
        for name in TABLES:
            rejected = int((self.rejected["table"] == name).sum())
            accepted = len(self.tables[name]) if name in self.tables else 0
            rows.append(
                {
                    "table": name,
                    "input_rows": self.input_rows.get(name, 0),
                    "accepted": accepted,
                    "rejected": rejected,
                }
            )
        return pd.DataFrame(rows)

    def unanalysable_reason(self) -> str | None:
        """Why the accepted rows cannot be analysed even with ``--allow-rejected`` (a whole
        table missing or unreadable, no configuration, or no patient left), else None.
        Analysing what is left would report, for example, 0 adverse events for a study
        whose adverse-event file could not be read."""
        if self.config is None:
            return "there is no usable study configuration"
        lost = [name for name in TABLES if name not in self.tables or name in self.lost_tables]
        if lost:
            return (
                f"table(s) {', '.join(lost)} missing or unreadable: every row of them is "
                f"lost, so results computed from the rest would be wrong"
            )
        if self.tables["patients"].empty:
            return "no patient row was accepted"
        if self.tables["therapies"].empty:
            return "no therapy row was accepted, so no DTT episode can be derived"
        return None

    def write_rejected(self, path: str | Path) -> None:
        """The rejected rows and their reasons as CSV (text that a spreadsheet would run
        as a formula is prefixed with ``'``)."""
        neutralise_formulas(self.rejected).to_csv(path, index=False)


class _Collector:
    """Gathers problems and, per table, the rows to reject with their reasons."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.reject: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        if problem.severity == "error" and problem.table and problem.row is not None:
            reason = f"{problem.column or ''}: {problem.message}".strip(": ")
            self.reject[problem.table][problem.row].append(reason)


@dataclass
class _Context:
    raw: RawTable
    table: Table
    frame: pd.DataFrame  # typed values, contract columns + derived, indexed 0..n-1
    present: set[str]

    def problem(
        self, severity, rule, message, *, rows=None, column=None, values=None, expected=""
    ) -> list[Problem]:
        """Problems for the rows selected by the boolean mask ``rows``.

        Most rules select no row in clean data, so the rows are found on the mask first
        and only the selected ones are looked up, by position (``frame`` is indexed 0..n-1).
        """
        if rows is None:
            positions = np.arange(len(self.frame))
        else:
            positions = np.flatnonzero(rows.fillna(False).to_numpy(bool))
        if not len(positions):
            return []
        row_numbers = self.frame[ROW_COLUMN].to_numpy()
        patient_ids = (
            self.frame["patient_id"].to_numpy(object)
            if "patient_id" in self.frame.columns
            else None
        )
        if values is not None:
            shown = values.to_numpy(object)
        elif column is not None and column in self.raw.frame.columns:
            shown = self.raw.frame[column].to_numpy(object)
        else:
            shown = None
        out = []
        for i in positions:
            value = None
            if shown is not None and not (values is not None and pd.isna(shown[i])):
                value = str(shown[i])
            patient = None if patient_ids is None else patient_ids[i]
            out.append(
                Problem(
                    severity,
                    rule,
                    message,
                    expected,
                    self.table.name,
                    self.raw.file,
                    self.raw.sheet,
                    int(row_numbers[i]),
                    column,
                    _patient_id(patient),
                    value,
                )
            )
        return out


def _patient_id(value) -> str | None:
    """A patient ID as it may be shown (masked when it looks like a record number)."""
    return None if value is None or pd.isna(value) else identifiers.shown_value(str(value))


def _check_header(raw: RawTable, table: Table, out: _Collector) -> set[str]:
    """Column-level checks; returns the contract columns present in the input."""
    present = set()
    for column in raw.frame.columns:
        if column == ROW_COLUMN:
            continue
        kind = identifiers.identifier_kind_of_column(column)
        if kind is not None and column != "patient_id":
            out.add(
                Problem(
                    "error",
                    "privacy.identifier_column",
                    f"column looks like {kind}: direct identifiers are refused and "
                    "the column was not read",
                    "no direct identifiers; use study IDs",
                    table.name,
                    raw.file,
                    raw.sheet,
                    1,
                    column,
                )
            )
        elif column in table.column_names:
            present.add(column)
        else:
            out.add(
                Problem(
                    "warning",
                    "header.unknown_column",
                    "column is not part of the data contract and was ignored",
                    "a column of the data contract (docs/data-contract.md)",
                    table.name,
                    raw.file,
                    raw.sheet,
                    1,
                    column,
                )
            )
    for column in table.columns:
        if column.required and column.name not in present:
            out.add(
                Problem(
                    "error",
                    "header.missing_required_column",
                    "required column is missing; every row is rejected",
                    column.expected(),
                    table.name,
                    raw.file,
                    raw.sheet,
                    1,
                    column.name,
                )
            )
            for row in raw.frame[ROW_COLUMN]:
                out.reject[table.name][int(row)].append(f"required column {column.name} missing")
    return present


def _parse_table(
    raw: RawTable, table: Table, present: set[str], config: StudyConfig | None, out: _Collector
) -> pd.DataFrame:
    """Typed frame with every contract column (missing ones all-NA) and derived columns."""
    date_format = config.date_format if config else "iso"
    text = raw.frame.reset_index(drop=True)
    typed = pd.DataFrame({ROW_COLUMN: text[ROW_COLUMN].astype("int64")})
    patient_ids = (
        text["patient_id"] if "patient_id" in present else pd.Series([""] * len(text), dtype=object)
    )
    for column in table.columns:
        cells = (
            text[column.name]
            if column.name in present
            else pd.Series([""] * len(text), dtype=object)
        )
        parsed = parse_column(cells.astype(str), column, date_format)
        typed[column.name] = parsed.values.reset_index(drop=True)
        for key, series in parsed.extra.items():
            typed[f"{column.name}_{key}"] = series.reset_index(drop=True)
        for severity, found in (("error", parsed.errors), ("warning", parsed.warnings)):
            for i, message in found.items():
                out.add(
                    Problem(
                        severity,
                        f"cell.{column.kind}",
                        message,
                        column.expected(),
                        table.name,
                        raw.file,
                        raw.sheet,
                        int(text[ROW_COLUMN].iloc[i]),
                        column.name,
                        patient_ids.iloc[i] or None,
                        cells.iloc[i],
                    )
                )
        if column.required and column.name in present:
            for i in np.flatnonzero((cells == "").to_numpy()):
                out.add(
                    Problem(
                        "error",
                        "cell.required",
                        "required value is empty",
                        column.expected(),
                        table.name,
                        raw.file,
                        raw.sheet,
                        int(text[ROW_COLUMN].iloc[i]),
                        column.name,
                        patient_ids.iloc[i] or None,
                        "",
                    )
                )
        if column.kind == "text" and column.name in present:
            allowed = config is not None and column.name in config.allow_identifier_like_text
            for i, cell in enumerate(cells):
                kind = identifiers.identifier_kind_of_value(cell) if cell else None
                if not kind:
                    continue
                if allowed:
                    message = (
                        f"value looks like {kind}; kept (allowed for this column in study.yaml)"
                    )
                else:
                    message = (
                        f"value looks like {kind}; it is masked in every output "
                        f"(allow_identifier_like_text in study.yaml keeps it)"
                    )
                    typed.loc[i, column.name] = f"[withheld: looks like {kind}]"
                out.add(
                    Problem(
                        "warning",
                        "privacy.identifier_value",
                        message,
                        "no direct identifiers in free text",
                        table.name,
                        raw.file,
                        raw.sheet,
                        int(text[ROW_COLUMN].iloc[i]),
                        column.name,
                        patient_ids.iloc[i] or None,
                        identifiers.mask(cell),
                    )
                )
    return typed


def validate(raw: RawTables) -> ValidationResult:
    """Check raw tables against the data contract and return typed tables and a report.

    Example:
        >>> from ibd_dtt.readers import read_registry
        >>> result = validate(read_registry("examples/paper_cohort"))  # doctest: +SKIP
        >>> result.is_valid, len(result.tables["patients"])  # doctest: +SKIP
        (True, 18)
    """
    from ibd_dtt.validate import rules

    out = _Collector()
    for problem in raw.problems:
        out.add(problem)
    contexts: dict[str, _Context] = {}
    for name, table in TABLES.items():
        if name in raw.tables:
            source = raw.tables[name]
            present = _check_header(source, table, out)
        else:  # reported by the reader; an empty typed table keeps downstream code simple
            empty = pd.DataFrame({ROW_COLUMN: pd.Series(dtype="int64")})
            source, present = RawTable(name, "", None, empty, ()), set()
        typed = _parse_table(source, table, present, raw.config, out)
        contexts[name] = _Context(source, table, typed, present)
    for problem in rules.check_rows(contexts, raw.config):
        out.add(problem)
    if "assessments" in contexts:
        _normalise_units(contexts["assessments"].frame, raw.config)
    if "therapies" in contexts:
        _add_drug_classes(contexts["therapies"].frame)
    return _finish(raw, contexts, out)


# factor to the canonical unit (clinical.md §3.1: 1 mg/dL = 10 mg/L; 1 g/dL = 10 g/L)
UNIT_FACTORS = {
    "crp": ("mg/L", {"mg/L": 1, "mg/dL": 10}),
    "albumin": ("g/L", {"g/L": 1, "g/dL": 10}),
    "hematocrit": ("%", {"%": 1, "L/L": 100}),
}


def _add_drug_classes(frame: pd.DataFrame) -> None:
    """Category (advanced, immunomodulator, corticosteroid, ...) and mechanism of each drug."""
    drugs = {d.abbreviation: d for d in load_drug_catalogue().drugs}
    frame["drug_category"] = (
        frame["drug"].map({k: d.category for k, d in drugs.items()}).astype(STRING)
    )
    frame["mechanism_class"] = (
        frame["drug"].map({k: d.mechanism_class for k, d in drugs.items()}).astype(STRING)
    )


def _normalise_units(frame: pd.DataFrame, config: StudyConfig | None) -> None:
    """Convert lab values to canonical units in place, keeping what was reported.

    ``crp`` becomes mg/L, ``albumin`` g/L and ``hematocrit`` %; ``<lab>_reported`` and
    ``<lab>_unit_reported`` keep the input. Rounded to 6 decimals so that 1.2 mg/dL gives
    12 mg/L exactly, not 12.000000000000002. Limberg grades on the I-V scale become 0-4.
    """
    defaults = (
        config.default_units.model_dump()
        if config
        else {"crp": "mg/L", "albumin": "g/L", "hematocrit": "%"}
    )
    for lab, (canonical, factors) in UNIT_FACTORS.items():
        unit = frame[f"{lab}_unit"].fillna(defaults[lab])
        frame[f"{lab}_reported"] = frame[lab]
        frame[f"{lab}_unit_reported"] = frame[f"{lab}_unit"]
        factor = unit.map(factors).astype("Float64")
        frame[lab] = (frame[lab] * factor).round(6)
        frame[f"{lab}_unit"] = pd.Series(canonical, index=frame.index, dtype=STRING).where(
            frame[lab].notna()
        )
    frame["limberg_reported"] = frame["limberg"]
    one_based = (frame["limberg_scale"] == "I-V").fillna(False)
    frame.loc[one_based, "limberg"] = frame.loc[one_based, "limberg"] - 1


def _finish(raw: RawTables, contexts: dict[str, _Context], out: _Collector) -> ValidationResult:
    """Reject rows with errors (and rows of rejected patients), return the result."""
    from ibd_dtt.validate import rules

    patients = contexts.get("patients")
    rejected_ids: set[str] = set()
    if patients is not None:
        bad_rows = set(out.reject["patients"])
        mask = patients.frame[ROW_COLUMN].isin(bad_rows)
        rejected_ids = set(patients.frame.loc[mask, "patient_id"].dropna())
        accepted_ids = set(patients.frame.loc[~mask, "patient_id"].dropna()) - rejected_ids
    else:
        accepted_ids = set()
    lost = frozenset(name for name in TABLES if name not in raw.tables) | frozenset(
        raw.unreadable_rows
    )
    for problem in rules.check_references(contexts, accepted_ids, rejected_ids, raw.config, lost):
        out.add(problem)
    tables: dict[str, pd.DataFrame] = {}
    rejected_records = []
    input_rows = {}
    for name, ctx in contexts.items():
        input_rows[name] = len(ctx.frame)
        reasons = out.reject.get(name, {})
        mask = ctx.frame[ROW_COLUMN].isin(set(reasons))
        tables[name] = ctx.frame[~mask].reset_index(drop=True)
        for _, record in ctx.frame[mask].iterrows():
            row = int(record[ROW_COLUMN])
            rejected_records.append(
                {
                    "table": name,
                    "file": ctx.raw.file,
                    "sheet": ctx.raw.sheet,
                    "row": row,
                    "patient_id": _patient_id(record.get("patient_id")),
                    "reasons": "; ".join(dict.fromkeys(reasons[row])),
                }
            )
    for name, lines in raw.unreadable_rows.items():
        # the file exists but could not be read: each of its lines is a lost row
        why = "; ".join(
            dict.fromkeys(
                p.message for p in raw.problems if p.table == name and p.severity == "error"
            )
        )
        input_rows[name] = len(lines)
        rejected_records += [
            {
                "table": name,
                "file": next((p.file for p in raw.problems if p.table == name), None),
                "sheet": None,
                "row": line,
                "patient_id": None,
                "reasons": f"the file could not be read: {why}",
            }
            for line in lines
        ]
    rejected = pd.DataFrame(
        rejected_records, columns=["table", "file", "sheet", "row", "patient_id", "reasons"]
    )
    # a configuration with wrong settings was used to read the data, never to analyse them
    config_wrong = any(p.rule.startswith("config.") for p in raw.problems)
    return ValidationResult(
        tables,
        rejected,
        ValidationReport.from_problems(out.problems),
        None if config_wrong else raw.config,
        input_rows,
        tuple(name for name in TABLES if name not in raw.tables),
    )
