"""Row and cross-table rules of the data contract (beyond single-cell checks).

Rule ids are stable (they appear in reports and tests): ``key.*`` duplicates,
``date.*`` impossible or out-of-study dates, ``code.*`` contradictory codes,
``ref.*`` references between tables, ``unit.*`` suspicious magnitudes, ``score.*``
incomplete or inconsistent instrument items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ibd_dtt.config import StudyConfig
from ibd_dtt.contract import codes as C
from ibd_dtt.contract.tables import HBI_COMPLICATIONS
from ibd_dtt.problems import Problem

if TYPE_CHECKING:
    from ibd_dtt.validate.engine import _Context

_PRECISION_OFFSET = {
    "day": pd.DateOffset(days=0),
    "month": pd.DateOffset(months=1, days=-1),
    "year": pd.DateOffset(years=1, days=-1),
}


def _period_end(dates: pd.Series, precision: pd.Series) -> pd.Series:
    """Last day a partial date can mean (2019-05 -> 2019-05-31)."""
    end = dates.copy()
    for name, offset in _PRECISION_OFFSET.items():
        mask = (precision == name).fillna(False)
        if mask.any():
            end[mask] = dates[mask] + offset
    return end


def _filled(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].notna()


def _duplicates(ctx: _Context) -> list[Problem]:
    key = list(ctx.table.key)
    frame = ctx.frame
    complete = frame[key].notna().all(axis=1)
    dup = frame[complete].duplicated(subset=key, keep=False)
    if not dup.any():
        return []
    problems = []
    rows_by_key = frame[complete][dup].groupby(key, dropna=False)["_row"].apply(list)
    for key_value, rows in rows_by_key.items():
        shown = key_value if isinstance(key_value, tuple) else (key_value,)
        label = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(key, shown, strict=True))
        for row in rows:
            others = [r for r in rows if r != row]
            mask = frame["_row"] == row
            problems += ctx.problem(
                "error",
                "key.duplicate",
                f"duplicate of row(s) {', '.join(map(str, others))} ({label})",
                rows=mask,
                column=key[-1],
                expected=f"unique {' + '.join(key)}",
            )
    return problems


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _after_cut(ctx: _Context, column: str, config: StudyConfig | None) -> list[Problem]:
    if config is None:
        return []
    cut = pd.Timestamp(config.data_cut_date)
    return ctx.problem(
        "error",
        "date.after_data_cut",
        f"after the data cut ({cut.date()})",
        rows=ctx.frame[column] > cut,
        column=column,
        expected=f"a date on or before {cut.date()}",
    )


def _patients(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    f = ctx.frame
    p = _duplicates(ctx) + _after_cut(ctx, "diagnosis_date", config)
    p += ctx.problem(
        "error",
        "row.missing_age",
        "neither birth_year nor age_at_diagnosis given",
        rows=f["birth_year"].isna() & f["age_at_diagnosis"].isna(),
        column="age_at_diagnosis",
        expected="birth_year or age_at_diagnosis",
    )
    dx_year = f["diagnosis_date"].dt.year
    p += ctx.problem(
        "error",
        "date.birth_after_diagnosis",
        "birth year is after the diagnosis",
        rows=f["birth_year"] > dx_year,
        column="birth_year",
        expected="a birth year before the diagnosis date",
    )
    implied = f["birth_year"].astype("Float64") + f["age_at_diagnosis"]
    p += ctx.problem(
        "error",
        "code.age_inconsistent",
        "birth_year + age_at_diagnosis differs from the diagnosis year by more than one year",
        rows=(implied - dx_year).abs() > 1,
        column="age_at_diagnosis",
        expected="consistent birth year, age and diagnosis date",
    )
    for columns, wrong in (
        (
            ["montreal_location", "montreal_upper_gi", "montreal_behaviour", "montreal_perianal"],
            ["UC"],
        ),
        (["montreal_extent", "montreal_severity"], ["CD"]),
    ):
        for column in columns:
            rows = f["diagnosis"].isin(wrong) & f[column].notna()
            p += ctx.problem(
                "error",
                "code.inconsistent_diagnosis",
                f"a {'CD' if wrong == ['UC'] else 'UC'} Montreal code on a {wrong[0]} patient",
                rows=rows,
                column=column,
                expected=f"empty for {wrong[0]}",
            )
    p += ctx.problem(
        "warning",
        "code.montreal_missing",
        "UC patient without Montreal extent",
        rows=(f["diagnosis"] == "UC") & f["montreal_extent"].isna(),
        column="montreal_extent",
        expected="E1, E2 or E3",
    )
    p += ctx.problem(
        "warning",
        "code.montreal_missing",
        "CD patient without Montreal location or behaviour",
        rows=(f["diagnosis"] == "CD")
        & (f["montreal_location"].isna() | f["montreal_behaviour"].isna()),
        column="montreal_location",
        expected="L1-L4 and B1-B3",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_surgery",
        "intestinal_surgery is 'none' but resections are counted",
        rows=(f["intestinal_surgery"] == "none") & (f["intestinal_resections"] > 0),
        column="intestinal_resections",
        expected="0 when intestinal_surgery is none",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_surgery",
        "a resection type is given but intestinal_resections is 0",
        rows=f["intestinal_surgery"].isin(["ileal", "colonic", "ileocolonic"])
        & (f["intestinal_resections"] == 0),
        column="intestinal_resections",
        expected=">= 1",
    )
    for kind, status, types in (
        ("eim", "eim_status", "eim_types"),
        ("imid", "imid_status", "imid_types"),
    ):
        flag = f"indication_active_{kind}"
        p += ctx.problem(
            "error",
            "code.inconsistent_indication",
            f"{flag} is yes but {status} is not 'active'",
            rows=f[flag].eq(True) & ~f[status].eq("active").fillna(False),
            column=flag,
            expected=f"{status} = active",
        )
        p += ctx.problem(
            "warning",
            "code.inconsistent_indication",
            f"{status} is 'active' but {flag} is no",
            rows=(f[status] == "active") & (f[flag].eq(False)),
            column=flag,
            expected="yes",
        )
        p += ctx.problem(
            "error",
            "code.inconsistent_status",
            f"{types} given but {status} is 'none'",
            rows=(f[status] == "none") & f[types].notna(),
            column=types,
            expected=f"empty when {status} is none",
        )
    p += ctx.problem(
        "warning",
        "code.refractory_reason_missing",
        "refractory (criterion a) without refractory_reasons",
        rows=(f["indication_refractory"].eq(True)) & f["refractory_reasons"].isna(),
        column="refractory_reasons",
        expected="at least one IOIBD reason",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_indication",
        "refractory_reasons given but indication_refractory is no",
        rows=(f["indication_refractory"].eq(False)) & f["refractory_reasons"].notna(),
        column="refractory_reasons",
        expected="empty, or indication_refractory yes",
    )
    reasons = f["refractory_reasons"].fillna("")
    p += ctx.problem(
        "warning",
        "code.refractory_reason_unsupported",
        "post-operative recurrence needs >= 2 resections (IOIBD)",
        rows=reasons.str.contains("postoperative_recurrence")
        & (f["intestinal_resections"].fillna(0) < 2),
        column="refractory_reasons",
        expected="intestinal_resections >= 2",
    )
    p += ctx.problem(
        "warning",
        "code.refractory_reason_unsupported",
        "complex perianal disease is a Crohn's disease reason",
        rows=reasons.str.contains("complex_perianal_disease") & (f["diagnosis"] == "UC"),
        column="refractory_reasons",
        expected="a CD patient",
    )
    no_indication = ~(
        f[["indication_refractory", "indication_active_eim", "indication_active_imid"]].eq(True)
    ).any(axis=1)
    p += ctx.problem(
        "warning",
        "eligibility.no_indication",
        "none of the DTT indications (a)-(c) is met; eligibility screening will "
        "exclude this patient",
        rows=no_indication,
        column="indication_refractory",
        expected="at least one of criteria (a)-(c)",
    )
    return p


def _therapies(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    f = ctx.frame
    p = (
        _duplicates(ctx)
        + _after_cut(ctx, "start_date", config)
        + _after_cut(ctx, "stop_date", config)
    )
    stop_end = _period_end(f["stop_date"], f["stop_date_precision"])
    p += ctx.problem(
        "error",
        "date.stop_before_start",
        "stop date is before the start date",
        rows=stop_end < f["start_date"],
        column="stop_date",
        expected="a stop date on or after start_date",
    )
    p += ctx.problem(
        "error",
        "row.stop_reason_without_stop",
        "a stop reason is given but no stop date",
        rows=f["stop_reason"].notna() & f["stop_date"].isna(),
        column="stop_reason",
        expected="a stop_date, or no stop_reason for an ongoing course",
    )
    p += ctx.problem(
        "warning",
        "row.stop_without_reason",
        "stopped without a stop reason",
        rows=f["stop_date"].notna() & f["stop_reason"].isna(),
        column="stop_reason",
        expected="one of " + ", ".join(C.STOP_REASONS),
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_optimisation",
        "optimisation_methods given but optimised is no",
        rows=(f["optimised"].eq(False)) & f["optimisation_methods"].notna(),
        column="optimisation_methods",
        expected="optimised yes",
    )
    p += _overlapping_courses(ctx, stop_end, config)
    return p


def _overlapping_courses(
    ctx: _Context, stop_end: pd.Series, config: StudyConfig | None
) -> list[Problem]:
    f = ctx.frame.assign(_end=stop_end)
    if config is not None:
        f["_end"] = f["_end"].fillna(pd.Timestamp(config.data_cut_date))
    f = f.dropna(subset=["patient_id", "drug", "start_date"]).sort_values(
        ["patient_id", "drug", "start_date"]
    )
    previous_end = f.groupby(["patient_id", "drug"])["_end"].shift()
    overlap = f["start_date"] < previous_end
    return ctx.problem(
        "warning",
        "date.overlapping_courses",
        "starts before the previous course of the same drug stopped",
        rows=overlap.reindex(ctx.frame.index, fill_value=False),
        column="start_date",
        expected="one course at a time per drug",
    )


def _ses_cd(ctx: _Context) -> list[Problem]:
    f, p = ctx.frame, []
    totals = pd.Series(0, index=f.index, dtype="Int64")
    determined = pd.Series(True, index=f.index)
    for segment in C.SES_CD_SEGMENTS:
        cells = [f"ses_{segment}_{v}" for v in C.SES_CD_VARIABLES]
        status = f[f"ses_{segment}_status"]
        n_filled = _filled(f, cells).sum(axis=1)
        column = f"ses_{segment}_status"
        p += ctx.problem(
            "error",
            "score.ses_cd_segment",
            f"segment {segment} is {'/'.join(['resected', 'not_reached'])} or "
            "not_recorded but has cell values",
            rows=status.isin(["resected", "not_reached", "not_recorded"]) & (n_filled > 0),
            column=column,
            expected="no cell values",
        )
        p += ctx.problem(
            "error",
            "score.ses_cd_segment",
            f"segment {segment} is 'scored' but not all 4 variables are filled",
            rows=(status == "scored") & (n_filled < 4),
            column=column,
            expected="all 4 variables of a scored segment",
        )
        p += ctx.problem(
            "error",
            "score.ses_cd_segment",
            f"segment {segment} is partly scored ({'/'.join(C.SES_CD_VARIABLES)})",
            rows=status.isna() & (n_filled > 0) & (n_filled < 4),
            column=cells[0],
            expected="all 4 variables, or a segment status",
        )
        totals = totals + f[cells].sum(axis=1, min_count=1).fillna(0).astype("Int64")
        determined &= (n_filled == 4) | status.isin(["resected"]).fillna(False)
    any_cells = _filled(
        f, [c for c in f.columns if c.startswith("ses_") and c.endswith(C.SES_CD_VARIABLES)]
    ).any(axis=1)
    recorded = f["ses_cd_total_recorded"]
    p += ctx.problem(
        "error",
        "score.ses_cd_total_mismatch",
        "recorded SES-CD total differs from the sum of the segment cells",
        rows=any_cells & determined & recorded.notna() & (recorded != totals),
        column="ses_cd_total_recorded",
        values=totals,
        expected="the sum of the 20 cells (value shown = sum of cells)",
    )
    return p


def _assessments(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    f = ctx.frame
    p = _duplicates(ctx) + _after_cut(ctx, "visit_date", config) + _ses_cd(ctx)
    measured = [
        c
        for c in f.columns
        if c not in ("_row", "patient_id", "visit_date")
        and not c.endswith(("_unit", "_status", "_scale", "_censored"))
    ]
    p += ctx.problem(
        "warning",
        "row.empty_visit",
        "visit has no score or lab value",
        rows=~_filled(f, measured).any(axis=1),
        column="visit_date",
        expected="at least one measurement",
    )
    for name, items in (
        ("partial Mayo", ["mayo_stool_frequency", "mayo_rectal_bleeding", "mayo_physician_global"]),
        (
            "HBI",
            [
                "hbi_general_wellbeing",
                "hbi_abdominal_pain",
                "hbi_liquid_stools",
                "hbi_abdominal_mass",
            ],
        ),
        ("UCEIS", ["uceis_vascular_pattern", "uceis_bleeding", "uceis_erosions_ulcers"]),
        ("CD-PRO2", ["cd_pro2_stool_mean", "cd_pro2_pain_mean"]),
    ):
        n = _filled(f, items).sum(axis=1)
        p += ctx.problem(
            "warning",
            "score.incomplete",
            f"{name} partly recorded; its total cannot be computed",
            rows=(n > 0) & (n < len(items)),
            column=items[0],
            expected=f"all of {', '.join(items)}",
        )
    p += _recorded_totals(ctx, config)
    hbi_items = [f"hbi_{c}" for c in HBI_COMPLICATIONS]
    n_complications = _filled(f, hbi_items).sum(axis=1)
    p += ctx.problem(
        "warning",
        "score.incomplete",
        "HBI complications partly recorded (missing ones are not counted as 0)",
        rows=(n_complications > 0) & (n_complications < len(hbi_items)),
        column=hbi_items[0],
        expected="all 8 complication columns",
    )
    scale = f["limberg_scale"].fillna("0-4")
    p += ctx.problem(
        "error",
        "cell.integer",
        "Limberg 5 does not exist on the 0-4 scale",
        rows=(scale == "0-4") & (f["limberg"] == 5),
        column="limberg",
        expected="0-4 (or set limberg_scale to I-V)",
    )
    p += ctx.problem(
        "error",
        "cell.integer",
        "Limberg 0 does not exist on the I-V scale",
        rows=(scale == "I-V") & (f["limberg"] == 0),
        column="limberg",
        expected="1-5 on the I-V scale",
    )
    p += _units(ctx, config)
    return p


PARTIAL_MAYO_ITEMS = ("mayo_stool_frequency", "mayo_rectal_bleeding", "mayo_physician_global")
HBI_MAIN_ITEMS = (
    "hbi_general_wellbeing",
    "hbi_abdominal_pain",
    "hbi_liquid_stools",
    "hbi_abdominal_mass",
)


def _hbi_from_items(f: pd.DataFrame, config: StudyConfig | None) -> pd.Series:
    """HBI from the items (missing when one is missing), blank complications counted as
    study.yaml says (``blank_hbi_complications``)."""
    complications = f[[f"hbi_{c}" for c in HBI_COMPLICATIONS]].astype("boolean")
    if config is not None and config.blank_hbi_complications == "absent":
        complications = complications.fillna(False)
    main = f[list(HBI_MAIN_ITEMS)].astype("Float64")
    total = main.sum(axis=1) + complications.astype("Float64").sum(axis=1)
    return total.where(main.notna().all(axis=1) & complications.notna().all(axis=1))


def _recorded_totals(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    """A recorded total must equal the sum of its items when every item is given."""
    f, p = ctx.frame, []
    items = f[list(PARTIAL_MAYO_ITEMS)].astype("Float64")
    partial_mayo = items.sum(axis=1).where(items.notna().all(axis=1))
    for column, from_items, what in (
        (
            "partial_mayo_total_recorded",
            partial_mayo,
            "stool frequency + rectal bleeding + physician global",
        ),
        (
            "hbi_total_recorded",
            _hbi_from_items(f, config),
            "the 4 main items + 1 point per complication",
        ),
    ):
        recorded = f[column].astype("Float64")
        shown = pd.Series(
            [
                f"recorded {r:g}, items give {i:g}" if pd.notna(r) and pd.notna(i) else pd.NA
                for r, i in zip(recorded, from_items, strict=True)
            ],
            index=f.index,
            dtype="object",
        )
        p += ctx.problem(
            "error",
            "score.total_mismatch",
            f"the recorded total differs from the sum of its items ({what})",
            rows=recorded.notna() & from_items.notna() & (recorded != from_items),
            column=column,
            values=shown,
            expected="the sum of the items, or leave the recorded total empty",
        )
    return p


def _uncomputable_scores(
    ctx: _Context, diagnosis: pd.Series, config: StudyConfig | None
) -> list[Problem]:
    """Per patient and instrument: visits that have items of partial Mayo (UC/IBDU) or HBI
    (CD) but where the total cannot be computed, with the empty items named, so that a score
    never vanishes from the analysis without a word."""
    f, p = ctx.frame, []
    complications = [f"hbi_{c}" for c in HBI_COMPLICATIONS]
    blank_absent = config is not None and config.blank_hbi_complications == "absent"
    hbi_required = list(HBI_MAIN_ITEMS) + ([] if blank_absent else complications)
    instruments = (
        (
            "partial Mayo",
            ("UC", "IBDU"),
            list(PARTIAL_MAYO_ITEMS),
            list(PARTIAL_MAYO_ITEMS),
            "partial_mayo_total_recorded",
            "fill in the three items, or give partial_mayo_total_recorded",
        ),
        (
            "HBI",
            ("CD",),
            list(HBI_MAIN_ITEMS) + complications,
            hbi_required,
            "hbi_total_recorded",
            "fill in every item (complications as no/yes), give hbi_total_recorded"
            + (
                ""
                if blank_absent
                else ", or set blank_hbi_complications: absent in "
                "study.yaml if an empty complication means absent"
            ),
        ),
    )
    for name, diagnoses, any_items, required, recorded, advice in instruments:
        applies = diagnosis.isin(diagnoses)
        attempted = applies & (_filled(f, any_items).any(axis=1) | f[recorded].notna())
        computable = _filled(f, required).all(axis=1) | f[recorded].notna()
        failing = attempted & ~computable
        if not failing.any():
            continue
        for patient, rows in f[failing].groupby("patient_id", sort=True):
            n_attempted = int((attempted & (f["patient_id"] == patient)).sum())
            empty = [c for c in required if rows[c].isna().any()]
            named = [c for c in empty if c not in complications]
            if set(complications) <= set(empty):
                named.append(
                    f"all 8 complication columns ({complications[0]} ... {complications[-1]})"
                )
            else:
                named += [c for c in empty if c in complications]
            first = pd.Series(False, index=f.index)
            first[rows.index[0]] = True
            p += ctx.problem(
                "warning",
                "score.not_computable",
                f"{name} cannot be computed at {len(rows)} of {n_attempted} visit(s) of this "
                f"patient with {name} items: {', '.join(named)} empty; these visits have no "
                f"{name} in the analysis",
                rows=first,
                column=empty[0],
                expected=advice,
            )
    return p


def _units(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    """Magnitudes that suggest the wrong unit (clinical.md §3.1)."""
    f, p = ctx.frame, []
    units = config.default_units if config else None
    checks = (
        (
            "crp",
            "crp_unit",
            units.crp if units else "mg/L",
            [
                (
                    "mg/dL",
                    lambda v: v > 50,
                    "CRP above 50 mg/dL (500 mg/L) suggests the value is in mg/L",
                )
            ],
        ),
        (
            "albumin",
            "albumin_unit",
            units.albumin if units else "g/L",
            [
                ("g/L", lambda v: v < 10, "albumin below 10 g/L suggests the value is in g/dL"),
                ("g/dL", lambda v: v > 10, "albumin above 10 g/dL suggests the value is in g/L"),
            ],
        ),
        (
            "hematocrit",
            "hematocrit_unit",
            units.hematocrit if units else "%",
            [
                ("%", lambda v: v <= 1, "hematocrit <= 1 % suggests a volume fraction (L/L)"),
                ("L/L", lambda v: v > 1, "hematocrit > 1 L/L suggests the value is in %"),
            ],
        ),
    )
    for value_col, unit_col, default, rules in checks:
        unit = f[unit_col].fillna(default)
        value = f[value_col]
        for rule_unit, test, message in rules:
            rows = (unit == rule_unit) & test(value).fillna(False)
            p += ctx.problem(
                "warning",
                "unit.suspicious_magnitude",
                message,
                rows=rows,
                column=value_col,
                expected=f"a plausible value in {rule_unit}",
            )
    return p


def _adverse_events(ctx: _Context, config: StudyConfig | None) -> list[Problem]:
    f = ctx.frame
    p = (
        _duplicates(ctx)
        + _after_cut(ctx, "onset_date", config)
        + _after_cut(ctx, "resolution_date", config)
    )
    p += ctx.problem(
        "error",
        "date.resolution_before_onset",
        "resolved before its onset",
        rows=f["resolution_date"] < f["onset_date"],
        column="resolution_date",
        expected="a date on or after onset_date",
    )
    fatal = f["outcome"] == "fatal"
    p += ctx.problem(
        "error",
        "code.inconsistent_outcome",
        "CTCAE grade 5 (death) but the outcome is not fatal",
        rows=(f["ctcae_grade"] == 5) & f["outcome"].notna() & ~fatal,
        column="outcome",
        expected="fatal",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_outcome",
        "fatal outcome but CTCAE grade < 5",
        rows=fatal & (f["ctcae_grade"] < 5),
        column="ctcae_grade",
        expected="5",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_outcome",
        "serious_death is yes but the outcome is not fatal",
        rows=(f["serious_death"].eq(True)) & ~fatal.fillna(False),
        column="serious_death",
        expected="outcome fatal",
    )
    p += ctx.problem(
        "error",
        "code.inconsistent_outcome",
        "a resolution date is given but the outcome is not recovered",
        rows=f["resolution_date"].notna() & f["outcome"].isin(["not_recovered", "fatal"]),
        column="resolution_date",
        expected="empty, or outcome recovered",
    )
    suspected = f["suspected_drugs"].fillna("").str.split(";")
    acted = f["action_taken"].fillna("").str.split(";")
    not_suspected = pd.Series(
        [
            any(a.split(":")[0] not in s for a in acts if a)
            for s, acts in zip(suspected, acted, strict=True)
        ],
        index=f.index,
    )
    p += ctx.problem(
        "warning",
        "code.action_drug_not_suspected",
        "an action is recorded for a drug not listed as suspected",
        rows=not_suspected,
        column="action_taken",
        expected="actions only for suspected_drugs",
    )
    return p


def check_rows(contexts: dict[str, _Context], config: StudyConfig | None) -> list[Problem]:
    """Row-level and within-table rules of every table present."""
    checks = {
        "patients": _patients,
        "therapies": _therapies,
        "assessments": _assessments,
        "adverse_events": _adverse_events,
    }
    problems: list[Problem] = []
    for name, check in checks.items():
        if name in contexts:
            problems += check(contexts[name], config)
    return problems


def check_references(
    contexts: dict[str, _Context],
    accepted_ids: set[str],
    rejected_ids: set[str],
    config: StudyConfig | None = None,
    lost: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Rows of other tables must point to an accepted patient; dates follow the diagnosis.

    When a referenced table is ``lost`` (missing or unreadable, already an error), its
    consequences are one line, not an error for every row that refers to it.
    """
    problems: list[Problem] = []
    if "patients" in lost:
        counts = {
            name: int(contexts[name].frame["patient_id"].notna().sum())
            for name in ("therapies", "assessments", "adverse_events")
            if name in contexts and name not in lost
        }
        counts = {name: n for name, n in counts.items() if n}
        if counts:
            problems.append(
                Problem(
                    "warning",
                    "ref.not_checked",
                    f"the patient_id of {sum(counts.values())} row(s) ("
                    + ", ".join(f"{name} {n}" for name, n in counts.items())
                    + ") could not be checked because table 'patients' is missing or "
                    "unreadable (see the error above)",
                    "a patients table",
                    "patients",
                )
            )
        return problems
    patients = contexts.get("patients")
    dx = (
        patients.frame.dropna(subset=["patient_id"])
        .drop_duplicates("patient_id", keep=False)
        .set_index("patient_id")
        if patients is not None
        else pd.DataFrame()
    )
    therapies = contexts.get("therapies")
    for name in ("therapies", "assessments", "adverse_events"):
        ctx = contexts.get(name)
        if ctx is None:
            continue
        ids = ctx.frame["patient_id"]
        problems += ctx.problem(
            "error",
            "ref.unknown_patient",
            "patient_id not in patients",
            rows=ids.notna() & ~ids.isin(accepted_ids | rejected_ids),
            column="patient_id",
            expected="a patient_id of the patients table",
        )
        problems += ctx.problem(
            "error",
            "ref.patient_rejected",
            "the patient's row in patients was rejected",
            rows=ids.isin(rejected_ids),
            column="patient_id",
            expected="a valid patients row",
        )
        if dx.empty:
            continue
        diagnosis = ids.map(dx["diagnosis"])
        dx_start = ids.map(dx["diagnosis_date"])
        if name == "assessments":
            problems += ctx.problem(
                "error",
                "date.before_diagnosis",
                "visit is before the IBD diagnosis",
                rows=ctx.frame["visit_date"] < dx_start,
                column="visit_date",
                expected="a date on or after diagnosis_date",
            )
            problems += _wrong_disease_scores(ctx, diagnosis)
            problems += _uncomputable_scores(ctx, diagnosis, config)
        elif name == "therapies":
            advanced = ctx.frame["drug"].isin(_advanced_abbreviations())
            problems += ctx.problem(
                "warning",
                "date.before_diagnosis",
                "advanced therapy started before the IBD diagnosis",
                rows=advanced & (ctx.frame["start_date"] < dx_start),
                column="start_date",
                expected="a date after diagnosis_date",
            )
        else:
            problems += ctx.problem(
                "warning",
                "date.before_diagnosis",
                "adverse event before the IBD diagnosis",
                rows=ctx.frame["onset_date"] < dx_start,
                column="onset_date",
                expected="a date after diagnosis_date",
            )
            if therapies is not None and "therapies" not in lost:
                problems += _suspected_not_given(ctx, therapies)
    return problems


