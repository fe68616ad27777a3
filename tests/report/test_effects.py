"""Effect sizes, paired comparisons and competing risks in the report (issue 15 item 5)."""

import numpy as np

from ibd_dtt.report.safety import persistence_data
from ibd_dtt.stats import kaplan_meier
from ibd_dtt.stats.effects import cumulative_incidence


def test_effects_table_is_computed_from_the_analysis(paper_report):
    table = paper_report.tables["effects"]
    data = table.data
    sections = set(data["section"])
    assert {"Response, UC vs CD", "Adverse events", "Follow-up and ways DTT ended"} <= sections
    first = data[data["item"].str.startswith("Clinical response, 3 months")].iloc[0]
    # 7/7 UC vs 8/10 CD in the bundled cohort: the difference is 1 - 0.8
    assert "UC 7/7 vs CD 8/10" in first["item"] and abs(first["estimate"] - 0.2) < 1e-12
    assert "Newcombe" in first["method"]
    assert "exact McNemar" in table.notes[0]


def test_cumulative_incidences_add_up_to_one_minus_kaplan_meier(paper_report):
    """Aalen-Johansen: the causes' cumulative incidences sum to 1 - S(t) of all causes."""
    data = persistence_data(paper_report.cohort.patients)
    causes = data["status"].where(data["ended"])
    km = kaplan_meier(data["months"], data["ended"], times=(3, 6, 9, 12))
    incidence = cumulative_incidence(data["months"], causes, (3, 6, 9, 12))
    total = incidence.groupby("time")["incidence"].sum()
    for row in km.at_times.itertuples():
        assert np.isclose(total[row.time], 1 - row.survival)


def test_lab_changes_carry_the_hodges_lehmann_median_change(paper_report):
    labs = paper_report.tables["lab_changes"].data
    row = labs[(labs["parameter"] == "crp") & (labs["timepoint"] == "month_3")].iloc[0]
    assert row["median_change_ci_low"] <= row["median_change"] <= row["median_change_ci_high"]
    assert "Median change (95 % CI)" in paper_report.tables["lab_changes"].display.columns


def test_repeated_lab_means_use_every_value_on_dtt(paper_report):
    table = paper_report.tables["lab_repeated"]
    data = table.data
    crp = data[(data["parameter"] == "crp") & (data["model"] == "mixed model")]
    assert list(crp["visit"])[:2] == ["baseline", "month_3"]
    assert crp.iloc[0]["patients"] == 18
    assert "random intercept per patient" in table.notes[0]


def _aalen_johansen_by_hand(t, causes, times):
    """The estimator written out step by step (the loop the vectorised version replaced)."""
    import numpy as np

    t = np.asarray(t, dtype=float)
    ended = np.array([c is not None for c in causes])
    kinds = sorted({c for c in causes if c is not None})
    survival, steps = 1.0, []
    for u in np.unique(t[ended]):
        n = (t >= u).sum()
        here = ended & (t == u)
        d = {k: sum(1 for i in np.flatnonzero(here) if causes[i] == k) for k in kinds}
        steps.append((u, survival, n, d))
        survival *= 1 - here.sum() / n
    return [sum(s * d[k] / n for u, s, n, d in steps if u <= time) for k in kinds for time in times]


def test_cumulative_incidence_equals_the_step_by_step_estimator_with_ties():
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(20):
        size = int(rng.integers(1, 60))
        t = rng.integers(0, 15, size).astype(float)  # many ties
        causes = [None if r < 0.3 else ("switch" if r < 0.7 else "stop") for r in rng.random(size)]
        if all(c is None for c in causes):
            continue
        times = (0, 3, 7.5, 14, 20)
        got = cumulative_incidence(t, causes, times)["incidence"].to_numpy()
        np.testing.assert_allclose(got, _aalen_johansen_by_hand(t, causes, times), atol=1e-12)
