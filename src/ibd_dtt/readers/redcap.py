"""Read a REDCap records export (CSV, raw or labels) into the contract's raw tables.

What REDCap writes (REDCap Help & FAQ, "Data Exports"; API ``content=record``):

* one CSV, one row per record and form instance: the record ID first, then
  ``redcap_event_name`` (longitudinal projects), ``redcap_repeat_instrument`` and
  ``redcap_repeat_instance`` (repeating instruments), ``redcap_data_access_group`` (when
  exported with DAGs), then every field, each form closed by ``<form>_complete``;
* checkbox fields as one column per option, ``field___code`` (0/1, or
  Checked/Unchecked in a labels export);
* yes/no fields as 1/0 (Yes/No), dropdown and radio fields as their raw code (or label);
* in a **labels** export the header row holds field labels, not names: it is read with
  the project's data dictionary (downloaded from the Online Designer, or the API's
  ``content=metadata``), which must sit beside the export;
* project-level **missing-data codes** (e.g. UNK, NASK) in any cell.

Rows become contract tables: a repeating instrument's rows go to its table; a row of the
non-repeating form(s) goes to each table whose fields it fills (``patients``, and in a
longitudinal project with visits as events, ``assessments``). ``center`` comes from the
Data Access Group when the field is empty. Calculated fields, form status and survey
columns are set aside without a warning (they are in every export; ibd-dtt computes
every score itself). Every other adaptation is a warning: missing-data codes read as
empty, centers taken from the DAG, fields the contract does not know.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ibd_dtt.config import REDCAP_MISSING_CODES
from ibd_dtt.contract import TABLES
from ibd_dtt.contract.tables import Column
from ibd_dtt.forms.redcap import (
    CALCULATED_FIELDS,
    DICTIONARY_COLUMNS,
    METADATA_COLUMNS,
    redcap_code,
)
from ibd_dtt.problems import Problem
from ibd_dtt.readers.registry import RawTable, _frame, decode_text, normalise_column_name

SYSTEM_COLUMNS = {
    "redcap_event_name": "Event Name",
    "redcap_repeat_instrument": "Repeat Instrument",
    "redcap_repeat_instance": "Repeat Instance",
    "redcap_data_access_group": "Data Access Group",
    "redcap_survey_identifier": "Survey Identifier",
}
DEFAULT_MISSING_CODES = REDCAP_MISSING_CODES
DICTIONARY_NAMES = ("*DataDictionary*.csv", "*datadictionary*.csv", "data_dictionary.csv")
_CONTRACT = {c.name: (t.name, c) for t in TABLES.values() for c in t.columns}


def looks_like_redcap_export(path: Path) -> bool:
    """A CSV file whose header has REDCap's columns (raw) or labels (labels export)."""
    try:
        text, _ = decode_text(path.read_bytes()[:20000])
    except OSError:
        return False
    first = text.splitlines()[0] if text else ""
    names = {normalise_column_name(c) for c in next(csv.reader([first]), [])}
    labels = set(next(csv.reader([first]), []))
    return bool(
        names & {"redcap_repeat_instrument", "redcap_event_name", "redcap_data_access_group"}
        or labels & {"Repeat Instrument", "Event Name", "Data Access Group"}
        or any(n.endswith("_complete") for n in names)
        or "Complete?" in labels
    )


def find_dictionary(export: Path) -> tuple[Path | None, list[Path]]:
    """The data dictionary beside an export: (the one found or None, every candidate)."""
    found: list[Path] = []
    for pattern in DICTIONARY_NAMES:
        found += [p for p in sorted(export.parent.glob(pattern)) if p != export]
    found = list(dict.fromkeys(found))
    return (found[0] if len(found) == 1 else None), found


def read_dictionary(path: Path) -> pd.DataFrame:
    """A data dictionary as downloaded (REDCap's column titles) or from the API (metadata
    names), with the API's column names."""
    text, _ = decode_text(path.read_bytes())
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if list(frame.columns[: len(DICTIONARY_COLUMNS)]) == list(DICTIONARY_COLUMNS):
        frame = frame.rename(columns=dict(zip(DICTIONARY_COLUMNS, METADATA_COLUMNS, strict=True)))
    missing = {"field_name", "form_name", "field_type", "field_label"} - set(frame.columns)
    if missing:
        raise ValueError(f"not a REDCap data dictionary: no column {', '.join(sorted(missing))}")
    return frame


