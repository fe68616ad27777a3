"""The site package: what one site of a network study shares, built from the same analysis
objects as its report, holding counts and sufficient statistics only.

Every count is a row of a long table (key columns, ``value``, ``suppression``), so that
suppression is visible cell by cell and a pooled analysis can say exactly which site hid
what. Nothing patient-level is written: no study ID, no date, no row-level value (no
minimum or maximum; distributions as bins merged until no bin is small). See
docs/network.md for each file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ibd_dtt.episodes.episodes import DAYS_PER_MONTH
from ibd_dtt.errors import IbdDttError
from ibd_dtt.network.disclosure import merge_bins, suppress_cells
from ibd_dtt.report.safety import DAYS_PER_YEAR, persistence_data

FORMAT = "ibd-dtt site package"
FORMAT_VERSION = 1
BINS_VERSION = "1"
KM_RESOLUTIONS = ("grid", "steps")
GROUP_ORDER = ("all", "UC", "CD", "IBDU")

# Continuous variables shared as moments (n, sum, sum of squares: exact means and SDs) and
# as counts in fixed bins (approximate medians and quartiles). Values below the first bin
# fall in the first, values at or above the last edge in the last.
# name: (label, unit, source, low, high, width)
CONTINUOUS = {
    "age_at_diagnosis": ("Age at diagnosis", "years", "patients", 0.0, 100.0, 1.0),
    "disease_duration_years": ("Disease duration at DTT start", "years", "patients", 0, 60, 0.5),
    "failed_biologics": ("Failed biologics per patient", "", "patients", 0.0, 10.0, 1.0),
    "failed_mechanisms": ("Failed mechanisms of action", "", "patients", 0.0, 10.0, 1.0),
    "duration_months": ("Time on DTT", "months", "patients", 0.0, 240.0, 1.0),
    "crp": ("CRP at baseline", "mg/L", "baseline", 0.0, 300.0, 1.0),
    "albumin": ("Albumin at baseline", "g/L", "baseline", 10.0, 60.0, 1.0),
    "partial_mayo": ("Partial Mayo score at baseline", "", "baseline", 0.0, 10.0, 1.0),
    "hbi": ("Harvey-Bradshaw Index at baseline", "", "baseline", 0.0, 40.0, 1.0),
}

# whole numbers: each base bin [k, k + 1) holds the single value k, so a quantile that falls
# in an unmerged bin is exact
DISCRETE = frozenset({"failed_biologics", "failed_mechanisms", "partial_mayo", "hbi"})

FILES = (
    "attrition.csv",
    "outcome_counts.csv",
    "categorical_counts.csv",
    "continuous_moments.csv",
    "continuous_bins.csv",
    "safety_counts.csv",
    "persistence_counts.csv",
)


class PackageError(IbdDttError):
    """A site package cannot be built, written or read (the message says why)."""


@dataclass(frozen=True)
class SitePackage:
    """The manifest and the aggregate tables of one site."""

    manifest: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return str(self.manifest["site"])


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _groups(patients: pd.DataFrame) -> list[str]:
    present = set(patients["diagnosis"].astype(str))
    return ["all", *[g for g in GROUP_ORDER[1:] if g in present]]


def _in_group(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    return frame if group == "all" else frame[frame["diagnosis"].astype(str) == group]


def _suppress(frame: pd.DataFrame, min_count: int, sums) -> pd.DataFrame:
    """``frame`` with a ``suppression`` column and hidden values blanked."""
    frame = frame.reset_index(drop=True)
    reason = suppress_cells(frame["value"], min_count, sums)
    out = frame.assign(suppression=reason.to_numpy())
    out["value"] = out["value"].astype(object).where(out["suppression"] == "", None)
    return out


def _sums_by_key(frame: pd.DataFrame, keys: list[str], total, parts) -> list:
    """(total row, part rows) for every combination of ``keys``: ``total`` and ``parts``
    pick the rows within one combination (functions of its sub-frame)."""
    sums = []
    for _, block in frame.groupby(keys, sort=False, dropna=False):
        t, p = total(block), parts(block)
        if t is not None and len(p):
            sums.append((t, list(p)))
    return sums


def _across_groups(frame: pd.DataFrame, keys: list[str]) -> list:
    """all = UC + CD (+ IBDU) for every combination of ``keys`` (without the group)."""

    def total(block):
        rows = block.index[block["group"] == "all"]
        return rows[0] if len(rows) else None

    return _sums_by_key(frame, keys, total, lambda b: b.index[b["group"] != "all"])


def attrition_counts(attrition: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The patient flow: patients at each step, with the sums that tie the steps."""
    frame = pd.DataFrame(
        {"order": range(len(attrition)), "step": attrition["step"].astype(str)}
    ).assign(value=attrition["patients"].astype(int).to_numpy())
    steps = list(frame["step"])
    sums = []
    index = {s: i for i, s in enumerate(steps)}
    if {"Patients in the input", "Screened"} <= set(index):
        rejected = [index[s] for s in steps if s.startswith("Rejected")]
        sums.append((index["Patients in the input"], [index["Screened"], *rejected]))
    if {"Screened", "Analysed"} <= set(index):
        between = steps[index["Screened"] + 1 : index["Analysed"]]
        sums.append((index["Screened"], [index["Analysed"], *[index[s] for s in between]]))
    return _suppress(frame, min_count, sums)


