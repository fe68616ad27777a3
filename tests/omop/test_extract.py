"""Extraction of the registry tables from an OMOP CDM: hand-built cases pin each rule of
docs/omop.md, and a synthetic CDM goes through validate -> outcomes -> report unchanged."""

from __future__ import annotations

import datetime as dt
import re

import ibis
import pandas as pd
import pytest
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.omop.concepts import ConceptSetError, load_concept_set
from ibd_dtt.omop.extract import ExtractOptions, extract_registry
from ibd_dtt.omop.pathways import derive_treatment_pathways
from ibd_dtt.omop.synth import generate_omop, write_omop
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry

IFX, VDZ, UST, PDN = 937368, 45774639, 40161532, 1551099
CROHNS = 201606
C_DIFF_LOCAL, PNEUMONIA_LOCAL = 2_000_000_001, 2_000_000_002
CRP, MG_PER_L, MG_PER_DL = 3020460, 8751, 8840
D0 = dt.date(2020, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def doses(person, concept, first, last, every, supply=1):
    return [(person, concept, day(d), supply) for d in range(first, last + 1, every)]


def hand_built_tables() -> dict[str, pd.DataFrame]:
    """Person 1: UST (stopped), then IFX, VDZ added on day 400 -> DTT, refractory by the
    proxy (UST and IFX: two mechanisms before the DTT start); UST coverage overlaps IFX by
    3 days only (a switch, not DTT).
    Person 2: IFX then VDZ added, nothing before -> DTT, not refractory by the proxy.
    Person 3: gender concept 0 -> left out. Person 4: no IBD condition -> not extracted."""
    drug = (
        doses(1, UST, 0, 196, 56)  # UST days 0, 56, 112, 168 -> covered to 223
        + doses(1, IFX, 250, 530, 56)  # IFX from day 250, last dose 530 -> covered to 585
        + doses(1, VDZ, 400, 1000, 56)  # VDZ from day 400, still running at the cut
        + doses(1, PDN, 380, 440, 30, supply=30)  # prednisone 380..469
        + doses(2, IFX, 0, 560, 56)
        + doses(2, VDZ, 100, 500, 56)
        + doses(3, IFX, 0, 560, 56)
        + doses(3, VDZ, 100, 500, 56)
        + doses(4, IFX, 0, 560, 56)
        + doses(4, UST, 100, 500, 56)
    )
    drug_exposure = pd.DataFrame(
        drug, columns=["person_id", "drug_concept_id", "drug_exposure_start_date", "days_supply"]
    )
    drug_exposure.insert(0, "drug_exposure_id", range(1, len(drug_exposure) + 1))
    conditions = [
        (1, CROHNS, day(100)),  # first IBD record after the first ADA dose
        (2, CROHNS, day(-30)),
        (3, CROHNS, day(-30)),
        (1, C_DIFF_LOCAL, day(450)),  # during DTT -> adverse event
        (1, C_DIFF_LOCAL, day(460)),  # repeat of the same event
        (1, PNEUMONIA_LOCAL, day(300)),  # before DTT ...
        (1, PNEUMONIA_LOCAL, day(500)),  # ... so this is pre-existing, not an AE
        (2, C_DIFF_LOCAL, day(548 + 28 + 1)),  # DTT ends day 548 (VDZ); 29 days after
    ]
    condition_occurrence = pd.DataFrame(
        conditions, columns=["person_id", "condition_concept_id", "condition_start_date"]
    )
    condition_occurrence.insert(0, "condition_occurrence_id", range(1, len(conditions) + 1))
    measurements = [
        (1, CRP, day(390), 32.0, MG_PER_L, "mg/L"),  # baseline
        (1, CRP, day(390), 30.0, MG_PER_L, "mg/L"),  # same-day repeat
        (1, CRP, day(490), 0.4, MG_PER_DL, "mg/dL"),  # other site, mg/dL
        (1, CRP, day(580), 40.0, 0, "nmol/L"),  # unit not recognised
        (1, CRP, day(20), 50.0, MG_PER_L, "mg/L"),  # 380 days before the DTT start (day 400)
        (1, CRP, day(1200), 2.0, MG_PER_L, "mg/L"),  # after the data cut
        (1, CRP, day(500), None, MG_PER_L, "mg/L"),  # no value
    ]
    measurement = pd.DataFrame(
        measurements,
        columns=[
            "person_id",
            "measurement_concept_id",
            "measurement_date",
            "value_as_number",
            "unit_concept_id",
            "unit_source_value",
        ],
    )
    measurement.insert(0, "measurement_id", range(1, len(measurement) + 1))
    person = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "gender_concept_id": [8532, 8507, 0, 8532],
            "year_of_birth": [1990, 1985, 1980, 1970],
        }
    )
    observation_period = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "observation_period_start_date": [day(-400)] * 4,
            "observation_period_end_date": [day(1000)] * 4,
        }
    )
    concept = pd.DataFrame(
        {
            "concept_id": [C_DIFF_LOCAL, PNEUMONIA_LOCAL],
            "concept_name": ["C. difficile infection", "Pneumonia"],
            "vocabulary_id": ["SNOMED", "SNOMED"],
            "concept_code": ["186431008", "233604007"],
        }
    )
    tables = {
        "person": person,
        "observation_period": observation_period,
        "condition_occurrence": condition_occurrence,
        "drug_exposure": drug_exposure,
        "measurement": measurement,
        "concept": concept,
    }
    return tables


