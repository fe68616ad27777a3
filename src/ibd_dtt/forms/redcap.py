"""The study's REDCap project, generated from the data contract, and REDCap's file formats.

REDCap (Vanderbilt) is licensed software and cannot be run here; every file below follows
REDCap's documented formats (REDCap Help & FAQ, "Data Dictionary"; API documentation,
``content=metadata`` / ``content=record``):

* the **data dictionary** (Online Designer > Data Dictionary > upload): one row per field
  with the 18 columns of :data:`DICTIONARY_COLUMNS`;
* the **repeating instruments** file (Project Setup > Repeating instruments > upload):
  ``form_name,custom_form_label``;
* the **Data Access Groups** file (DAGs > upload): ``data_access_group_name,
  unique_group_name``;
* a **records** file in the format of a REDCap CSV export (raw codes or labels), which is
  also REDCap's import format: :func:`write_redcap_records` moves an existing CSV registry
  into REDCap, and tests use it for the round trip registry -> REDCap -> ibd-dtt.

Design: a classic (non-longitudinal) project; ``patients`` is the one non-repeating form
(its first field, ``patient_id``, is the record ID); ``therapies``, ``assessments`` and
``adverse_events`` are repeating instruments, so that unscheduled visits need nothing
special (visits are put in their windows from their dates). Field names are the
contract's column names. UC-only items are shown only for UC/IBDU patients and CD-only
items only for CD patients (branching logic); numbers carry their ranges; partial Mayo
and HBI totals are calculated fields for the clinician's eye (ibd-dtt recomputes them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ibd_dtt.catalogue import load_drug_catalogue
from ibd_dtt.contract import TABLES
from ibd_dtt.contract.tables import ALL_DIAGNOSES, CD_ONLY, UC_LIKE, Column

DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
# the same columns as the API's content=metadata export names them
METADATA_COLUMNS = (
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
)
REPEATING_FORMS = {
    "therapies": "[drug] [start_date]",
    "assessments": "[visit_date]",
    "adverse_events": "[term] [onset_date]",
}
# calculated fields shown to the clinician; never read back (ibd-dtt computes the scores)
CALCULATED_FIELDS = {
    "partial_mayo_calc": (
        "Partial Mayo score (calculated)",
        "[mayo_stool_frequency]+[mayo_rectal_bleeding]+[mayo_physician_global]",
        UC_LIKE,
    ),
    "hbi_calc": (
        "Harvey-Bradshaw Index (calculated)",
        "[hbi_general_wellbeing]+[hbi_abdominal_pain]+[hbi_liquid_stools]+"
        "[hbi_abdominal_mass]+[hbi_arthralgia]+[hbi_uveitis]+[hbi_erythema_nodosum]+"
        "[hbi_aphthous_ulcers]+[hbi_pyoderma_gangrenosum]+[hbi_anal_fissure]+"
        "[hbi_new_fistula]+[hbi_abscess]",
        CD_ONLY,
    ),
}
CALC_AFTER = {"partial_mayo_calc": "partial_mayo_total_recorded", "hbi_calc": "hbi_total_recorded"}


def redcap_code(code: str) -> str:
    """A contract code as a REDCap raw choice value (letters, digits and underscores only,
    the characters REDCap allows in the export name of a checkbox option).

    >>> [redcap_code(c) for c in ("UC", "mg/dL", "%", "I-V", "dose_intensified")]
    ['UC', 'mg_dL', 'pct', 'I_V', 'dose_intensified']
    """
    return "pct" if code == "%" else re.sub(r"[^A-Za-z0-9_]", "_", code)


def _label(column: Column) -> str:
    label = column.name.replace("_", " ").capitalize()
    for short, long in (
        ("Hbi", "HBI"),
        ("Ses ", "SES-CD "),
        ("Crp", "CRP"),
        ("Cd pro2", "CD-PRO2"),
    ):
        label = label.replace(short, long)
    if column.kind in ("integer", "number") and column.maximum is not None:
        label += (
            f" ({column.minimum:g}-{column.maximum:g}{' ' + column.unit if column.unit else ''})"
        )
    elif column.unit:
        label += f" ({column.unit})"
    return label


def _branching(applies_to: tuple[str, ...]) -> str:
    if tuple(applies_to) == ALL_DIAGNOSES:
        return ""
    return " or ".join(f"[diagnosis] = '{d}'" for d in applies_to)


def _choices(column: Column) -> str:
    if column.kind in ("drug", "drugs"):
        return " | ".join(
            f"{redcap_code(d.abbreviation)}, {d.generic_name} ({d.abbreviation}"
            + (f"; {', '.join(d.synonyms[:3])}" if d.synonyms else "")
            + ")"
            for d in load_drug_catalogue().drugs
        )
    return " | ".join(f"{redcap_code(k)}, {k} = {v}" for k, v in column.codes.items())


def _field(column: Column, form: str) -> dict[str, str]:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row["Variable / Field Name"] = column.name
    row["Form Name"] = form
    row["Field Label"] = _label(column)
    row["Field Note"] = column.description.replace("`", "")[:500]
    row["Branching Logic (Show field only if...)"] = _branching(column.applies_to)
    # a required field hidden by branching logic would block saving for the other disease
    if column.required and column.applies_to == ALL_DIAGNOSES and column.name != "center":
        row["Required Field?"] = "y"
    kind = column.kind
    if kind in ("code", "drug"):
        row["Field Type"] = "dropdown"
        row["Choices, Calculations, OR Slider Labels"] = _choices(column)
    elif kind in ("codes", "drugs"):
        row["Field Type"] = "checkbox"
        row["Choices, Calculations, OR Slider Labels"] = _choices(column)
    elif kind == "boolean":
        row["Field Type"] = "yesno"
    else:
        row["Field Type"] = "text"
        validation = {"integer": "integer", "number": "number", "date": "date_ymd"}.get(kind, "")
        row["Text Validation Type OR Show Slider Number"] = validation
        if validation in ("integer", "number"):
            if column.minimum is not None:
                row["Text Validation Min"] = f"{column.minimum:g}"
            if column.maximum is not None:
                row["Text Validation Max"] = f"{column.maximum:g}"
        elif validation == "date_ymd":
            row["Text Validation Min"], row["Text Validation Max"] = "1900-01-01", "2100-12-31"
        if kind == "partial_date":
            row["Field Note"] += " Write YYYY-MM-DD, or YYYY-MM / YYYY when the day is unknown."
    if kind in ("id",) or column.name == "patient_id":
        row["Field Note"] = "Pseudonymous study ID (e.g. DTT01). Never a name or hospital number."
    return row


def data_dictionary() -> pd.DataFrame:
    """The REDCap data dictionary of the study, one row per field, in REDCap's columns."""
    rows = []
    for table in TABLES.values():
        for column in table.columns:
            if column.name == "patient_id" and table.name != "patients":
                continue  # the record ID belongs to the first form only
            rows.append(_field(column, table.name))
            for name, after in CALC_AFTER.items():
                if column.name == after:
                    label, formula, applies_to = CALCULATED_FIELDS[name]
                    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
                    row.update(
                        {
                            "Variable / Field Name": name,
                            "Form Name": table.name,
                            "Field Type": "calc",
                            "Field Label": label,
                            "Choices, Calculations, OR Slider Labels": formula,
                            "Field Note": "Shown while entering data; ibd-dtt computes its "
                            "scores from the items itself.",
                            "Branching Logic (Show field only if...)": _branching(applies_to),
                        }
                    )
                    rows.append(row)
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))


