"""Vectorised parsing of text cells into typed values, one contract column at a time.

Each ``parse_*`` function takes the text Series of a column ('' = empty) and returns a
:class:`Parsed`: the typed values plus, for every bad cell, what was wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.contract import codes as C
from ibd_dtt.contract.tables import Column
from ibd_dtt.validate.identifiers import DIRECT_ID_PATTERN

TRUE_WORDS = {"yes", "y", "true", "t", "1", "1.0"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "0.0"}
STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
# Python-backed strings: comparisons give nullable booleans that combine with `&`/`|`
# (pyarrow-backed strings give arrow booleans that do not mix with pandas booleans).
STRING = pd.StringDtype("python")


@dataclass
class Parsed:
    """Typed values of one column; ``errors`` maps a row position to what is wrong."""

    values: pd.Series
    errors: dict[int, str] = field(default_factory=dict)
    warnings: dict[int, str] = field(default_factory=dict)
    extra: dict[str, pd.Series] = field(default_factory=dict)


def _positions(mask: pd.Series) -> list[int]:
    return list(np.flatnonzero(mask.to_numpy(dtype=bool)))


def _range_errors(values: pd.Series, column: Column, parsed: Parsed) -> None:
    if column.minimum is not None:
        for i in _positions(values.lt(column.minimum).fillna(False)):
            parsed.errors[i] = f"below the minimum {column.minimum:g}"
    if column.maximum is not None:
        for i in _positions(values.gt(column.maximum).fillna(False)):
            parsed.errors[i] = f"above the maximum {column.maximum:g}"
    if column.warn_above is not None:
        for i in _positions(values.gt(column.warn_above).fillna(False)):
            parsed.warnings.setdefault(i, f"implausibly high (above {column.warn_above:g})")


def _to_number(text: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("Float64")
    return numbers.where(np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan)))


def parse_number(text: pd.Series, column: Column) -> Parsed:
    numbers = _to_number(text)
    parsed = Parsed(numbers)
    for i in _positions((text != "") & numbers.isna()):
        hint = " (use '.' as the decimal separator)" if "," in text.iloc[i] else ""
        parsed.errors[i] = f"not a number{hint}"
    _range_errors(numbers, column, parsed)
    return parsed


def parse_integer(text: pd.Series, column: Column) -> Parsed:
    parsed = parse_number(text, column)
    numbers = parsed.values
    fractional = numbers.notna() & (numbers % 1 != 0)
    for i in _positions(fractional.fillna(False)):
        parsed.errors[i] = "not a whole number"
    parsed.values = numbers.where(~fractional.fillna(False)).round().astype("Int64")
    return parsed


_CENSORED = re.compile(r"^(<=|>=|<|>|≤|≥)\s*(.*)$")


def parse_lab(text: pd.Series, column: Column) -> Parsed:
    """A lab value: a number, or a censored result ``<x`` (below the detection limit x) or
    ``>x`` (above the reportable range). The bound is kept as the value and the direction
    (``<`` or ``>``) in ``<column>_censored``: downstream, a censored value is used only
    where its bound decides the answer (CRP ``<5`` against a ULN of 5 is normal; ``<10`` is
    not evaluable) and never in a mean or a change."""
    stripped = text.str.strip()
    parts = stripped.str.extract(_CENSORED.pattern)
    censored = parts[0].notna() & (text != "")
    direction = parts[0].replace({"<=": "<", "≤": "<", ">=": ">", "≥": ">"})
    number_text = parts[1].str.strip().where(censored, stripped).fillna("")
    parsed = parse_number(number_text, column)
    parsed.extra["censored"] = direction.where(censored).astype(STRING)
    for i in _positions(censored & parsed.values.notna()):
        parsed.warnings.setdefault(
            i,
            f"censored value {stripped.iloc[i]}: used only where its bound decides the result, "
            "never in a mean or a change",
        )
    return parsed


def parse_boolean(text: pd.Series, column: Column) -> Parsed:
    lower = text.str.lower()
    values = pd.Series(pd.NA, index=text.index, dtype="boolean")
    values[lower.isin(TRUE_WORDS)] = True
    values[lower.isin(FALSE_WORDS)] = False
    parsed = Parsed(values)
    for i in _positions((text != "") & values.isna()):
        parsed.errors[i] = "not yes/no"
    return parsed


def _code_lookup(column: Column) -> dict[str, str]:
    lookup = {code.upper(): code for code in column.codes}
    lookup.update({label.upper(): code for code, label in column.codes.items()})
    lookup.update({alias.upper(): code for alias, code in column.aliases.items()})
    return lookup


def parse_code(text: pd.Series, column: Column) -> Parsed:
    lookup = _code_lookup(column)
    values = text.str.upper().map(lookup).astype(STRING)
    parsed = Parsed(values)
    for i in _positions((text != "") & values.isna()):
        parsed.errors[i] = "not an allowed code"
    return parsed


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", text) if part.strip()]


def parse_codes(text: pd.Series, column: Column) -> Parsed:
    lookup = _code_lookup(column)
    out: list[object] = []
    parsed = Parsed(pd.Series(dtype=STRING))
    # cells without a separator hold at most one code: looked up column-wise
    several = text.str.contains(r"[;|]").to_numpy(bool, na_value=False)
    for i, cell in enumerate(text):
        if not several[i]:
            code = cell.strip()
            known = lookup.get(code.upper()) if code else None
            if code and known is None:
                parsed.errors[i] = f"unknown code(s) {code}"
            out.append(pd.NA if known is None else known)
            continue
        parts = _split_list(cell)
        bad = [p for p in parts if p.upper() not in lookup]
        if bad:
            parsed.errors[i] = f"unknown code(s) {', '.join(bad)}"
        out.append(";".join(lookup[p.upper()] for p in parts if p.upper() in lookup) or pd.NA)
    parsed.values = pd.Series(out, index=text.index, dtype=STRING)
    return parsed


def parse_drug(text: pd.Series, column: Column) -> Parsed:
    catalogue = load_drug_catalogue()
    unique = {name: catalogue.resolve(name) for name in text.unique() if name}
    abbreviation = {name: drug.abbreviation for name, drug in unique.items() if drug}
    values = text.map(abbreviation).astype(STRING)
    parsed = Parsed(values)
    for i in _positions((text != "") & values.isna()):
        parsed.errors[i] = "unknown drug (not in the drug catalogue)"
    return parsed


def parse_drugs(text: pd.Series, column: Column) -> Parsed:
    catalogue = load_drug_catalogue()
    parsed = Parsed(pd.Series(dtype=STRING))
    out: list[object] = []
    for i, cell in enumerate(text):
        names = [p.strip() for p in re.split(r"[;|+]", cell) if p.strip()]
        drugs = [catalogue.resolve(n) for n in names]
        bad = [n for n, d in zip(names, drugs, strict=True) if d is None]
        if bad:
            parsed.errors[i] = f"unknown drug(s) {', '.join(bad)}"
        out.append(";".join(d.abbreviation for d in drugs if d) or pd.NA)
    parsed.values = pd.Series(out, index=text.index, dtype=STRING)
    return parsed


def parse_drug_actions(text: pd.Series, column: Column) -> Parsed:
    catalogue = load_drug_catalogue()
    parsed = Parsed(pd.Series(dtype=STRING))
    out: list[object] = []
    for i, cell in enumerate(text):
        pairs, bad = [], []
        for part in _split_list(cell):
            drug_name, _, action = part.partition(":")
            drug = catalogue.resolve(drug_name)
            action = action.strip().lower().replace(" ", "_").replace("-", "_")
            if drug is None or action not in C.AE_ACTIONS:
                bad.append(part)
            else:
                pairs.append(f"{drug.abbreviation}:{action}")
        if bad:
            parsed.errors[i] = f"cannot read {', '.join(bad)}"
        out.append(";".join(pairs) or pd.NA)
    parsed.values = pd.Series(out, index=text.index, dtype=STRING)
    return parsed


_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
# An ISO date with a time, as databases and Excel export dates ("2022-11-04 00:00:00",
# "2022-11-04T10:30"): the date is used; a time other than midnight gets a warning.
_ISO_DATETIME = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


def _iso_from_text(cell: str, date_format: str) -> tuple[str | None, str | None, str]:
    """(ISO date, precision, problem) of one cell; precision is day, month or year."""
    if _ISO.match(cell):
        y, m, d = cell.split("-")
        return f"{y}-{int(m):02d}-{int(d):02d}", "day", ""
    slashed = _SLASHED.match(cell)
    if slashed:
        a, b, y = slashed.groups()
        if date_format == "iso":
            return None, None, "ambiguous day/month order (set date_format: dmy or mdy)"
        d, m = (a, b) if date_format == "dmy" else (b, a)
        return f"{y}-{int(m):02d}-{int(d):02d}", "day", ""
    return None, None, "not a date"


def parse_date(
    text: pd.Series, column: Column, date_format: str = "iso", allow_partial: bool = False
) -> Parsed:
    iso: list[object] = []
    precision: list[object] = []
    problems: dict[int, str] = {}
    time_warnings: dict[int, str] = {}
    # most cells are already YYYY-MM-DD: those are taken as they are, the rest parsed here
    canonical = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").to_numpy(bool, na_value=False)
    for i, cell in enumerate(text):
        if canonical[i]:
            iso.append(cell)
            precision.append("day")
            continue
        if not cell:
            iso.append(None)
            precision.append(None)
            continue
        with_time = _ISO_DATETIME.match(cell)
        if with_time:
            day, hours, minutes, seconds = with_time.groups()
            if int(hours) or int(minutes) or int(seconds or 0):
                time_warnings[i] = f"time {hours}:{minutes} dropped: only the date is used"
            cell = day
        value, prec, problem = _iso_from_text(cell, date_format)
        if value is None and allow_partial:
            for pattern, prec_name in (
                (_YEAR_MONTH, "month"),
                (_MONTH_YEAR, "month"),
                (_YEAR, "year"),
            ):
                match = pattern.match(cell)
                if match:
                    groups = match.groups()
                    if prec_name == "year":
                        value = f"{groups[0]}-01-01"
                    elif pattern is _YEAR_MONTH:
                        value = f"{groups[0]}-{int(groups[1]):02d}-01"
                    else:
                        value = f"{groups[1]}-{int(groups[0]):02d}-01"
                    prec, problem = prec_name, ""
                    break
        if value is None:
            problems[i] = problem
        iso.append(value)
        precision.append(prec)
    dates = pd.to_datetime(
        pd.Series(iso, index=text.index, dtype=object), format="%Y-%m-%d", errors="coerce"
    )
    parsed = Parsed(dates)
    for i in _positions(dates.isna() & pd.Series([v is not None for v in iso], index=text.index)):
        problems[i] = "not a real calendar date"
    in_range = dates.isna() | ((dates.dt.year >= 1900) & (dates.dt.year <= 2100))
    for i in _positions(~in_range):
        problems[i] = "year outside 1900-2100"
    parsed.values = dates.where(in_range)
    parsed.errors = problems
    parsed.warnings = {i: w for i, w in time_warnings.items() if i not in problems}
    if allow_partial:
        parsed.extra["precision"] = pd.Series(precision, index=text.index, dtype=STRING)
    return parsed


def parse_text(text: pd.Series, column: Column) -> Parsed:
    parsed = Parsed(text.where(text != "").astype(STRING))
    for i in _positions(text.str.len() > 200):
        parsed.errors[i] = "longer than 200 characters"
    return parsed


def parse_id(text: pd.Series, column: Column) -> Parsed:
    parsed = Parsed(text.where(text != "").astype(STRING))
    filled = (text != "").to_numpy(bool)
    valid = text.str.fullmatch(STUDY_ID.pattern.strip("^$")).to_numpy(bool, na_value=False)
    digits = text.str.upper().str.contains(DIRECT_ID_PATTERN).to_numpy(bool, na_value=False)
    for i in np.flatnonzero(filled & (~valid | digits)):
        if not valid[i]:
            parsed.errors[int(i)] = "not a valid study ID"
        else:
            parsed.errors[int(i)] = (
                "looks like a hospital record, insurance or national ID number "
                "(9+ digits, DNI/NIE, codice fiscale, resident ID); use a pseudonymous study ID"
            )
    return parsed


def parse_column(text: pd.Series, column: Column, date_format: str) -> Parsed:
    """Parse the text cells of ``column`` according to its kind."""
    if column.kind == "date":
        return parse_date(text, column, date_format)
    if column.kind == "partial_date":
        return parse_date(text, column, date_format, allow_partial=True)
    parser = {
        "id": parse_id,
        "text": parse_text,
        "code": parse_code,
        "codes": parse_codes,
        "integer": parse_integer,
        "number": parse_number,
        "lab": parse_lab,
        "boolean": parse_boolean,
        "drug": parse_drug,
        "drugs": parse_drugs,
        "drug_actions": parse_drug_actions,
    }[column.kind]
    return parser(text, column)
