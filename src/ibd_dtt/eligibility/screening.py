"""Screen patients against the eligibility criteria of the DTT case series.

Source: Wang et al. 2025, Methods, *Study design and participants*. Inclusion: DTT started
for (a) refractory IBD, (b) active extraintestinal manifestations or (c) an active concurrent
immune-mediated inflammatory disease. Exclusion: (1) age < 14 or > 80 years, (2) pregnancy,
(3) malignancy, (4) severe psychiatric disorder, (5) infectious disease, (6) severe
comorbidity (including intestinal perforation or obstruction), (7) contraindication to
biologic therapy. The criteria are evaluated at the start of the index DTT episode.
"""

from __future__ import annotations

import pandas as pd

# criterion id -> (patients column, description); (1) age is computed, see _age_bounds
EXCLUSION_CRITERIA: dict[str, tuple[str | None, str]] = {
    "exclusion_1_age": (None, "(1) age < 14 or > 80 years at DTT start"),
    "exclusion_2_pregnancy": ("pregnant", "(2) pregnancy"),
    "exclusion_3_malignancy": ("malignancy", "(3) malignancy"),
    "exclusion_4_psychiatric": ("severe_psychiatric_disorder", "(4) severe psychiatric disorder"),
    "exclusion_5_infection": ("active_infection", "(5) infectious disease"),
    "exclusion_6_comorbidity": ("severe_comorbidity", "(6) severe comorbidity"),
    "exclusion_7_contraindication": (
        "biologic_contraindication",
        "(7) contraindication to biologic therapy",
    ),
}
INCLUSION_CRITERIA = {
    "indication_refractory": "(a) refractory IBD",
    "indication_active_eim": "(b) active extraintestinal manifestations",
    "indication_active_imid": "(c) active immune-mediated inflammatory disease",
}
MIN_AGE, MAX_AGE = 14, 80


def _age_bounds(patient: pd.Series, dtt_start: pd.Timestamp) -> tuple[float, float] | None:
    """Youngest and oldest possible age at DTT start (birth year only -> a 1-year range)."""
    if not pd.isna(patient.get("birth_year")):
        years = dtt_start.year - int(patient["birth_year"])
        return years - 1, years
    if not pd.isna(patient.get("age_at_diagnosis")) and not pd.isna(patient.get("diagnosis_date")):
        since = (dtt_start - pd.Timestamp(patient["diagnosis_date"])).days / 365.25
        age = float(patient["age_at_diagnosis"]) + since
        return age - 1, age + 1
    return None


def screen_eligibility(patients: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: each criterion (True / False / NA = not recorded) and the decision.

    A patient is analysed when an index DTT episode exists, at least one inclusion criterion
    is recorded as met, and no exclusion criterion is recorded as met. A criterion left empty
    does not exclude; it is listed in ``notes`` so the data manager can complete it.
    """
    starts = episodes.set_index("patient_id")["start_date"]
    rows = []
    for patient in patients.to_dict("records"):
        pid = patient["patient_id"]
        row: dict = {"patient_id": pid, "has_dtt_episode": pid in starts.index}
        reasons, notes = [], []
        if not row["has_dtt_episode"]:
            reasons.append("no DTT episode (two advanced therapies of different classes)")
        for column in INCLUSION_CRITERIA:
            value = patient.get(column)
            row[column] = None if pd.isna(value) else bool(value)
        if not any(row[c] for c in INCLUSION_CRITERIA):
            reasons.append("no inclusion criterion (a)-(c) recorded as met")
        bounds = _age_bounds(patient, starts[pid]) if row["has_dtt_episode"] else None
        row["age_at_dtt_min"], row["age_at_dtt_max"] = bounds if bounds else (None, None)
        for criterion, (column, label) in EXCLUSION_CRITERIA.items():
            if column is None:
                if bounds is None:
                    met = None
                    if row["has_dtt_episode"]:
                        notes.append("age at DTT start unknown")
                elif bounds[1] < MIN_AGE or bounds[0] > MAX_AGE:
                    met = True
                elif bounds[0] < MIN_AGE or bounds[1] > MAX_AGE:
                    met = None
                    notes.append(f"age {bounds[0]:.0f}-{bounds[1]:.0f}: cannot tell if {label}")
                else:
                    met = False
            else:
                value = patient.get(column)
                met = None if pd.isna(value) else bool(value)
                if met is None:
                    notes.append(f"{label}: not recorded")
            row[criterion] = met
            if met:
                reasons.append(f"excluded by {label}")
        row["decision"] = "excluded" if reasons else "analysed"
        row["reasons"] = "; ".join(reasons) or None
        row["notes"] = "; ".join(notes) or None
        rows.append(row)
    return pd.DataFrame(rows)


def attrition_table(
    screening: pd.DataFrame, input_patients: int, rejected_by_validation: int
) -> pd.DataFrame:
    """Sequential flow: each patient leaves at the first step that removes them.

    ``meeting_criterion`` counts every screened patient meeting that step's criterion, in any
    order, so overlapping exclusions stay visible.
    """
    steps = [("Patients in the input", input_patients, input_patients)]
    steps.append(
        (
            "Rejected by validation (see the validation report)",
            rejected_by_validation,
            rejected_by_validation,
        )
    )
    remaining = screening
    steps.append(("Screened", len(screening), len(screening)))
    checks: list[tuple[str, pd.Series]] = [
        ("No DTT episode", ~screening["has_dtt_episode"]),
        (
            "No inclusion criterion (a)-(c)",
            ~screening[list(INCLUSION_CRITERIA)].fillna(False).astype(bool).any(axis=1),
        ),
    ]
    for criterion, (_, label) in EXCLUSION_CRITERIA.items():
        checks.append((f"Excluded: {label}", screening[criterion].fillna(False).astype(bool)))
    for label, mask in checks:
        leaving = remaining.index.intersection(screening.index[mask])
        steps.append((label, len(leaving), int(mask.sum())))
        remaining = remaining.drop(index=leaving)
    steps.append(("Analysed", len(remaining), len(remaining)))
    return pd.DataFrame(steps, columns=["step", "patients", "meeting_criterion"])
