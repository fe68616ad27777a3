"""Every quantitative statement of the paper's Results, reproduced from the example cohort.

Paper: Wang et al., Front Med 2025;12:1566828, section *Results* (quoted per test). The
example data are synthetic (examples/paper_cohort/README.md); docs/paper-reproduction.md works
each figure by hand and lists where the paper contradicts itself (numbered "inconsistency N").
"""

import pandas as pd
import pytest

from ibd_dtt.stats.format import round_half_up


def _row(table, variable, level=None, group="Overall"):
    data = table.data
    sel = (data["variable"] == variable) & (data["group"] == group)
    if level is not None:
        sel &= data["level"] == level
    rows = data[sel]
    assert len(rows) == 1, (variable, level, group, len(rows))
    return rows.iloc[0]


def _rate(report, outcome, timepoint, group="all", strategy="as-observed"):
    data = report.tables["response"].data
    if outcome not in set(data["outcome"]):
        data = report.tables["secondary_outcomes"].data
    r = data[
        (data["outcome"] == outcome)
        & (data["timepoint"] == timepoint)
        & (data["group"] == group)
        & (data["strategy"] == strategy)
    ]
    assert len(r) == 1
    return int(r["responders"].iloc[0]), int(r["evaluable"].iloc[0]), float(r["percent"].iloc[0])


# "A total of 8 patients with ulcerative colitis (UC) and 10 with Crohn's disease (CD)"
def test_eight_uc_and_ten_cd(paper_report):
    assert paper_report.cohort.patients["diagnosis"].value_counts().to_dict() == {"CD": 10, "UC": 8}


# "Of the 18 participants, 11 (61.11%) were female and 7 (38.89%) were male."
def test_sex(paper_report):
    t1 = paper_report.tables["table1_baseline"]
    female, male = _row(t1, "Sex", "F"), _row(t1, "Sex", "M")
    assert (female["n"], female["total"], round_half_up(female["percent"], 2)) == (11, 18, "61.11")
    assert (male["n"], round_half_up(male["percent"], 2)) == (7, "38.89")


# "The mean age at diagnosis was 22.78 years, the mean disease duration was 9.18 years, and
# the median follow-up time before DTT was 74 months (22-230 months)." (inconsistency 10)
def test_age_and_disease_duration(paper_report):
    t1 = paper_report.tables["table1_baseline"]
    assert round_half_up(_row(t1, "Age at diagnosis, years")["mean"], 2) == "22.78"
    assert round_half_up(_row(t1, "Disease duration at DTT start, years")["mean"], 2) == "9.18"
    months = _row(t1, "Disease duration at DTT start, months")
    assert (months["median"], months["minimum"], months["maximum"]) == (74, 22, 230)


# "seven CD cases (70%) with a history of abdominal surgery associated with CD (three ileal
# surgery alone and four ileal + colon). One of these ... (10%) had a history of perianal
# surgery. Additionally, six patients (33.33%) had comorbid inactive autoimmune diseases"
def test_surgery_and_autoimmune_comorbidity(paper_report):
    t1 = paper_report.tables["table1_baseline"]
    resection = _row(t1, "Prior intestinal resection", "yes", "CD")
    assert (resection["n"], resection["total"], resection["percent"]) == (7, 10, 70.0)
    assert _row(t1, "Type of intestinal resection", "ileal", "CD")["n"] == 3
    assert _row(t1, "Type of intestinal resection", "ileocolonic", "CD")["n"] == 4
    perianal = _row(t1, "Prior perianal surgery", "yes", "CD")
    assert (perianal["n"], perianal["percent"]) == (1, 10.0)
    imid = _row(t1, "Immune-mediated inflammatory disease", "inactive")
    assert (imid["n"], round_half_up(imid["percent"], 2)) == (6, "33.33")


# "Fourteen patients had previously received two or more ... The mean number of failed
# biologic agents was 1.38, and the mean number of intolerant or ineffective
# immunosuppressive agents ... or oral small molecules (tofacitinib) was 1.17." (incons. 6)
def test_prior_therapy_failures(paper_report):
    t2 = paper_report.tables["table2_clinical_baseline"]
    two_or_more = _row(
        t2, "≥ 2 failed agents (biologics, small molecules, immunomodulators)", "yes"
    )
    assert two_or_more["n"] == 14
    exposed = _row(t2, "Failed biologics per patient previously treated with a biologic")
    assert (exposed["n"], round_half_up(exposed["mean"], 2)) == (16, "1.38")
    other = _row(t2, "Failed immunomodulators, thalidomide or small molecules per patient")
    assert (other["n"], round_half_up(other["mean"], 2)) == (18, "1.17")