def outcome_counts(analyses: list, min_count: int) -> pd.DataFrame:
    """Responders, non-responders, evaluable and not evaluable patients per analysis,
    outcome, timepoint and group (all / UC / CD)."""
    rows = []
    for analysis in analyses:
        if analysis.strategy == "mi":  # no per-patient result to count
            continue
        for r in analysis.summary.to_dict("records"):
            base = {
                "definition_set": r["definition_set"],
                "strategy": r["strategy"],
                "outcome": r["outcome"],
                "timepoint": r["timepoint"],
                "group": r["group"],
            }
            evaluable, responders = int(r["evaluable"]), int(r["responders"])
            not_evaluable = int(r["not_evaluable"])
            for statistic, value in (
                ("patients", evaluable + not_evaluable),
                ("evaluable", evaluable),
                ("not_evaluable", not_evaluable),
                ("responders", responders),
                ("non_responders", evaluable - responders),
            ):
                rows.append({**base, "statistic": statistic, "value": value})
    frame = pd.DataFrame(
        rows,
        columns=[
            "definition_set",
            "strategy",
            "outcome",
            "timepoint",
            "group",
            "statistic",
            "value",
        ],
    )
    keys = ["definition_set", "strategy", "outcome", "timepoint"]

    def cell(name):
        return lambda b: (lambda rows: rows[0] if len(rows) else None)(
            b.index[b["statistic"] == name]
        )

    def parts(*names):
        return lambda b: b.index[b["statistic"].isin(names)]

    sums = _sums_by_key(
        frame, [*keys, "group"], cell("patients"), parts("evaluable", "not_evaluable")
    )
    sums += _sums_by_key(
        frame, [*keys, "group"], cell("evaluable"), parts("responders", "non_responders")
    )
    sums += _across_groups(frame, [*keys, "statistic"])
    return _suppress(frame, min_count, sums)


def categorical_counts(tables: dict, min_count: int) -> pd.DataFrame:
    """Every categorical and yes/no characteristic of Tables 1 and 2 (as the report
    counts them): patients per level, missing and in total, per group."""
    rows = []
    for key in ("table1_baseline", "table2_clinical_baseline"):
        if key not in tables:
            continue
        data = tables[key].data
        if "level" not in data:
            continue
        data = data[data["level"].notna() & data["n"].notna() & data["total"].notna()]
        for (variable, group), block in data.groupby(["variable", "group"], sort=False):
            group = "all" if group == "Overall" else str(group)
            recorded = int(block["total"].iloc[0])
            missing = int(block["missing"].iloc[0]) if pd.notna(block["missing"].iloc[0]) else 0
            listed = 0
            for level, n in zip(block["level"], block["n"], strict=True):
                rows.append((key, variable, str(level), group, int(n)))
                listed += int(n)
            if listed != recorded:  # a yes/no flag lists "yes" only
                rows.append(
                    (
                        key,
                        variable,
                        "no" if list(block["level"]) == ["yes"] else "other",
                        group,
                        recorded - listed,
                    )
                )
            rows.append((key, variable, "missing", group, missing))
            rows.append((key, variable, "total", group, recorded + missing))
    frame = pd.DataFrame(rows, columns=["table", "variable", "level", "group", "value"])
    frame = frame.drop_duplicates(["table", "variable", "level", "group"])

    def total(b):
        rows = b.index[b["level"] == "total"]
        return rows[0] if len(rows) else None

    sums = _sums_by_key(
        frame, ["table", "variable", "group"], total, lambda b: b.index[b["level"] != "total"]
    )
    sums += _across_groups(frame, ["table", "variable", "level"])
    return _suppress(frame, min_count, sums)


