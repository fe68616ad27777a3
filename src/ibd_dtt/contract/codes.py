"""Controlled vocabularies of the registry data contract.

Each vocabulary maps the canonical code to a short label. Inputs are matched
case-insensitively against the code, the label and the listed aliases.
"""

from __future__ import annotations

DIAGNOSIS = {"UC": "ulcerative colitis", "CD": "Crohn's disease", "IBDU": "IBD unclassified"}
DIAGNOSIS_ALIASES = {"IBD-U": "IBDU", "IBD-UNCLASSIFIED": "IBDU", "IC": "IBDU"}

SEX = {"F": "female", "M": "male"}

# Montreal classification (Silverberg 2005; Satsangi, Gut 2006;55:749) — clinical.md §2.
MONTREAL_EXTENT = {"E1": "proctitis", "E2": "left-sided", "E3": "extensive"}
MONTREAL_SEVERITY = {"S0": "remission", "S1": "mild", "S2": "moderate", "S3": "severe"}
MONTREAL_LOCATION = {"L1": "ileal", "L2": "colonic", "L3": "ileocolonic", "L4": "isolated upper GI"}
MONTREAL_BEHAVIOUR = {
    "B1": "non-stricturing, non-penetrating",
    "B2": "stricturing",
    "B3": "penetrating",
}

SMOKING = {
    "never": "never smoked",
    "former": "former smoker",
    "current": "current smoker",
    "unknown": "unknown",
}
ACTIVITY_STATUS = {"none": "absent", "inactive": "present, inactive", "active": "present, active"}

EIM_TYPES = {
    "peripheral_arthropathy": "peripheral arthritis/arthropathy",
    "axial_spondyloarthritis": "axial spondyloarthritis / sacroiliitis",
    "uveitis": "uveitis/iritis",
    "episcleritis": "episcleritis",
    "erythema_nodosum": "erythema nodosum",
    "pyoderma_gangrenosum": "pyoderma gangrenosum",
    "aphthous_stomatitis": "oral aphthous ulcers",
    "primary_sclerosing_cholangitis": "primary sclerosing cholangitis",
    "other": "other extraintestinal manifestation",
}
IMID_TYPES = {
    "ankylosing_spondylitis": "ankylosing spondylitis",
    "psoriasis": "psoriasis",
    "psoriatic_arthritis": "psoriatic arthritis",
    "rheumatoid_arthritis": "rheumatoid arthritis",
    "hidradenitis_suppurativa": "hidradenitis suppurativa",
    "atopic_dermatitis": "atopic dermatitis",
    "systemic_lupus_erythematosus": "systemic lupus erythematosus",
    "autoimmune_thyroiditis": "autoimmune thyroiditis",
    "autoimmune_hepatitis": "autoimmune hepatitis",
    "type1_diabetes": "type 1 diabetes",
    "other": "other immune-mediated inflammatory disease",
}

INTESTINAL_SURGERY = {
    "none": "no intestinal resection",
    "ileal": "ileal resection only",
    "colonic": "colonic resection only",
    "ileocolonic": "ileal + colonic resection",
}

# The paper's criterion (a), refractory IBD = the IOIBD difficult-to-treat list
# (Parigi, Lancet Gastroenterol Hepatol 2023;8:853) — clinical.md §7.
REFRACTORY_REASONS = {
    "failed_two_mechanisms": "failed biologics/small molecules with >= 2 mechanisms of action",
    "postoperative_recurrence": "post-operative CD recurrence after >= 2 resections",
    "antibiotic_refractory_pouchitis": "chronic antibiotic-refractory pouchitis",
    "complex_perianal_disease": "complex perianal Crohn's disease",
    "psychosocial_barriers": "psychosocial problems impairing disease management",
}

STOP_REASONS = {
    "primary_non_response": "primary non-response",
    "secondary_loss_of_response": "secondary loss of response",
    "intolerance": "intolerance",
    "adverse_event": "adverse event",
    "remission_deescalation": "remission / de-escalation",
    "cost_insurance": "cost or insurance",
    "patient_choice": "patient choice",
    "other": "other",
    # EHR extraction (issue 5): a record shows that a course ended, not why.
    "unknown": "not recorded",
    # Follow-up ended while the drug was still given (end of the EHR observation period, a
    # patient lost to follow-up): censored, not stopped (issue 13).
    "end_of_follow_up": "follow-up ended while on the drug (censored)",
}
END_OF_FOLLOW_UP = "end_of_follow_up"
FAILURE_STOP_REASONS = frozenset(
    {"primary_non_response", "secondary_loss_of_response", "intolerance", "adverse_event"}
)

ROUTES = {
    "IV": "intravenous",
    "SC": "subcutaneous",
    "oral": "oral",
    "rectal": "rectal",
    "IM": "intramuscular",
}
DOSE_UNITS = {
    "mg": "milligram per dose",
    "mg/kg": "milligram per kg per dose",
    "mg/day": "milligram per day",
}
OPTIMISATION_METHODS = {
    "dose_intensified": "dose increased",
    "interval_shortened": "dosing interval shortened",
    "tdm_guided": "therapeutic drug monitoring guided",
}

SES_CD_SEGMENTS = ("ileum", "right_colon", "transverse_colon", "left_colon", "rectum")
SES_CD_VARIABLES = ("ulcer_size", "ulcerated_surface", "affected_surface", "narrowing")
SES_CD_SEGMENT_STATUS = {
    "scored": "segment examined and scored",
    "not_reached": "segment not reached by the endoscope",
    "resected": "segment surgically removed",
    "not_recorded": "no score recorded",
}
LIMBERG_SCALES = {
    "0-4": "grades 0 (normal) to 4 (default)",
    "I-V": "Roman I (normal) to V, written as 1-5; converted to 0-4 by subtracting 1",
}

CRP_UNITS = {"mg/L": "milligram per litre", "mg/dL": "milligram per decilitre"}
ALBUMIN_UNITS = {"g/L": "gram per litre", "g/dL": "gram per decilitre"}
HEMATOCRIT_UNITS = {"%": "percent", "L/L": "volume fraction"}

AE_CATEGORIES = {
    "infection": "infection",
    "skin": "skin and subcutaneous tissue",
    "musculoskeletal": "musculoskeletal",
    "hypersensitivity": "hypersensitivity / allergic",
    "malignancy": "malignancy",
    "infusion_reaction": "infusion or injection-site reaction",
    "hepatobiliary": "hepatobiliary",
    "hematologic": "blood and lymphatic",
    "cardiovascular": "cardiovascular / thromboembolic",
    "neurological": "nervous system",
    "gastrointestinal": "gastrointestinal (not IBD activity)",
    "other": "other",
}
AE_ACTIONS = {
    "none": "dose not changed",
    "interrupted": "drug interrupted",
    "dose_reduced": "dose reduced",
    "withdrawn": "drug withdrawn",
    "unknown": "unknown",
}
AE_OUTCOMES = {
    "recovered": "recovered/resolved",
    "recovering": "recovering/resolving",
    "not_recovered": "not recovered",
    "recovered_with_sequelae": "recovered with sequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}
# ICH E2A seriousness criteria, one boolean column each — clinical.md §8.2.
SERIOUSNESS_CRITERIA = {
    "serious_death": "results in death",
    "serious_life_threatening": "is life-threatening",
    "serious_hospitalisation": "requires or prolongs inpatient hospitalisation",
    "serious_disability": "persistent or significant disability/incapacity",
    "serious_congenital_anomaly": "congenital anomaly/birth defect",
    "serious_important_medical_event": "important medical event",
}