# "Concomitant corticosteroids were applied at DTT baseline in six cases (four UC and two
# CD), and all corticosteroids were withdrawn entirely within 3 months."
def test_corticosteroids(paper_report):
    data = paper_report.tables["steroids"].data.set_index("group")
    assert data.loc["all", "on_steroid_at_start"] == 6
    assert (data.loc["UC", "on_steroid_at_start"], data.loc["CD", "on_steroid_at_start"]) == (4, 2)
    assert (data.loc["all", "withdrawn_by_month_3"], data.loc["all", "evaluable"]) == (6, 6)


# "The frequency of drugs used in 18 DTT cases was 15 UST, 10 VDZ, 5 TOF, 3 IFX, and 3 ADA,
# while the combination regimen was UST + VDZ in six cases (33.33%) and UST + TOF in five
# cases (27.78%). The DTT regimen was VDZ + ADA in two (11.11%) ... both had a history of IFX
# failure." -- VDZ 9 / TOF 6 in the example: the paper's counts contradict its regimens
# (inconsistency 5).
def test_drug_and_regimen_counts(paper_report):
    data = paper_report.tables["drugs_regimens"].data
    drugs = data[data["kind"] == "drug"].set_index("item")["n"].to_dict()
    assert drugs == {"UST": 15, "VDZ": 9, "TOF": 6, "IFX": 3, "ADA": 3}
    regimens = data[data["kind"] == "regimen"].set_index("item")
    assert regimens.loc["UST+VDZ", "n"] == 6
    assert round_half_up(regimens.loc["UST+VDZ", "percent"], 2) == "33.33"
    assert regimens.loc["TOF+UST", "n"] == 5
    assert round_half_up(regimens.loc["TOF+UST", "percent"], 2) == "27.78"
    assert regimens.loc["ADA+VDZ", "n"] == 2
    assert round_half_up(regimens.loc["ADA+VDZ", "percent"], 2) == "11.11"
    p = paper_report.cohort.patients
    vdz_ada = p[p["regimen"] == "ADA+VDZ"]["patient_id"]
    prior = paper_report.cohort.prior_therapies
    failed_ifx = prior[(prior["drug"] == "IFX") & prior["failed"]]["patient_id"]
    assert set(vdz_ada) <= set(failed_ifx)


# "Table 3 (12 maintained on DTT) and Table 4 (6 discontinued DTT)"; "one patient remained on
# DTT for 2 months, two patients for 3 months, three patients for 6 months, and six patients
# for 9 months ... Among those who discontinued, DTT was maintained for 4-6 months";
# "the duration of DTT treatment ... ranged from 2 months to 51 months."
def test_maintained_discontinued_and_durations(paper_report):
    t3 = paper_report.tables["table3_maintained"].data
    t4 = paper_report.tables["table4_discontinued"].data
    assert (len(t3), len(t4)) == (12, 6)
    whole = t3["duration_months"].astype(int).clip(upper=9).value_counts().to_dict()
    assert whole == {2: 1, 3: 2, 6: 3, 9: 6}
    assert t4["duration_months"].astype(int).between(4, 6).all()
    durations = paper_report.cohort.patients["duration_months"].astype(int)
    assert (durations.min(), durations.max()) == (2, 51)


# "Two UC patients with an endoscopic response transitioned to monotherapy with one of the
# combination agents. The remaining two UC patients switched to upadacitinib ... two CD
# patients failed to achieve a clinical response ... one case transitioned to UST
# monotherapy ... The second patient restarted AZA"
def test_discontinuation_paths(paper_report):
    t4 = paper_report.tables["table4_discontinued"].data.set_index("patient_id")
    uc = t4[t4["diagnosis"] == "UC"]
    deescalated = uc[uc["status"] == "de-escalated"]
    assert len(deescalated) == 2
    assert (deescalated["endoscopic_response_by_month_9"] == "yes").all()
    switched = uc[uc["stop_reason"] == "adverse_event"]
    assert len(switched) == 2 and switched["subsequent_therapy"].str.startswith("UPA").all()
    cd = t4[t4["diagnosis"] == "CD"]
    assert (cd["stop_reason"] == "primary_non_response").all() and len(cd) == 2
    assert sorted(s.split(" ")[0] for s in cd["subsequent_therapy"]) == ["AZA", "UST"]