def repeating_instruments() -> pd.DataFrame:
    """REDCap's repeating-instruments file for a classic project."""
    return pd.DataFrame(
        {"form_name": list(REPEATING_FORMS), "custom_form_label": list(REPEATING_FORMS.values())}
    )


def data_access_groups(centers: Iterable[str]) -> pd.DataFrame:
    """REDCap's Data Access Groups file: one group per center (unique names as REDCap
    derives them: lower case, non-alphanumerics as ``_``, at most 18 characters)."""
    names = list(centers)
    unique = [re.sub(r"[^a-z0-9]+", "_", n.lower()).strip("_")[:18] for n in names]
    return pd.DataFrame({"data_access_group_name": names, "unique_group_name": unique})


def write_redcap_project(folder: str | Path, centers: Iterable[str]) -> list[Path]:
    """Write the dictionary, repeating-instruments and DAG files into ``folder``."""
    folder = Path(folder)
    files = {
        "data_dictionary.csv": data_dictionary(),
        "repeating_instruments.csv": repeating_instruments(),
        "data_access_groups.csv": data_access_groups(centers),
    }
    written = []
    for name, frame in files.items():
        path = folder / name
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written


# --------------------------------------------------------------------------- records


def _checkbox_options(column: Column) -> list[tuple[str, str]]:
    """(raw code, label) of each option of a checkbox field, as in the dictionary."""
    choices = _choices(column)
    return [tuple(p.strip() for p in item.split(",", 1)) for item in choices.split(" | ")]


