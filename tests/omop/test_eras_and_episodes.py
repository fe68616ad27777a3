"""Hand-built cases pin the era and combination rules (issues 5 and 13), on DuckDB, in
OHDSI's inclusive-date terms: a record on day s covering c days covers s .. s + c - 1 (its
era_end is the last covered day); the next record joins while it starts on or before
era_end + era_gap; two eras combine when min(era_end) - max(era_start) >= combination_window.

Intervals from the drug catalogue: IFX and VDZ and UST every 56 days, ADA every 14 days.
Concept IDs are the catalogue's OMOP ingredient concepts.
"""

import datetime as dt

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibd_dtt.omop import advanced_therapy_concepts, derive_combination_episodes, derive_drug_eras

CONCEPT = advanced_therapy_concepts().set_index("drug")["concept_id"].to_dict()
DAY0 = dt.date(2024, 1, 1)


def exposures(*rows):
    """rows: (person, drug, start day, days_supply or None)."""
    return ibis.memtable(
        pd.DataFrame(
            {
                "person_id": [r[0] for r in rows],
                "drug_concept_id": [CONCEPT[r[1]] for r in rows],
                "drug_exposure_start_date": [DAY0 + dt.timedelta(days=r[2]) for r in rows],
                "days_supply": pd.array([r[3] for r in rows], dtype="Int64"),
            }
        )
    )


def run(expr) -> pd.DataFrame:
    frame = ibis.duckdb.connect().execute(expr)
    for column in ("era_start", "era_end", "start", "end"):
        if column in frame:
            frame[column] = (pd.to_datetime(frame[column]) - pd.Timestamp(DAY0)).dt.days
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_start_on_era_end_plus_era_gap_merges():
    # IFX day 0 covers days 0-55 (era_end 55); next dose on day 85 = 55 + 30 -> merges.
    eras = run(derive_drug_eras(exposures((1, "IFX", 0, None), (1, "IFX", 85, None))))
    assert eras[["drug", "era_start", "era_end", "records"]].values.tolist() == [["IFX", 0, 140, 2]]


def test_one_day_later_splits():
    eras = run(derive_drug_eras(exposures((1, "IFX", 0, None), (1, "IFX", 86, None))))
    assert eras[["era_start", "era_end"]].values.tolist() == [[0, 55], [86, 141]]


def test_era_gap_zero_splits_back_to_back_records():
    # as OHDSI's era builder: with era_gap 0 a record starting the day after the last covered
    # day (56 > 55 + 0) opens a new era; one starting on a covered day joins
    eras = run(derive_drug_eras(exposures((1, "IFX", 0, None), (1, "IFX", 56, None)), era_gap=0))
    assert eras[["era_start", "era_end"]].values.tolist() == [[0, 55], [56, 111]]
    eras = run(derive_drug_eras(exposures((1, "IFX", 0, None), (1, "IFX", 55, None)), era_gap=0))
    assert eras[["era_start", "era_end"]].values.tolist() == [[0, 110]]


def test_days_supply_longer_than_the_interval_is_used():
    # ADA interval 14 days, but a 90-day dispensing covers days 0-89; day 100 <= 89 + 30
    # joins and covers days 100-113.
    eras = run(derive_drug_eras(exposures((1, "ADA", 0, 90), (1, "ADA", 100, None))))
    assert eras[["era_start", "era_end"]].values.tolist() == [[0, 113]]


def test_era_gap_is_a_parameter():
    rows = exposures((1, "IFX", 0, None), (1, "IFX", 86, None))
    assert len(run(derive_drug_eras(rows, era_gap=31))) == 1  # 86 <= 55 + 31
    with pytest.raises(ValueError, match="era_gap"):
        derive_drug_eras(rows, era_gap=-1)


def test_every_eight_weeks_infusions_stay_one_era():
    # 8-weekly VDZ for two years: one era (a single 30-day gap for all drugs would also
    # merge here, but an interval of 1 day + 30 would split every infusion).
    rows = exposures(*[(1, "VDZ", 56 * k, None) for k in range(14)])
    eras = run(derive_drug_eras(rows))
    assert eras[["era_start", "era_end", "records"]].values.tolist() == [[0, 56 * 14 - 1, 14]]


def test_rows_in_random_order_give_the_same_eras():
    ordered = [(1, "IFX", 56 * k, None) for k in range(6)] + [(2, "UST", 0, None)]
    shuffled = [ordered[i] for i in (4, 6, 0, 2, 5, 1, 3)]
    assert run(derive_drug_eras(exposures(*ordered))).equals(
        run(derive_drug_eras(exposures(*shuffled)))
    )


def test_overlap_of_exactly_combination_window_counts():
    # VDZ covers days 0-55 (era_end 55); UST from day 25: min(end) - max(start) = 55 - 25 = 30
    # (TreatmentPatterns' arithmetic: both are given on days 25-55).
    eras = derive_drug_eras(exposures((1, "VDZ", 0, None), (1, "UST", 25, None)))
    episodes = run(derive_combination_episodes(eras))
    assert episodes[["regimen", "start", "end", "ended_by", "overlap_days"]].values.tolist() == [
        ["UST+VDZ", 25, 55, "VDZ", 30]
    ]


