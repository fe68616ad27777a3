"""Age at diagnosis derived from the birth year (issue 14 item 5) and its Montreal class.

Montreal age (Satsangi J et al., Gut 2006;55:749; clinical.md §2.1): A1 <= 16, A2 17-40,
A3 > 40 completed years. With a birth year only, the completed years at diagnosis are
(diagnosis year - birth year) or one less: the class is given only when both agree.
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report
from ibd_dtt.scores import classify_montreal_age_between, derive_age_at_diagnosis

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


@pytest.mark.parametrize(
    ("diagnosis_year", "bounds", "montreal"),
    [
        (2006, (15, 16), "A1"),  # 15 or 16 completed years: A1 either way
        (2007, (16, 17), None),  # 16 (A1) or 17 (A2): cannot tell
        (2008, (17, 18), "A2"),
        (2030, (39, 40), "A2"),
        (2031, (40, 41), None),  # 40 (A2) or 41 (A3)
        (2032, (41, 42), "A3"),
    ],
)
def test_derived_age_bounds_and_montreal_class_at_the_boundaries(diagnosis_year, bounds, montreal):
    patients = pd.DataFrame(
        {
            "birth_year": [1990],
            "diagnosis_date": pd.to_datetime([f"{diagnosis_year}-06"]),
            "age_at_diagnosis": [None],
        }
    )
    out = derive_age_at_diagnosis(patients)
    assert out.loc[0, "age_at_diagnosis"] == diagnosis_year - 1990
    assert (out.loc[0, "age_at_diagnosis_min"], out.loc[0, "age_at_diagnosis_max"]) == bounds
    assert out.loc[0, "age_at_diagnosis_source"] == "derived: diagnosis year - birth year"
    got = classify_montreal_age_between(out["age_at_diagnosis_min"], out["age_at_diagnosis_max"])
    assert (None if pd.isna(got[0]) else got[0]) == montreal


def test_a_recorded_age_is_kept_and_is_its_own_bound():
    patients = pd.DataFrame(
        {
            "birth_year": [1990, None],
            "diagnosis_date": pd.to_datetime(["2007-06-01", "2010-01-01"]),
            "age_at_diagnosis": [16.9, None],
        }
    )
    out = derive_age_at_diagnosis(patients)
    assert (
        out.loc[0, ["age_at_diagnosis", "age_at_diagnosis_min", "age_at_diagnosis_max"]]
        .eq(16.9)
        .all()
    )
    assert out.loc[0, "age_at_diagnosis_source"] == "recorded"
    assert pd.isna(out.loc[1, "age_at_diagnosis"])  # neither given (validate says so)
    assert pd.isna(out.loc[1, "age_at_diagnosis_source"])


def test_table_1_shows_derived_ages_with_a_footnote(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLE, folder)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    patients["age_at_diagnosis"] = ""
    patients.to_csv(folder / "patients.csv", index=False)
    scored = score_registry(load_registry(folder))
    assert scored.patients["age_at_diagnosis"].notna().all()
    expected = (
        pd.to_datetime(scored.patients["diagnosis_date"]).dt.year - scored.patients["birth_year"]
    )
    assert scored.patients["age_at_diagnosis"].tolist() == expected.astype(float).tolist()
    report = build_report(scored, [analyse_registry(scored, "paper")])
    table1 = report.tables["table1_baseline"]
    notes = " ".join(table1.notes)
    assert "Age at diagnosis derived for 18 patient(s)" in notes
    age_row = table1.display[table1.display.iloc[:, 0].str.startswith("Age at diagnosis")]
    assert len(age_row) >= 1 and "missing" not in age_row.to_string().lower()
    unknown = int(scored.patients["montreal_age"].isna().sum())
    if unknown:
        assert f"Montreal age class missing for {unknown} of them" in notes
