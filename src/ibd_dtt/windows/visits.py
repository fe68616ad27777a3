"""Select one assessment per patient, parameter and window; log every candidate.

Model: pharmaverse admiral's BDS windowing (window table joined on analysis day, one record
flagged per window, BASE / CHG / PCHG), plus an audit log admiral does not keep: every
assessment value appears in ``candidates`` with whether it was used and why (not).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ibd_dtt.windows.windows import VisitWindow, VisitWindows

# analysis parameter -> (column of the scored assessments table, label, unit)
PARAMETERS: dict[str, tuple[str, str, str]] = {
    "partial_mayo": ("partial_mayo", "Partial Mayo score", "points (0-9)"),
    "full_mayo": ("full_mayo", "Full Mayo score", "points (0-12)"),
    "mayo_stool_frequency": ("mayo_stool_frequency", "Mayo stool frequency subscore", "0-3"),
    "mayo_rectal_bleeding": ("mayo_rectal_bleeding", "Mayo rectal bleeding subscore", "0-3"),
    "mayo_physician_global": ("mayo_physician_global", "Mayo physician global", "0-3"),
    "mayo_endoscopic": ("mayo_endoscopic", "Mayo endoscopic subscore", "0-3"),
    "uceis": ("uceis", "UCEIS", "points (0-8)"),
    "uc_pro2": ("uc_pro2", "UC PRO2 (stool frequency + bleeding)", "points (0-6)"),
    "hbi": ("hbi", "Harvey-Bradshaw Index", "points"),
    "cd_pro2": ("cd_pro2", "CD PRO2 (weighted)", "points"),
    "cd_pro2_stool_mean": ("cd_pro2_stool_mean", "CD PRO2 mean daily liquid stools", "/day"),
    "cd_pro2_pain_mean": ("cd_pro2_pain_mean", "CD PRO2 mean abdominal pain", "0-3"),
    "ses_cd": ("ses_cd", "SES-CD", "points (0-56)"),
    "limberg": ("limberg", "Limberg grade", "0-4"),
    "crp": ("crp", "C-reactive protein", "mg/L"),
    "albumin": ("albumin", "Albumin", "g/L"),
    "hematocrit": ("hematocrit", "Hematocrit", "%"),
    "fecal_calprotectin": ("fecal_calprotectin", "Fecal calprotectin", "ug/g"),
}

VISIT_COLUMNS = (
    "patient_id",
    "episode_id",
    "parameter",
    "window",
    "window_kind",
    "target_day",
    "window_lower_day",
    "window_upper_day",
    "visit_date",
    "analysis_day",
    "value",
    "baseline_value",
    "baseline_day",
    "change",
    "percent_change",
    "dtype",
    "after_episode",
    "source_row",
    "baseline_source_row",
    "censored",
    "baseline_censored",
)
CANDIDATE_COLUMNS = (
    "patient_id",
    "episode_id",
    "parameter",
    "window",
    "visit_date",
    "analysis_day",
    "value",
    "source_row",
    "selected",
    "reason",
)


@dataclass(frozen=True)
class AnalysisVisits:
    """``visits``: selected values (long); ``candidates``: every value with the decision."""

    visits: pd.DataFrame
    candidates: pd.DataFrame


def melt_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Long table of every non-missing parameter value of the scored assessments.

    >>> a = pd.DataFrame({"_row": [2], "patient_id": ["P1"],
    ...                   "visit_date": pd.to_datetime(["2023-01-02"]), "hbi": [7], "crp": [4.1]})
    >>> melt_assessments(a)[["parameter", "value", "source_row"]].values.tolist()
    [['hbi', 7.0, 'assessments:2'], ['crp', 4.1, 'assessments:2']]
    """
    present = {p: c for p, (c, _, _) in PARAMETERS.items() if c in assessments.columns}
    frames = []
    for parameter, column in present.items():
        values = pd.to_numeric(assessments[column], errors="coerce").astype("float64")
        keep = values.notna()
        censored = (
            assessments.loc[keep, f"{column}_censored"].astype(object)
            if f"{column}_censored" in assessments.columns
            else None
        )
        frames.append(
            pd.DataFrame(
                {
                    "patient_id": assessments.loc[keep, "patient_id"].astype(str),
                    "visit_date": assessments.loc[keep, "visit_date"],
                    "parameter": parameter,
                    "value": values[keep],
                    "source_row": "assessments:" + assessments.loc[keep, "_row"].astype(str),
                    "censored": censored.where(censored.notna(), None)
                    if censored is not None
                    else None,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["patient_id", "visit_date", "parameter", "value", "source_row", "censored"]
        )
    return pd.concat(frames, ignore_index=True)


def _attributable(long: pd.DataFrame, windows: VisitWindows) -> pd.Series:
    """Values during the episode, plus those after it where the window set allows."""
    per_episode = {
        episode: windows.attributes_after_episode(status, reason)
        for episode, status, reason in long[["episode_id", "status", "stop_reason"]]
        .drop_duplicates("episode_id")
        .itertuples(index=False)
    }
    return ~long["after_episode"] | long["episode_id"].map(per_episode).astype(bool)


def _select(usable: pd.DataFrame, window: VisitWindow, kind: str) -> pd.DataFrame:
    """Rank candidates per patient x parameter; adds ``_rank`` (0 = chosen) and ``reason``.

    Timepoints: closest to the target day, ties to the earlier visit. Baseline and periods:
    the last value in the window.
    """
    keys = ["patient_id", "parameter"]
    usable = usable.copy()
    if kind == "timepoint":
        usable["_distance"] = (usable["analysis_day"] - window.target_day).abs()
        usable = usable.sort_values([*keys, "_distance", "analysis_day"], kind="stable")
    else:
        usable["_distance"] = 0
        usable = usable.sort_values([*keys, "analysis_day"], ascending=[True, True, False])
    usable["_rank"] = usable.groupby(keys, sort=False).cumcount()
    chosen = usable[usable["_rank"] == 0][[*keys, "analysis_day", "_distance"]].rename(
        columns={"analysis_day": "_chosen_day", "_distance": "_chosen_distance"}
    )
    usable = usable.merge(chosen, on=keys, how="left")
    if kind == "timepoint":
        why = (
            f"closest to target day {window.target_day} ("
            + usable["_chosen_distance"].astype(str)
            + " days)"
        )
        # the chosen visit has the smallest distance, so a tie = another row at that distance
        at_min = (usable["_distance"] == usable["_chosen_distance"]).astype(int)
        tied = at_min.groupby([usable[k] for k in keys]).transform("sum") > 1
        why = why.where(
            ~tied, why + "; tie between equally distant visits, resolved to the earlier"
        )
    else:
        why = pd.Series(
            "last value in the baseline window" if kind == "baseline" else "last value in period",
            index=usable.index,
        )
    usable["reason"] = why.where(
        usable["_rank"] == 0,
        "passed over: day " + usable["_chosen_day"].astype(str) + " chosen (" + why + ")",
    )
    return usable.drop(columns=["_distance", "_chosen_day", "_chosen_distance"])


def _window_table(windows: VisitWindows) -> list[tuple[VisitWindow, str]]:
    return (
        [(windows.baseline, "baseline")]
        + [(w, "timepoint") for w in windows.timepoints]
        + [(w, "period") for w in windows.periods]
    )


def derive_analysis_visits(
    assessments: pd.DataFrame,
    episodes: pd.DataFrame,
    windows: VisitWindows,
) -> AnalysisVisits:
    """Window the scored assessments around each patient's index DTT episode.

    ``episodes`` must hold one (index) episode per patient. Per patient, parameter and window
    one value is selected: baseline and periods take the last value in the window,
    timepoints the value closest to the target day (ties to the earlier). Values after the
    episode ended are used only as ``windows.after_episode`` allows.
    """
    long = melt_assessments(assessments)
    ep = episodes[["patient_id", "episode_id", "start_date", "end_date", "ongoing_at_data_cut"]]
    ep = ep.assign(status=episodes["status"], stop_reason=episodes["stop_reason"])
    long = long.merge(ep, on="patient_id", how="left")
    no_episode = long["episode_id"].isna()
    long["analysis_day"] = (long["visit_date"] - long["start_date"]).dt.days.astype("Int64")
    long["after_episode"] = (
        (~long["ongoing_at_data_cut"].fillna(True).astype(bool))
        & (long["visit_date"] > long["end_date"])
    ).fillna(False)

    log_parts: list[pd.DataFrame] = []
    chosen_parts: list[pd.DataFrame] = []
    log_parts.append(long[no_episode].assign(window=None, selected=False, reason="no DTT episode"))
    on_episode = long[~no_episode].copy()
    on_episode["analysis_day"] = on_episode["analysis_day"].astype(int)
    attributable = _attributable(on_episode, windows)
    in_any_window = pd.Series(False, index=on_episode.index)

    for window, kind in _window_table(windows):
        inside = on_episode["analysis_day"].between(window.lower_day, window.upper_day)
        if kind != "period":
            in_any_window |= inside
        candidates = on_episode[inside]
        excluded = candidates[~attributable[inside]]
        if len(excluded):
            reason = (
                "after the DTT episode ended ("
                + excluded["status"].astype(str)
                + " on "
                + excluded["end_date"].dt.strftime("%Y-%m-%d")
                + f"); not attributed (after_episode={windows.after_episode})"
            )
            log_parts.append(excluded.assign(window=window.name, selected=False, reason=reason))
        usable = candidates[attributable[inside]]
        if usable.empty:
            continue
        ranked = _select(usable, window, kind).assign(window=window.name)
        ranked["selected"] = ranked["_rank"] == 0
        log_parts.append(ranked.drop(columns=["_rank"]))
        chosen_parts.append(
            ranked[ranked["selected"]]
            .drop(columns=["_rank", "reason", "selected"])
            .assign(
                window_kind=kind,
                target_day=window.target_day,
                window_lower_day=window.lower_day,
                window_upper_day=window.upper_day,
            )
        )
    outside = on_episode[~in_any_window]
    log_parts.append(
        outside.assign(
            window=None, selected=False, reason="outside every baseline/timepoint window"
        )
    )

    logged = [p for p in log_parts if len(p)]
    candidates = (  # no assessment at all (an EHR extract without labs): an empty log
        pd.concat(logged, ignore_index=True) if logged else pd.DataFrame()
    ).reindex(columns=list(CANDIDATE_COLUMNS))
    candidates = candidates.sort_values(
        ["patient_id", "parameter", "visit_date", "window"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    visits = _add_baseline(
        pd.concat(chosen_parts, ignore_index=True) if chosen_parts else pd.DataFrame()
    )
    return AnalysisVisits(visits=visits, candidates=candidates)


def _add_baseline(chosen: pd.DataFrame) -> pd.DataFrame:
    if chosen.empty:
        return pd.DataFrame(columns=list(VISIT_COLUMNS))
    if "censored" not in chosen.columns:
        chosen = chosen.assign(censored=None)
    base = chosen[chosen["window_kind"] == "baseline"][
        ["patient_id", "parameter", "value", "analysis_day", "source_row", "censored"]
    ].rename(
        columns={
            "value": "baseline_value",
            "analysis_day": "baseline_day",
            "source_row": "baseline_source_row",
            "censored": "baseline_censored",
        }
    )
    visits = chosen.merge(base, on=["patient_id", "parameter"], how="left")
    # a censored value (<5, >100) is a bound, not a measurement: no change is computed
    exact_values = visits["censored"].isna() & visits["baseline_censored"].isna()
    visits["change"] = (visits["value"] - visits["baseline_value"]).where(exact_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = visits["change"] / visits["baseline_value"].abs() * 100
    visits["percent_change"] = pct.where(visits["baseline_value"] != 0)
    visits["dtype"] = "observed"
    visits["analysis_day"] = visits["analysis_day"].astype(int)
    visits["baseline_day"] = visits["baseline_day"].astype("Int64")
    return visits.reindex(columns=list(VISIT_COLUMNS)).reset_index(drop=True)


def derive_locf_records(
    visits: pd.DataFrame,
    episodes: pd.DataFrame,
    windows: VisitWindows,
    data_cut: dt.date,
) -> pd.DataFrame:
    """Add last-observation-carried-forward records (``dtype = 'LOCF'``) to ``visits``.

    For a timepoint without a value, the latest earlier *follow-up* value (a previous
    timepoint of the same parameter, never the baseline) is carried forward, but only to
    timepoints whose window had opened by the data cut (a patient still on DTT who has not
    reached a timepoint is not imputed), and only **while the patient is on DTT**:

    * DTT stopped for failure or an adverse event before the window closed: nothing is
      carried; the outcome engine counts the window as non-response (as NRI does);
    * DTT ended otherwise before the window opened (a planned de-escalation, a switch):
      nothing is carried, the window is not evaluable - unless the window set's
      ``after_episode`` policy counts visits after such an end for DTT (``paper``:
      ``include_after_deescalation`` for a de-escalation in remission), when the last value
      is carried as before.

    Example: a month-3 responder whose second agent was stopped for an adverse event on day
    140 is not a month-6 (day 153-213) responder by LOCF: month 6 is non-response.
    """
    timepoints = [w for w in windows.timepoints]
    observed = visits[visits["window_kind"] == "timepoint"]
    by_patient = episodes.set_index("patient_id")
    follow = (pd.Timestamp(data_cut) - by_patient["start_date"]).dt.days.to_dict()
    columns = ["duration_days", "status", "stop_reason", "stopped_for_failure"]
    course = {
        pid: dict(zip(columns, values, strict=True))
        for pid, values in zip(
            by_patient.index,
            by_patient.reindex(columns=columns).itertuples(index=False),
            strict=True,
        )
    }

    def carried_to(patient: str, window) -> bool:
        ep = course.get(patient)
        if ep is None or ep["status"] == "maintained" or pd.isna(ep["duration_days"]):
            return True
        end_day = int(ep["duration_days"])
        if bool(ep["stopped_for_failure"]) and end_day <= window.upper_day:
            return False
        if end_day >= window.lower_day:
            return True
        return windows.attributes_after_episode(ep["status"], ep["stop_reason"])

    extra = []
    for (patient, _parameter), group in observed.groupby(["patient_id", "parameter"]):
        have = set(group["window"])
        for i, window in enumerate(timepoints):
            if window.name in have or window.lower_day > follow.get(patient, -1):
                continue
            if not carried_to(patient, window):
                continue
            earlier = group[group["window"].isin([w.name for w in timepoints[:i]])]
            if earlier.empty:
                continue
            last = earlier.sort_values("analysis_day").iloc[-1]
            extra.append(
                last.to_dict()
                | {
                    "window": window.name,
                    "target_day": window.target_day,
                    "window_lower_day": window.lower_day,
                    "window_upper_day": window.upper_day,
                    "dtype": "LOCF",
                }
            )
    if not extra:
        return visits
    return pd.concat([visits, pd.DataFrame(extra)], ignore_index=True).reindex(
        columns=list(VISIT_COLUMNS)
    )