def extract(tables: dict[str, pd.DataFrame]):
    cdm = {name: ibis.memtable(frame) for name, frame in tables.items()}
    return extract_registry(cdm, ExtractOptions(data_cut=day(1000)))


@pytest.fixture(scope="module")
def hand_built():
    return extract(hand_built_tables())


def test_row_order_of_the_cdm_does_not_matter(hand_built):
    reversed_tables = {
        name: frame.iloc[::-1].reset_index(drop=True) for name, frame in hand_built_tables().items()
    }
    again = extract(reversed_tables)
    for name, frame in hand_built.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, obj=name)
    columns = list(hand_built.log.columns)
    pd.testing.assert_frame_equal(
        again.log.astype(str).sort_values(columns).reset_index(drop=True),
        hand_built.log.astype(str).sort_values(columns).reset_index(drop=True),
    )


def test_patients_get_study_ids_and_the_sex_rule(hand_built):
    patients = hand_built.tables["patients"].set_index("patient_id")
    assert list(patients.index) == ["EHR-000001", "EHR-000002"]
    assert patients["sex"].tolist() == ["F", "M"]
    assert "person_id" not in hand_built.tables["patients"]
    assert hand_built.linkage["person_id"].tolist() == [1, 2]
    left_out = hand_built.log[hand_built.log["table"] == "person"]
    assert left_out["person_id"].tolist() == [3]
    assert "neither 8532" in left_out["reason"].item()
    # first evidence of IBD: the UST course (day 0) precedes the first CD record (day 100)
    assert patients.loc["EHR-000001", "diagnosis_date"] == day(0).isoformat()
    assert patients.loc["EHR-000002", "diagnosis_date"] == day(-30).isoformat()


def test_refractory_proxy_counts_mechanisms_started_before_dtt(hand_built):
    patients = hand_built.tables["patients"].set_index("patient_id")
    # person 1: UST (anti-IL-12/23) and IFX (anti-TNF) started before VDZ -> refractory;
    # person 2: only IFX before VDZ -> not refractory by the proxy (left to the data manager)
    assert patients.loc["EHR-000001", "indication_refractory"]
    assert patients.loc["EHR-000001", "refractory_reasons"] == "failed_two_mechanisms"
    assert not patients.loc["EHR-000002", "indication_refractory"]