def test_overlap_one_day_shorter_does_not_count():
    eras = derive_drug_eras(exposures((1, "VDZ", 0, None), (1, "UST", 26, None)))  # 55 - 26 = 29
    assert run(derive_combination_episodes(eras)).empty


def test_two_drugs_of_the_same_mechanism_are_not_dtt():
    # IFX and ADA are both anti-TNF: a long overlap is a switch artefact, not DTT.
    eras = derive_drug_eras(exposures((1, "IFX", 0, 365), (1, "ADA", 10, 365)))
    assert run(derive_combination_episodes(eras)).empty


def test_episodes_are_per_person_and_name_the_agent_that_ended_first():
    eras = derive_drug_eras(
        exposures(
            (1, "UST", 0, 200),
            (1, "VDZ", 50, 100),
            (2, "TOF", 0, 90),
            (2, "UST", 0, 90),
            (3, "UST", 0, 200),
        )
    )
    episodes = run(derive_combination_episodes(eras))
    assert episodes[["person_id", "regimen", "start", "end", "ended_by"]].values.tolist() == [
        [1, "UST+VDZ", 50, 149, "VDZ"],
        [2, "TOF+UST", 0, 89, "TOF+UST"],
    ]


def test_drug_concepts_map_to_ingredients_through_concept_ancestor():
    # A (made-up) branded-drug concept 90000001 descending from the UST ingredient: its records
    # count as UST (56-day interval); without concept_ancestor they are not recognised.
    rows = ibis.memtable(
        pd.DataFrame(
            {
                "person_id": [1, 1],
                "drug_concept_id": [90000001, CONCEPT["UST"]],
                "drug_exposure_start_date": [DAY0, DAY0 + dt.timedelta(days=70)],
                "days_supply": pd.array([None, None], dtype="Int64"),
            }
        )
    )
    ancestor = ibis.memtable(
        pd.DataFrame({"ancestor_concept_id": [CONCEPT["UST"]], "descendant_concept_id": [90000001]})
    )
    eras = run(derive_drug_eras(rows, concept_ancestor=ancestor))
    assert eras[["drug", "era_start", "era_end", "records"]].values.tolist() == [["UST", 0, 125, 2]]
    assert run(derive_drug_eras(rows))[["era_start", "records"]].values.tolist() == [[70, 1]]


def test_a_record_that_outlasts_its_successor_still_covers_later_records():
    # ADA (14-day interval): a 200-day dispensing on day 0 covers days 0-199; a 14-day one on
    # day 10 ends on day 23; day 150 is within the first record's coverage (the running
    # coverage, not the previous record's end, decides), day 260 > 199 + 30 opens a new era.
    eras = run(
        derive_drug_eras(
            exposures(
                (1, "ADA", 0, 200),
                (1, "ADA", 10, None),
                (1, "ADA", 150, None),
                (1, "ADA", 260, None),
            )
        )
    )
    assert eras[["era_start", "era_end", "records"]].values.tolist() == [[0, 199, 3], [260, 273, 1]]


def ohdsi_eras(rows, era_gap):
    """Brute-force reference: OHDSI's era builder over (person, drug, start day, days_supply)
    records, each covering max(interval, days_supply) days with inclusive ends."""
    interval = advanced_therapy_concepts().set_index("drug")["interval_days"].to_dict()
    eras = []
    keys = sorted({(p, d) for p, d, _s, _n in rows})
    for person, drug in keys:
        spans = sorted(
            (s, s + max(interval[drug], n or 0) - 1)
            for p, d, s, n in rows
            if (p, d) == (person, drug)
        )
        start, end, count = spans[0][0], spans[0][1], 1
        for s, e in spans[1:]:
            if s <= end + era_gap:
                end, count = max(end, e), count + 1
            else:
                eras.append((person, drug, start, end, count))
                start, end, count = s, e, 1
        eras.append((person, drug, start, end, count))
    return sorted(eras)


record = st.tuples(
    st.integers(1, 3),
    st.sampled_from(["ADA", "IFX", "TOF"]),
    st.integers(0, 400),
    st.one_of(st.none(), st.integers(0, 250)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(record, min_size=1, max_size=25), era_gap=st.integers(0, 40))
def test_eras_equal_a_brute_force_era_builder(rows, era_gap):
    # random dispensings with long and short supplies, duplicates and nesting: the set-based
    # query must give exactly the eras of the record-by-record definition
    eras = run(derive_drug_eras(exposures(*rows), era_gap=era_gap))
    found = sorted(
        (int(r.person_id), r.drug, int(r.era_start), int(r.era_end), int(r.records))
        for r in eras.itertuples()
    )
    assert found == ohdsi_eras(rows, era_gap)
