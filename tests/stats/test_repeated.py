"""Repeated measures (issue 15 item 5): in complete, balanced data the mixed model's and the
GEE's estimated means are the observed means by visit; with missing visits every patient
still contributes."""

import numpy as np
import pandas as pd

from ibd_dtt.stats.repeated import estimated_means

VISITS = ["baseline", "month_3", "month_6"]


def _data(seed=1, patients=12):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(patients):
        level = rng.normal(30, 8)
        for j, visit in enumerate(VISITS):
            rows.append(
                {"patient_id": f"P{p}", "visit": visit, "value": level - 5 * j + rng.normal(0, 3)}
            )
    return pd.DataFrame(rows)


def test_balanced_complete_data_give_the_observed_means():
    data = _data()
    observed = data.groupby("visit")["value"].mean()
    means = estimated_means(data, VISITS)
    for row in means.itertuples():
        assert np.isclose(row.estimate, observed[row.visit])
    change = means[(means["model"] == "mixed model") & (means["visit"] == "month_6")].iloc[0]
    assert np.isclose(change["change"], observed["month_6"] - observed["baseline"])
    assert change["ci_low"] < change["estimate"] < change["ci_high"]


def test_patients_with_missing_visits_still_count():
    data = _data().drop(index=[1, 5, 8, 11]).reset_index(drop=True)
    means = estimated_means(data, VISITS)
    baseline = means[(means["model"] == "mixed model") & (means["visit"] == "baseline")].iloc[0]
    assert baseline["patients"] == 12 and means.attrs["values"] == len(data)
    assert set(means["model"]) == {"mixed model", "GEE"}


def test_too_little_data_gives_an_empty_result():
    data = _data(patients=1)
    assert estimated_means(data, VISITS).empty
