"""Table 1 (baseline characteristics) and Table 2 (clinical data at baseline).

Variables follow the paper's Tables 1-2 and Results, first paragraph (Wang et al. 2025).
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.contract import codes as C
from ibd_dtt.report.cohort import Cohort
from ibd_dtt.report.model import CharacteristicsBuilder, ReportTable

BASELINE_PARAMETERS = {
    "partial_mayo": ("Partial Mayo score", ("UC", "IBDU")),
    "mayo_endoscopic": ("Mayo endoscopic subscore", ("UC", "IBDU")),
    "hbi": ("Harvey-Bradshaw Index", ("CD",)),
    "ses_cd": ("SES-CD", ("CD",)),
    "limberg": ("Limberg score", None),
    "crp": ("CRP, mg/L", None),
    "albumin": ("Albumin, g/L", None),
    "hematocrit": ("Hematocrit, %", None),
    "fecal_calprotectin": ("Fecal calprotectin, µg/g", None),
}


def _groups(cohort: Cohort) -> tuple[str, ...]:
    present = set(cohort.patients["diagnosis"])
    return tuple(d for d in ("UC", "CD", "IBDU") if d in present)


def _builder(cohort: Cohort, decimals: int = 1) -> CharacteristicsBuilder:
    frame = cohort.patients.reset_index(drop=True)
    return CharacteristicsBuilder(frame, "diagnosis", _groups(cohort), decimals)


def _codes_contain(series: pd.Series, code: str) -> pd.Series:
    return series.fillna("").astype(str).str.split(";").map(lambda xs: code in xs)


def table_baseline_characteristics(cohort: Cohort) -> ReportTable:
    """Table 1: demographics, disease course, Montreal class, surgery, comorbidity."""
    p = cohort.patients.reset_index(drop=True)
    b = _builder(cohort)
    b.categorical("Sex", "sex", C.SEX)
    b.continuous("Age at diagnosis, years", p["age_at_diagnosis"], show_range=True)
    if "birth_year" in p:
        b.continuous(
            "Age at DTT start, years (from birth year)",
            p["dtt_start"].dt.year - p["birth_year"].astype(float),
        )
    b.continuous("Disease duration at DTT start, years", p["disease_duration_years"], decimals=2)
    b.continuous(
        "Disease duration at DTT start, months",
        p["disease_duration_months"],
        mean_sd=False,
        show_range=True,
    )
    b.categorical("Center", "center")
    b.categorical(
        "Montreal age at diagnosis",
        "montreal_age",
        {"A1": "A1 (≤ 16 y)", "A2": "A2 (17-40 y)", "A3": "A3 (> 40 y)"},
    )
    uc = ("UC", "IBDU")
    b.categorical("Montreal extent (UC)", "montreal_extent", C.MONTREAL_EXTENT, uc, test=False)
    b.categorical(
        "Montreal severity (UC)", "montreal_severity", C.MONTREAL_SEVERITY, uc, test=False
    )
    b.categorical(
        "Montreal location (CD)", "montreal_location", C.MONTREAL_LOCATION, ("CD",), test=False
    )
    b.flag("Upper GI involvement L4 (CD)", p["montreal_upper_gi"], ("CD",), test=False)
    b.categorical(
        "Montreal behaviour (CD)", "montreal_behaviour", C.MONTREAL_BEHAVIOUR, ("CD",), test=False
    )
    b.flag("Perianal disease (CD)", p["montreal_perianal"], ("CD",), test=False)
    b.categorical("Smoking", "smoking", C.SMOKING)
    b.flag(
        "Prior intestinal resection",
        p["intestinal_surgery"].map(lambda s: None if pd.isna(s) else s != "none"),
    )
    b.categorical(
        "Type of intestinal resection", "intestinal_surgery", C.INTESTINAL_SURGERY, test=False
    )
    b.flag("Prior perianal surgery", p["perianal_surgery"])
    b.categorical("Extraintestinal manifestations", "eim_status", C.ACTIVITY_STATUS)
    b.categorical("Immune-mediated inflammatory disease", "imid_status", C.ACTIVITY_STATUS)
    b.flag("Indication (a): refractory IBD", p["indication_refractory"], test=False)
    b.flag(
        "Indication (b): active extraintestinal manifestation",
        p["indication_active_eim"],
        test=False,
    )
    b.flag(
        "Indication (c): active immune-mediated disease", p["indication_active_imid"], test=False
    )
    return b.build(
        "table1_baseline",
        "Table 1. Baseline characteristics",
        (
            "Percentages are over patients with a recorded value; missing values are counted "
            "on their own row.",
            "Disease duration: whole calendar months from the month of diagnosis to the month "
            "of the DTT start (the paper's 'follow-up time before DTT').",
            "Medians and quartiles use SPSS's definition (HAVERAGE, Hyndman-Fan type 6).",
            *_derived_age_notes(p),
        ),
    )


def _derived_age_notes(p: pd.DataFrame) -> tuple[str, ...]:
    """Say how many ages at diagnosis were derived and what that does to the Montreal class."""
    if "age_at_diagnosis_source" not in p:
        return ()
    derived = p["age_at_diagnosis_source"].fillna("").str.startswith("derived")
    if not derived.any():
        return ()
    unknown_class = int((derived & p["montreal_age"].isna()).sum())
    note = (
        f"Age at diagnosis derived for {int(derived.sum())} patient(s) as diagnosis year "
        f"minus birth year (no age recorded; exact to within one year)."
    )
    if unknown_class:
        note += (
            f" Montreal age class missing for {unknown_class} of them: the age in completed "
            f"years lies on either side of a class boundary."
        )
    return (note,)


def _baseline_values(visits: pd.DataFrame, parameter: str) -> pd.Series:
    base = visits[(visits["parameter"] == parameter) & (visits["window"] == "baseline")]
    return base.drop_duplicates("patient_id").set_index("patient_id")["value"].astype(float)


def table_clinical_baseline(
    cohort: Cohort, visits: pd.DataFrame, concomitant: pd.DataFrame
) -> ReportTable:
    """Table 2: scores and labs at DTT start, prior therapy and its failures, steroids."""
    p = cohort.patients.reset_index(drop=True)
    b = _builder(cohort)
    b.section("Disease activity at DTT start (baseline window)")
    for parameter, (label, applies_to) in BASELINE_PARAMETERS.items():
        values = p["patient_id"].map(_baseline_values(visits, parameter))
        if values.notna().any():
            b.continuous(label, values, applies_to=applies_to)
    b.section("Therapy before DTT (courses ended on or before the DTT start)")
    prior = cohort.prior_therapies
    for drug in sorted(
        prior.loc[
            prior["agent_type"].isin(["biologic", "small_molecule", "immunomodulator"]), "drug"
        ].unique()
    ):
        courses = prior[prior["drug"] == drug]
        exposed = p["patient_id"].isin(courses["patient_id"])
        b.flag(f"{drug}, exposed", exposed, test=False)
        for reason in (
            "primary_non_response",
            "secondary_loss_of_response",
            "intolerance",
            "adverse_event",
        ):
            who = courses.loc[courses["stop_reason"] == reason, "patient_id"]
            if len(who):
                b.flag(
                    f"    {drug}, stopped for {C.STOP_REASONS[reason]}",
                    p["patient_id"].isin(who),
                    test=False,
                )
    b.continuous(
        "Failed biologics per patient, all patients",
        p["failed_biologics"],
        decimals=2,
        counts=True,
    )
    exposed = p["prior_biologics"] > 0
    b.continuous(
        "Failed biologics per patient previously treated with a biologic",
        p["failed_biologics"].where(exposed),
        decimals=2,
        counts=True,
    )
    b.continuous(
        "Failed immunomodulators, thalidomide or small molecules per patient",
        p["failed_immunomodulators_or_small_molecules"],
        decimals=2,
        counts=True,
    )
    b.continuous(
        "Failed mechanisms of action (advanced therapies)",
        p["failed_mechanisms"],
        decimals=2,
        counts=True,
    )
    b.flag(
        "≥ 2 failed agents (biologics, small molecules, immunomodulators)", p["failed_agents"] >= 2
    )
    steroid = concomitant[concomitant["drug_category"] == "corticosteroid"]
    immunomod = concomitant[concomitant["drug_category"] == "immunomodulator"]
    b.section("Concomitant therapy at DTT start")
    b.flag("Corticosteroid", p["patient_id"].isin(steroid["patient_id"]))
    b.flag("Immunomodulator", p["patient_id"].isin(immunomod["patient_id"]))
    table = b.build(
        "table2_clinical_baseline",
        "Table 2. Clinical data at baseline",
        (
            "Baseline: the last value from day -30 to day +7 of the DTT start.",
            "Failed: stopped for primary non-response, secondary loss of response, "
            "intolerance or an adverse event. The agent still running at the DTT start (the "
            "anchor of the combination) is not counted.",
            "'Failed biologics per patient previously treated with a biologic' is over "
            f"the {int(exposed.sum())} patients with a biologic course ended before DTT "
            "(the paper's 1.38 = 22/16 reading); the all-patient mean is given too.",
        ),
    )
    return table