def _export_columns(labels: bool) -> list[tuple[str, str]]:
    """(raw header, label header) of every column of a REDCap export, in REDCap's order:
    record ID, repeat instrument and instance, DAG, then each form's fields (checkboxes
    one column per option, ``field___code``) and its ``<form>_complete`` status."""
    dictionary = data_dictionary()
    columns = [("patient_id", "Patient id")]
    columns += [
        ("redcap_repeat_instrument", "Repeat Instrument"),
        ("redcap_repeat_instance", "Repeat Instance"),
        ("redcap_data_access_group", "Data Access Group"),
    ]
    contract = {c.name: c for t in TABLES.values() for c in t.columns}
    for form, fields in dictionary.groupby("Form Name", sort=False):
        for field in fields.itertuples(index=False):
            name, kind, label = field[0], field[3], field[4]
            if name == "patient_id":
                continue
            if kind == "checkbox":
                for code, option in _checkbox_options(contract[name]):
                    columns.append((f"{name}___{code.lower()}", f"{label} (choice={option})"))
            else:
                columns.append((name, label))
        columns.append((f"{form}_complete", "Complete?"))
    return columns


def write_redcap_records(
    tables: dict[str, pd.DataFrame],
    path: str | Path,
    labels: bool = False,
    data_access_groups_by_center: dict[str, str] | None = None,
) -> Path:
    """Write registry tables (text cells, as read from a CSV folder) as one REDCap records
    CSV: raw codes (REDCap's import format and 'CSV raw' export) or labels ('CSV labels'
    export: label headers, choice labels, Yes/No, Checked/Unchecked).

    ``data_access_groups_by_center`` maps each center to its DAG (unique name in a raw
    file, the group's name in a labels file); without it there is no DAG column value.
    """
    contract = {c.name: c for t in TABLES.values() for c in t.columns}
    columns = _export_columns(labels)
    dictionary = data_dictionary().set_index("Variable / Field Name")
    choice_labels = {
        name: dict(
            tuple(p.strip() for p in item.split(",", 1))
            for item in dictionary.loc[name, "Choices, Calculations, OR Slider Labels"].split(" | ")
        )
        for name in dictionary.index
        if dictionary.loc[name, "Field Type"] in ("dropdown", "checkbox")
    }
    drugs = load_drug_catalogue()
    centers = tables["patients"].set_index("patient_id")["center"].to_dict()
    records = []
    for table_name, frame in tables.items():
        instance: dict[str, int] = {}
        for row in frame.to_dict("records"):
            pid = row["patient_id"]
            out = dict.fromkeys((raw for raw, _ in columns), "")
            out["patient_id"] = pid
            if table_name != "patients":
                instance[pid] = instance.get(pid, 0) + 1
                out["redcap_repeat_instrument"] = (
                    table_name.replace("_", " ").title() if labels else table_name
                )
                out["redcap_repeat_instance"] = str(instance[pid])
            if data_access_groups_by_center:
                out["redcap_data_access_group"] = data_access_groups_by_center.get(
                    centers.get(pid, ""), ""
                )
            for name, value in row.items():
                if name in ("patient_id", "_row") or name not in contract:
                    continue
                column = contract[name]
                value = "" if pd.isna(value) else str(value)
                if column.kind in ("codes", "drugs"):
                    given = [v.strip() for v in value.split(";") if v.strip()]
                    if column.kind == "drugs":
                        chosen = {
                            redcap_code(drugs.resolve(g).abbreviation)
                            for g in given
                            if drugs.resolve(g)
                        }
                    else:
                        chosen = {redcap_code(g) for g in given}
                    for code, _ in _checkbox_options(column):
                        ticked = code in chosen
                        out[f"{name}___{code.lower()}"] = (
                            ("Checked" if ticked else "Unchecked")
                            if labels
                            else ("1" if ticked else "0")
                        )
                elif column.kind in ("code", "drug") and value:
                    raw = redcap_code(
                        drugs.resolve(value).abbreviation if column.kind == "drug" else value
                    )
                    out[name] = choice_labels[name][raw] if labels else raw
                elif column.kind == "boolean" and value:
                    truthy = value.lower() in ("yes", "y", "true", "1")
                    out[name] = ("Yes" if truthy else "No") if labels else ("1" if truthy else "0")
                else:
                    out[name] = value
            out[f"{table_name}_complete"] = "Complete" if labels else "2"
            records.append(out)
    header = [label if labels else raw for raw, label in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for out in records:
        writer.writerow([out[raw] for raw, _ in columns])
    path = Path(path)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
