"""Recorded totals and blank HBI complications (issue 14): which total is used, from where,
and that a visit never loses its score without validate saying so."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt import load_registry, score_registry
from ibd_dtt.contract import TABLES
from ibd_dtt.scores import add_scores
from ibd_dtt.scores.hbi import hbi_complication_columns

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"
MAIN_HBI = [
    "hbi_general_wellbeing",
    "hbi_abdominal_pain",
    "hbi_liquid_stools",
    "hbi_abdominal_mass",
]
MAYO = ["mayo_stool_frequency", "mayo_rectal_bleeding", "mayo_physician_global"]


def visits(**columns) -> pd.DataFrame:
    """Assessments with every score column the scorer reads; unnamed ones empty."""
    n = len(next(iter(columns.values())))
    data = {c.name: pd.Series([pd.NA] * n, dtype="object") for c in TABLES["assessments"].columns}
    data.update(columns)
    out = pd.DataFrame(data)
    for c in MAYO + MAIN_HBI + ["partial_mayo_total_recorded", "hbi_total_recorded"]:
        out[c] = out[c].astype("Int64")
    for c in hbi_complication_columns():
        out[c] = out[c].astype("boolean")
    return out


def test_items_win_and_a_recorded_total_fills_in_when_items_are_missing():
    # visit 1: SF 2 + RB 1 + PGA 2 = 5 (clinical.md §9) with a recorded 5: from the items;
    # visit 2: RB missing, recorded 6: the recorded total; visit 3: neither: missing
    a = visits(
        mayo_stool_frequency=[2, 2, 2],
        mayo_rectal_bleeding=[1, None, None],
        mayo_physician_global=[2, 2, 2],
        partial_mayo_total_recorded=[5, 6, None],
    )
    scored = add_scores(a)
    assert scored["partial_mayo"].tolist() == [5, 6, pd.NA]
    assert scored["partial_mayo_source"].tolist() == ["items", "recorded_total", pd.NA]
    assert scored["partial_mayo_band"].tolist() == ["moderate", "moderate", pd.NA]
    # full Mayo needs every subscore (its remission band does): never from a recorded total
    assert scored["full_mayo"].isna().all()


def test_blank_complications_are_missing_unless_the_study_says_absent():
    # wb 2 + pain 1 + stools 4 + mass 0 = 7, complications left blank
    a = visits(
        hbi_general_wellbeing=[2],
        hbi_abdominal_pain=[1],
        hbi_liquid_stools=[4],
        hbi_abdominal_mass=[0],
    )
    assert add_scores(a)["hbi"].isna().all()
    absent = add_scores(a, blank_hbi_complications="absent")
    assert absent["hbi"].tolist() == [7] and absent["hbi_source"].tolist() == ["items"]
    # a complication that is ticked still counts (clinical.md §9 example: 9 with arthralgia
    # and anal fissure)
    a["hbi_arthralgia"] = pd.array([True], dtype="boolean")
    a["hbi_anal_fissure"] = pd.array([True], dtype="boolean")
    assert add_scores(a, blank_hbi_complications="absent")["hbi"].tolist() == [9]
    with pytest.raises(ValueError, match="blank_hbi_complications"):
        add_scores(a, blank_hbi_complications="zero")


def test_a_recorded_hbi_of_zero_is_used():
    a = visits(hbi_general_wellbeing=[None], hbi_total_recorded=[0])
    scored = add_scores(a)
    assert scored["hbi"].tolist() == [0] and scored["hbi_band"].tolist() == ["remission"]
    assert scored["hbi_source"].tolist() == ["recorded_total"]


@pytest.fixture
def blank_complications(tmp_path):
    """The example cohort with every absent HBI complication left blank, present ones kept
    (as registries that tick only what is present record them)."""
    data = tmp_path / "registry"
    shutil.copytree(EXAMPLE, data)
    table = pd.read_csv(data / "assessments.csv", dtype=str, keep_default_na=False)
    original = table.copy()
    for column in hbi_complication_columns():
        absent = table[column].str.lower().isin(["false", "no", "0"])
        table.loc[absent, column] = ""
    table.to_csv(data / "assessments.csv", index=False)
    return data, original


def test_a_vanished_hbi_is_reported_per_patient(blank_complications):
    data, original = blank_complications
    result = load_registry(data)
    warnings = result.report.problems
    warnings = warnings[warnings["rule"] == "score.not_computable"]
    has_items = original[MAIN_HBI].ne("").any(axis=1)
    cd_patients = sorted(original.loc[has_items, "patient_id"].unique())
    assert sorted(warnings["patient_id"]) == cd_patients  # one warning per CD patient
    first = warnings.iloc[0]
    assert "HBI cannot be computed at" in first["message"]
    assert "hbi_arthralgia" in first["message"] and "blank_hbi_complications" in first["expected"]
    # and the scores are indeed missing: nothing is made up
    assert score_registry(result).assessments["hbi"].isna().all()


def test_blank_means_absent_when_the_study_says_so(blank_complications):
    data, _ = blank_complications
    config = (data / "study.yaml").read_text()
    (data / "study.yaml").write_text(config + "blank_hbi_complications: absent\n")
    result = load_registry(data)
    assert "score.not_computable" not in set(result.report.problems["rule"])
    scored = score_registry(result).assessments
    reference = score_registry(load_registry(EXAMPLE)).assessments
    # present complications were kept, so every HBI is the same as with explicit no/yes
    assert scored["hbi"].notna().sum() == reference["hbi"].notna().sum() > 0
    assert scored["hbi"].fillna(-1).tolist() == reference["hbi"].fillna(-1).tolist()


def test_a_recorded_total_that_differs_from_its_items_is_an_error(tmp_path):
    data = tmp_path / "registry"
    shutil.copytree(EXAMPLE, data)
    table = pd.read_csv(data / "assessments.csv", dtype=str, keep_default_na=False)
    complete = table[MAYO].ne("").all(axis=1)
    row = complete.idxmax()
    items = table.loc[row, MAYO].astype(int).sum()
    table["partial_mayo_total_recorded"] = ""
    table.loc[row, "partial_mayo_total_recorded"] = str(items + 1)
    table.to_csv(data / "assessments.csv", index=False)
    problems = load_registry(data).report.problems
    mismatch = problems[problems["rule"] == "score.total_mismatch"]
    assert len(mismatch) == 1
    assert mismatch.iloc[0]["row"] == row + 2  # file line: the header is line 1
    assert mismatch.iloc[0]["value"] == f"recorded {items + 1}, items give {items}"
