"""Build examples/paper_cohort/ — 18 SYNTHETIC patients reconstructed from the aggregates of
Wang et al., Front Med 2025;12:1566828 (shared/paper/dtt_case_series.txt).

Nobody in these files is a real patient. Every value was chosen so that the aggregates the
paper reports hold; docs/paper-reproduction.md shows the hand-worked tables, and the
choices made where the paper contradicts itself.

Run ``python tools/build_paper_cohort.py`` to regenerate the CSV files; a test checks that the
committed files are exactly what this script writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ibd_dtt.contract.codes import SES_CD_SEGMENTS, SES_CD_VARIABLES
from ibd_dtt.contract.tables import HBI_COMPLICATIONS

OUT = Path(__file__).resolve().parents[1] / "examples" / "paper_cohort"
DATA_CUT = dt.date(2024, 1, 31)
# The contract's own names, so the example cannot drift from it.
SEGMENTS = SES_CD_SEGMENTS
VARIABLES = SES_CD_VARIABLES
COMPLICATIONS = HBI_COMPLICATIONS
# Center C reports CRP in mg/dL and albumin in g/dL (converted on reading: x10).
CENTER_UNITS = {
    "Center A": ("mg/L", "g/L"),
    "Center B": ("mg/L", "g/L"),
    "Center C": ("mg/dL", "g/dL"),
}

# ---------------------------------------------------------------------------------------
# Patients. dur = months from diagnosis (year-month) to DTT start; age = age at diagnosis.
#   sum(age) = 410 -> mean 22.78; sum(dur) = 1983 -> mean 9.18 years; median dur 74 (22-230)
P = [
    # id, dx, sex, age, dur, center, dtt_start, montreal, surgery, resections,
    # perianal_surgery, imid
    ("DTT01", "UC", "F", 23, 72, "Center A", "2022-03-10", ("E3", "S3"), "none", 0, False, None),
    (
        "DTT02",
        "UC",
        "M",
        26,
        135,
        "Center A",
        "2022-02-14",
        ("E3", "S2"),
        "none",
        0,
        False,
        "rheumatoid_arthritis",
    ),
    ("DTT03", "UC", "F", 21, 60, "Center B", "2022-09-05", ("E2", "S2"), "none", 0, False, None),
    (
        "DTT04",
        "UC",
        "F",
        22,
        66,
        "Center B",
        "2022-11-14",
        ("E3", "S3"),
        "none",
        0,
        False,
        "atopic_dermatitis",
    ),
    (
        "DTT05",
        "UC",
        "M",
        30,
        178,
        "Center C",
        "2023-04-20",
        ("E3", "S3"),
        "none",
        0,
        False,
        "psoriasis",
    ),
    ("DTT06", "UC", "F", 34, 215, "Center A", "2023-07-20", ("E2", "S2"), "none", 0, False, None),
    ("DTT07", "UC", "F", 25, 100, "Center B", "2023-10-20", ("E3", "S2"), "none", 0, False, None),
    ("DTT08", "UC", "M", 20, 52, "Center C", "2023-11-20", ("E2", "S2"), "none", 0, False, None),
    (
        "DTT09",
        "CD",
        "M",
        19,
        45,
        "Center A",
        "2022-05-09",
        ("L3", False, "B2", False),
        "ileocolonic",
        2,
        False,
        None,
    ),
    (
        "DTT10",
        "CD",
        "M",
        24,
        76,
        "Center B",
        "2022-08-22",
        ("L3", False, "B1", False),
        "none",
        0,
        False,
        "ankylosing_spondylitis",
    ),
    (
        "DTT11",
        "CD",
        "F",
        16,
        226,
        "Center A",
        "2019-10-15",
        ("L3", True, "B1", False),
        "none",
        0,
        False,
        "autoimmune_thyroiditis",
    ),
    (
        "DTT12",
        "CD",
        "F",
        15,
        230,
        "Center B",
        "2023-04-12",
        ("L1", False, "B2", False),
        "ileal",
        1,
        False,
        None,
    ),
    (
        "DTT13",
        "CD",
        "M",
        28,
        163,
        "Center C",
        "2023-04-26",
        ("L1", False, "B3", False),
        "ileal",
        1,
        False,
        None,
    ),
    (
        "DTT14",
        "CD",
        "F",
        22,
        70,
        "Center A",
        "2023-04-18",
        ("L3", False, "B2", False),
        "ileocolonic",
        2,
        False,
        None,
    ),
    (
        "DTT15",
        "CD",
        "F",
        18,
        38,
        "Center C",
        "2023-04-24",
        ("L3", False, "B3", False),
        "ileocolonic",
        2,
        False,
        None,
    ),
    (
        "DTT16",
        "CD",
        "F",
        17,
        22,
        "Center B",
        "2023-07-15",
        ("L1", False, "B3", True),
        "ileal",
        1,
        True,
        None,
    ),
    (
        "DTT17",
        "CD",
        "F",
        32,
        205,
        "Center A",
        "2023-07-25",
        ("L2", False, "B1", False),
        "none",
        0,
        False,
        "psoriasis",
    ),
    (
        "DTT18",
        "CD",
        "M",
        18,
        30,
        "Center B",
        "2023-10-25",
        ("L3", False, "B2", False),
        "ileocolonic",
        2,
        False,
        None,
    ),
]
REFRACTORY = {
    "DTT09": "postoperative_recurrence",
    "DTT14": "postoperative_recurrence",
    "DTT15": "postoperative_recurrence",
    "DTT18": "postoperative_recurrence",
    "DTT16": "complex_perianal_disease",
}

# ---------------------------------------------------------------------------------------
# DTT: (anchor drug already running, months before DTT it started), added drug,
# and how each DTT drug ended: {drug: (day, reason)}; missing = ongoing at the data cut.
DTT = {
    "DTT01": ("IFX", 10, "UST", {"IFX": (188, "remission_deescalation")}),
    "DTT02": ("IFX", 9, "UST", {"IFX": (186, "remission_deescalation")}),
    "DTT03": ("TOF", 6, "UST", {"UST": (125, "adverse_event"), "TOF": (158, "other")}),
    "DTT04": ("VDZ", 8, "TOF", {"TOF": (131, "adverse_event"), "VDZ": (165, "other")}),
    "DTT05": ("UST", 10, "TOF", {}),
    "DTT06": ("UST", 8, "TOF", {}),
    "DTT07": ("VDZ", 9, "UST", {}),
    "DTT08": ("IFX", 8, "UST", {}),
    "DTT09": (
        "VDZ",
        8,
        "ADA",
        {"VDZ": (167, "primary_non_response"), "ADA": (167, "primary_non_response")},
    ),
    "DTT10": ("VDZ", 9, "ADA", {"VDZ": (140, "primary_non_response")}),
    "DTT11": ("VDZ", 10, "UST", {}),
    "DTT12": ("UST", 9, "VDZ", {}),
    "DTT13": ("ADA", 10, "UST", {}),
    "DTT14": ("UST", 8, "TOF", {}),
    "DTT15": ("UST", 8, "VDZ", {}),
    "DTT16": ("VDZ", 7, "UST", {}),
    "DTT17": ("UST", 9, "TOF", {}),
    "DTT18": ("UST", 8, "VDZ", {}),
}
# After DTT: (drug, day started, dose, unit, interval)
AFTER = {
    "DTT03": [("UPA", 160, 45, "mg/day", 1)],
    "DTT04": [("UPA", 168, 45, "mg/day", 1)],
    "DTT09": [("UST", 175, 90, "mg", 56)],
    "DTT10": [("AZA", 150, 12.5, "mg/day", 1)],  # reduced dose; 50 mg/d gave herpes zoster
}
# Failed therapies before the anchor, most recent first: (drug, stop reason).
# Biologics failed: 22 in the 16 biologic-exposed patients (22/16 = 1.375 -> "1.38");
# immunosuppressants/thalidomide/tofacitinib failed: 21 in 18 patients (21/18 = 1.17).
PRIOR = {
    "DTT01": [("VDZ", "secondary_loss_of_response"), ("AZA", "intolerance")],
    "DTT02": [
        ("ADA", "primary_non_response"),
        ("CSA", "adverse_event"),
        ("AZA", "secondary_loss_of_response"),
    ],
    "DTT03": [("IFX", "secondary_loss_of_response"), ("AZA", "intolerance")],
    "DTT04": [("IFX", "primary_non_response"), ("AZA", "adverse_event")],
    "DTT05": [
        ("VDZ", "primary_non_response"),
        ("IFX", "secondary_loss_of_response"),
        ("AZA", "intolerance"),
    ],
    "DTT06": [
        ("VDZ", "secondary_loss_of_response"),
        ("IFX", "secondary_loss_of_response"),
        ("TAC", "intolerance"),
        ("AZA", "secondary_loss_of_response"),
    ],
    "DTT07": [
        ("ADA", "primary_non_response"),
        ("IFX", "secondary_loss_of_response"),
        ("AZA", "intolerance"),
    ],
    "DTT08": [("VDZ", "primary_non_response"), ("AZA", "secondary_loss_of_response")],
    "DTT09": [("IFX", "secondary_loss_of_response")],
    "DTT10": [("IFX", "secondary_loss_of_response"), ("AZA", "adverse_event")],
    "DTT11": [
        ("ADA", "secondary_loss_of_response"),
        ("IFX", "secondary_loss_of_response"),
        ("MTX", "intolerance"),
        ("AZA", "secondary_loss_of_response"),
    ],
    "DTT12": [
        ("ADA", "primary_non_response"),
        ("IFX", "secondary_loss_of_response"),
        ("THD", "intolerance"),
        ("AZA", "secondary_loss_of_response"),
    ],
    "DTT13": [
        ("IFX", "secondary_loss_of_response"),
        ("THD", "intolerance"),
        ("AZA", "adverse_event"),
    ],
    "DTT14": [("THD", "intolerance"), ("AZA", "secondary_loss_of_response")],
    "DTT15": [("IFX", "secondary_loss_of_response")],
    "DTT16": [("AZA", "secondary_loss_of_response")],
    "DTT17": [
        ("VDZ", "primary_non_response"),
        ("IFX", "secondary_loss_of_response"),
        ("AZA", "intolerance"),
    ],
    "DTT18": [("ADA", "secondary_loss_of_response")],
}
# Corticosteroids running at DTT start (4 UC, 2 CD): (drug, days before, stop day, mg/day)
STEROIDS = {
    "DTT01": ("PDN", 21, 63, 40),
    "DTT02": ("PDN", 14, 70, 30),
    "DTT04": ("MP", 10, 56, 32),
    "DTT06": ("PDN", 28, 84, 40),
    "DTT13": ("PDN", 14, 77, 30),
    "DTT17": ("PDN", 20, 60, 30),
}
DOSING = {  # drug: (dose, unit, interval days, route)
    "IFX": (5, "mg/kg", 56, "IV"),
    "ADA": (40, "mg", 14, "SC"),
    "VDZ": (300, "mg", 56, "IV"),
    "UST": (90, "mg", 56, "SC"),
    "TOF": (10, "mg/day", 1, "oral"),
    "UPA": (45, "mg/day", 1, "oral"),
    "AZA": (100, "mg/day", 1, "oral"),
    "MTX": (15, "mg", 7, "SC"),
    "TAC": (4, "mg/day", 1, "oral"),
    "CSA": (200, "mg/day", 1, "oral"),
    "THD": (100, "mg/day", 1, "oral"),
}
OPTIMISATION = {
    "IFX": "interval_shortened;tdm_guided",
    "ADA": "dose_intensified",
    "VDZ": "interval_shortened",
    "UST": "interval_shortened;tdm_guided",
    "AZA": "dose_intensified",
    "MTX": "dose_intensified",
    "TAC": "tdm_guided",
    "CSA": "tdm_guided",
    "THD": "dose_intensified",
    "TOF": "dose_intensified",
}

# ---------------------------------------------------------------------------------------
# Visits: day from DTT start -> values. UC: pm = (SF, RB, PGA), mes. CD: hbi = (wellbeing,
# pain, liquid stools, mass, [complications]), ses = total (cells generated), limberg.
# crp in mg/L and alb in g/L (Center C rows are written in mg/dL and g/dL).
V = {
    "DTT01": {
        -3: dict(pm=(3, 2, 2), mes=3, crp=28.5, alb=38.2, hct=35.1, fc=1450),
        90: dict(pm=(1, 0, 1), crp=4.8, alb=41.0),
        181: dict(pm=(0, 0, 0), mes=1, crp=1.2, alb=42.5, fc=80),
        272: dict(pm=(0, 0, 0), fc=45),
    },
    "DTT02": {
        -4: dict(pm=(3, 3, 2), mes=2, crp=22.3, alb=39.5, hct=37.0, fc=980),
        92: dict(pm=(1, 1, 1), crp=3.9, alb=41.8),
        180: dict(pm=(1, 0, 0), mes=0, crp=0.84, alb=43.0, fc=60),
        640: dict(pm=(0, 0, 0), fc=38),
    },
    "DTT03": {
        -2: dict(pm=(2, 2, 2), mes=2, crp=12.4, alb=39.8, hct=38.2),
        89: dict(pm=(1, 1, 1), crp=3.1, alb=41.2),
    },
    "DTT04": {
        -5: dict(pm=(3, 2, 2), mes=3, crp=25.1, alb=36.4, hct=34.0),
        91: dict(pm=(1, 1, 1), crp=6.2, alb=39.9),
    },
    "DTT05": {
        -3: dict(pm=(3, 3, 3), mes=3, crp=15.62, alb=42.1, hct=39.3),
        90: dict(pm=(2, 2, 2), crp=5.1, alb=42.9),
        120: dict(crp=3.3),
        182: dict(pm=(1, 1, 1), crp=2.1, alb=44.1),
        274: dict(pm=(1, 0, 1), mes=1),
    },
    "DTT06": {
        -3: dict(pm=(2, 2, 2), mes=2, crp=11.3, alb=44.0, hct=40.1),
        90: dict(pm=(1, 1, 1), crp=2.4, alb=44.2),
        181: dict(pm=(1, 0, 1), crp=1.6, alb=44.4),
    },
    "DTT07": {
        -3: dict(pm=(3, 2, 3), mes=3, crp=18.2, alb=37.6, hct=36.5),
        90: dict(pm=(1, 1, 1), crp=4.0, alb=40.3),
    },
    "DTT08": {-3: dict(pm=(3, 2, 2), mes=2, crp=9.7, alb=40.6, hct=41.0)},
    "DTT09": {
        -3: dict(hbi=(2, 2, 4, 1), ses=11, crp=21.3, alb=35.2, hct=36.1, limberg=3),
        90: dict(hbi=(2, 2, 3, 1), crp=19.8, alb=35.9),
        160: dict(hbi=(2, 1, 3, 1)),
    },
    "DTT10": {
        -3: dict(hbi=(2, 2, 5, 0, ["arthralgia"]), ses_recorded=9, crp=16.7, alb=36.8, hct=40.2),
        89: dict(hbi=(2, 2, 4, 0, ["arthralgia"]), crp=15.2, alb=37.1),
    },
    "DTT11": {
        -3: dict(hbi=(3, 2, 5, 1), ses=12, crp=18.4, alb=36.8, hct=35.4),
        91: dict(hbi=(1, 1, 3, 1), crp=9.1, alb=40.1),
        182: dict(hbi=(1, 1, 2, 0), crp=6.2, alb=42.6),
        274: dict(hbi=(1, 0, 2, 0), ses=4, crp=4.2, alb=42.8),
    },
    "DTT12": {
        -3: dict(hbi=(2, 1, 4, 1), ses=8, crp=12.6, alb=39.2, hct=37.9),
        92: dict(hbi=(1, 1, 3, 0), crp=10.2, alb=40.5),
        182: dict(hbi=(1, 1, 2, 0), crp=9.8, alb=43.1),
        274: dict(hbi=(1, 0, 2, 0), ses=3, crp=8.3, alb=41.5),
    },
    "DTT13": {
        -3: dict(hbi=(2, 2, 4, 0, ["anal_fissure"]), ses=10, crp=9.8, alb=37.5, hct=41.2),
        90: dict(hbi=(1, 1, 3, 0, ["anal_fissure"]), crp=11.7, alb=39.0),
        182: dict(hbi=(1, 1, 2, 0), crp=14.5, alb=41.9),
        274: dict(hbi=(1, 1, 2, 0), ses=5, crp=10.4, alb=40.6),
    },
    "DTT14": {
        -3: dict(hbi=(1, 1, 2, 0), ses=6, crp=15.2, alb=41.0, hct=38.8, limberg=2),
        90: dict(hbi=(1, 0, 2, 0), crp=4.1, alb=42.7, limberg=2),
        182: dict(hbi=(0, 0, 2, 0), crp=3.0, alb=44.2),
        274: dict(hbi=(0, 0, 2, 0), ses=2, crp=2.5, alb=43.2, limberg=1),
    },
    "DTT15": {
        -3: dict(hbi=(3, 2, 6, 1), ses=14, crp=9.8, alb=38.8, hct=36.9),
        84: dict(hbi=(1, 1, 4, 1), crp=7.5, alb=40.0),
        98: dict(hbi=(1, 1, 4, 0), crp=7.1, alb=40.4),
        182: dict(hbi=(1, 1, 3, 0), crp=8.1, alb=42.0),
        274: dict(hbi=(1, 0, 3, 0), ses=5, crp=6.5, alb=40.6),
    },
    "DTT16": {
        -3: dict(hbi=(1, 0, 2, 0), ses=7, crp=3.2, alb=40.1, hct=39.6, limberg=3),
        90: dict(hbi=(1, 0, 1, 0), crp=2.8, alb=42.0, limberg=1),
        181: dict(hbi=(1, 0, 1, 0), ses=2, crp=2.9, alb=43.5, limberg=1),
    },
    "DTT17": {
        -3: dict(hbi=(2, 1, 4, 0), ses=8, crp=14.51, alb=38.13, hct=38.0),
        90: dict(hbi=(1, 1, 2, 0), crp=7.9, alb=41.2),
        181: dict(hbi=(1, 0, 2, 0), crp=5.62, alb=43.42),
    },
    "DTT18": {
        -3: dict(hbi=(2, 1, 5, 0), ses=10, crp=13.9, alb=38.5, hct=40.7),
        90: dict(hbi=(1, 1, 2, 0), crp=6.8, alb=40.9),
    },
}
# Adverse events (day from DTT start). Four patients, five events (DTT03 had two).
AES = [
    ("DTT03", 60, "Arthralgia", "musculoskeletal", 1, "UST", "UST:withdrawn", "recovered", 155),
    ("DTT03", 60, "Alopecia", "skin", 2, "UST", "UST:withdrawn", "recovered", 200),
    (
        "DTT04",
        75,
        "IgA vasculitis (allergic purpura)",
        "hypersensitivity",
        2,
        "TOF",
        "TOF:withdrawn",
        "recovered",
        150,
    ),
    (
        "DTT12",
        85,
        "Clostridioides difficile infection",
        "infection",
        2,
        "VDZ;UST",
        "VDZ:none;UST:none",
        "recovered",
        101,
    ),
    (
        "DTT13",
        88,
        "Bacterial intestinal infection",
        "infection",
        2,
        "ADA;UST",
        "ADA:none;UST:none",
        "recovered",
        103,
    ),
]


def day(patient: str, offset: int) -> dt.date:
    start = dt.date.fromisoformat(next(p[6] for p in P if p[0] == patient))
    return start + dt.timedelta(days=offset)


def months_before(date: dt.date, months: int) -> dt.date:
    month_index = date.year * 12 + date.month - 1 - months
    return dt.date(month_index // 12, month_index % 12 + 1, min(date.day, 28))


def ses_cells(total: int, resected: set[str], narrowing: bool) -> dict[str, object]:
    """Deterministic per-segment cells summing to ``total`` (ileum first, then colon)."""
    cells: dict[str, object] = {}
    remaining = total
    for segment in SEGMENTS:
        if segment in resected:
            cells[f"ses_{segment}_status"] = "resected"
            continue
        cells[f"ses_{segment}_status"] = "scored"
        for variable in VARIABLES:
            cap = (
                1
                if variable == "narrowing" and narrowing and segment == "ileum"
                else (0 if variable == "narrowing" else 3)
            )
            value = min(cap, remaining)
            cells[f"ses_{segment}_{variable}"] = value
            remaining -= value
    if remaining:
        raise ValueError(f"SES-CD {total} does not fit")
    return cells


def _write(out: Path, name: str, header: list[str], rows: list[dict[str, object]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _text(row.get(k)) for k in header})
    (out / name).write_text(buffer.getvalue(), encoding="utf-8")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def build_patients() -> list[dict[str, object]]:
    rows = []
    for pid, dx, sex, age, dur, center, start, montreal, surgery, n_res, perianal, imid in P:
        dtt = dt.date.fromisoformat(start)
        diagnosed = months_before(dtt, dur)
        row: dict[str, object] = dict(
            patient_id=pid,
            center=center,
            sex=sex,
            birth_year=diagnosed.year - age,
            age_at_diagnosis=age,
            diagnosis=dx,
            diagnosis_date=f"{diagnosed:%Y-%m}",
            smoking="never" if sex == "F" else "former",
            eim_status="none",
            imid_status="inactive" if imid else "none",
            imid_types=imid,
            intestinal_surgery=surgery,
            intestinal_resections=n_res,
            perianal_surgery=perianal,
            indication_refractory=True,
            refractory_reasons=REFRACTORY.get(pid, "failed_two_mechanisms"),
            indication_active_eim=False,
            indication_active_imid=False,
            pregnant=False,
            malignancy=False,
            severe_psychiatric_disorder=False,
            active_infection=False,
            severe_comorbidity=False,
            biologic_contraindication=False,
        )
        if dx == "UC":
            row.update(montreal_extent=montreal[0], montreal_severity=montreal[1])
        else:
            row.update(
                montreal_location=montreal[0],
                montreal_upper_gi=montreal[1],
                montreal_behaviour=montreal[2],
                montreal_perianal=montreal[3],
            )
        rows.append(row)
    return rows


def _course(
    pid: str,
    drug: str,
    start: dt.date,
    stop: dt.date | None,
    reason: str | None,
    optimised: bool = True,
    dose: tuple | None = None,
) -> dict[str, object]:
    amount, unit, interval, route = dose or DOSING[drug]
    return dict(
        patient_id=pid,
        drug=drug,
        start_date=start.isoformat(),
        stop_date=stop.isoformat() if stop else None,
        stop_reason=reason,
        dose=amount,
        dose_unit=unit,
        interval_days=interval,
        route=route,
        optimised=optimised,
        optimisation_methods=OPTIMISATION.get(drug) if optimised else None,
    )


def build_therapies() -> list[dict[str, object]]:
    rows = []
    for pid, *_ in P:
        anchor, lead, added, stops = DTT[pid]
        anchor_start = months_before(day(pid, 0), lead)
        # prior failures, most recent first, each 7 months long with a 1-month gap
        end = anchor_start - dt.timedelta(days=30)
        for drug, reason in PRIOR[pid]:
            start = months_before(end, 7)
            rows.append(_course(pid, drug, start, end, reason))
            end = start - dt.timedelta(days=30)
        for drug, start in ((anchor, anchor_start), (added, day(pid, 0))):
            stop = stops.get(drug)
            rows.append(
                _course(
                    pid,
                    drug,
                    start,
                    day(pid, stop[0]) if stop else None,
                    stop[1] if stop else None,
                    optimised=drug == anchor,
                )
            )
        if pid in STEROIDS:
            drug, before, stop_day, mg = STEROIDS[pid]
            route = "IV" if drug == "MP" else "oral"
            rows.append(
                _course(
                    pid,
                    drug,
                    day(pid, -before),
                    day(pid, stop_day),
                    "remission_deescalation",
                    False,
                    (mg, "mg/day", 1, route),
                )
            )
        for drug, start_day, amount, unit, interval in AFTER.get(pid, []):
            route = "oral" if interval == 1 else "SC"
            rows.append(
                _course(
                    pid,
                    drug,
                    day(pid, start_day),
                    None,
                    None,
                    False,
                    (amount, unit, interval, route),
                )
            )
    # an old steroid course that ended long before DTT (not 'running at DTT start')
    rows.append(
        _course(
            "DTT11",
            "prednisolone",
            dt.date(2016, 3, 1),
            dt.date(2016, 6, 15),
            "remission_deescalation",
            False,
            (40, "mg/day", 1, "oral"),
        )
    )
    return sorted(rows, key=lambda r: (r["patient_id"], r["start_date"], r["drug"]))


def build_assessments() -> list[dict[str, object]]:
    info = {p[0]: p for p in P}
    rows = []
    for pid, visits in V.items():
        _, _, _, _, _, center, _, montreal, surgery, *_ = info[pid]
        crp_unit, alb_unit = CENTER_UNITS[center]
        resected = {"right_colon"} if surgery == "ileocolonic" else set()
        for offset, v in sorted(visits.items()):
            row: dict[str, object] = dict(patient_id=pid, visit_date=day(pid, offset).isoformat())
            if "pm" in v:
                sf, rb, pga = v["pm"]
                row.update(
                    mayo_stool_frequency=sf, mayo_rectal_bleeding=rb, mayo_physician_global=pga
                )
            if "mes" in v:
                row["mayo_endoscopic"] = v["mes"]
            if "hbi" in v:
                wb, pain, stools, mass, *complications = v["hbi"]
                present = set(complications[0]) if complications else set()
                row.update(
                    hbi_general_wellbeing=wb,
                    hbi_abdominal_pain=pain,
                    hbi_liquid_stools=stools,
                    hbi_abdominal_mass=mass,
                    **{f"hbi_{c}": c in present for c in COMPLICATIONS},
                )
            if "ses" in v:
                row.update(ses_cells(v["ses"], resected, narrowing=montreal[2] == "B2"))
            if "ses_recorded" in v:
                row["ses_cd_total_recorded"] = v["ses_recorded"]
            if "limberg" in v:
                row["limberg"] = v["limberg"]
            if "crp" in v:
                row["crp"] = v["crp"] / 10 if crp_unit == "mg/dL" else v["crp"]
                row["crp_unit"] = crp_unit
            if "alb" in v:
                row["albumin"] = v["alb"] / 10 if alb_unit == "g/dL" else v["alb"]
                row["albumin_unit"] = alb_unit
            if "hct" in v:
                row.update(hematocrit=v["hct"], hematocrit_unit="%")
            if "fc" in v:
                row["fecal_calprotectin"] = v["fc"]
            rows.append(row)
    return rows


def build_adverse_events() -> list[dict[str, object]]:
    return [
        dict(
            patient_id=pid,
            onset_date=day(pid, onset).isoformat(),
            term=term,
            category=category,
            ctcae_grade=grade,
            **{
                c: False
                for c in (
                    "serious_death",
                    "serious_life_threatening",
                    "serious_hospitalisation",
                    "serious_disability",
                    "serious_congenital_anomaly",
                    "serious_important_medical_event",
                )
            },
            suspected_drugs=drugs,
            action_taken=action,
            outcome=outcome,
            resolution_date=day(pid, resolved).isoformat(),
        )
        for pid, onset, term, category, grade, drugs, action, outcome, resolved in AES
    ]


def main(out: Path = OUT) -> None:
    """Write the cohort into ``out`` (default: examples/paper_cohort; the test writes it
    elsewhere and compares)."""
    from ibd_dtt.contract import TABLES

    out.mkdir(parents=True, exist_ok=True)
    builders = {
        "patients": build_patients,
        "therapies": build_therapies,
        "assessments": build_assessments,
        "adverse_events": build_adverse_events,
    }
    for name, build in builders.items():
        rows = build()
        used = {k for row in rows for k in row}
        header = [c for c in TABLES[name].column_names if c in used]
        _write(out, f"{name}.csv", header, rows)
    (out / "study.yaml").write_text(
        "# SYNTHETIC example: reconstructs the aggregates of Wang et al., Front Med 2025.\n"
        "study_name: DTT case series (synthetic reconstruction of Wang et al. 2025)\n"
        f"data_cut_date: {DATA_CUT.isoformat()}\n"
        "date_format: iso\n"
        "crp_uln_mg_l: 5\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
