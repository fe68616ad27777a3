"""Derive dual-targeted therapy (DTT) episodes from one-row-per-course therapy records.

Definition (paper, *Study design*: "All patients were naive to the second biologic added"):
a DTT episode starts on the day a second advanced therapy of a **different mechanism class**
starts while the first is still running; it ends at the first stop of either component, or at
the data cut when both are still running. The agent already running is the *anchor*, the one
started on the episode start day is the *added* agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ibd_dtt.contract.codes import END_OF_FOLLOW_UP, FAILURE_STOP_REASONS

# Mean Gregorian month, so that "months on DTT" does not depend on which months were crossed.
DAYS_PER_MONTH = 30.4375

EPISODE_COLUMNS = (
    "episode_id",
    "patient_id",
    "episode_number",
    "is_index",
    "regimen",
    "anchor_drug",
    "added_drug",
    "mechanism_classes",
    "start_date",
    "end_date",
    "ongoing_at_data_cut",
    "ended_by",
    "stop_reason",
    "stopped_for_failure",
    "duration_days",
    "duration_months",
    "status",
    "continued_drug",
    "subsequent_therapies",
    "added_drug_naive",
    "overlap_days",
    "source_rows",
    "follow_up_ended",
)


@dataclass(frozen=True)
class EpisodeOptions:
    """How episodes are recognised.

    ``min_overlap_days``: an *ended* episode needs at least this many days of concurrent
    therapy (end - start), so that a switch recorded with the old drug stopping the day the
    new one starts (overlap 0) is not DTT. Episodes still running at the data cut are kept
    whatever their length so far (their overlap is censored, not short).
    """

    min_overlap_days: int = 1


def _day(value: object) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


@dataclass(frozen=True)
class _Course:
    row: int
    drug: str
    category: str
    mechanism: str
    start: dt.date
    stop: dt.date | None
    stop_reason: str | None

    def end(self, data_cut: dt.date) -> dt.date:
        return self.stop if self.stop is not None and self.stop < data_cut else data_cut

    def ongoing(self, data_cut: dt.date) -> bool:
        return self.stop is None or self.stop >= data_cut


def _courses(records: list[dict]) -> list[_Course]:
    courses = [
        _Course(
            row=int(r["__row"]),
            drug=str(r["drug"]),
            category=str(r["drug_category"]),
            mechanism=str(r["mechanism_class"]),
            start=_day(r["start_date"]),
            stop=_day(r["stop_date"]),
            stop_reason=None if pd.isna(r["stop_reason"]) else str(r["stop_reason"]),
        )
        for r in records
        if not pd.isna(r["start_date"])
    ]
    return sorted(courses, key=lambda c: (c.start, c.drug, c.row))


def _episode_pairs(
    advanced: list[_Course], data_cut: dt.date, options: EpisodeOptions
) -> list[tuple[_Course, _Course]]:
    pairs = []
    for i, anchor in enumerate(advanced):
        for added in advanced[i + 1 :]:
            if added.mechanism == anchor.mechanism or added.start > anchor.end(data_cut):
                continue
            end = min(anchor.end(data_cut), added.end(data_cut))
            ongoing = anchor.ongoing(data_cut) and added.ongoing(data_cut)
            if not ongoing and (end - added.start).days < options.min_overlap_days:
                continue
            pairs.append((anchor, added))
    return pairs


def _status(
    components: tuple[_Course, _Course],
    end: dt.date,
    ongoing: bool,
    others: list[_Course],
    data_cut: dt.date,
) -> tuple[str, str | None, list[_Course]]:
    """maintained / de-escalated / switched / stopped, the continued drug, what came after."""
    if ongoing:
        return "maintained", None, []
    after = [c for c in others if c.start >= end and c.category != "corticosteroid"]
    continuing = [c for c in components if c.ongoing(data_cut)]
    if any(c.category == "advanced" for c in after):
        return "switched", None, after
    if continuing:
        return "de-escalated", continuing[0].drug, after
    return "stopped", None, after


def _patient_episodes(
    patient_id: str, records: list[dict], data_cut: dt.date, options: EpisodeOptions
) -> list[dict]:
    courses = _courses(records)
    advanced = [c for c in courses if c.category == "advanced"]
    rows = []
    for number, (anchor, added) in enumerate(_episode_pairs(advanced, data_cut, options), 1):
        start = added.start
        end = min(anchor.end(data_cut), added.end(data_cut))
        ongoing = anchor.ongoing(data_cut) and added.ongoing(data_cut)
        enders = [] if ongoing else [c for c in (anchor, added) if c.end(data_cut) == end]
        reasons = sorted({c.stop_reason for c in enders if c.stop_reason})
        others = [c for c in courses if c not in (anchor, added)]
        status, continued, after = _status((anchor, added), end, ongoing, others, data_cut)
        # Both agents still given when follow-up ended: censored on DTT, not stopped.
        follow_up_ended = bool(enders) and all(c.stop_reason == END_OF_FOLLOW_UP for c in enders)
        if follow_up_ended:
            status, continued, after = "maintained", None, []
        days = (end - start).days
        rows.append(
            {
                "episode_id": f"{patient_id}-E{number}",
                "patient_id": patient_id,
                "episode_number": number,
                "is_index": number == 1,
                "regimen": "+".join(sorted((anchor.drug, added.drug))),
                "anchor_drug": anchor.drug,
                "added_drug": added.drug,
                "mechanism_classes": "+".join(sorted((anchor.mechanism, added.mechanism))),
                "start_date": pd.Timestamp(start),
                "end_date": pd.Timestamp(end),
                "ongoing_at_data_cut": ongoing,
                "ended_by": "+".join(sorted(c.drug for c in enders)) or None,
                "stop_reason": ";".join(reasons) or None,
                "stopped_for_failure": bool(set(reasons) & FAILURE_STOP_REASONS),
                "duration_days": days,
                "duration_months": round(days / DAYS_PER_MONTH, 2),
                "status": status,
                "continued_drug": continued,
                "subsequent_therapies": ";".join(f"{c.drug}@{c.start}" for c in after) or None,
                "added_drug_naive": not any(
                    c.drug == added.drug and c.start < added.start for c in advanced
                ),
                "overlap_days": days,
                "source_rows": f"therapies:{anchor.row};therapies:{added.row}",
                "follow_up_ended": follow_up_ended,
            }
        )
    return rows


def derive_dtt_episodes(
    therapies: pd.DataFrame,
    data_cut: dt.date,
    options: EpisodeOptions | None = None,
) -> pd.DataFrame:
    """One row per DTT episode, numbered per patient in order of start (1 = index).

    ``therapies`` is the validated table (``drug``, ``start_date``, ``stop_date``,
    ``stop_reason``, ``drug_category``, ``mechanism_class``, ``_row``).

    >>> t = pd.DataFrame({
    ...     "_row": [2, 3], "patient_id": ["P1", "P1"], "drug": ["VDZ", "UST"],
    ...     "start_date": pd.to_datetime(["2022-01-01", "2023-01-01"]),
    ...     "stop_date": pd.to_datetime([None, None]), "stop_reason": [None, None],
    ...     "drug_category": ["advanced", "advanced"],
    ...     "mechanism_class": ["anti_integrin", "anti_il12_23"]})
    >>> e = derive_dtt_episodes(t, dt.date(2024, 1, 31))
    >>> e.loc[0, ["regimen", "anchor_drug", "added_drug", "status"]].tolist()
    ['UST+VDZ', 'VDZ', 'UST', 'maintained']
    >>> int(e.loc[0, "duration_days"])
    395
    """
    options = options or EpisodeOptions()
    # One conversion of the whole table, then plain dicts per patient: converting each
    # patient's slice of the DataFrame took most of the run time on large registries.
    columns = ["patient_id", "drug", "drug_category", "mechanism_class", "start_date"]
    columns += ["stop_date", "stop_reason"]
    rows_of = therapies["_row"] if "_row" in therapies.columns else therapies.index
    records = therapies[columns].assign(__row=list(rows_of)).to_dict("records")
    by_patient: dict[str, list[dict]] = {}
    for record in records:
        if not pd.isna(record["patient_id"]):
            by_patient.setdefault(str(record["patient_id"]), []).append(record)
    rows: list[dict] = []
    for patient_id in sorted(by_patient):
        rows.extend(_patient_episodes(patient_id, by_patient[patient_id], data_cut, options))
    episodes = pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))
    for column in ("start_date", "end_date"):
        episodes[column] = pd.to_datetime(episodes[column])
    for column in (
        "is_index",
        "ongoing_at_data_cut",
        "stopped_for_failure",
        "added_drug_naive",
        "follow_up_ended",
    ):
        episodes[column] = episodes[column].astype(bool)
    for column in ("episode_number", "duration_days", "overlap_days"):
        episodes[column] = episodes[column].astype("int64")
    return episodes


def select_index_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The index (first) episode of each patient."""
    return episodes.loc[episodes["is_index"].astype(bool)].reset_index(drop=True)