def test_therapies_are_eras_with_last_covered_day_and_unknown_reason(hand_built):
    therapies = hand_built.tables["therapies"]
    p1 = therapies[therapies["patient_id"] == "EHR-000001"].set_index("drug")
    # UST: last dose day 168 + 56-day interval -> last covered day 223
    assert p1.loc["UST", ["start_date", "stop_date", "stop_reason"]].tolist() == [
        day(0).isoformat(),
        day(223).isoformat(),
        "unknown",
    ]
    # IFX: last infusion day 530 + 56 -> last covered day 585
    assert p1.loc["IFX", "stop_date"] == day(585).isoformat()
    # VDZ still covered at the data cut -> ongoing (no stop date, no reason)
    assert pd.isna(p1.loc["VDZ", "stop_date"]) and p1.loc["VDZ", "stop_reason"] == ""
    # prednisone: three 30-day dispensings 380, 410, 440 -> 380 .. 469
    assert p1.loc["PDN", ["start_date", "stop_date"]].tolist() == [
        day(380).isoformat(),
        day(469).isoformat(),
    ]


def test_labs_in_a_recognised_unit_one_per_day_and_the_rest_logged(hand_built):
    labs = hand_built.tables["assessments"]
    p1 = labs[labs["patient_id"] == "EHR-000001"].set_index("visit_date")
    assert p1.loc[day(390).isoformat(), ["crp", "crp_unit"]].tolist() == ["32", "mg/L"]
    assert p1.loc[day(490).isoformat(), ["crp", "crp_unit"]].tolist() == ["0.4", "mg/dL"]
    assert len(p1) == 2
    reasons = hand_built.log[hand_built.log["table"] == "measurement"]["reason"].tolist()
    assert sorted(reasons) == sorted(
        [
            "same-day repeat of this lab; the first record was kept",
            "unit not recognised for this measurement (concepts/measurements.csv)",
            "more than 365 days before the DTT start",
            "after the data cut",
            "no value_as_number",
        ]
    )


def test_adverse_events_during_dtt_from_snomed_codes(hand_built):
    events = hand_built.tables["adverse_events"]
    assert events[["patient_id", "onset_date", "term", "category"]].values.tolist() == [
        ["EHR-000001", day(450).isoformat(), "Clostridioides difficile infection", "infection"]
    ]
    assert events["ctcae_grade"].isna().all()
    log = hand_built.log[hand_built.log["table"] == "condition_occurrence"]
    reasons = dict(zip(log["record_id"], log["reason"], strict=True))
    assert reasons[5] == "repeat record of an event already extracted"
    assert reasons[6].startswith("recorded before the DTT start")
    assert reasons[7] == "term also recorded before the DTT start (pre-existing)"
    assert reasons[8].startswith("after the DTT episode + 28 days")


def test_attrition_and_episodes(hand_built):
    attrition = hand_built.attrition.set_index("step")["persons"].tolist()
    assert attrition == [4, 3, 3, 3, 2]
    episodes = hand_built.episodes
    assert episodes["patient_id"].tolist() == ["EHR-000001", "EHR-000002"]
    assert episodes["regimen"].tolist() == ["IFX+VDZ", "IFX+VDZ"]
    assert [pd.Timestamp(d).date() for d in episodes["start"]] == [day(400), day(100)]
    # person 1: IFX last infusion day 530 -> last covered day 585: 585 - 400 = 185 days;
    # person 2: VDZ infusions 100, 156, ..., 492 -> last covered day 547: 547 - 100 = 447
    assert episodes["overlap_days"].tolist() == [185, 447]
    assert hand_built.study["dtt_min_overlap_days"] == 30


