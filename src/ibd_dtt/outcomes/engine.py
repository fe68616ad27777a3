"""Evaluate a definition set for every patient, outcome and timepoint, under one strategy."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Literal

import pandas as pd

from ibd_dtt.config import StudyConfig
from ibd_dtt.outcomes.definitions import DefinitionSet
from ibd_dtt.outcomes.rules import (
    RULES,
    OutcomeValue,
    Record,
    RuleContext,
    steroid_course_records,
)
from ibd_dtt.parallel import run_parallel
from ibd_dtt.windows.windows import VisitWindow, VisitWindows

Strategy = Literal["as-observed", "nri", "locf", "mi"]
STRATEGIES: tuple[str, ...] = ("as-observed", "nri", "locf", "mi")

OUTCOME_COLUMNS = (
    "patient_id",
    "episode_id",
    "diagnosis",
    "definition_set",
    "definition_version",
    "strategy",
    "outcome",
    "outcome_label",
    "timepoint",
    "result",
    "value",
    "imputed",
    "rule_id",
    "rule_version",
    "branch",
    "reason",
    "inputs",
    "imputable",
)


def _records(visits: pd.DataFrame) -> dict[tuple[str, str], dict[str, Record]]:
    out: dict[tuple[str, str], dict[str, Record]] = {}
    # Column lists instead of itertuples: iterating Arrow-backed strings row by row is slow.
    columns = ["patient_id", "window", "parameter", "value", "analysis_day", "source_row"]
    lists = [visits[c].tolist() for c in [*columns, "dtype"]]
    dates = pd.to_datetime(visits["visit_date"]).dt.date.tolist()
    censored = (
        [c if isinstance(c, str) and c else None for c in visits["censored"].tolist()]
        if "censored" in visits.columns
        else [None] * len(visits)
    )
    for pid, window, parameter, value, day, source, dtype, visit_date, bound in zip(
        *lists, dates, censored, strict=True
    ):
        out.setdefault((pid, window), {})[parameter] = Record(
            value=float(value),
            day=int(day),
            source_row=str(source),
            dtype=str(dtype),
            visit_date=visit_date,
            censored=bound,
        )
    return out


def _explain_missing(
    result: OutcomeValue,
    window: VisitWindow,
    episode: dict,
    follow_days: int,
    windows: VisitWindows,
) -> str | None:
    if result.missing != "follow_up":
        return result.reason
    if window.lower_day > follow_days:
        return f"{result.reason}: data cut at day {follow_days}, before the window opens"
    end_day = int(episode["duration_days"])
    not_attributed = not windows.attributes_after_episode(episode["status"], episode["stop_reason"])
    if not episode["ongoing_at_data_cut"] and end_day < window.lower_day and not_attributed:
        return (
            f"{result.reason}: DTT ended on day {end_day} ({episode['status']}, "
            f"{episode['stop_reason']}) before the window"
        )
    return result.reason


def _missing_on_dtt(
    result: OutcomeValue,
    window: VisitWindow,
    episode: dict,
    follow_days: int,
    windows: VisitWindows,
) -> bool:
    """A follow-up value missing while the patient was on DTT (or in a time the window set
    attributes to DTT) in a window that had opened by the data cut: what multiple
    imputation fills. A missing baseline, a window not reached and a window after DTT
    ended are not imputed."""
    if result.missing != "follow_up" or window.lower_day > follow_days:
        return False
    end_day = int(episode["duration_days"])
    ended_before = not episode["ongoing_at_data_cut"] and end_day < window.lower_day
    return not ended_before or windows.attributes_after_episode(
        episode["status"], episode["stop_reason"]
    )


def _nri(
    result: OutcomeValue, window: VisitWindow, episode: dict, follow_days: int
) -> OutcomeValue | None:
    """Non-responder imputation: stopped DTT for failure / AE before the window closed."""
    if result.value is not None or result.missing != "follow_up":
        return None
    end_day = int(episode["duration_days"])
    if (
        episode["stopped_for_failure"]
        and end_day <= window.upper_day
        and window.lower_day <= follow_days
    ):
        return OutcomeValue(
            False,
            f"NRI: DTT stopped on day {end_day} ({episode['stop_reason']})",
            result.inputs,
            result.reason,
        )
    return None


_SHARED: tuple | None = None  # the inputs, inherited by forked workers (never pickled)


def evaluate_outcomes(
    visits: pd.DataFrame,
    episodes: pd.DataFrame,
    patients: pd.DataFrame,
    therapies: pd.DataFrame,
    definitions: DefinitionSet,
    windows: VisitWindows,
    config: StudyConfig,
    strategy: Strategy = "as-observed",
    workers: int = 1,
) -> pd.DataFrame:
    """One row per patient x outcome x timepoint: result yes / no / not_evaluable.

    ``visits`` is the analysis-visits table (with LOCF records already added for the
    ``locf`` strategy); ``episodes`` holds one index episode per patient.

    ``workers``: processes to evaluate in (``ibd-dtt --jobs``; see :mod:`ibd_dtt.parallel`).
    Patients are split into consecutive blocks and the blocks' rows joined in order, so the
    result is the same table whatever the number of workers.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    inputs = (visits, episodes, patients, therapies, definitions, windows, config, strategy)
    workers = max(1, min(workers, len(episodes)))
    if workers == 1:
        return _evaluate(*inputs)
    global _SHARED
    bounds = [round(i * len(episodes) / workers) for i in range(workers + 1)]
    _SHARED = inputs
    try:
        parts = run_parallel(_evaluate_block, list(itertools.pairwise(bounds)), workers)
    finally:
        _SHARED = None
    return pd.concat(parts, ignore_index=True)


