"""A synthetic OMOP CDM for tests and benchmarks. Nobody in it is a real patient.

Tables: ``person``, ``observation_period``, ``condition_occurrence`` (Crohn's disease 201606 /
ulcerative colitis 81893, plus adverse events during DTT for some persons), ``drug_exposure``
with **one row per administration or dispensing**, as an EHR records it (infusions and
injections at their dosing interval with a few days' jitter, oral drugs as 30-day
dispensings; prednisone and azathioprine courses for some persons), in random order,
``measurement`` (CRP in mg/L at some sites and mg/dL at others, albumin, fecal calprotectin by
unit text, a few values in an unrecognised unit), and small ``concept`` / ``concept_ancestor``
tables: some ustekinumab records use a clinical-drug concept that maps to the ingredient only
through ``concept_ancestor``, and adverse-event conditions are coded with local concepts
(IDs above 2,000,000,000, as OMOP reserves for local use) whose SNOMED codes the ``concept``
table gives. Generation is vectorised (numpy), so tens of millions of rows take seconds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ibd_dtt.omop.concepts import drug_concepts

CROHNS_DISEASE, ULCERATIVE_COLITIS = 201606, 81893
EHR_TYPE = 32817  # "EHR"
DRUGS = ("IFX", "ADA", "VDZ", "UST", "TOF", "UPA", "RZB")
ORAL_SUPPLY_DAYS = 30
# Local (synthetic) concepts: > 2,000,000,000 is OMOP's range for site-specific concepts.
UST_SYRINGE = 2_000_100_001  # "ustekinumab 90 MG/ML Prefilled Syringe", descends from UST
ADVERSE_EVENT_CONCEPTS = {  # local concept -> (SNOMED code, name)
    2_000_200_001: ("186431008", "Clostridioides difficile infection"),
    2_000_200_002: ("4740000", "Herpes zoster"),
    2_000_200_003: ("233604007", "Pneumonia"),
}
CRP, ALBUMIN, CALPROTECTIN = 3020460, 3024561, 3048689
MG_PER_L, MG_PER_DL, G_PER_L = 8751, 8840, 8636


def generate_omop(
    persons: int,
    seed: int = 1,
    dtt_share: float = 0.2,
    start: dt.date = dt.date(2015, 1, 1),
    days: int = 3650,
) -> dict[str, pd.DataFrame]:
    """CDM tables for ``persons`` IBD patients; ``dtt_share`` of them get a second advanced
    therapy of another mechanism added while the first runs."""
    if persons < 1:
        raise ValueError("`persons` must be at least 1")
    rng = np.random.default_rng(seed)
    concepts = drug_concepts().set_index("drug").loc[list(DRUGS)]
    person_id = np.arange(1, persons + 1, dtype=np.int64)
    base = np.datetime64(start.isoformat(), "D")
    cd = rng.random(persons) < 0.55
    person = pd.DataFrame(
        {
            "person_id": person_id,
            "gender_concept_id": np.where(rng.random(persons) < 0.55, 8532, 8507),
            "year_of_birth": rng.integers(1950, 2006, persons),
        }
    )
    observation = pd.DataFrame(
        {
            "observation_period_id": person_id,
            "person_id": person_id,
            "observation_period_start_date": base,
            "observation_period_end_date": base + np.timedelta64(days, "D"),
        }
    )
    condition = pd.DataFrame(
        {
            "condition_occurrence_id": person_id,
            "person_id": person_id,
            "condition_concept_id": np.where(cd, CROHNS_DISEASE, ULCERATIVE_COLITIS),
            "condition_start_date": base + rng.integers(0, 200, persons).astype("timedelta64[D]"),
        }
    )
    # Courses: every person one first course; a second course either replaces the first
    # (switch) or, for dtt_share of persons, is added during it (DTT).
    first_drug = rng.integers(0, len(DRUGS), persons)
    first_start = rng.integers(0, days // 3, persons)
    first_len = rng.integers(120, days // 2, persons)
    dtt = rng.random(persons) < dtt_share
    second_drug = rng.integers(0, len(DRUGS), persons)
    mechanism = concepts["mechanism_class"].to_numpy()
    same = mechanism[second_drug] == mechanism[first_drug]
    second_drug = np.where(dtt & same, (second_drug + 2) % len(DRUGS), second_drug)
    second_start = np.where(
        dtt,
        first_start + rng.integers(30, 120, persons),
        first_start + first_len + rng.integers(0, 60, persons),
    )
    second_len = rng.integers(120, days // 2, persons)
    # Most DTT persons had failed a third mechanism before (the paper's "refractory" (a)).
    prior = dtt & (rng.random(persons) < 0.7) & (first_start > 200)
    prior_drug = (first_drug + 1) % len(DRUGS)
    clash = (mechanism[prior_drug] == mechanism[first_drug]) | (
        mechanism[prior_drug] == mechanism[second_drug]
    )
    prior_drug = np.where(clash, (first_drug + 3) % len(DRUGS), prior_drug)
    prior_len = np.minimum(first_start[prior] - 60, rng.integers(120, 400, prior.sum()))
    courses = pd.DataFrame(
        {
            "person_id": np.concatenate([person_id, person_id, person_id[prior]]),
            "drug": np.concatenate([first_drug, second_drug, prior_drug[prior]]),
            "start": np.concatenate(
                [first_start, second_start, first_start[prior] - 60 - prior_len]
            ),
            "length": np.concatenate([first_len, second_len, prior_len]),
        }
    )
    courses = courses[courses["start"] < days].reset_index(drop=True)
    interval = concepts["interval_days"].to_numpy()[courses["drug"].to_numpy()]
    oral = interval == 1
    step = np.where(oral, ORAL_SUPPLY_DAYS, interval)
    doses = np.maximum(1, courses["length"].to_numpy() // step)
    row_course = np.repeat(np.arange(len(courses)), doses)
    dose_number = np.arange(len(row_course)) - np.repeat(np.cumsum(doses) - doses, doses)
    jitter = rng.integers(-3, 4, len(row_course))
    jitter[dose_number == 0] = 0
    day = courses["start"].to_numpy()[row_course] + dose_number * step[row_course] + jitter
    day = np.clip(day, 0, days)
    drug_index = courses["drug"].to_numpy()[row_course]
    drug_concept = concepts["concept_id"].to_numpy()[drug_index]
    is_ust = drug_index == DRUGS.index("UST")
    drug_concept = np.where(
        is_ust & (rng.random(len(drug_concept)) < 0.3), UST_SYRINGE, drug_concept
    )
    advanced = pd.DataFrame(
        {
            "person_id": courses["person_id"].to_numpy()[row_course],
            "drug_concept_id": drug_concept,
            "day": day,
            "days_supply": np.where(oral[row_course], ORAL_SUPPLY_DAYS, 1),
        }
    )
    dtt_start = np.where(dtt, second_start, -1)
    conventional = _conventional_dispensings(rng, person_id, dtt_start, first_start, days)
    records = pd.concat([advanced, conventional], ignore_index=True)
    n = len(records)
    order = rng.permutation(n)
    records = records.iloc[order]
    drug_exposure = pd.DataFrame(
        {
            "drug_exposure_id": np.arange(1, n + 1, dtype=np.int64),
            "person_id": records["person_id"].to_numpy(),
            "drug_concept_id": records["drug_concept_id"].to_numpy(),
            "drug_exposure_start_date": base + records["day"].to_numpy().astype("timedelta64[D]"),
            "days_supply": records["days_supply"].to_numpy(),
            "drug_type_concept_id": EHR_TYPE,
        }
    )
    adverse = _adverse_event_conditions(rng, person_id, dtt_start, days, base)
    adverse["condition_occurrence_id"] += persons
    return {
        "person": person,
        "observation_period": observation,
        "condition_occurrence": pd.concat([condition, adverse], ignore_index=True),
        "drug_exposure": drug_exposure,
        "measurement": _measurements(rng, person_id, first_start, dtt_start, days, base),
        "concept": _concepts(),
        "concept_ancestor": pd.DataFrame(
            {
                "ancestor_concept_id": [concepts.loc["UST", "concept_id"]],
                "descendant_concept_id": [UST_SYRINGE],
                "min_levels_of_separation": [2],
                "max_levels_of_separation": [2],
            }
        ),
    }


def _conventional_dispensings(
    rng: np.random.Generator, person_id: np.ndarray, dtt_start: np.ndarray, first_start, days: int
) -> pd.DataFrame:
    """Prednisone courses (30-day dispensings) around DTT start for 40 % of DTT persons, and
    azathioprine alongside the first biologic for 20 % of all persons."""
    conventional = drug_concepts(("immunomodulator", "corticosteroid")).set_index("drug")
    steroid = (dtt_start >= 0) & (rng.random(len(person_id)) < 0.4)
    steroid_doses = rng.integers(1, 5, steroid.sum())
    steroid_start = dtt_start[steroid] - rng.integers(10, 60, steroid.sum())
    aza = rng.random(len(person_id)) < 0.2
    aza_doses = rng.integers(2, 12, aza.sum())
    starts = np.concatenate([steroid_start, first_start[aza]])
    doses = np.concatenate([steroid_doses, aza_doses])
    row = np.repeat(np.arange(len(starts)), doses)
    dose_number = np.arange(len(row)) - np.repeat(np.cumsum(doses) - doses, doses)
    concept = np.concatenate(
        [
            np.full(steroid.sum(), conventional.loc["PDN", "concept_id"]),
            np.full(aza.sum(), conventional.loc["AZA", "concept_id"]),
        ]
    )
    return pd.DataFrame(
        {
            "person_id": np.concatenate([person_id[steroid], person_id[aza]])[row],
            "drug_concept_id": concept[row],
            "day": np.clip(starts[row] + dose_number * ORAL_SUPPLY_DAYS, 0, days),
            "days_supply": ORAL_SUPPLY_DAYS,
        }
    )


def _adverse_event_conditions(
    rng: np.random.Generator, person_id: np.ndarray, dtt_start: np.ndarray, days, base
) -> pd.DataFrame:
    """One adverse-event condition during DTT for 25 % of DTT persons."""
    chosen = (dtt_start >= 0) & (rng.random(len(person_id)) < 0.25)
    day = np.clip(dtt_start[chosen] + rng.integers(20, 200, chosen.sum()), 0, days)
    concepts = np.array(list(ADVERSE_EVENT_CONCEPTS))
    return pd.DataFrame(
        {
            "condition_occurrence_id": np.arange(1, chosen.sum() + 1, dtype=np.int64),
            "person_id": person_id[chosen],
            "condition_concept_id": concepts[rng.integers(0, len(concepts), chosen.sum())],
            "condition_start_date": base + day.astype("timedelta64[D]"),
        }
    )


def _measurements(
    rng: np.random.Generator, person_id, first_start, dtt_start, days: int, base
) -> pd.DataFrame:
    """CRP and albumin every ~90 days from the first course for two years; CRP falls after DTT
    starts. Persons with odd IDs are measured in mg/dL (another site); calprotectin now and
    then (unit given as text only); about 1 % of CRP values carry an unknown unit concept."""
    visits = 9
    person = np.repeat(person_id, visits)
    visit = np.tile(np.arange(visits), len(person_id))
    day = np.repeat(first_start, visits) + visit * 90 + rng.integers(-7, 8, len(person))
    keep = (day >= 0) & (day <= days) & (rng.random(len(person)) < 0.9)
    person, day = person[keep], day[keep]
    on_dtt = (np.repeat(dtt_start, visits)[keep] >= 0) & (day >= np.repeat(dtt_start, visits)[keep])
    crp_mg_l = np.round(rng.gamma(2.0, np.where(on_dtt, 2.0, 9.0)), 1)
    in_dl = person % 2 == 1
    unit = np.where(in_dl, MG_PER_DL, MG_PER_L)
    unknown = rng.random(len(unit)) < 0.01  # 0 = "No matching concept", text nmol/L
    unit = np.where(unknown, 0, unit)
    crp = pd.DataFrame(
        {
            "person_id": person,
            "measurement_concept_id": CRP,
            "day": day,
            "value_as_number": np.where(in_dl, np.round(crp_mg_l / 10, 2), crp_mg_l),
            "unit_concept_id": unit,
            "unit_source_value": np.where(unknown, "nmol/L", np.where(in_dl, "mg/dL", "mg/L")),
        }
    )
    albumin = crp.assign(
        measurement_concept_id=ALBUMIN,
        value_as_number=np.round(rng.normal(np.where(on_dtt, 42, 38), 3), 1),
        unit_concept_id=G_PER_L,
        unit_source_value="g/L",
    )
    sampled = rng.random(len(crp)) < 0.3
    calprotectin = crp[sampled].assign(
        measurement_concept_id=CALPROTECTIN,
        value_as_number=np.round(rng.gamma(2.0, np.where(on_dtt[sampled], 60, 400)), 0),
        unit_concept_id=0,
        unit_source_value="ug/g",
    )
    rows = pd.concat([crp, albumin, calprotectin], ignore_index=True)
    rows = rows.iloc[rng.permutation(len(rows))]
    return pd.DataFrame(
        {
            "measurement_id": np.arange(1, len(rows) + 1, dtype=np.int64),
            "person_id": rows["person_id"].to_numpy(),
            "measurement_concept_id": rows["measurement_concept_id"].to_numpy(),
            "measurement_date": base + rows["day"].to_numpy().astype("timedelta64[D]"),
            "measurement_type_concept_id": EHR_TYPE,
            "value_as_number": rows["value_as_number"].to_numpy(),
            "unit_concept_id": rows["unit_concept_id"].to_numpy(),
            "unit_source_value": rows["unit_source_value"].to_numpy(),
        }
    )


def _concepts() -> pd.DataFrame:
    local = [(UST_SYRINGE, "ustekinumab 90 MG/ML Prefilled Syringe (synthetic)", "Drug", "", "")]
    local += [
        (cid, f"{name} (synthetic local concept)", "Condition", "SNOMED", code)
        for cid, (code, name) in ADVERSE_EVENT_CONCEPTS.items()
    ]
    return pd.DataFrame(
        local,
        columns=["concept_id", "concept_name", "domain_id", "vocabulary_id", "concept_code"],
    )


def write_omop(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> Path:
    """One Parquet file per CDM table, ``*_date`` columns as DATE (the CDM's type; pandas
    would write timestamps)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for i, field in enumerate(table.schema):
            if field.name.endswith("_date") and pa.types.is_timestamp(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
        pq.write_table(table, out / f"{name}.parquet")
    return out
