"""The bundled example reproduces the paper's baseline aggregates (the response rates are
asserted with the outcome engine, issue 3). Sentences quoted are from the paper's Results."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.pipeline import load_registry

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "paper_cohort"


@pytest.fixture(scope="module")
def tables():
    result = load_registry(EXAMPLE)
    assert result.is_valid, result.report.problems
    assert result.report.problems.empty
    return result.tables


def test_generator_reproduces_the_committed_files(tmp_path):
    # written into tmp_path: a test never rewrites the bundled example
    script = ROOT / "tools" / "build_paper_cohort.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True)
    built = {p.name: p.read_bytes() for p in tmp_path.glob("*.*")}
    committed = {p.name: p.read_bytes() for p in EXAMPLE.glob("*.*") if p.name != "README.md"}
    assert built == committed


def test_eight_uc_ten_cd_eleven_female(tables):
    p = tables["patients"]
    assert p["diagnosis"].value_counts().to_dict() == {"CD": 10, "UC": 8}
    assert (p["sex"] == "F").sum() == 11  # "11 (61.11%) were female"


def test_mean_age_at_diagnosis_is_22_78(tables):
    assert round(tables["patients"]["age_at_diagnosis"].mean(), 2) == 22.78


def _dtt_start(therapies: pd.DataFrame) -> pd.Series:
    """Start of the second concurrently running advanced therapy (hand rule for this test)."""
    adv = therapies[therapies["drug_category"] == "advanced"]
    starts = {}
    for pid, rows in adv.groupby("patient_id"):
        for _, added in rows.sort_values("start_date").iterrows():
            running = rows[
                (rows["start_date"] < added["start_date"])
                & (rows["stop_date"].isna() | (rows["stop_date"] > added["start_date"]))
                & (rows["mechanism_class"] != added["mechanism_class"])
            ]
            if not running.empty:
                starts[pid] = added["start_date"]
                break
    return pd.Series(starts)


def test_disease_duration_mean_9_18_years_median_74_months(tables):
    p = tables["patients"].set_index("patient_id")
    start = _dtt_start(tables["therapies"])
    months = (start.dt.year - p["diagnosis_date"].dt.year) * 12 + (
        start.dt.month - p["diagnosis_date"].dt.month
    )
    assert round(months.mean() / 12, 2) == 9.18  # "mean disease duration was 9.18 years"
    assert months.median() == 74  # "median follow-up time before DTT was 74 months"
    assert (months.min(), months.max()) == (22, 230)


def test_surgery_and_comorbidity_counts(tables):
    cd = tables["patients"][tables["patients"]["diagnosis"] == "CD"]
    assert cd["intestinal_surgery"].value_counts().to_dict() == {
        "ileocolonic": 4,
        "ileal": 3,
        "none": 3,
    }
    assert cd["perianal_surgery"].sum() == 1
    assert (tables["patients"]["imid_status"] == "inactive").sum() == 6


def test_prior_failure_means(tables):
    t = tables["therapies"]
    start = _dtt_start(t)
    prior = t[
        (t["stop_date"] < t["patient_id"].map(start))
        & t["stop_reason"].isin(
            ["primary_non_response", "secondary_loss_of_response", "intolerance", "adverse_event"]
        )
    ]
    biologic = prior[prior["drug"].isin(["IFX", "ADA", "VDZ", "UST"])].groupby("patient_id").size()
    immuno = prior[prior["drug"].isin(["AZA", "MTX", "TAC", "CSA", "THD", "TOF"])]
    # 22 failed biologics in 16 exposed patients = 1.375 (paper: 1.38; see paper-reproduction)
    assert (biologic.sum(), len(biologic)) == (22, 16)
    assert round(len(immuno) / 18, 2) == 1.17
    per_patient = prior.groupby("patient_id").size().reindex(start.index, fill_value=0)
    assert (per_patient >= 2).sum() == 14  # "Fourteen patients had ... two or more"


def test_six_patients_on_corticosteroids_at_dtt_start_all_stopped_within_3_months(tables):
    t = tables["therapies"]
    start = t["patient_id"].map(_dtt_start(t))
    steroid = t[
        (t["drug_category"] == "corticosteroid")
        & (t["start_date"] <= start)
        & (t["stop_date"] > start)
    ]
    assert len(steroid) == 6
    dx = tables["patients"].set_index("patient_id")["diagnosis"]
    assert steroid["patient_id"].map(dx).value_counts().to_dict() == {"UC": 4, "CD": 2}
    assert (steroid["stop_date"] <= start[steroid.index] + pd.DateOffset(months=3)).all()


def test_four_patients_with_adverse_events(tables):
    ae = tables["adverse_events"]
    assert ae["patient_id"].nunique() == 4  # "AE incidence during DTT was 22.22% (4/18)"


def test_center_c_reports_crp_in_mg_dl_and_is_converted(tables):
    a = tables["assessments"]
    converted = a[a["crp_unit_reported"] == "mg/dL"]
    assert not converted.empty
    assert (converted["crp"] == (converted["crp_reported"] * 10).round(6)).all()