def _choices(text: str) -> dict[str, str]:
    """``"1, Yes | 0, No"`` -> {"1": "Yes", "0": "No"}."""
    pairs = {}
    for item in text.split("|"):
        if "," in item:
            code, label = item.split(",", 1)
            pairs[code.strip()] = label.strip()
    return pairs


def _drugs():
    from ibd_dtt.catalogue import load_drug_catalogue

    return load_drug_catalogue().drugs


def _to_contract_code(column: Column, raw: str) -> str:
    """A REDCap raw choice value as the contract's code (``mg_dL`` -> ``mg/dL``); values
    that are not a sanitised contract code are left for the validator to judge."""
    if column.kind in ("drug", "drugs"):
        abbreviations = {redcap_code(d.abbreviation).lower(): d.abbreviation for d in _drugs()}
        return abbreviations.get(raw.lower(), raw)
    for code in column.codes:
        if redcap_code(code).lower() == raw.lower():
            return code
    return raw


class _Export:
    """The header of an export resolved to field names (raw, or labels via the dictionary)."""

    def __init__(self, header: list[str], dictionary: pd.DataFrame | None):
        self.dictionary = dictionary
        system_labels = set(SYSTEM_COLUMNS.values()) | {"Complete?"}
        first_field = dictionary.iloc[0] if dictionary is not None and len(dictionary) else None
        self.labels = bool(system_labels & {h.strip() for h in header}) or (
            first_field is not None
            and bool(header)
            and header[0].strip() == first_field["field_label"].strip()
            and header[0].strip() != first_field["field_name"]
        )
        self.names = (
            (self._names_from_labels(header) if dictionary is not None else [])
            if self.labels
            else [
                normalise_column_name(h)
                if normalise_column_name(h) in SYSTEM_COLUMNS
                else h.strip()
                for h in header
            ]
        )

    def _names_from_labels(self, header: list[str]) -> list[str]:
        """Walk the labels header and the dictionary's fields in the same order."""
        expected: list[tuple[str, str]] = []
        for field in self.dictionary.itertuples(index=False):
            name, kind, label = field.field_name, field.field_type, field.field_label.strip()
            if kind == "descriptive":
                continue
            if kind == "checkbox":
                for code, option in _choices(field.select_choices_or_calculations).items():
                    expected.append((f"{name}___{code.lower()}", f"{label} (choice={option})"))
            else:
                expected.append((name, label))
        form_of = dict(
            zip(self.dictionary["field_name"], self.dictionary["form_name"], strict=True)
        )
        system = {label: name for name, label in SYSTEM_COLUMNS.items()}
        names, pointer, form = [], 0, "form"
        for text in header:
            text = text.strip()
            if text in system:
                names.append(system[text])
                continue
            if text == "Complete?":  # the status of the form whose fields came before
                names.append(f"{form}_complete")
                continue
            for i in range(pointer, len(expected)):
                if expected[i][1] == text:
                    names.append(expected[i][0])
                    form = form_of.get(expected[i][0].split("___")[0], form)
                    pointer = i + 1
                    break
            else:
                names.append(f"?{text}")
        return names