def _evaluate_block(bounds: tuple[int, int]) -> pd.DataFrame:
    assert _SHARED is not None
    visits, episodes, *rest = _SHARED
    block = episodes.iloc[bounds[0] : bounds[1]]
    return _evaluate(visits[visits["patient_id"].isin(block["patient_id"])], block, *rest)


def _evaluate(
    visits: pd.DataFrame,
    episodes: pd.DataFrame,
    patients: pd.DataFrame,
    therapies: pd.DataFrame,
    definitions: DefinitionSet,
    windows: VisitWindows,
    config: StudyConfig,
    strategy: Strategy,
) -> pd.DataFrame:
    data_cut: dt.date = config.data_cut_date
    records = _records(visits)
    patient_info = patients.set_index("patient_id")[["diagnosis", "center"]].to_dict("index")
    steroids_by_patient: dict[str, list[dict]] = {}
    for course in steroid_course_records(therapies):
        steroids_by_patient.setdefault(course["patient_id"], []).append(course)
    # Looked up once, not once per patient x outcome x timepoint.
    window_of = {tp: windows.get(tp) for o in definitions.outcomes for tp in o.timepoints}
    described = {tp: window.describe() for tp, window in window_of.items()}
    rows = []
    for episode in episodes.itertuples(index=False):
        ep = episode._asdict()
        pid = ep["patient_id"]
        info = patient_info[pid]
        diagnosis = str(info["diagnosis"])
        center = None if pd.isna(info["center"]) else str(info["center"])
        crp_uln = config.crp_uln_for(center)
        follow_days = (pd.Timestamp(data_cut) - ep["start_date"]).days
        baseline = records.get((pid, windows.baseline.name), {})
        steroid_records = tuple(steroids_by_patient.get(pid, ()))
        for outcome in definitions.outcomes:
            spec = outcome.rule_for(diagnosis, definitions.ibdu_as)
            if spec is None:
                continue
            function, rule_version = RULES[spec.rule]
            for timepoint in outcome.timepoints:
                window = window_of[timepoint]
                ctx = RuleContext(
                    patient_id=pid,
                    diagnosis=diagnosis,
                    window=described[timepoint],
                    baseline=baseline,
                    follow_up=records.get((pid, timepoint), {}),
                    crp_uln=crp_uln,
                    episode=ep,
                    therapies=None,
                    steroid_records=steroid_records,
                    data_cut=data_cut,
                )
                result = function(ctx, **spec.params)
                imputed = any(
                    isinstance(v, dict) and v.get("dtype") == "LOCF" for v in result.inputs.values()
                )
                reason = _explain_missing(result, window, ep, follow_days, windows)
                # LOCF carries nothing past a stop for failure (derive_locf_records), and
                # multiple imputation does not impute one: such a window is non-response,
                # as under NRI
                if strategy in ("nri", "locf", "mi") and outcome.nri:
                    imputation = _nri(result, window, ep, follow_days)
                    if imputation is not None:
                        result, imputed, reason = imputation, True, None
                imputable = (
                    strategy == "mi"
                    and outcome.imputed_by_mi
                    and result.value is None
                    and _missing_on_dtt(result, window, ep, follow_days, windows)
                )
                rows.append(
                    {
                        "patient_id": pid,
                        "episode_id": ep["episode_id"],
                        "diagnosis": diagnosis,
                        "definition_set": definitions.name,
                        "definition_version": definitions.version,
                        "strategy": strategy,
                        "outcome": outcome.id,
                        "outcome_label": outcome.label,
                        "timepoint": timepoint,
                        "result": {True: "yes", False: "no", None: "not_evaluable"}[result.value],
                        "value": result.value,
                        "imputed": imputed,
                        "rule_id": spec.rule,
                        "rule_version": rule_version,
                        "branch": result.branch,
                        "reason": reason if result.value is None else None,
                        "inputs": json.dumps(result.inputs, sort_keys=True, default=str),
                        "imputable": bool(imputable),
                    }
                )
    out = pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))
    out["value"] = out["value"].astype("boolean")
    return out


def summarise_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Responders / evaluable per outcome, timepoint and group (all, UC, CD, ...).

    Percentages are computed from the counts and rounded half-up to 2 decimals by the
    report, not here (``percent`` is the unrounded value).
    """
    keys = ["definition_set", "strategy", "outcome", "timepoint"]
    result = outcomes["result"]
    counted = outcomes[[*keys, "diagnosis"]].assign(
        responders=result.eq("yes").to_numpy(bool, na_value=False).astype("int64"),
        evaluable=result.ne("not_evaluable").to_numpy(bool, na_value=False).astype("int64"),
        not_evaluable=result.eq("not_evaluable").to_numpy(bool, na_value=False).astype("int64"),
        imputed=outcomes["imputed"].fillna(False).astype("int64"),
    )
    counts = ["responders", "evaluable", "not_evaluable", "imputed"]
    frames = []
    for group, data in [("all", counted), *counted.groupby("diagnosis")]:
        summed = data.groupby(keys, sort=False)[counts].sum()
        frames.append(summed.reset_index().assign(group=group))
    summary = pd.concat(frames, ignore_index=True)
    summary["percent"] = (summary["responders"] / summary["evaluable"] * 100).where(
        summary["evaluable"] > 0
    )
    return summary[
        [*keys, "group", "responders", "evaluable", "not_evaluable", "imputed", "percent"]
    ]
