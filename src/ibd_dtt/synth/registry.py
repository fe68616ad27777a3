"""A synthetic multicenter DTT registry in the data contract.

Distributions are informed by the case series (Wang et al. 2025: 44 % UC, 61 % female, age at
diagnosis about 23 years, disease duration median 74 months, regimens UST+VDZ 33 %, UST+TOF
28 %, ...) and by ``clinical.md`` (instrument ranges, dosing intervals). Everything is drawn
from one seeded ``numpy.random.Generator``, so the same seed gives the same files. Nobody in
the output is a real patient; IDs are ``S<center>-<number>``.

The generator writes raw text cells as a data manager would: some centers report CRP in mg/dL
and albumin in g/dL (converted on reading), visit dates scatter around the protocol months,
some visits are missed, some patients stop DTT (for non-response, adverse events or
de-escalation) and some have adverse events. Centers differ in their response rate (a
center effect on the log-odds, ``SynthOptions.center_effect``), so that results by center,
their heterogeneity and a network's pooled analysis have something to find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ibd_dtt.contract.tables import HBI_COMPLICATIONS

# (anchor, added, weight) - paper's regimen mix
REGIMENS = [
    ("UST", "VDZ", 6),
    ("UST", "TOF", 5),
    ("VDZ", "ADA", 2),
    ("IFX", "UST", 3),
    ("VDZ", "TOF", 1),
    ("ADA", "UST", 1),
    ("VDZ", "UPA", 1),
    ("RZB", "VDZ", 1),
]
DOSING = {  # drug: (dose, unit, interval_days, route)
    "UST": ("90", "mg", "56", "SC"),
    "VDZ": ("300", "mg", "56", "IV"),
    "TOF": ("10", "mg/day", "1", "oral"),
    "UPA": ("30", "mg/day", "1", "oral"),
    "ADA": ("40", "mg", "14", "SC"),
    "IFX": ("5", "mg/kg", "56", "IV"),
    "RZB": ("180", "mg", "56", "SC"),
    "AZA": ("100", "mg/day", "1", "oral"),
    "MTX": ("15", "mg", "7", "SC"),
    "THD": ("100", "mg/day", "1", "oral"),
    "PDN": ("40", "mg/day", "1", "oral"),
}
PRIOR_BIOLOGICS = ["IFX", "ADA", "VDZ", "UST"]
FAILURE_REASONS = ["primary_non_response", "secondary_loss_of_response", "intolerance"]
VISIT_MONTHS = (3, 6, 9, 12)


@dataclass(frozen=True)
class SynthOptions:
    patients: int = 1000
    centers: int = 3
    seed: int = 1
    data_cut: dt.date = dt.date(2025, 12, 31)
    start_from: dt.date = dt.date(2019, 1, 1)
    # Center effect on the log-odds of clinical response: centers' offsets are spread
    # evenly from -center_effect (Center 1) to +center_effect (the last center), so a
    # network's sites differ as real ones do (case mix, practice); 0: identical centers.
    center_effect: float = 0.5


def center_offsets(centers: int, effect: float) -> np.ndarray:
    """Log-odds offsets of the centers' response probability.

    >>> center_offsets(3, 0.5).tolist(), center_offsets(1, 0.5).tolist()
    ([-0.5, 0.0, 0.5], [0.0])
    """
    return np.linspace(-effect, effect, centers) if centers > 1 else np.zeros(1)


def _response_probability(base: float, offset: float) -> float:
    return float(1 / (1 + np.exp(-(np.log(base / (1 - base)) + offset))))


def _iso(day: dt.date) -> str:
    return day.isoformat()


def generate_registry(options: SynthOptions | None = None) -> dict[str, pd.DataFrame]:
    """The four registry tables as text cells, plus nothing identifying."""
    o = options or SynthOptions()
    if o.patients < 1 or o.centers < 1:
        raise ValueError("`patients` and `centers` must be at least 1")
    rng = np.random.default_rng(o.seed)
    centers = [f"Center {i + 1}" for i in range(o.centers)]
    offsets = center_offsets(o.centers, o.center_effect)
    # a third of centers (at least none when only one) report in mg/dL and g/dL
    dl_centers = set(centers[2::3])
    patients, therapies, assessments, events = [], [], [], []
    span = (o.data_cut - o.start_from).days - 60
    regimen_p = np.array([w for *_, w in REGIMENS], dtype=float)
    regimen_p /= regimen_p.sum()
    for i in range(o.patients):
        center = centers[i % o.centers]
        pid = f"S{(i % o.centers) + 1}-{i // o.centers + 1:05d}"
        dx = "UC" if rng.random() < 0.44 else "CD"
        sex = "F" if rng.random() < 0.61 else "M"
        age_dx = int(np.clip(rng.normal(24, 7), 14, 65))
        duration = int(np.clip(rng.lognormal(np.log(74), 0.7), 6, 360))
        start = o.start_from + dt.timedelta(days=int(rng.integers(0, max(span, 1))))
        dx_date = (pd.Timestamp(start) - pd.DateOffset(months=duration)).date()
        birth_year = dx_date.year - age_dx
        uc = dx == "UC"
        surgery = (
            "none"
            if uc or rng.random() < 0.4
            else rng.choice(["ileal", "ileocolonic", "colonic"], p=[0.45, 0.45, 0.10])
        )
        patients.append(
            {
                "patient_id": pid,
                "center": center,
                "sex": sex,
                "birth_year": str(birth_year),
                "age_at_diagnosis": str(age_dx),
                "diagnosis": dx,
                "diagnosis_date": dx_date.strftime("%Y-%m"),
                "montreal_extent": rng.choice(["E2", "E3"], p=[0.35, 0.65]) if uc else "",
                "montreal_severity": rng.choice(["S2", "S3"]) if uc else "",
                "montreal_location": ""
                if uc
                else rng.choice(["L1", "L2", "L3"], p=[0.3, 0.1, 0.6]),
                "montreal_upper_gi": "" if uc else ("yes" if rng.random() < 0.1 else "no"),
                "montreal_behaviour": "" if uc else rng.choice(["B1", "B2", "B3"]),
                "montreal_perianal": "" if uc else ("yes" if rng.random() < 0.2 else "no"),
                "smoking": rng.choice(["never", "former", "current"], p=[0.6, 0.3, 0.1]),
                "eim_status": rng.choice(["none", "inactive"], p=[0.8, 0.2]),
                "imid_status": "inactive" if rng.random() < 0.33 else "none",
                "imid_types": "",
                "intestinal_surgery": surgery,
                "intestinal_resections": "0" if surgery == "none" else "1",
                "perianal_surgery": "yes" if (not uc and rng.random() < 0.1) else "no",
                "indication_refractory": "yes",
                "refractory_reasons": "failed_two_mechanisms",
                "indication_active_eim": "no",
                "indication_active_imid": "no",
                "pregnant": "no",
                "malignancy": "no",
                "severe_psychiatric_disorder": "no",
                "active_infection": "no",
                "severe_comorbidity": "no",
                "biologic_contraindication": "no",
            }
        )
        if patients[-1]["imid_status"] == "inactive":
            patients[-1]["imid_types"] = str(
                rng.choice(["psoriasis", "ankylosing_spondylitis", "rheumatoid_arthritis"])
            )

        def course(drug, begin, end, reason="", _pid=pid):
            dose, unit, interval, route = DOSING[drug]
            therapies.append(
                {
                    "patient_id": _pid,
                    "drug": drug,
                    "start_date": _iso(begin),
                    "stop_date": "" if end is None else _iso(end),
                    "stop_reason": reason,
                    "dose": dose,
                    "dose_unit": unit,
                    "interval_days": interval,
                    "route": route,
                    "optimised": "no",
                    "optimisation_methods": "",
                }
            )

        # prior therapy: an immunomodulator, then 0-3 failed biologics, then the anchor
        anchor, added = REGIMENS[int(rng.choice(len(REGIMENS), p=regimen_p))][:2]
        cursor = dx_date + dt.timedelta(days=60)
        aza_reason = str(rng.choice(FAILURE_REASONS))
        # stopped before DTT (and so before the data cut) even for a recent diagnosis
        aza_end = min(cursor + dt.timedelta(days=200), start - dt.timedelta(days=10))
        if aza_end > cursor:
            course("AZA", cursor, aza_end, aza_reason)
        cursor += dt.timedelta(days=230)
        n_prior = int(rng.choice([0, 1, 2, 3], p=[0.1, 0.5, 0.3, 0.1]))
        candidates = [d for d in PRIOR_BIOLOGICS if d not in (anchor, added)]
        for drug in rng.permutation(candidates)[:n_prior]:
            end = cursor + dt.timedelta(days=int(rng.integers(120, 400)))
            if end >= start - dt.timedelta(days=200):
                break
            course(str(drug), cursor, end, str(rng.choice(FAILURE_REASONS)))
            cursor = end + dt.timedelta(days=20)
        anchor_start = min(
            max(cursor, start - dt.timedelta(days=180)), start - dt.timedelta(days=30)
        )
        # DTT course: persistence ~ 35 % stop by month 6
        max_days = (o.data_cut - start).days
        stop_day = int(rng.exponential(700))
        # a stop needs at least 20 days on DTT, and must fall on or before the data cut
        ongoing = stop_day >= max_days or max_days < 20
        responder = rng.random() < _response_probability(
            0.85 if uc else 0.8, offsets[i % o.centers]
        )
        if ongoing:
            course(anchor, anchor_start, None)
            course(added, start, None)
        else:
            stop_day = max(stop_day, 20)
            reason = (
                "remission_deescalation"
                if responder and rng.random() < 0.4
                else "primary_non_response"
                if not responder
                else "adverse_event"
            )
            end = start + dt.timedelta(days=stop_day)
            course(anchor, anchor_start, end, reason)
            if reason == "remission_deescalation":
                course(added, start, None)
            else:
                course(added, start, end, reason)
        if rng.random() < 0.33:  # corticosteroid at DTT start, tapered
            taper_end = start + dt.timedelta(days=int(rng.integers(30, 110)))
            course(
                "PDN",
                start - dt.timedelta(days=int(rng.integers(5, 40))),
                taper_end if taper_end <= o.data_cut else None,
                "remission_deescalation" if taper_end <= o.data_cut else "",
            )
        # assessments
        crp_unit, alb_unit = ("mg/dL", "g/dL") if center in dl_centers else ("mg/L", "g/L")
        scale = 0.1 if center in dl_centers else 1.0
        base_crp = float(np.clip(rng.lognormal(np.log(14), 0.6), 0.5, 150))
        base_alb = float(np.clip(rng.normal(38.5, 2.5), 25, 50))
        last_day = min(max_days, stop_day if not ongoing else max_days)
        visits = [(-int(rng.integers(1, 10)), 0.0)]
        for m in VISIT_MONTHS:
            target = round(m * 30.4375)
            day = target + int(rng.integers(-12, 13))
            if day <= last_day and rng.random() < 0.9:
                visits.append((day, m))
        improvement = rng.uniform(0.5, 0.9) if responder else rng.uniform(0.0, 0.2)
        if uc:
            b_sf, b_rb, b_pga = (
                int(rng.integers(2, 4)),
                int(rng.integers(1, 4)),
                int(rng.integers(2, 4)),
            )
        else:
            b_hbi = int(rng.integers(5, 15))
        for k, (day, month) in enumerate(visits):
            frac = 0.0 if month == 0 else min(1.0, improvement * (0.7 + 0.1 * month / 3))
            row = {"patient_id": pid, "visit_date": _iso(start + dt.timedelta(days=day))}
            if uc:
                row["mayo_stool_frequency"] = str(round(b_sf * (1 - frac)))
                row["mayo_rectal_bleeding"] = str(round(b_rb * (1 - frac)))
                row["mayo_physician_global"] = str(round(b_pga * (1 - frac)))
                if k == 0 or month == 9:
                    row["mayo_endoscopic"] = str(max(0, 3 - round(3 * frac)) if month else 3)
            else:
                hbi = round(b_hbi * (1 - frac))
                row["hbi_general_wellbeing"] = str(min(4, hbi // 3))
                row["hbi_abdominal_pain"] = str(min(3, hbi // 4))
                rest = max(0, hbi - min(4, hbi // 3) - min(3, hbi // 4))
                row["hbi_liquid_stools"] = str(rest)
                row["hbi_abdominal_mass"] = "0"
                for c in HBI_COMPLICATIONS:
                    row[f"hbi_{c}"] = "no"
                if k == 0 or month == 9:
                    base_ses = int(rng.integers(6, 20)) if k == 0 else None
                    if k == 0:
                        row["ses_cd_total_recorded"] = str(base_ses)
                        ses0 = base_ses
                    else:
                        row["ses_cd_total_recorded"] = str(round(ses0 * (1 - frac)))
            crp = base_crp * (1 - 0.8 * frac) * rng.uniform(0.85, 1.15)
            alb = base_alb + 4 * frac + rng.normal(0, 0.5)
            row.update(
                {
                    "crp": f"{crp * scale:.2f}",
                    "crp_unit": crp_unit,
                    "albumin": f"{alb * scale:.2f}",
                    "albumin_unit": alb_unit,
                    "hematocrit": f"{rng.normal(38, 2.5):.1f}",
                    "hematocrit_unit": "%",
                }
            )
            assessments.append(row)
        if rng.random() < 0.2:  # an adverse event during DTT
            onset = int(rng.integers(10, max(11, min(last_day, 300))))
            category, term = [
                ("infection", "Upper respiratory tract infection"),
                ("skin", "Eczema"),
                ("musculoskeletal", "Arthralgia"),
                ("infection", "Clostridioides difficile infection"),
            ][int(rng.integers(0, 4))]
            serious = rng.random() < 0.1
            suspected = added
            events.append(
                {
                    "patient_id": pid,
                    "onset_date": _iso(start + dt.timedelta(days=onset)),
                    "term": term,
                    "category": category,
                    "ctcae_grade": "3" if serious else "2",
                    "serious_death": "no",
                    "serious_life_threatening": "no",
                    "serious_hospitalisation": "yes" if serious else "no",
                    "serious_disability": "no",
                    "serious_congenital_anomaly": "no",
                    "serious_important_medical_event": "no",
                    "suspected_drugs": suspected,
                    "action_taken": f"{suspected}:none",
                    "outcome": "recovered",
                    "resolution_date": _iso(start + dt.timedelta(days=min(onset + 21, max_days))),
                }
            )
    columns = {}
    for name, rows in (
        ("patients", patients),
        ("therapies", therapies),
        ("assessments", assessments),
        ("adverse_events", events),
    ):
        columns[name] = pd.DataFrame(rows).fillna("")
    return columns


def split_by_center(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """The registry as one registry per center (every table restricted to the center's
    patients): the sites of a synthetic network study.

    >>> sites = split_by_center(generate_registry(SynthOptions(patients=6, centers=3)))
    >>> {c: len(t["patients"]) for c, t in sites.items()}
    {'Center 1': 2, 'Center 2': 2, 'Center 3': 2}
    """
    patients = tables["patients"]
    sites = {}
    for center in dict.fromkeys(patients["center"]):
        ids = set(patients.loc[patients["center"] == center, "patient_id"])
        sites[center] = {
            name: frame[frame["patient_id"].isin(ids)].reset_index(drop=True)
            for name, frame in tables.items()
        }
    return sites


def site_folder_name(center: str) -> str:
    """A folder name for a center: "Center 2" -> "center-2"."""
    return "-".join(str(center).lower().split())


def write_registry(
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    options: SynthOptions | None = None,
) -> Path:
    """Write the tables as a CSV folder with its study.yaml (a site of a network study
    writes its part with the network's study_name)."""
    o = options or SynthOptions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    name = f"Synthetic DTT registry ({o.patients} patients, {o.centers} centers)"
    (out / "study.yaml").write_text(
        f"# SYNTHETIC registry from `ibd-dtt synth` (seed {o.seed}); no real patients.\n"
        f"study_name: {name}\n"
        f"data_cut_date: {o.data_cut.isoformat()}\ndate_format: iso\ncrp_uln_mg_l: 5\n"
    )
    return out