def read_redcap_export(
    path: Path,
    dictionary_path: Path | None = None,
    missing_codes: tuple[str, ...] | None = None,
) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read one REDCap records CSV (raw or labels) into raw contract tables.

    Every cell stays text; row numbers are the export's line numbers, and the sheet field
    of each table names its REDCap form, so a problem reads ``export.csv [therapies]:14``.
    """
    file = str(path)
    problems: list[Problem] = []
    missing_codes = DEFAULT_MISSING_CODES if missing_codes is None else missing_codes

    def note(rule: str, message: str, expected: str, warn: bool = True, table=None, row=None):
        problems.append(
            Problem("warning" if warn else "error", rule, message, expected, table, file, row=row)
        )

    text, _ = decode_text(path.read_bytes())
    records = list(csv.reader(io.StringIO(text, newline="")))
    records = [(n, r) for n, r in enumerate(records, start=1) if any(c.strip() for c in r)]
    if not records:
        note("file.empty", "the REDCap export is empty", "a records export", warn=False)
        return {}, problems
    header = records[0][1]
    dictionary = None
    if dictionary_path is None:
        dictionary_path, candidates = find_dictionary(path)
        if len(candidates) > 1:
            note(
                "redcap.ambiguous_dictionary",
                f"{len(candidates)} data dictionaries beside the export: "
                + ", ".join(p.name for p in candidates),
                "one data dictionary (delete or move the others)",
                warn=False,
            )
            return {}, problems
    if dictionary_path is not None:
        try:
            dictionary = read_dictionary(dictionary_path)
        except (ValueError, pd.errors.ParserError) as exc:
            note(
                "redcap.bad_dictionary",
                f"{dictionary_path.name}: {exc}",
                "a REDCap data dictionary CSV",
                warn=False,
            )
            return {}, problems
    export = _Export(header, dictionary)
    if export.labels and dictionary is None:
        note(
            "redcap.labels_without_dictionary",
            "this is a labels export (its header holds field labels): it can only be read "
            "with the project's data dictionary",
            "the data dictionary CSV beside the export (Online Designer > Data Dictionary > "
            "Download), or a 'CSV raw' export",
            warn=False,
        )
        return {}, problems
    names = export.names
    unmatched = [n[1:] for n in names if n.startswith("?")]
    if unmatched:
        note(
            "redcap.unknown_label",
            f"{len(unmatched)} column(s) of the labels export match no field of the data "
            f"dictionary and are ignored: {', '.join(unmatched[:5])}",
            "an export of the project the dictionary describes",
        )
    field_types = (
        dict(zip(dictionary["field_name"], dictionary["field_type"], strict=True))
        if dictionary is not None
        else {}
    )
    choice_labels = {}
    form_of_field = {}
    if dictionary is not None:
        for field in dictionary.itertuples(index=False):
            form_of_field[field.field_name] = field.form_name
            if field.field_type in ("dropdown", "radio", "checkbox"):
                choice_labels[field.field_name] = {
                    label: code
                    for code, label in _choices(field.select_choices_or_calculations).items()
                }
    record_id = names[0]
    set_aside = sorted(
        {
            n
            for n in names
            if n.endswith("_complete")
            or field_types.get(n) in ("calc", "descriptive", "file")
            or n in CALCULATED_FIELDS
            or n.endswith("_timestamp")
            or n == "redcap_survey_identifier"
        }
    )
    # group checkbox columns by their field
    checkbox: dict[str, list[tuple[int, str]]] = {}
    plain: dict[str, int] = {}
    for i, name in enumerate(names):
        match = re.fullmatch(r"(.+?)___(.+)", name)
        if match and match.group(1) in _CONTRACT:
            checkbox.setdefault(match.group(1), []).append((i, match.group(2)))
        elif name in _CONTRACT or name == record_id:
            plain[name] = i
    known = set(plain) | set(checkbox) | set(SYSTEM_COLUMNS) | set(set_aside) | {record_id}
    other = [
        n
        for n in names
        if n not in known and not n.startswith("?") and not re.fullmatch(r"(.+?)___(.+)", n)
    ]
    if other:
        note(
            "redcap.unknown_field",
            f"{len(other)} field(s) of the export are not in the data contract and are "
            f"ignored: {', '.join(other[:8])}",
            "fields named as the contract's columns (docs/data-contract.md)",
        )
    position = {name: i for i, name in enumerate(names)}
    form_to_table = {}
    for name, (table, _) in _CONTRACT.items():
        if name != "patient_id":
            form_to_table.setdefault(form_of_field.get(name, table), table)
    instrument_at = position.get("redcap_repeat_instrument")
    dag_at = position.get("redcap_data_access_group")
    rows: dict[str, list[list[str]]] = {t: [] for t in TABLES}
    numbers: dict[str, list[int]] = {t: [] for t in TABLES}
    replaced: dict[str, int] = {}
    from_dag = 0
    columns = {t: list(TABLES[t].column_names) for t in TABLES}

    def cell(record: list[str], i: int) -> str:
        return record[i].strip() if i < len(record) else ""

    for line, record in records[1:]:
        instrument = cell(record, instrument_at) if instrument_at is not None else ""
        if instrument and export.labels:
            instrument = normalise_column_name(instrument)
        values: dict[str, str] = {"patient_id": cell(record, plain[record_id])}
        for name, i in plain.items():
            if name == record_id:
                continue
            value = cell(record, i)
            if value in missing_codes:
                replaced[value] = replaced.get(value, 0) + 1
                value = ""
            _, column = _CONTRACT[name]
            if value and name in choice_labels and export.labels:
                value = choice_labels[name].get(value, value)
            if value and column.kind in ("code", "codes", "drug"):
                value = _to_contract_code(column, value)
            values[name] = value
        for name, options in checkbox.items():
            _, column = _CONTRACT[name]
            ticked = [
                _to_contract_code(column, code)
                for i, code in options
                if cell(record, i).lower() in ("1", "checked")
            ]
            values[name] = ";".join(ticked)
        if instrument:
            tables_here = [form_to_table.get(instrument, instrument)]
        else:
            tables_here = [
                t for t in TABLES if any(values.get(c) for c in columns[t] if c != "patient_id")
            ]
        dag = cell(record, dag_at) if dag_at is not None else ""
        if "patients" in tables_here and dag and not values.get("center"):
            values["center"] = dag
            from_dag += 1
        for table in tables_here:
            if table not in rows:
                note(
                    "redcap.unknown_instrument",
                    f"rows of the repeating instrument "
                    f"{instrument!r} are not a contract table and are ignored",
                    "therapies, assessments or adverse_events",
                    row=line,
                )
                continue
            rows[table].append([values.get(c, "") for c in columns[table]])
            numbers[table].append(line)
    if replaced:
        counts = ", ".join(f"{code} {n}" for code, n in sorted(replaced.items()))
        note(
            "redcap.missing_data_codes",
            f"{sum(replaced.values())} cell(s) hold REDCap missing-data codes ({counts}): "
            "read as empty (not recorded)",
            "values, or a documented missing-data code",
        )
    if from_dag:
        note(
            "redcap.center_from_dag",
            f"center taken from the Data Access Group for {from_dag} row(s) with no center",
            "the center field, or a DAG per center",
        )
    tables = {}
    for table in TABLES:
        present = [c for c in columns[table] if c in plain or c in checkbox or c == "patient_id"]
        if table == "patients" and dag_at is not None and "center" not in present:
            present.insert(1, "center")
        if not present or (table != "patients" and len(present) == 1 and not rows[table]):
            continue
        keep = [columns[table].index(c) for c in present]
        data = [[r[k] for k in keep] for r in rows[table]]
        tables[table] = RawTable(
            table, file, table, _frame(data, present, numbers[table]), tuple(present)
        )
    return tables, problems


TOKEN_ENVIRONMENT_VARIABLE = "REDCAP_API_TOKEN"


def fetch_redcap_export(url: str, token: str, folder: str | Path) -> tuple[Path, Path]:
    """Download a project's records (raw codes, with Data Access Groups) and its data
    dictionary through the REDCap API with PyCap, into ``folder/records.csv`` and
    ``folder/data_dictionary.csv`` (each written whole or not at all; other files in the
    folder, such as its study.yaml, are kept). Read them with ``read_registry``.

    The token never appears in a message: errors name the URL and REDCap's answer only.
    """
    from ibd_dtt.errors import DataContractError
    from ibd_dtt.outputs import write_file

    try:
        from redcap import Project, RedcapError
    except ImportError:
        raise DataContractError(
            "reading the REDCap API needs PyCap: pip install 'ibd-dtt[redcap]'"
        ) from None
    import requests

    def hidden(text: object) -> str:
        return str(text).replace(token, "***") if token else str(text)

    if not token or not re.fullmatch(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{64}", token.strip()):
        raise DataContractError(
            f"the REDCap API token in {TOKEN_ENVIRONMENT_VARIABLE} is missing or malformed "
            "(a REDCap token is 32 hexadecimal characters)"
        )
    try:
        project = Project(url, token.strip())
        records = project.export_records(
            format_type="csv", raw_or_label="raw", export_data_access_groups=True
        )
        metadata = project.export_metadata(format_type="csv")
    except (RedcapError, requests.RequestException, ValueError) as exc:
        first = hidden(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataContractError(f"REDCap API at {url}: {first}") from None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records_path = write_file(
        folder / "records.csv",
        lambda p: p.write_text(records, encoding="utf-8"),
        "REDCap records",
    )
    dictionary_path = write_file(
        folder / "data_dictionary.csv",
        lambda p: p.write_text(metadata, encoding="utf-8"),
        "REDCap data dictionary",
    )
    return records_path, dictionary_path