# "the clinical response rates were 88.23% (15/17) at 3 months, 91.67% (11/12) at 6 months,
# and 100% (7/7) at 9 months" (88.23: inconsistency 1; 7/7: inconsistency 2)
@pytest.mark.parametrize(
    "timepoint,expected",
    [("month_3", (15, 17, "88.24")), ("month_6", (11, 12, "91.67")), ("month_9", (7, 7, "100.00"))],
    ids=["3 months", "6 months", "9 months"],
)
def test_clinical_response(paper_report, timepoint, expected):
    n, total, pct = _rate(paper_report, "clinical_response", timepoint)
    assert (n, total, round_half_up(pct, 2)) == expected


# "Endoscopic evaluation conducted on nine patients within the 9-month follow-up period
# revealed positive responses in eight patients ... 88.89%."
def test_endoscopic_response(paper_report):
    n, total, pct = _rate(paper_report, "endoscopic_response", "by_month_9")
    assert (n, total, round_half_up(pct, 2)) == (8, 9, "88.89")


# "After 6 months of DTT, UC patients (n = 4) showed ... CRP (mean pre-treatment: 19.43,
# 6-month mean: 1.435) and ... albumin (... 40.95, 6-month mean: 43.5). For CD patients (n = 7)
# ... CRP (11.93, 7.16) ... albumin (38.79, 42.96). Five patients completed 9 months of DTT,
# ... CRP (13.16, 6.38) ... albumin (38.66, 41.74)."
@pytest.mark.parametrize(
    "parameter,timepoint,group,n,before,after",
    [
        ("crp", "month_6", "UC", 4, "19.43", "1.435"),
        ("albumin", "month_6", "UC", 4, "40.95", "43.5"),
        ("crp", "month_6", "CD", 7, "11.93", "7.16"),
        ("albumin", "month_6", "CD", 7, "38.79", "42.96"),
        ("crp", "month_9", "all", 5, "13.16", "6.38"),
        ("albumin", "month_9", "all", 5, "38.66", "41.74"),
    ],
)
def test_crp_and_albumin_means(paper_report, parameter, timepoint, group, n, before, after):
    data = paper_report.tables["lab_changes"].data
    row = data[
        (data["parameter"] == parameter)
        & (data["timepoint"] == timepoint)
        & (data["group"] == group)
    ].iloc[0]
    decimals = len(after.split(".")[1])
    assert row["pairs"] == n
    assert round_half_up(row["baseline_mean"], 2) == before
    assert round_half_up(row["followup_mean"], decimals) == after


# "Adverse events included ustekinumab-associated arthralgia and alopecia in one UC patient
# and tofacitinib-related allergic purpura in another ... Two CD patients developed
# infections ... at 3 months ... and successfully continued their original DTT regimens."
# Abstract/Results: adverse events in 4 of 18 patients (22.2 %).
def test_adverse_events(paper_report):
    data = paper_report.tables["safety"].data
    patients = data[
        (data["item"] == "Patients with ≥ 1 adverse event, n (%)") & (data["group"] == "all")
    ].iloc[0]
    assert (patients["n"], patients["total"], round_half_up(patients["percent"], 2)) == (
        4,
        18,
        "22.22",
    )
    ae = paper_report.cohort.adverse_events
    uc = ae[ae["diagnosis"] == "UC"]
    assert set(uc["term"]) == {"Arthralgia", "Alopecia", "IgA vasculitis (allergic purpura)"}
    assert uc["action_taken"].str.contains("withdrawn").all()
    cd = ae[ae["diagnosis"] == "CD"]
    assert (cd["category"] == "infection").all() and (cd["onset_month"] == 3).all()
    maintained = paper_report.tables["table3_maintained"].data.set_index("patient_id")
    assert set(cd["patient_id"]) <= set(maintained.index)


def test_headline_is_computed_from_the_outcomes(paper_report):
    h = paper_report.headline.set_index(["measure", "timepoint"])
    assert (
        h.loc[("clinical_response", "month_3"), "n"],
        h.loc[("clinical_response", "month_3"), "total"],
    ) == (15, 17)
    assert h.loc[("adverse_event_patients", "during_dtt"), "n"] == 4
    assert isinstance(h, pd.DataFrame)
