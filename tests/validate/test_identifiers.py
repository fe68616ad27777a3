"""Direct identifiers are refused (columns, patient IDs) or masked (free text), in any of
the languages our users' hospitals export in, and never echoed by a message or output."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.contract import TABLES
from ibd_dtt.pipeline import load_registry
from ibd_dtt.validate.identifiers import (
    identifier_kind_of_column,
    identifier_kind_of_value,
    looks_like_direct_id,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"
runner = CliRunner()

# Column headers seen in real exports (issue 12's corpus), in seven languages.
IDENTIFIER_COLUMNS = [
    "Hospital No.", "NHS No", "pt_name", "name_of_patient", "contact", "Name", "Initials",
    "date of birth (dd/mm/yyyy)", "DOB", "e-mail", "Phone number", "Home address", "Post code",
    "MRN", "SSN", "Passport",
    "Nachname", "Vorname", "Geburtsdatum", "Telefonnummer", "Adresse", "Versichertennummer",
    "Patientennummer",
    "Nom", "Prénom", "Date de naissance", "Téléphone", "Numéro de sécurité sociale", "NIR",
    "Apellidos", "Nombre", "DNI", "Fecha de nacimiento", "Teléfono", "Dirección",
    "Historia clínica",
    "Cognome", "Nome", "Codice fiscale", "Data di nascita", "Indirizzo", "Cellulare",
    "Achternaam", "Voornaam", "BSN", "Geboortedatum", "Adres",
    "姓名", "身份证号", "电话", "住院号", "出生日期", "地址", "xingming", "shenfenzheng",
    "zhuyuan_hao",
]  # fmt: skip


@pytest.mark.parametrize("name", IDENTIFIER_COLUMNS)
def test_identifier_columns_are_recognised(name):
    assert identifier_kind_of_column(name) is not None


def test_no_contract_column_and_no_ordinary_clinical_column_is_an_identifier():
    names = [c.name for t in TABLES.values() for c in t.columns]
    names += ["drug_name", "nombre_medicamento", "center", "dobutamine", "telangiectasia"]
    assert [n for n in names if identifier_kind_of_column(n)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Arthralgia, seen by Dr. Zhang",
        "Rash - Frau Müller called",
        "Purpura (Mme Dubois)",
        "lives at 12 Baker Street",
        "Hauptstraße 5, Berlin",
        "call 0171 234 5678",
        "+86 138 0013 8000",
        "mail wang@example.org",
        "born 17/05/1990",
        "NHS 9434765919",
        "DNI 12345678Z",
    ],
)
def test_identifiers_in_free_text_are_found(text):
    assert identifier_kind_of_value(text) is not None


@pytest.mark.parametrize(
    "text",
    ["Arthralgia", "Clostridioides difficile infection", "Herpes zoster (T10 dermatome)",
     "Grade 2 alopecia", "UST 90 mg q8w", "Allergic purpura"],
)  # fmt: skip
def test_ordinary_adverse_event_terms_are_not_identifiers(text):
    assert identifier_kind_of_value(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("DTT01", False), ("P-0001", False), ("123456789", True), ("12345678Z", True),
     ("X1234567L", True), ("RSSMRA85T10A562S", True), ("11010519491231002X", True)],
)  # fmt: skip
def test_patient_ids_that_are_record_or_national_numbers(value, expected):
    assert looks_like_direct_id(value) is expected


LEAKS = ("Dr. Zhang", "Zhang", "0171 234 5678", "12 Baker Street")


def _with_identifiers(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    ae = pd.read_csv(data / "adverse_events.csv", dtype=str, keep_default_na=False)
    ae.loc[0, "term"] = "Arthralgia, seen by Dr. Zhang"
    ae.loc[1, "term"] = "Alopecia - call 0171 234 5678"
    ae.loc[2, "term"] = "Purpura, lives at 12 Baker Street"
    ae.to_csv(data / "adverse_events.csv", index=False)
    return data


def _all_output_text(folder: Path) -> str:
    texts = []
    for path in folder.rglob("*"):
        if path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        elif path.is_file() and path.suffix != ".png":
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_identifiers_in_free_text_are_masked_in_every_output(tmp_path):
    data = _with_identifiers(tmp_path)
    result = runner.invoke(app, ["report", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stdout
    everything = _all_output_text(tmp_path / "out") + result.stdout
    for leak in LEAKS:
        assert leak not in everything
    assert "withheld: looks like" in everything
    warnings = load_registry(data).report.warnings.query("rule == 'privacy.identifier_value'")
    assert warnings["row"].tolist() == [2, 3, 4]


def test_a_column_can_be_allowed_to_keep_its_text(tmp_path):
    data = _with_identifiers(tmp_path)
    with (data / "study.yaml").open("a") as config:
        config.write("allow_identifier_like_text: [term]\n")
    terms = load_registry(data).tables["adverse_events"]["term"].tolist()
    assert "Arthralgia, seen by Dr. Zhang" in terms


def test_identifier_like_patient_ids_and_birth_dates_are_never_echoed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    for table in TABLES:
        path = data / f"{table}.csv"
        path.write_text(path.read_text().replace("DTT05,", "123456789,"))
    patients = pd.read_csv(data / "patients.csv", dtype=str, keep_default_na=False)
    patients.loc[0, "birth_year"] = "1990-05-17"
    patients.to_csv(data / "patients.csv", index=False)
    report, rejected = tmp_path / "problems.json", tmp_path / "rejected.csv"
    result = runner.invoke(
        app, ["validate", str(data), "--report", str(report), "--rejected", str(rejected)]
    )
    assert result.exit_code == 1
    said = result.stdout + report.read_text() + rejected.read_text()
    assert "123456789" not in said and "1990-05-17" not in said
    assert "withheld" in said
    assert "record" in " ".join(result.stdout.split())
