"""A synthetic OMOP CDM for tests and benchmarks: ``person``, ``observation_period``,
``condition_occurrence`` (Crohn's disease 201606 / ulcerative colitis 81893) and
``drug_exposure`` with **one row per administration or dispensing**, as an EHR records it
(infusions and injections at their dosing interval with a few days' jitter, oral drugs as
30-day dispensings), in random order. Generation is vectorised (numpy), so tens of millions of
rows take seconds. Nobody in it is a real patient.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ibd_dtt.omop.eras import advanced_therapy_concepts

CROHNS_DISEASE, ULCERATIVE_COLITIS = 201606, 81893
EHR_DRUG_TYPE = 32817  # "EHR"
DRUGS = ("IFX", "ADA", "VDZ", "UST", "TOF", "UPA", "RZB")
ORAL_SUPPLY_DAYS = 30


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
    concepts = advanced_therapy_concepts().set_index("drug").loc[list(DRUGS)]
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
    courses = pd.DataFrame(
        {
            "person_id": np.concatenate([person_id, person_id]),
            "drug": np.concatenate([first_drug, second_drug]),
            "start": np.concatenate([first_start, second_start]),
            "length": np.concatenate([first_len, second_len]),
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
    n = len(row_course)
    order = rng.permutation(n)
    drug_exposure = pd.DataFrame(
        {
            "drug_exposure_id": np.arange(1, n + 1, dtype=np.int64),
            "person_id": courses["person_id"].to_numpy()[row_course][order],
            "drug_concept_id": concepts["concept_id"].to_numpy()[drug_index][order],
            "drug_exposure_start_date": (base + day.astype("timedelta64[D]"))[order],
            "days_supply": np.where(oral[row_course], ORAL_SUPPLY_DAYS, 1)[order],
            "drug_type_concept_id": EHR_DRUG_TYPE,
        }
    )
    return {
        "person": person,
        "observation_period": observation,
        "condition_occurrence": condition,
        "drug_exposure": drug_exposure,
    }


def write_omop(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> Path:
    """One Parquet file per CDM table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return out