def _continuous_values(report) -> dict[str, pd.Series]:
    from ibd_dtt.report.baseline import _baseline_values
    from ibd_dtt.report.build import measured_values

    patients = report.cohort.patients.set_index("patient_id")
    visits = measured_values(report.primary.visits)
    values = {}
    for name, (_, _, source, *_rest) in CONTINUOUS.items():
        if source == "patients":
            if name in patients:
                values[name] = pd.to_numeric(patients[name], errors="coerce")
        else:
            values[name] = _baseline_values(visits, name).reindex(patients.index)
    return values


def _base_bins(name: str) -> np.ndarray:
    _, _, _, low, high, width = CONTINUOUS[name]
    return np.round(np.arange(low, high + width / 2, width), 10)


def continuous_tables(report, group_suppressed: dict[str, bool], min_count: int):
    """(moments, bins): n, sum and sum of squares per variable and group (hidden when the
    group's size is hidden or fewer than ``min_count`` values are recorded, and then in
    another group too, so all = UC + CD cannot give it back), and counts in bins merged on
    one partition for all groups until no count is small."""
    patients = report.cohort.patients
    groups = _groups(patients)
    ids = {g: _in_group(patients, g)["patient_id"] for g in groups}
    moments, bins = [], []
    for name, series in _continuous_values(report).items():
        per_group = {g: series.reindex(ids[g]).dropna().to_numpy(float) for g in groups}
        reason = pd.Series(
            {
                g: "primary" if (group_suppressed.get(g) or 0 < len(v) < min_count) else ""
                for g, v in per_group.items()
            }
        )
        counts = pd.Series({g: len(v) for g, v in per_group.items()})
        hidden = suppress_cells(
            counts.where(reason == "", 1).astype(int), min_count, [("all", groups[1:])]
        )
        for g, v in per_group.items():
            hide = bool(hidden[g])
            moments.append(
                {
                    "variable": name,
                    "group": g,
                    "n": None if hide else len(v),
                    "sum": None if hide else float(v.sum()),
                    "sum_squares": None if hide else float((v**2).sum()),
                    "suppression": hidden[g],
                }
            )
        edges = _base_bins(name)
        grid = pd.DataFrame(
            {
                g: np.bincount(
                    np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2),
                    minlength=len(edges) - 1,
                )
                for g, v in per_group.items()
                if not hidden[g]
            }
        )
        if grid.empty:
            continue
        for first, last in merge_bins(grid, min_count):
            for g in grid.columns:
                bins.append(
                    {
                        "variable": name,
                        "group": g,
                        "bin_low": float(edges[first]),
                        "bin_high": float(edges[last + 1]),
                        "value": int(grid[g].iloc[first : last + 1].sum()),
                    }
                )
    return (
        pd.DataFrame(
            moments, columns=["variable", "group", "n", "sum", "sum_squares", "suppression"]
        ),
        pd.DataFrame(bins, columns=["variable", "group", "bin_low", "bin_high", "value"]),
    )


_SAFETY_PATIENT_ITEMS = {
    "Patients with ≥ 1 adverse event, n (%)": "patients_with_adverse_event",
    "Patients with ≥ 1 serious adverse event, n (%)": "patients_with_serious_adverse_event",
}
_SAFETY_RATE_ITEMS = {
    "Incidence per 100 patient-years: all events": "person_years",
    "Incidence per 100 patient-years: patients with a first event (time at risk to the first "
    "event)": "person_years_to_first_event",
}


