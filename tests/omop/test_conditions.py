import datetime as dt

import ibis
import pandas as pd

from ibd_dtt.omop.conditions import derive_ibd_cohort


def test_ibd_cohort_with_descendants_and_mixed_diagnoses():
    # person 1: CD root; 2: a (made-up) descendant of UC via concept_ancestor; 3: both -> IBDU;
    # 4: an unrelated condition (not in the cohort).
    conditions = ibis.memtable(
        pd.DataFrame(
            {
                "person_id": [1, 2, 3, 3, 4],
                "condition_concept_id": [201606, 90000002, 201606, 81893, 4000001],
                "condition_start_date": pd.to_datetime(
                    ["2020-01-05", "2019-03-01", "2018-01-01", "2017-06-01", "2020-01-01"]
                ),
            }
        )
    )
    ancestor = ibis.memtable(
        pd.DataFrame({"ancestor_concept_id": [81893], "descendant_concept_id": [90000002]})
    )
    con = ibis.duckdb.connect()
    got = con.execute(derive_ibd_cohort(conditions, ancestor)).sort_values("person_id")
    assert got["person_id"].tolist() == [1, 2, 3]
    assert got["diagnosis"].tolist() == ["CD", "UC", "IBDU"]
    assert pd.Timestamp(got["first_ibd_date"].iloc[2]).date() == dt.date(2017, 6, 1)
    without = con.execute(derive_ibd_cohort(conditions)).sort_values("person_id")
    assert without["person_id"].tolist() == [1, 3]