def test_pathways_follow_treatment_patterns_rules():
    def eras(*rows):
        return pd.DataFrame(
            [(1, d, day(s), day(e)) for d, s, e in rows],
            columns=["person_id", "drug", "era_start", "era_end"],
        )

    # a 29-day overlap is a switch, 30 days a combination (combination_window = 30)
    switch = derive_treatment_pathways(eras(("IFX", 0, 129), ("UST", 100, 400)))
    assert switch["pathway"].item() == "IFX -> UST"
    combo = derive_treatment_pathways(eras(("IFX", 0, 130), ("UST", 100, 400)))
    assert combo["pathway"].item() == "IFX -> IFX+UST -> UST"
    # a single-drug remainder shorter than min_post_combination_duration is dropped
    short_tail = derive_treatment_pathways(eras(("IFX", 0, 200), ("UST", 100, 229)))
    assert short_tail["pathway"].item() == "IFX -> IFX+UST"
    # TreatmentPatterns' durations of split pieces (doCombinationWindow, 3.1.0): the UST
    # piece after the combination runs from IFX's last day (200) to its own (230): 30 days,
    # kept; the IFX piece before it from its start (0) to UST's start (100).
    tail = derive_treatment_pathways(eras(("IFX", 0, 200), ("UST", 100, 230)))
    assert tail["pathway"].item() == "IFX -> IFX+UST -> UST"
    # ... and on the other side: UST from day 0, IFX from day 29: the UST piece lasts
    # 29 - 0 = 29 days (< 30, dropped); IFX from day 30: 30 days, kept
    head = derive_treatment_pathways(eras(("UST", 0, 300), ("IFX", 29, 200)))
    assert head["pathway"].item() == "IFX+UST -> UST"
    head = derive_treatment_pathways(eras(("UST", 0, 300), ("IFX", 30, 200)))
    assert head["pathway"].item() == "UST -> IFX+UST -> UST"
    # gaps drop out and the same regimen merges
    gap = derive_treatment_pathways(eras(("IFX", 0, 100), ("IFX", 200, 300)))
    assert gap["pathway"].item() == "IFX" and gap["steps"].item() == 1


def test_a_site_concept_file_is_checked(tmp_path):
    (tmp_path / "measurements.csv").write_text(
        "column,concept_id,unit,unit_concept_id,unit_source_values\n"
        "crp,3020460,mg/L,8751,mg/L\n"
        "hbi_total,999,,,\n"
        "crp,abc,mg/L,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ConceptSetError) as error:
        load_concept_set("measurements", tmp_path)
    assert "row 3: 'hbi_total' is not an assessments column" in str(error.value)
    assert "row 4: concept_id 'abc' is not a concept ID" in str(error.value)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    root = tmp_path_factory.mktemp("omop")
    write_omop(generate_omop(300, seed=5), root / "cdm")
    result = CliRunner().invoke(
        app, ["omop", "extract", "--cdm", str(root / "cdm"), "--out", str(root / "registry")]
    )
    assert result.exit_code == 0, result.stdout
    return root


def test_extracted_registry_validates_and_matches_the_omop_episodes(extracted):
    registry = load_registry(extracted / "registry")
    assert registry.is_valid, registry.report
    analysis = analyse_registry(score_registry(registry), "paper")
    omop = pd.read_csv(extracted / "registry" / "extraction" / "episodes.csv")
    first = omop.sort_values(["patient_id", "start"]).groupby("patient_id").head(1)
    registry_index = analysis.episodes[analysis.episodes["is_index"]]
    got = {
        (r.patient_id, "+".join(sorted(r.regimen.split("+"))), str(r.start_date)[:10])
        for r in registry_index.itertuples(index=False)
    }
    expected = {(r.patient_id, r.regimen, r.start[:10]) for r in first.itertuples(index=False)}
    assert got == expected
    # no score concepts are mapped: clinical response is not evaluable, with the reason
    reasons = analysis.exclusions[analysis.exclusions["outcome"] == "clinical_response"]
    assert len(reasons) and reasons["reason"].str.contains("no baseline").all()


def test_extracted_registry_produces_a_report(extracted, tmp_path):
    result = CliRunner().invoke(
        app, ["report", str(extracted / "registry"), "--out", str(tmp_path / "report")]
    )
    assert result.exit_code == 0, result.stdout
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "EHR-0000" in html and re.search(r"none of \d+ evaluable", html)
    # no scores in an EHR extract: a banner names the outcomes that cannot be evaluated and
    # the Methods leave their definitions out
    assert "The data hold no clinical or endoscopic score" in html
    methods = html.split("<h2>Methods</h2>")[1].split("<h2>Results</h2>")[0]
    assert "partial Mayo score decrease" not in methods
    assert "Not evaluable in these data" in methods and "Clinical response" in methods
    # Extracted events carry no CTCAE grade: the safety table counts them as "not recorded".
    # Expected count worked out here from the files: events of analysed patients with onset
    # from the index DTT start to its end.
    report = tmp_path / "report"
    analysed = pd.read_csv(report / "datasets" / "eligibility.csv")
    analysed = set(analysed.loc[analysed["decision"] == "analysed", "patient_id"])
    episodes = pd.read_csv(report / "datasets" / "episodes.csv").query("is_index")
    events = pd.read_csv(extracted / "registry" / "adverse_events.csv").merge(
        episodes[["patient_id", "start_date", "end_date"]], on="patient_id"
    )
    during = events[
        events["patient_id"].isin(analysed)
        & (events["onset_date"] >= events["start_date"])
        & (events["onset_date"] <= events["end_date"])
    ]
    safety = pd.read_csv(report / "tables" / "safety.csv").set_index("Adverse events during DTT")
    assert int(safety.loc["Adverse events, n", "Overall"]) == len(during) > 0
    assert int(safety.loc["    grade not recorded", "Overall"]) == len(during)


def test_extract_command_refuses_a_bad_data_cut(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "omop",
            "extract",
            "--cdm",
            str(tmp_path),
            "--out",
            str(tmp_path / "x"),
            "--data-cut",
            "soon",
        ],
    )
    assert result.exit_code == 2 and "not a YYYY-MM-DD date" in result.stdout