def safety_counts(safety, group_suppressed: dict[str, bool], min_count: int) -> pd.DataFrame:
    """Patients with an (serious) adverse event, adverse events in total, serious and by
    category, and the exposure time, per group, from the report's safety table."""
    data = safety.data
    rows = []
    for r in data.to_dict("records"):
        group = str(r["group"])
        item = str(r["item"])
        if r["kind"] == "patients" and item in _SAFETY_PATIENT_ITEMS:
            name = _SAFETY_PATIENT_ITEMS[item]
            n, total = int(r["n"]), int(r["total"])
            rows += [
                (name, group, "count", n),
                (name.replace("with_", "without_"), group, "count", total - n),
                ("patients", group, "count", total),
            ]
        elif r["kind"] == "events" and (
            item in ("Adverse events, n", "Adverse events, n: serious")
            or item.startswith("Adverse events by category, n: ")
        ):
            name = {
                "Adverse events, n": "adverse_events",
                "Adverse events, n: serious": "serious_adverse_events",
            }.get(item) or "adverse_events_category: " + item.split(": ", 1)[1]
            rows.append((name, group, "count", int(r["n"])))
        elif r["kind"] == "rate" and item in _SAFETY_RATE_ITEMS:
            rows.append((_SAFETY_RATE_ITEMS[item], group, "person_years", r["person_years"]))
    frame = pd.DataFrame(rows, columns=["item", "group", "kind", "value"])
    frame = frame.drop_duplicates(["item", "group"]).reset_index(drop=True)
    counts = frame[frame["kind"] == "count"]
    sums = []
    for name in _SAFETY_PATIENT_ITEMS.values():
        for g in counts["group"].unique():
            at = counts.index[counts["group"] == g]
            pick = {i: counts.loc[i, "item"] for i in at}
            total = [i for i, v in pick.items() if v == "patients"]
            parts = [i for i, v in pick.items() if v in (name, name.replace("with_", "without_"))]
            if total and len(parts) == 2:
                sums.append((total[0], parts))
    for g in counts["group"].unique():
        at = counts.index[counts["group"] == g]
        total = [i for i in at if counts.loc[i, "item"] == "adverse_events"]
        parts = [i for i in at if counts.loc[i, "item"].startswith("adverse_events_category")]
        if total and parts and counts.loc[parts, "value"].sum() == counts.loc[total[0], "value"]:
            sums.append((total[0], parts))
    sums += _across_groups(counts, ["item"])
    hidden = (
        suppress_cells(counts["value"].astype(int), min_count, sums).reindex(frame.index).fillna("")
    )
    # exposure time is not a count: hidden where the group's size is hidden
    for i in frame.index[frame["kind"] == "person_years"]:
        if group_suppressed.get(frame.loc[i, "group"]):
            hidden[i] = "primary"
    out = frame.assign(suppression=hidden.to_numpy())
    out["value"] = out["value"].astype(object).where(out["suppression"] == "", None)
    return out


def persistence_counts(patients: pd.DataFrame, min_count: int, resolution: str) -> pd.DataFrame:
    """Kaplan-Meier risk table of persistence on DTT per group: patients at risk at the
    start of each interval, DTT ended and censored within it.

    ``grid`` (default): month intervals joined until every count is 0 or at least
    ``min_count``; the overall curve on its own partition, the diagnosis groups on a
    coarser one made of whole overall intervals (so that UC + CD = overall never reveals a
    count inside an interval). The pooled curve is then approximate. ``steps``: one row
    per day on which something happens, for a pooled curve equal to the central one; its
    counts can be small (the manifest and the data-protection summary say so). Either way
    a curve's rows stop before fewer than ``min_count`` patients are at risk.
    """
    data = persistence_data(patients).assign(
        days=patients["duration_days"].astype(float).to_numpy()
    )
    groups = _groups(patients)
    if resolution == "steps":
        by_day = _day_runs(data)
        rows = _risk_rows(data, groups, min_count, by_day) or _risk_rows(
            data, ["all"], min_count, by_day
        )
    else:
        cuts = _month_cuts(data)
        overall = _counts(data, ["all"], cuts)
        runs = merge_bins(_stacked(overall), min_count) if len(cuts) > 1 else []
        rows = _risk_rows(data, ["all"], min_count, (cuts, runs)) if runs else []
        if rows and len(groups) > 1:
            # the groups' partition: whole overall intervals, joined further where needed
            per_run = _counts(data, groups, cuts)
            coarse = {
                key: np.array([v[a : b + 1].sum() for a, b in runs]) for key, v in per_run.items()
            }
            joined = merge_bins(_stacked(coarse), min_count)
            if joined:
                group_runs = [(runs[a][0], runs[b][1]) for a, b in joined]
                rows += _risk_rows(data, groups[1:], min_count, (cuts, group_runs), groups[1:])
    columns = [
        "group",
        "interval_start_days",
        "interval_end_days",
        "at_risk",
        "events",
        "censored",
    ]
    return pd.DataFrame(rows or [], columns=columns)


def _month_cuts(data: pd.DataFrame) -> np.ndarray:
    top = float(data["days"].max()) if len(data) else 0.0
    return np.arange(0.0, top + 2 * DAYS_PER_MONTH, DAYS_PER_MONTH)