def derive_concomitant_therapies(
    therapies: pd.DataFrame,
    episodes: pd.DataFrame,
    categories: tuple[str, ...] = ("corticosteroid", "immunomodulator"),
) -> pd.DataFrame:
    """Courses of ``categories`` running on the episode start day, with their stop day.

    A course is running when it started on or before the DTT start and had not stopped
    before it (a course stopped on day 0 counts as running, so it is not silently missed).
    ``stop_day`` is days from the DTT start to the stop date; empty while ongoing.
    """
    merged = therapies[therapies["drug_category"].isin(categories)].merge(
        episodes[["episode_id", "patient_id", "start_date"]].rename(
            columns={"start_date": "dtt_start"}
        ),
        on="patient_id",
    )
    running = (merged["start_date"] <= merged["dtt_start"]) & (
        merged["stop_date"].isna() | (merged["stop_date"] >= merged["dtt_start"])
    )
    out = merged[running.fillna(False)].copy()
    out["stop_day"] = (out["stop_date"] - out["dtt_start"]).dt.days.astype("Int64")
    out["source_row"] = "therapies:" + out["_row"].astype(str)
    return out[
        [
            "episode_id",
            "patient_id",
            "drug",
            "drug_category",
            "mechanism_class",
            "start_date",
            "stop_date",
            "stop_reason",
            "dtt_start",
            "stop_day",
            "source_row",
        ]
    ].reset_index(drop=True)
