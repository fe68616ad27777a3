"""Numbers inside the report tables agree with the same numbers computed another way."""

import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from ibd_dtt.episodes.episodes import DAYS_PER_MONTH


def test_table1_sex_p_value_is_fisher_on_the_cross_table(paper_report):
    # UC: 5 F / 3 M; CD: 6 F / 4 M (patients.csv). Expected counts < 5 -> Fisher (Cochran).
    data = paper_report.tables["table1_baseline"].data
    row = data[(data["variable"] == "Sex") & (data["group"] == "comparison")].iloc[0]
    assert row["test"] == "Fisher's exact test"
    assert row["pvalue"] == pytest.approx(stats.fisher_exact([[5, 3], [6, 4]]).pvalue)


def test_table1_age_p_value_is_mann_whitney(paper_report):
    p = paper_report.cohort.patients
    data = paper_report.tables["table1_baseline"].data
    row = data[
        (data["variable"] == "Age at diagnosis, years") & (data["group"] == "comparison")
    ].iloc[0]
    uc = p.loc[p["diagnosis"] == "UC", "age_at_diagnosis"]
    cd = p.loc[p["diagnosis"] == "CD", "age_at_diagnosis"]
    assert row["pvalue"] == pytest.approx(stats.mannwhitneyu(uc, cd).pvalue)


def test_persistence_matches_statsmodels_kaplan_meier(paper_report):
    p = paper_report.cohort.patients
    months = p["duration_days"].astype(float) / DAYS_PER_MONTH
    ended = (~p["ongoing_at_data_cut"].astype(bool)).astype(int)
    fit = SurvfuncRight(months.to_numpy(), ended.to_numpy())
    data = paper_report.tables["persistence"].data
    at6 = data[(data["group"] == "all") & (data["time_months"] == 6)].iloc[0]
    expected = fit.surv_prob[fit.surv_times <= 6][-1]
    assert at6["survival"] == pytest.approx(expected)
    assert at6["at_risk"] == int((months >= 6).sum())


def test_adverse_event_rate_is_events_over_exposure(paper_report):
    # 5 events during DTT over the summed episode lengths (start -> end or data cut).
    p = paper_report.cohort.patients
    years = (p["dtt_end"] - p["dtt_start"]).dt.days.sum() / 365.25
    data = paper_report.tables["safety"].data
    row = data[
        (data["item"] == "Incidence per 100 patient-years: all events") & (data["group"] == "all")
    ].iloc[0]
    assert row["n"] == 5
    assert row["rate"] == pytest.approx(100 * 5 / years)
    # exact Poisson limits for 5 events: 1.6235-11.6683 (Garwood), per exposure
    assert row["ci_low"] == pytest.approx(100 * 1.6235 / years, rel=1e-4)
    assert row["ci_high"] == pytest.approx(100 * 11.6683 / years, rel=1e-4)


def test_lab_p_values_are_wilcoxon_on_the_pairs(paper_report):
    visits = paper_report.primary.visits
    data = paper_report.tables["lab_changes"].data
    row = data[
        (data["parameter"] == "crp") & (data["timepoint"] == "month_6") & (data["group"] == "CD")
    ].iloc[0]
    pairs = visits[
        (visits["parameter"] == "crp")
        & (visits["window"] == "month_6")
        & visits["patient_id"].isin(row["patients"].split(";"))
    ]
    reference = stats.wilcoxon(pairs["baseline_value"].astype(float), pairs["value"].astype(float))
    assert row["pvalue"] == pytest.approx(reference.pvalue)