def _day_runs(data: pd.DataFrame):
    # an interval per distinct day: [day, next day)
    cuts = np.append(np.unique(data["days"].to_numpy(float)), np.inf)
    return cuts, [(i, i) for i in range(len(cuts) - 1)]


def _counts(data: pd.DataFrame, groups: list[str], cuts: np.ndarray) -> dict:
    """{(group, "e"|"c"): events or censorings per interval of ``cuts``}."""
    out = {}
    for g in groups:
        sub = _in_group(data, g)
        days, ended = sub["days"].to_numpy(float), sub["ended"].to_numpy(bool)
        slot = np.searchsorted(cuts, days, side="right") - 1
        out[(g, "e")] = np.bincount(slot[ended], minlength=len(cuts) - 1)[: len(cuts) - 1]
        out[(g, "c")] = np.bincount(slot[~ended], minlength=len(cuts) - 1)[: len(cuts) - 1]
    return out


def _stacked(counts: dict) -> pd.DataFrame:
    return pd.DataFrame({f"{g}:{k}": v for (g, k), v in counts.items()})


def _risk_rows(data, groups, min_count, partition, stop_with=None) -> list[dict] | None:
    """Rows of the risk table of ``groups`` on ``partition`` (cuts, runs of cut indexes),
    stopping before fewer than ``min_count`` of any group in ``stop_with`` (default: the
    groups) are at risk; None when a group is too small to share at all."""
    cuts, runs = partition
    counts = _counts(data, groups, cuts)
    at_risk = {g: len(_in_group(data, g)) for g in groups}
    if any(0 < n < min_count for n in at_risk.values()):
        return None
    watch = stop_with or groups
    steps = cuts[-1] == np.inf
    rows = []
    for first, last in runs:
        if any(0 < at_risk[g] < min_count for g in watch) or all(at_risk[g] == 0 for g in groups):
            break  # the tail with few at risk is not shared
        for g in groups:
            e = int(counts[(g, "e")][first : last + 1].sum())
            c = int(counts[(g, "c")][first : last + 1].sum())
            start = float(cuts[first])
            rows.append(
                {
                    "group": g,
                    "interval_start_days": start,
                    "interval_end_days": start if steps else float(cuts[last + 1]),
                    "at_risk": at_risk[g],
                    "events": e,
                    "censored": c,
                }
            )
            at_risk[g] -= e + c
    return rows


def build_site_package(
    report, site: str, min_cell_count: int = 5, km_resolution: str = "grid"
) -> SitePackage:
    """The aggregate package of one site, from its computed report (the same cohort,
    definition sets, windows and strategies)."""
    if not site.strip():
        raise PackageError("the site needs a name (--site)")
    if min_cell_count < 1:
        raise PackageError("min_cell_count must be at least 1")
    if km_resolution not in KM_RESOLUTIONS:
        raise PackageError(f"km_resolution must be one of {', '.join(KM_RESOLUTIONS)}")
    analyses = [a for a in report.analyses if a.strategy != "mi"]
    if not analyses:
        raise PackageError(
            "a site package counts patients: add an analysis other than multiple imputation"
        )
    tables = {"attrition.csv": attrition_counts(report.primary.attrition, min_cell_count)}
    tables["outcome_counts.csv"] = outcome_counts(analyses, min_cell_count)
    categorical = categorical_counts(report.tables, min_cell_count)
    tables["categorical_counts.csv"] = categorical
    size_rows = categorical[
        (categorical["table"] == "table1_baseline")
        & (categorical["variable"] == "Sex")
        & (categorical["level"] == "total")
    ]
    group_suppressed = dict(zip(size_rows["group"], size_rows["suppression"] != "", strict=True))
    moments, bins = continuous_tables(report, group_suppressed, min_cell_count)
    tables["continuous_moments.csv"] = moments
    tables["continuous_bins.csv"] = bins
    tables["safety_counts.csv"] = safety_counts(
        report.tables["safety"], group_suppressed, min_cell_count
    )
    tables["persistence_counts.csv"] = persistence_counts(
        report.cohort.patients, min_cell_count, km_resolution
    )
    from ibd_dtt import __version__
    from ibd_dtt.outcomes.describe import describe_outcome
    from ibd_dtt.report.render import study_name

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "ibd_dtt_version": __version__,
        "study_name": study_name(report),
        "site": site.strip(),
        "min_cell_count": int(min_cell_count),
        "km_resolution": km_resolution,
        "bins_version": BINS_VERSION,
        "bins": {
            name: {
                "low": low,
                "high": high,
                "width": width,
                "unit": unit,
                "label": label,
                "discrete": name in DISCRETE,
            }
            for name, (label, unit, _, low, high, width) in CONTINUOUS.items()
        },
        "ci_method": report.ci_method,
        "analyses": [
            {
                "definition_set": a.definitions.name,
                "definition_version": a.definitions.version,
                "definition_sha256": _sha256_text(a.definitions.model_dump_json()),
                "strategy": a.strategy,
                "windows_version": a.windows.version,
                "windows_sha256": _sha256_text(a.windows.model_dump_json()),
                "after_episode": a.windows.after_episode,
                # labels and full definitions for the pooled report's tables and Methods
                "outcomes": {
                    o.id: {"label": o.label, "definition": describe_outcome(o)}
                    for o in a.definitions.outcomes
                },
                "windows": "; ".join(
                    f"{t.label} = day {t.lower_day} to {t.upper_day} (target day {t.target_day})"
                    for t in a.windows.timepoints
                ),
            }
            for a in analyses
        ],
        "primary_analysis": f"{analyses[0].definitions.name}/{analyses[0].strategy}",
        "groups": _groups(report.cohort.patients),
        "suppressed_cells": {
            name: int((frame["suppression"] != "").sum()) if "suppression" in frame else 0
            for name, frame in tables.items()
        },
    }
    return SitePackage(manifest, tables)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def package_files(package: SitePackage) -> dict[str, bytes]:
    """Every file of the package (manifest last, with the hash of each other file)."""
    from ibd_dtt.network.summary import summary_html

    files = {name: _csv_bytes(frame) for name, frame in package.tables.items()}
    files["summary.html"] = summary_html(package).encode("utf-8")
    manifest = dict(package.manifest)
    manifest["files_sha256"] = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files


