"""Readers: xlsx round trip, day-first dates, and property tests that nothing raises."""

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibd_dtt.contract import TABLES
from ibd_dtt.pipeline import load_registry
from ibd_dtt.readers import read_registry
from ibd_dtt.validate import validate

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


def test_workbook_gives_the_same_validated_tables_as_the_csv_folder(tmp_path, write_workbook):
    workbook = tmp_path / "cohort.xlsx"
    write_workbook(EXAMPLE, workbook)
    from_csv, from_xlsx = load_registry(EXAMPLE), load_registry(workbook)
    assert from_xlsx.is_valid, from_xlsx.report.problems
    for table in TABLES:
        pd.testing.assert_frame_equal(from_csv.tables[table], from_xlsx.tables[table])


def test_workbook_problems_name_the_sheet(tmp_path, write_workbook):
    workbook = tmp_path / "cohort.xlsx"
    write_workbook(EXAMPLE, workbook)
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    book["assessments"]["C2"] = 7  # mayo_stool_frequency of the first visit
    book.save(workbook)
    problems = load_registry(workbook).report.errors
    hit = problems[problems["column"] == "mayo_stool_frequency"].iloc[0]
    assert (hit["sheet"], hit["row"], hit["value"]) == ("assessments", 2, "7")


def test_missing_table_and_missing_config_are_reported_not_raised(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id\nP1\n")
    raw = read_registry(tmp_path)
    rules = {p.rule for p in raw.problems}
    assert {"file.missing_table", "config.missing"} <= rules
    assert validate(raw).is_valid is False


def test_a_windows_1252_file_is_read_with_a_warning_naming_the_encoding(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "data")
    path = tmp_path / "data" / "adverse_events.csv"
    text = path.read_text(encoding="utf-8").replace("Arthralgia", "Arthralgie Knöchel")
    path.write_bytes(text.encode("cp1252"))
    result = load_registry(tmp_path / "data")
    assert result.is_valid
    warning = result.report.warnings.query("rule == 'file.encoding'")
    assert "cp1252" in warning["message"].iloc[0]
    assert "Knöchel" in " ".join(result.tables["adverse_events"]["term"].astype(str))


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    table=st.sampled_from(list(TABLES)),
    columns=st.lists(
        st.sampled_from(
            [
                "patient_id",
                "visit_date",
                "drug",
                "start_date",
                "stop_date",
                "sex",
                "crp",
                "hbi_abdominal_pain",
                "onset_date",
                "diagnosis",
                "diagnosis_date",
                "age_at_diagnosis",
                "ses_ileum_status",
                "ses_ileum_ulcer_size",
                "action_taken",
                "limberg",
                "whatever",
                "Name",
            ]
        ),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    rows=st.lists(st.lists(cell_text, min_size=8, max_size=8), max_size=6),
)
def test_validator_never_raises_and_accounts_for_every_row(tmp_path_factory, table, columns, rows):
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(EXAMPLE / "study.yaml", folder / "study.yaml")
    for name in TABLES:
        shutil.copy(EXAMPLE / f"{name}.csv", folder / f"{name}.csv")
    frame = pd.DataFrame([r[: len(columns)] for r in rows], columns=columns)
    frame.to_csv(folder / f"{table}.csv", index=False)
    result = validate(read_registry(folder))  # must not raise
    counts = result.accounting()
    assert (counts["accepted"] + counts["rejected"] == counts["input_rows"]).all()


@settings(max_examples=40, deadline=None)
@given(content=st.binary(max_size=200))
def test_reader_survives_arbitrary_bytes(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("bytes")
    shutil.copy(EXAMPLE / "study.yaml", folder / "study.yaml")
    (folder / "patients.csv").write_bytes(content)
    validate(read_registry(folder))  # must not raise