def _advanced_abbreviations() -> set[str]:
    from ibd_dtt.catalogue import load_drug_catalogue

    return {d.abbreviation for d in load_drug_catalogue().drugs if d.is_advanced}


def _wrong_disease_scores(ctx: _Context, diagnosis: pd.Series) -> list[Problem]:
    problems = []
    for column in ctx.table.columns:
        if column.applies_to == ("UC", "CD", "IBDU") or column.name not in ctx.present:
            continue
        rows = (
            diagnosis.notna() & ~diagnosis.isin(column.applies_to) & ctx.frame[column.name].notna()
        )
        problems += ctx.problem(
            "warning",
            "code.score_for_other_disease",
            f"{column.name} is for {'/'.join(column.applies_to)} patients; "
            "ignored for this patient's diagnosis",
            rows=rows,
            column=column.name,
            expected="empty",
        )
    return problems


def _suspected_not_given(ctx: _Context, therapies: _Context) -> list[Problem]:
    given_pairs = therapies.frame.dropna(subset=["patient_id", "drug"])
    given = set(zip(given_pairs["patient_id"], given_pairs["drug"], strict=True))
    suspected = ctx.frame["suspected_drugs"].fillna("").str.split(";")
    missing = pd.Series(
        [
            pd.notna(pid) and bool(pid) and any(d and (pid, d) not in given for d in drugs)
            for pid, drugs in zip(ctx.frame["patient_id"], suspected, strict=True)
        ],
        index=ctx.frame.index,
    )
    return ctx.problem(
        "warning",
        "ref.suspected_drug_not_given",
        "a suspected drug is not among the patient's therapies",
        rows=missing,
        column="suspected_drugs",
        expected="a drug listed in therapies for this patient",
    )
