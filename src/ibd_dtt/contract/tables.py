"""The registry data contract: every table, column, type, unit and allowed value.

This module is the single source of truth. The validator (:mod:`ibd_dtt.validate`) reads it
to check data, and ``tools/write_contract_doc.py`` renders it to ``docs/data-contract.md``
(a test checks that the two agree).

Column kinds:

``id``            pseudonymous study ID: letters, digits, ``_ . -``; at most 32 characters
``text``          short free text (scanned for direct identifiers)
``code``          one value of a controlled vocabulary (case-insensitive)
``codes``         several codes separated by ``;``
``integer``       a whole number
``number``        a decimal number (``.`` as decimal separator)
``lab``           a non-negative number, or a censored value written ``<x``
``boolean``       yes/no, true/false, y/n, 1/0
``date``          a calendar date: ISO ``YYYY-MM-DD`` or the study's ``date_format``
``partial_date``  a date that may be known only to the month (``YYYY-MM``) or year (``YYYY``)
``drug``          a drug of the catalogue: generic name, abbreviation or brand, any case
``drugs``         several drugs separated by ``;``
``drug_actions``  ``DRUG:action`` pairs separated by ``;`` (action per suspected drug)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ibd_dtt.contract import codes as C

Kind = Literal[
    "id",
    "text",
    "code",
    "codes",
    "integer",
    "number",
    "lab",
    "boolean",
    "date",
    "partial_date",
    "drug",
    "drugs",
    "drug_actions",
]
Diagnosis = Literal["UC", "CD", "IBDU"]
ALL_DIAGNOSES: tuple[Diagnosis, ...] = ("UC", "CD", "IBDU")


@dataclass(frozen=True)
class Column:
    """Specification of one column of a registry table."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    codes: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    warn_above: float | None = None
    unit: str | None = None
    applies_to: tuple[Diagnosis, ...] = ALL_DIAGNOSES
    source: str = ""

    def expected(self) -> str:
        """Plain-language description of an acceptable value (used in problem reports)."""
        if self.kind in ("code", "codes"):
            values = ", ".join(self.codes)
            return (
                f"one of {values}" if self.kind == "code" else f"';'-separated codes from {values}"
            )
        if self.kind in ("integer", "number", "lab"):
            what = {
                "integer": "a whole number",
                "number": "a number",
                "lab": "a non-negative number or '<x'",
            }[self.kind]
            if self.minimum is not None and self.maximum is not None:
                what += f" from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
            elif self.minimum is not None:
                what += f" >= {_fmt(self.minimum)}"
            return what + (f" ({self.unit})" if self.unit else "")
        return {
            "id": "a pseudonymous study ID (letters, digits, _ . -; at most 32 characters)",
            "text": "short text (at most 200 characters)",
            "boolean": "yes or no",
            "date": "a date (YYYY-MM-DD, or the study's date_format)",
            "partial_date": "a date, YYYY-MM or YYYY",
            "drug": "a drug name, abbreviation or brand from the drug catalogue",
            "drugs": "drug names from the catalogue separated by ';'",
            "drug_actions": "DRUG:action pairs separated by ';' (actions: "
            + ", ".join(C.AE_ACTIONS)
            + ")",
        }[self.kind]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Table:
    """Specification of one registry table (one CSV file or one workbook sheet)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_meaning: str

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _bool(name: str, description: str, **kw) -> Column:
    return Column(name, "boolean", description, **kw)


def _score(
    name: str, description: str, maximum: int, applies_to=ALL_DIAGNOSES, source: str = ""
) -> Column:
    return Column(
        name,
        "integer",
        description,
        minimum=0,
        maximum=maximum,
        applies_to=applies_to,
        source=source,
    )


PATIENT_ID = Column(
    "patient_id", "id", "Pseudonymous study ID. Never a name or hospital number.", required=True
)
_REF_PATIENT = Column(
    "patient_id", "id", "Study ID of the patient (must exist in `patients`).", required=True
)

UC_LIKE: tuple[Diagnosis, ...] = ("UC", "IBDU")
CD_ONLY: tuple[Diagnosis, ...] = ("CD",)

PATIENTS = Table(
    name="patients",
    description="One row per patient: demographics, disease classification, history, the DTT "
    "indication (paper criteria a-c) and the facts needed for exclusion criteria (1)-(7).",
    row_meaning="one patient",
    key=("patient_id",),
    columns=(
        PATIENT_ID,
        Column("center", "text", "Treating center (site) label.", required=True),
        Column(
            "sex",
            "code",
            "Sex.",
            required=True,
            codes=C.SEX,
            aliases={"FEMALE": "F", "MALE": "M", "W": "F"},
        ),
        Column(
            "birth_year",
            "integer",
            "Year of birth (the year only; full birth dates are "
            "identifiers). Either this or `age_at_diagnosis` is required.",
            minimum=1900,
            maximum=2100,
        ),
        Column(
            "age_at_diagnosis",
            "number",
            "Age at IBD diagnosis in years. Either this or `birth_year` is required; when "
            "empty it is derived as diagnosis year - birth year (within one year; the Montreal "
            "age class is left empty when that year straddles a class boundary).",
            minimum=0,
            maximum=100,
            unit="years",
        ),
        Column(
            "diagnosis",
            "code",
            "IBD type.",
            required=True,
            codes=C.DIAGNOSIS,
            aliases=C.DIAGNOSIS_ALIASES,
        ),
        Column(
            "diagnosis_date",
            "partial_date",
            "Date of IBD diagnosis; YYYY-MM or YYYY allowed.",
            required=True,
        ),
        Column(
            "montreal_extent",
            "code",
            "Montreal UC extent (maximal macroscopic).",
            codes=C.MONTREAL_EXTENT,
            applies_to=UC_LIKE,
            source="Satsangi, Gut 2006",
        ),
        Column(
            "montreal_severity",
            "code",
            "Montreal UC severity.",
            codes=C.MONTREAL_SEVERITY,
            applies_to=UC_LIKE,
            source="Satsangi, Gut 2006",
        ),
        Column(
            "montreal_location",
            "code",
            "Montreal CD location (maximal extent; L4 here means isolated upper GI disease).",
            codes=C.MONTREAL_LOCATION,
            applies_to=CD_ONLY,
            source="Satsangi, Gut 2006",
        ),
        _bool(
            "montreal_upper_gi",
            "Montreal L4 modifier: upper GI disease in addition to L1-L3.",
            applies_to=CD_ONLY,
        ),
        Column(
            "montreal_behaviour",
            "code",
            "Montreal CD behaviour.",
            codes=C.MONTREAL_BEHAVIOUR,
            applies_to=CD_ONLY,
            source="Satsangi, Gut 2006",
        ),
        _bool(
            "montreal_perianal",
            "Montreal perianal modifier 'p' (fistula, abscess or ulcer; "
            "skin tags/fissures alone do not count).",
            applies_to=CD_ONLY,
        ),
        Column("smoking", "code", "Smoking status at DTT start.", codes=C.SMOKING),
        Column("eim_status", "code", "Extraintestinal manifestations.", codes=C.ACTIVITY_STATUS),
        Column("eim_types", "codes", "Which extraintestinal manifestations.", codes=C.EIM_TYPES),
        Column(
            "imid_status",
            "code",
            "Concomitant immune-mediated inflammatory disease.",
            codes=C.ACTIVITY_STATUS,
        ),
        Column("imid_types", "codes", "Which immune-mediated diseases.", codes=C.IMID_TYPES),
        Column(
            "intestinal_surgery",
            "code",
            "Prior intestinal resection for IBD.",
            codes=C.INTESTINAL_SURGERY,
        ),
        Column(
            "intestinal_resections",
            "integer",
            "Number of prior intestinal resections.",
            minimum=0,
            maximum=20,
        ),
        _bool("perianal_surgery", "Prior perianal surgery."),
        _bool("indication_refractory", "DTT criterion (a): refractory IBD.", required=True),
        Column(
            "refractory_reasons",
            "codes",
            "Why refractory (IOIBD difficult-to-treat items).",
            codes=C.REFRACTORY_REASONS,
            source="Parigi, LGH 2023",
        ),
        _bool(
            "indication_active_eim",
            "DTT criterion (b): active extraintestinal manifestations.",
            required=True,
        ),
        _bool(
            "indication_active_imid",
            "DTT criterion (c): concurrently active immune-mediated inflammatory disease.",
            required=True,
        ),
        _bool("pregnant", "Exclusion (2): pregnant at DTT start."),
        _bool("malignancy", "Exclusion (3): malignancy."),
        _bool("severe_psychiatric_disorder", "Exclusion (4): severe psychiatric disorder."),
        _bool("active_infection", "Exclusion (5): infectious disease at DTT start."),
        _bool(
            "severe_comorbidity",
            "Exclusion (6): severe comorbidity, including intestinal perforation or obstruction.",
        ),
        _bool("biologic_contraindication", "Exclusion (7): contraindication to biologic therapy."),
    ),
)

THERAPIES = Table(
    name="therapies",
    description="One row per course of one drug: prior therapies, both DTT agents, "
    "corticosteroids, immunomodulators and what came after DTT.",
    row_meaning="one course of one drug",
    key=("patient_id", "drug", "start_date"),
    columns=(
        _REF_PATIENT,
        Column("drug", "drug", "Drug (generic name, abbreviation or brand name).", required=True),
        Column("start_date", "partial_date", "First dose of this course.", required=True),
        Column(
            "stop_date",
            "partial_date",
            "Last dose / decision to stop. Empty = ongoing at the data cut.",
        ),
        Column(
            "stop_reason",
            "code",
            "Why the course stopped (required with a stop date).",
            codes=C.STOP_REASONS,
        ),
        Column(
            "dose", "number", "Dose per administration (per day for daily oral drugs).", minimum=0
        ),
        Column("dose_unit", "code", "Unit of `dose`.", codes=C.DOSE_UNITS),
        Column(
            "interval_days",
            "integer",
            "Dosing interval in days (1 = daily).",
            minimum=1,
            maximum=365,
            unit="days",
        ),
        Column("route", "code", "Route of administration.", codes=C.ROUTES),
        _bool(
            "optimised",
            "The course was optimised (dose-intensified, interval shortened or TDM-guided).",
        ),
        Column(
            "optimisation_methods", "codes", "How it was optimised.", codes=C.OPTIMISATION_METHODS
        ),
    ),
)


def _ses_columns() -> tuple[Column, ...]:
    variables = {
        "ulcer_size": "size of ulcers (0 none, 1 aphthous 0.1-0.5 cm, 2 large 0.5-2 cm, "
        "3 very large >2 cm)",
        "ulcerated_surface": "ulcerated surface (0 none, 1 <10 %, 2 10-30 %, 3 >30 %)",
        "affected_surface": "affected surface (0 unaffected, 1 <50 %, 2 50-75 %, 3 >75 %)",
        "narrowing": "narrowing (0 none, 1 single passable, 2 multiple passable, "
        "3 cannot be passed)",
    }
    cols: list[Column] = []
    for segment in C.SES_CD_SEGMENTS:
        label = segment.replace("_", " ")
        for variable in C.SES_CD_VARIABLES:
            cols.append(
                _score(
                    f"ses_{segment}_{variable}",
                    f"SES-CD {label}: {variables[variable]}.",
                    3,
                    CD_ONLY,
                    "Daperno, GIE 2004",
                )
            )
        cols.append(
            Column(
                f"ses_{segment}_status",
                "code",
                f"SES-CD {label}: whether the segment was scored. Empty = inferred from the cells.",
                codes=C.SES_CD_SEGMENT_STATUS,
                applies_to=CD_ONLY,
            )
        )
    return tuple(cols)


HBI_COMPLICATIONS = (
    "arthralgia",
    "uveitis",
    "erythema_nodosum",
    "aphthous_ulcers",
    "pyoderma_gangrenosum",
    "anal_fissure",
    "new_fistula",
    "abscess",
)

ASSESSMENTS = Table(
    name="assessments",
    description="One row per patient and visit date: clinical scores (as items), endoscopy, "
    "ultrasound and laboratory values.",
    row_meaning="one visit of one patient",
    key=("patient_id", "visit_date"),
    columns=(
        _REF_PATIENT,
        Column("visit_date", "date", "Date of the visit (or of the examination).", required=True),
        _score(
            "mayo_stool_frequency",
            "Mayo stool frequency (0 normal, 1 +1-2/day, 2 +3-4/day, "
            "3 +>=5/day above the patient's normal).",
            3,
            UC_LIKE,
            "Schroeder, NEJM 1987",
        ),
        _score(
            "mayo_rectal_bleeding",
            "Mayo rectal bleeding (0 none, 1 streaks <half, 2 obvious "
            "most of the time, 3 blood alone).",
            3,
            UC_LIKE,
            "Schroeder, NEJM 1987",
        ),
        _score(
            "mayo_physician_global",
            "Mayo physician global assessment (0 normal, 1 mild, 2 moderate, 3 severe).",
            3,
            UC_LIKE,
            "Schroeder, NEJM 1987",
        ),
        _score(
            "mayo_endoscopic",
            "Mayo endoscopic subscore, worst segment (0 normal/inactive, "
            "1 mild, 2 moderate, 3 severe).",
            3,
            UC_LIKE,
            "Schroeder, NEJM 1987",
        ),
        Column(
            "partial_mayo_total_recorded",
            "integer",
            "Partial Mayo total (0-9) as recorded, for registries that kept the total: used "
            "when the three items are not all given, checked against them when they are.",
            minimum=0,
            maximum=9,
            applies_to=UC_LIKE,
            source="Lewis, IBD 2008",
        ),
        _score(
            "uceis_vascular_pattern",
            "UCEIS vascular pattern (0-2).",
            2,
            UC_LIKE,
            "Travis, Gut 2012",
        ),
        _score("uceis_bleeding", "UCEIS bleeding (0-3).", 3, UC_LIKE, "Travis, Gut 2012"),
        _score(
            "uceis_erosions_ulcers",
            "UCEIS erosions and ulcers (0-3).",
            3,
            UC_LIKE,
            "Travis, Gut 2012",
        ),
        _score(
            "hbi_general_wellbeing",
            "HBI general well-being, previous day (0 very well - 4 terrible).",
            4,
            CD_ONLY,
            "Harvey & Bradshaw, Lancet 1980",
        ),
        _score(
            "hbi_abdominal_pain",
            "HBI abdominal pain, previous day (0 none - 3 severe).",
            3,
            CD_ONLY,
            "Harvey & Bradshaw, Lancet 1980",
        ),
        Column(
            "hbi_liquid_stools",
            "integer",
            "HBI number of liquid or soft stools, previous day (1 point each).",
            minimum=0,
            maximum=99,
            warn_above=25,
            applies_to=CD_ONLY,
            source="Harvey & Bradshaw, Lancet 1980",
        ),
        _score(
            "hbi_abdominal_mass",
            "HBI abdominal mass (0 none, 1 dubious, 2 definite, 3 definite and tender).",
            3,
            CD_ONLY,
            "Harvey & Bradshaw, Lancet 1980",
        ),
        *(
            _bool(
                f"hbi_{c}",
                f"HBI complication present: {c.replace('_', ' ')} (1 point).",
                applies_to=CD_ONLY,
            )
            for c in HBI_COMPLICATIONS
        ),
        Column(
            "hbi_total_recorded",
            "integer",
            "HBI total as recorded, for registries that kept the total: used when the items "
            "(4 main items and 8 complications) are not all given, checked against them when "
            "they are.",
            minimum=0,
            maximum=117,
            warn_above=40,
            applies_to=CD_ONLY,
            source="Harvey & Bradshaw, Lancet 1980",
        ),
        Column(
            "cd_pro2_stool_mean",
            "number",
            "CD-PRO2: mean daily number of liquid/very soft stools over 7 days.",
            minimum=0,
            maximum=50,
            applies_to=CD_ONLY,
            source="Khanna, APT 2015",
        ),
        Column(
            "cd_pro2_pain_mean",
            "number",
            "CD-PRO2: mean daily abdominal pain (0-3) over 7 days.",
            minimum=0,
            maximum=3,
            applies_to=CD_ONLY,
            source="Khanna, APT 2015",
        ),
        *_ses_columns(),
        Column(
            "ses_cd_total_recorded",
            "integer",
            "SES-CD total as recorded, when the 20 cells "
            "are not available (checked against the cells when both are given).",
            minimum=0,
            maximum=60,
            warn_above=56,
            applies_to=CD_ONLY,
            source="Daperno, GIE 2004",
        ),
        Column(
            "limberg",
            "integer",
            "Limberg bowel-ultrasound grade of the worst segment (0-4).",
            minimum=0,
            maximum=5,
            source="Limberg, Z Gastroenterol 1999",
        ),
        Column(
            "limberg_scale",
            "code",
            "How `limberg` is numbered. Empty = 0-4.",
            codes=C.LIMBERG_SCALES,
        ),
        Column(
            "crp",
            "lab",
            "C-reactive protein; '<x' for values below the detection limit. Above 1000 "
            "(mg/L, or mg/dL) is not a plausible measurement.",
            minimum=0,
            maximum=1000,
        ),
        Column(
            "crp_unit",
            "code",
            "Unit of `crp`. Empty = the study default (mg/L).",
            codes=C.CRP_UNITS,
            aliases={"MG/L": "mg/L", "MG/DL": "mg/dL"},
        ),
        Column(
            "albumin",
            "number",
            "Serum albumin (at most 100, in g/L or g/dL).",
            minimum=0,
            maximum=100,
        ),
        Column(
            "albumin_unit",
            "code",
            "Unit of `albumin`. Empty = the study default (g/L).",
            codes=C.ALBUMIN_UNITS,
            aliases={"G/L": "g/L", "G/DL": "g/dL"},
        ),
        Column(
            "hematocrit", "number", "Hematocrit (at most 100, in % or L/L).", minimum=0, maximum=100
        ),
        Column(
            "hematocrit_unit",
            "code",
            "Unit of `hematocrit`. Empty = the study default (%).",
            codes=C.HEMATOCRIT_UNITS,
            aliases={"PERCENT": "%", "FRACTION": "L/L"},
        ),
        Column(
            "fecal_calprotectin",
            "lab",
            "Fecal calprotectin; '<x' below the detection limit.",
            minimum=0,
            maximum=100000,
            unit="ug/g",
        ),
    ),
)

ADVERSE_EVENTS = Table(
    name="adverse_events",
    description="One row per adverse event. An empty table (header only) means no adverse "
    "events were recorded; a missing table is an error, so that 'none' is never assumed.",
    row_meaning="one adverse event",
    key=("patient_id", "onset_date", "term"),
    columns=(
        _REF_PATIENT,
        Column("onset_date", "date", "Date of onset.", required=True),
        Column(
            "term",
            "text",
            "Event term as reported (MedDRA preferred term if coded).",
            required=True,
        ),
        Column("category", "code", "Event category.", required=True, codes=C.AE_CATEGORIES),
        Column(
            "ctcae_grade",
            "integer",
            "CTCAE v5.0 grade (1 mild - 5 death). Empty = not graded (e.g. an event found in "
            "EHR condition records).",
            minimum=1,
            maximum=5,
            source="CTCAE v5.0",
        ),
        *(
            _bool(name, f"ICH E2A seriousness: {label}.", source="ICH E2A")
            for name, label in C.SERIOUSNESS_CRITERIA.items()
        ),
        Column("suspected_drugs", "drugs", "Drug(s) suspected of causing the event."),
        Column(
            "action_taken",
            "drug_actions",
            "Action taken with each suspected drug, e.g. 'UST:withdrawn; TOF:none'.",
        ),
        Column("outcome", "code", "Outcome of the event.", codes=C.AE_OUTCOMES),
        Column("resolution_date", "date", "Date the event resolved."),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (PATIENTS, THERAPIES, ASSESSMENTS, ADVERSE_EVENTS)}
CONTRACT_VERSION = "1.0"

__all__ = [
    "ADVERSE_EVENTS",
    "ASSESSMENTS",
    "CONTRACT_VERSION",
    "HBI_COMPLICATIONS",
    "PATIENTS",
    "TABLES",
    "THERAPIES",
    "Column",
    "Table",
]