def test_a_site_concept_file_may_leave_out_optional_columns(tmp_path):
    (tmp_path / "adverse_events.csv").write_text(
        "term,category,snomed_code\nHerpes zoster,infection,4740000\n", encoding="utf-8"
    )
    (tmp_path / "measurements.csv").write_text(
        "column,concept_id,unit\ncrp,3020460,mg/L\n", encoding="utf-8"
    )
    events = load_concept_set("adverse_events", tmp_path)
    assert events["concept_id"].isna().all() and events["snomed_code"].tolist() == ["4740000"]
    labs = load_concept_set("measurements", tmp_path)
    assert labs["unit_concept_id"].isna().all() and labs["unit_source_values"].tolist() == [""]


def test_pathway_options_named_as_in_treatment_patterns():
    def eras(*rows):
        return pd.DataFrame(
            [(1, d, day(s), day(e)) for d, s, e in rows],
            columns=["person_id", "drug", "era_start", "era_end"],
        )

    # IFX, a 100-day gap, IFX again, then UST, then IFX: the filters differ
    course = eras(("IFX", 0, 99), ("IFX", 200, 299), ("UST", 300, 349), ("IFX", 400, 499))

    def pathway(**options):
        return derive_treatment_pathways(course, **options)["pathway"].item()

    assert pathway() == "IFX -> UST -> IFX"  # changes: repeats merge
    assert pathway(filter_treatments="all") == "IFX -> IFX -> UST -> IFX"  # A -> A kept
    assert pathway(filter_treatments="first") == "IFX -> UST"  # first occurrence of each
    assert pathway(max_path_length=2) == "IFX -> UST"
    # an era shorter than min_era_duration (UST: 349 - 300 = 49 days) is left out
    assert pathway(min_era_duration=50) == "IFX"
    assert pathway(min_era_duration=50, filter_treatments="all") == "IFX -> IFX -> IFX"
    with pytest.raises(ValueError, match="filter_treatments"):
        pathway(filter_treatments="last")