# a fixed time in the zip's member headers, so one package is byte-identical on every run
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_site_package(package: SitePackage, path: str | Path) -> Path:
    """Write the package as one zip file, whole or not at all; an existing file is replaced
    only when it is an ibd-dtt site package. Also writes ``<name>.summary.html`` beside it
    for the data-protection officer."""
    from ibd_dtt.outputs import write_file

    path = Path(path)
    if path.suffix.lower() != ".zip":
        raise PackageError(f"{path}: a site package is a .zip file; give a name ending in .zip")
    if path.exists():
        try:
            read_site_package(path)
        except PackageError:
            raise PackageError(
                f"{path} exists and is not an ibd-dtt site package; choose another name"
            ) from None
    files = package_files(package)
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(target: Path) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, payload in files.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, payload)

    write_file(path, write, "site package")
    summary = path.with_name(path.stem + ".summary.html")
    write_file(summary, lambda t: t.write_bytes(files["summary.html"]), "package summary")
    return path


def read_site_package(path: str | Path) -> SitePackage:
    """Read and check a site package: its format, and each file against the manifest's
    hash (a package edited after it was written is refused)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "manifest.json" not in names:
                raise PackageError(f"{path}: not an ibd-dtt site package (no manifest.json)")
            manifest = json.loads(archive.read("manifest.json"))
            payloads = {n: archive.read(n) for n in names if n != "manifest.json"}
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise PackageError(f"{path}: not a readable site package ({error})") from None
    if manifest.get("format") != FORMAT:
        raise PackageError(f"{path}: not an ibd-dtt site package")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PackageError(
            f"{path}: package format {manifest.get('format_version')}, this ibd-dtt reads "
            f"format {FORMAT_VERSION}: make the packages with the same ibd-dtt version"
        )
    expected = manifest.get("files_sha256", {})
    for name in FILES:
        if name not in payloads:
            raise PackageError(f"{path}: {name} is missing")
    for name, payload in payloads.items():
        if hashlib.sha256(payload).hexdigest() != expected.get(name):
            raise PackageError(
                f"{path}: {name} does not match the manifest (changed after writing)"
            )
    tables = {
        name: pd.read_csv(io.BytesIO(payloads[name]), keep_default_na=False, na_values=[""])
        for name in FILES
    }
    for frame in tables.values():
        if "suppression" in frame:
            reason = frame["suppression"].astype(object)
            frame["suppression"] = reason.where(reason.notna(), "").astype(str)
    return SitePackage(manifest, tables)


__all__ = [
    "CONTINUOUS",
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "PackageError",
    "SitePackage",
    "build_site_package",
    "read_site_package",
    "write_site_package",
]
