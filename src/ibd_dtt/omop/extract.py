"""Extract the registry tables (data contract) from an OMOP CDM, so that ``ibd-dtt validate``,
``outcomes`` and ``report`` run unchanged on EHR data.

Who is extracted: persons with an IBD condition (:func:`derive_ibd_cohort`) and at least one
DTT episode (:func:`derive_combination_episodes` over drug-aware eras). Every rule that turns
EHR records into registry values is listed in ``docs/omop.md``; in short:

- **patients**: study IDs ``EHR-000001``... in person_id order (the person_id linkage is
  written separately, never into the registry tables); sex from ``gender_concept_id``
  (8532 F, 8507 M; anything else leaves the person out, logged); ``diagnosis_date`` = the
  first IBD condition record. DTT criterion (a) *refractory* is an EHR proxy: advanced
  therapies of at least two mechanism classes started before the DTT start (the paper's
  "failing ... >= 2 different mechanisms of action"; the anchor drug counts, it was not
  enough alone). Criteria (b) and (c) cannot be read from drug and lab records and are set
  to false; a site that has EIM/IMID codes should add them before analysis.
- **therapies**: one course per drug-aware era (advanced therapies, immunomodulators,
  corticosteroids from the drug catalogue); ``stop_date`` = the last day covered by the last
  record (``era_end``, inclusive), empty when coverage reaches the data cut; ``stop_reason`` =
  ``unknown`` (an EHR shows that a course ended, not why), or ``end_of_follow_up`` when the
  course is still covered at the end of the person's observation period (censored).
- **assessments**: one row per person and date with the lab measurements of
  ``concepts/measurements.csv`` in a recognised unit, from ``measurement_lookback_days``
  before the DTT start to the data cut. Scores are only filled when a site maps its score
  concepts there; otherwise the outcome engine reports response as not evaluable, with the
  reason, and never guesses.
- **adverse_events**: condition records of ``concepts/adverse_events.csv`` from the DTT start
  to ``adverse_event_lag_days`` after its end (clinical.md 8.3), not recorded before the DTT
  start (those are pre-existing); repeats of one term are one event; CTCAE grade empty (not
  graded).

Every EHR record of an extracted person that is not carried into the registry tables, and
every person left out, is listed in the extraction log with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import yaml
from ibis import _

from ibd_dtt.contract import TABLES
from ibd_dtt.contract.codes import END_OF_FOLLOW_UP
from ibd_dtt.omop.cdm import require
from ibd_dtt.omop.concepts import DRUG_CATEGORIES, drug_concepts, load_concept_set
from ibd_dtt.omop.conditions import derive_ibd_cohort
from ibd_dtt.omop.episodes import derive_combination_episodes
from ibd_dtt.omop.eras import derive_drug_eras
from ibd_dtt.omop.pathways import derive_treatment_pathways
from ibd_dtt.omop.vocabulary import expand_descendants

SEX_OF_GENDER_CONCEPT = {8532: "F", 8507: "M"}
LOG_COLUMNS = ["table", "patient_id", "person_id", "record_id", "date", "detail", "reason"]


@dataclass(frozen=True)
class ExtractOptions:
    """Parameters of the extraction (defaults: docs/omop.md)."""

    era_gap: int = 30
    combination_window: int = 30
    data_cut: dt.date | None = None  # None: the latest observation_period end date
    adverse_event_lag_days: int = 28  # tofacitinib programme risk window, clinical.md 8.3
    measurement_lookback_days: int = 365
    concepts_folder: Path | None = None
    study_name: str = "DTT study extracted from an OMOP CDM"


@dataclass
class Extraction:
    """The registry tables (contract column names, text values as a CSV holds them), the
    study configuration, and the audit trail of the extraction."""

    tables: dict[str, pd.DataFrame]
    study: dict
    episodes: pd.DataFrame
    pathways: pd.DataFrame
    attrition: pd.DataFrame
    log: pd.DataFrame
    linkage: pd.DataFrame = field(repr=False)


def extract_registry(
    cdm: dict[str, ibis.Table],
    options: ExtractOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> Extraction:
    """Registry tables for every IBD patient with a DTT episode in ``cdm`` (see the module
    docstring for the rules)."""
    options = options or ExtractOptions()
    step = progress or (lambda _message: None)
    require(cdm, "person", "observation_period", "condition_occurrence", "drug_exposure")
    ancestor = cdm.get("concept_ancestor")
    log: list[dict] = []

    step("treatment eras and DTT episodes")
    drugs = drug_concepts(DRUG_CATEGORIES)
    eras = derive_drug_eras(cdm["drug_exposure"], drugs, options.era_gap, ancestor)
    advanced_drugs = drugs.loc[drugs["category"] == "advanced", "drug"].tolist()
    advanced_eras = eras.filter(_.drug.isin(advanced_drugs))
    episodes = derive_combination_episodes(advanced_eras, options.combination_window)
    cohort = derive_ibd_cohort(cdm["condition_occurrence"], ancestor)
    attrition = _attrition(cdm["person"], cohort, advanced_eras, episodes)

    step("persons with an IBD condition and a DTT episode")
    dtt = episodes.inner_join(cohort, "person_id").to_pandas()
    data_cut = options.data_cut or _latest_observation_end(cdm["observation_period"])
    if dtt.empty:  # the usual first run on a site's CDM: a valid answer, not an error
        return _no_dtt_persons(options, data_cut, attrition, log)
    persons = ibis.memtable(pd.DataFrame({"person_id": sorted(dtt["person_id"].unique())}))
    person = cdm["person"].inner_join(persons, "person_id").to_pandas()
    patients, linkage = _patients(person, dtt, log)
    study_id = dict(zip(linkage["person_id"], linkage["patient_id"], strict=True))
    dtt = dtt[dtt["person_id"].isin(study_id)].copy()
    dtt["patient_id"] = dtt["person_id"].map(study_id)
    index = dtt.sort_values(["person_id", "start", "regimen"]).groupby("person_id").head(1)

    step("therapy courses")
    person_eras = eras.inner_join(persons, "person_id").to_pandas()
    person_eras = person_eras[person_eras["person_id"].isin(study_id)].merge(
        drugs[["drug", "category"]].drop_duplicates("drug"), on="drug", how="left"
    )
    _add_refractory_proxy(patients, person_eras, index, study_id, advanced_drugs)
    _date_diagnosis_by_first_evidence(patients, person_eras, linkage)
    periods = cdm["observation_period"].inner_join(persons, "person_id").to_pandas()
    therapies = _therapies(person_eras, drugs, data_cut, study_id, log, periods)

    step("laboratory measurements")
    diagnosed = pd.Series(
        pd.to_datetime(patients["diagnosis_date"]).dt.date.to_numpy(), index=linkage["person_id"]
    )
    assessments = _assessments(cdm, persons, index, diagnosed, data_cut, study_id, options, log)

    step("adverse events")
    adverse_events = _adverse_events(
        cdm, persons, ancestor, index, data_cut, study_id, options, log
    )

    pathways = derive_treatment_pathways(
        person_eras[person_eras["drug"].isin(advanced_drugs)],
        combination_window=options.combination_window,
    )
    pathways.insert(0, "patient_id", pathways["person_id"].map(study_id))
    attrition.loc[len(attrition)] = [
        "extracted into the registry tables (sex recorded as F or M)",
        len(patients),
    ]
    episode_columns = ["regimen", "drug_a", "drug_b", "start", "end", "ended_by", "overlap_days"]
    episode_table = dtt.sort_values(["person_id", "start", "regimen"])[
        ["patient_id", *episode_columns, "diagnosis"]
    ]
    study = _study(options, data_cut)
    return Extraction(
        tables={
            "patients": patients,
            "therapies": therapies,
            "assessments": assessments,
            "adverse_events": adverse_events,
        },
        study=study,
        episodes=episode_table.reset_index(drop=True),
        pathways=pathways.drop(columns=["person_id"]),
        attrition=attrition,
        log=pd.DataFrame(log, columns=LOG_COLUMNS),
        linkage=linkage,
    )


def _study(options: ExtractOptions, data_cut: dt.date) -> dict:
    return {
        "study_name": options.study_name,
        "data_cut_date": data_cut.isoformat(),
        "date_format": "iso",
        "crp_uln_mg_l": 5,
        # OMOP episodes need min(last covered day) - max(start) >= combination_window, and
        # extracted stop dates are the last covered day: the registry rule is the same.
        "dtt_min_overlap_days": options.combination_window,
    }


def _no_dtt_persons(
    options: ExtractOptions, data_cut: dt.date, attrition: pd.DataFrame, log: list[dict]
) -> Extraction:
    """The extraction of a CDM without any IBD person on DTT: the attrition table says
    where everyone left, and every file is written with its columns and no rows."""
    attrition.loc[len(attrition)] = [
        "extracted into the registry tables (sex recorded as F or M)",
        0,
    ]
    return Extraction(
        tables={
            name: pd.DataFrame(columns=[c.name for c in table.columns if c.required])
            for name, table in TABLES.items()
        },
        study=_study(options, data_cut),
        episodes=pd.DataFrame(
            columns=[
                "patient_id",
                "regimen",
                "drug_a",
                "drug_b",
                "start",
                "end",
                "ended_by",
                "overlap_days",
                "diagnosis",
            ]
        ),
        pathways=pd.DataFrame(columns=["patient_id", "pathway", "steps", "first_start"]),
        attrition=attrition,
        log=pd.DataFrame(log, columns=LOG_COLUMNS),
        linkage=pd.DataFrame(columns=["patient_id", "person_id"]),
    )


def write_extraction(extraction: Extraction, out_dir: str | Path) -> Path:
    """``<table>.csv`` + ``study.yaml`` (a registry folder ``ibd-dtt validate`` reads), and
    ``extraction/`` with episodes, pathways, attrition, the log and the person_id linkage."""
    out = Path(out_dir)
    audit = out / "extraction"
    audit.mkdir(parents=True, exist_ok=True)
    for name, frame in extraction.tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    header = (
        "# Extracted from an OMOP CDM by `ibd-dtt omop extract`; rules: docs/omop.md.\n"
        "# DTT criteria (b) and (c) are not derivable from EHR drug/lab records (set false).\n"
    )
    (out / "study.yaml").write_text(
        header + yaml.safe_dump(extraction.study, sort_keys=False), encoding="utf-8"
    )
    extraction.episodes.to_csv(audit / "episodes.csv", index=False)
    extraction.pathways.to_csv(audit / "pathways.csv", index=False)
    extraction.attrition.to_csv(audit / "attrition.csv", index=False)
    extraction.log.to_csv(audit / "extraction_log.csv", index=False)
    extraction.linkage.to_csv(audit / "person_id_linkage.csv", index=False)
    (audit / "README.txt").write_text(
        "person_id_linkage.csv links study IDs to CDM person_ids: keep it with the CDM and do\n"
        "not share it with the analysis outputs. extraction_log.csv lists every record and\n"
        "person not carried into the registry tables, with the reason.\n",
        encoding="utf-8",
    )
    return out


def _latest_observation_end(observation_period: ibis.Table) -> dt.date:
    value = observation_period.observation_period_end_date.cast("date").max().to_pandas()
    return pd.Timestamp(value).date()


def _attrition(
    person: ibis.Table, cohort: ibis.Table, advanced_eras: ibis.Table, episodes: ibis.Table
) -> pd.DataFrame:
    treated = advanced_eras.select("person_id").distinct()
    dtt = episodes.select("person_id").distinct()
    steps = [
        ("persons in the CDM", person.count()),
        ("with a Crohn's disease or ulcerative colitis condition", cohort.count()),
        (
            "... and an advanced therapy",
            cohort.inner_join(treated, "person_id").count(),
        ),
        (
            "... and a DTT episode (two mechanisms overlapping >= combination_window days)",
            cohort.inner_join(dtt, "person_id").count(),
        ),
    ]
    return pd.DataFrame(
        {"step": [s for s, _c in steps], "persons": [int(c.to_pandas()) for _s, c in steps]}
    )


def _patients(
    person: pd.DataFrame, dtt: pd.DataFrame, log: list[dict]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    person = person.sort_values("person_id").reset_index(drop=True)
    sex = person["gender_concept_id"].map(SEX_OF_GENDER_CONCEPT)
    for row in person[sex.isna()].itertuples(index=False):
        log.append(
            {
                "table": "person",
                "person_id": int(row.person_id),
                "record_id": int(row.person_id),
                "detail": f"gender_concept_id {row.gender_concept_id}",
                "reason": "person left out: sex is neither 8532 (female) nor 8507 (male)",
            }
        )
    person, sex = person[sex.notna()].reset_index(drop=True), sex[sex.notna()].to_numpy()
    linkage = pd.DataFrame(
        {
            "patient_id": [f"EHR-{i:06d}" for i in range(1, len(person) + 1)],
            "person_id": person["person_id"].astype("int64").to_numpy(),
        }
    )
    first = dtt.groupby("person_id").agg(
        diagnosis=("diagnosis", "first"), ibd=("first_ibd_date", "min")
    )
    center = (
        person["care_site_id"].map(lambda v: "EHR" if pd.isna(v) else f"care site {int(v)}")
        if "care_site_id" in person
        else "EHR"
    )
    patients = pd.DataFrame(
        {
            "patient_id": linkage["patient_id"],
            "center": center,
            "sex": sex,
            "birth_year": person["year_of_birth"].astype("Int64").to_numpy(),
            "diagnosis": person["person_id"].map(first["diagnosis"]).to_numpy(),
            "diagnosis_date": person["person_id"].map(first["ibd"]).map(_iso).to_numpy(),
            "indication_refractory": False,
            "refractory_reasons": "",
            "indication_active_eim": False,
            "indication_active_imid": False,
        }
    )
    return patients, linkage


def _date_diagnosis_by_first_evidence(
    patients: pd.DataFrame, eras: pd.DataFrame, linkage: pd.DataFrame
) -> None:
    """EHR records start after diagnosis for many patients (left censoring): the diagnosis
    date is the first evidence of IBD in the record, i.e. the earlier of the first IBD
    condition record and the first advanced-therapy or immunomodulator course."""
    treated = eras[eras["category"].isin(["advanced", "immunomodulator"])]
    first_course = treated.groupby("person_id")["era_start"].min().map(_iso)
    first_course = linkage["person_id"].map(first_course)
    recorded = patients["diagnosis_date"]
    earlier = first_course.notna().to_numpy() & (
        recorded.isna().to_numpy()
        | (first_course.fillna("9999").to_numpy() < recorded.fillna("9999").to_numpy())
    )
    patients.loc[earlier, "diagnosis_date"] = first_course[earlier].to_numpy()


def _add_refractory_proxy(
    patients: pd.DataFrame,
    eras: pd.DataFrame,
    index: pd.DataFrame,
    study_id: dict,
    advanced_drugs: list[str],
) -> None:
    start = index.set_index("person_id")["start"].map(pd.Timestamp)
    prior = eras[eras["drug"].isin(advanced_drugs)].copy()
    prior = prior[pd.to_datetime(prior["era_start"]) < prior["person_id"].map(start)]
    mechanisms = prior.groupby("person_id")["mechanism_class"].nunique()
    refractory_ids = {study_id[p] for p in mechanisms[mechanisms >= 2].index}
    refractory = patients["patient_id"].isin(refractory_ids)
    patients["indication_refractory"] = refractory
    patients["refractory_reasons"] = refractory.map({True: "failed_two_mechanisms", False: ""})


def _observation_end(eras: pd.DataFrame, periods: pd.DataFrame | None) -> pd.Series:
    """End of the observation period that holds each era's start (NaT when none does)."""
    if periods is None or periods.empty or eras.empty:
        return pd.Series(pd.NaT, index=eras.index, dtype="datetime64[ns]")
    spans = periods[["person_id", "observation_period_start_date", "observation_period_end_date"]]
    spans = spans.assign(
        obs_start=pd.to_datetime(spans["observation_period_start_date"]),
        obs_end=pd.to_datetime(spans["observation_period_end_date"]),
    )[["person_id", "obs_start", "obs_end"]]
    starts = eras[["person_id"]].assign(start=pd.to_datetime(eras["era_start"]), era=eras.index)
    joined = starts.merge(spans, on="person_id", how="inner")
    within = (joined["start"] >= joined["obs_start"]) & (joined["start"] <= joined["obs_end"])
    inside = joined[within]
    ends = inside.groupby("era")["obs_end"].max()
    return ends.reindex(eras.index)


def _therapies(
    eras: pd.DataFrame,
    drugs: pd.DataFrame,
    data_cut: dt.date,
    study_id: dict,
    log: list[dict],
    periods: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One course per era. A course still covered on the last day of the person's observation
    period (before the data cut) is censored there: stop date = that day, stop reason
    ``end_of_follow_up``, never a stop."""
    eras = eras.sort_values(["person_id", "era_start", "drug"]).reset_index(drop=True)
    start = pd.to_datetime(eras["era_start"]).dt.date
    last_covered = pd.to_datetime(eras["era_end"]).dt.date  # era ends are inclusive
    observed_to = _observation_end(eras, periods)
    censored = (
        observed_to.notna()
        & (observed_to < pd.Timestamp(data_cut))
        & (pd.to_datetime(eras["era_end"]) >= observed_to)
    ).to_numpy(bool)
    last_covered = last_covered.where(~censored, observed_to.dt.date)
    after_cut = start > data_cut
    late = eras[after_cut]
    _log_records(
        log,
        "drug_exposure",
        late.assign(
            patient_id=late["person_id"].map(study_id),
            date=late["era_start"],
            detail=late["drug"] + " era of " + late["records"].astype(str) + " record(s)",
            record_id=None,
        ),
        "course starts after the data cut",
        id_column="record_id",
    )
    ongoing = last_covered >= data_cut
    interval = drugs.drop_duplicates("drug").set_index("drug")["interval_days"]
    frame = pd.DataFrame(
        {
            "patient_id": eras["person_id"].map(study_id),
            "drug": eras["drug"],
            "start_date": start.map(_iso),
            "stop_date": [
                None if o else _iso(d) for o, d in zip(ongoing, last_covered, strict=True)
            ],
            "stop_reason": [
                "" if o else (END_OF_FOLLOW_UP if c else "unknown")
                for o, c in zip(ongoing, censored, strict=True)
            ],
            "interval_days": eras["drug"].map(interval).astype("Int64"),
        }
    )
    return frame[~after_cut.to_numpy()].reset_index(drop=True)


def _assessments(
    cdm: dict[str, ibis.Table],
    persons: ibis.Table,
    index: pd.DataFrame,
    diagnosed: pd.Series,
    data_cut: dt.date,
    study_id: dict,
    options: ExtractOptions,
    log: list[dict],
) -> pd.DataFrame:
    columns = ["patient_id", "visit_date"]
    if "measurement" not in cdm:
        log.append({"table": "measurement", "reason": "the CDM has no measurement table: no labs"})
        return pd.DataFrame(columns=columns)
    require(cdm, "measurement")
    concepts = load_concept_set("measurements", options.concepts_folder)
    wanted = [int(c) for c in concepts["concept_id"].unique()]
    measurement = cdm["measurement"]
    keep = [
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
        "unit_concept_id",
    ]
    keep += [c for c in ("measurement_id", "unit_source_value") if c in measurement.columns]
    rows = (
        measurement.filter(_.measurement_concept_id.isin(wanted))
        .inner_join(persons, "person_id")
        .select(*keep)
        .to_pandas()
    )
    rows = rows[rows["person_id"].isin(study_id)].copy()
    if "measurement_id" not in rows:
        rows["measurement_id"] = pd.NA
    if "unit_source_value" not in rows:
        rows["unit_source_value"] = ""
    rows["date"] = pd.to_datetime(rows["measurement_date"]).dt.date
    rows["patient_id"] = rows["person_id"].map(study_id)
    rows = rows.sort_values(["person_id", "date", "measurement_concept_id", "measurement_id"])
    window_start = index.set_index("person_id")["start"].map(
        lambda d: pd.Timestamp(d).date() - dt.timedelta(days=options.measurement_lookback_days)
    )

    rows["detail"] = (
        "concept "
        + rows["measurement_concept_id"].astype(str)
        + " = "
        + rows["value_as_number"].astype(str)
        + " (unit_concept_id "
        + rows["unit_concept_id"].astype(str)
        + ", unit '"
        + rows["unit_source_value"].fillna("").astype(str)
        + "')"
    )

    def drop(mask: pd.Series, reason: str) -> None:
        _log_records(log, "measurement", rows[mask], reason, id_column="measurement_id")

    early = rows["date"] < rows["person_id"].map(window_start)
    drop(early, f"more than {options.measurement_lookback_days} days before the DTT start")
    before_diagnosis = ~early & (rows["date"] < rows["person_id"].map(diagnosed))
    drop(before_diagnosis, "before the first evidence of IBD (diagnosis_date)")
    late = rows["date"] > data_cut
    drop(late, "after the data cut")
    rows = rows[~(early | before_diagnosis | late)]
    no_value = rows["value_as_number"].isna()
    drop(no_value, "no value_as_number")
    rows = rows[~no_value]
    matched = _match_units(rows, concepts)
    unmatched = matched["column"].isna()
    drop(unmatched, "unit not recognised for this measurement (concepts/measurements.csv)")
    rows = rows.assign(column=matched["column"], unit=matched["unit"])[~unmatched]
    repeat = rows.duplicated(["person_id", "date", "column"], keep="first")
    drop(repeat, "same-day repeat of this lab; the first record was kept")
    rows = rows[~repeat]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    contract = TABLES["assessments"]
    values = rows.pivot(index=["patient_id", "date"], columns="column", values="value_as_number")
    values = values.map(_number)
    units = rows.pivot(index=["patient_id", "date"], columns="column", values="unit")
    for column in list(units.columns):
        if f"{column}_unit" in contract.column_names:
            values[f"{column}_unit"] = units[column]
    values = values.reset_index().rename(columns={"date": "visit_date"})
    values["visit_date"] = values["visit_date"].map(_iso)
    ordered = [c for c in contract.column_names if c in values.columns]
    return values[ordered].sort_values(["patient_id", "visit_date"]).reset_index(drop=True)


def _match_units(rows: pd.DataFrame, concepts: pd.DataFrame) -> pd.DataFrame:
    """(column, unit) of each measurement row: its unit concept is listed for its measurement
    concept, or (no usable unit concept) its unit text is among the entry's
    ``unit_source_values``."""
    found = pd.DataFrame({"column": pd.NA, "unit": pd.NA}, index=rows.index, dtype=object)
    concept = rows["measurement_concept_id"].to_numpy()
    unit_concept = pd.to_numeric(rows["unit_concept_id"], errors="coerce").fillna(0).to_numpy()
    unit_text = rows["unit_source_value"].fillna("").astype(str).str.strip().to_numpy()
    for entry in concepts.itertuples(index=False):
        same = concept == entry.concept_id
        by_concept = (
            same & (unit_concept == entry.unit_concept_id)
            if not pd.isna(entry.unit_concept_id)
            else np.zeros(len(rows), dtype=bool)
        )
        texts = [t for t in entry.unit_source_values.split("|") if t]
        by_text = same & (unit_concept == 0) & np.isin(unit_text, texts)
        hit = (by_concept | by_text) & found["column"].isna().to_numpy()
        found.loc[hit, "column"] = entry.column
        found.loc[hit, "unit"] = entry.unit
    return found


def _adverse_events(
    cdm: dict[str, ibis.Table],
    persons: ibis.Table,
    ancestor: ibis.Table | None,
    index: pd.DataFrame,
    data_cut: dt.date,
    study_id: dict,
    options: ExtractOptions,
    log: list[dict],
) -> pd.DataFrame:
    columns = ["patient_id", "onset_date", "term", "category", "ctcae_grade"]
    concepts = load_concept_set("adverse_events", options.concepts_folder)
    terms = _resolve_adverse_event_concepts(concepts, cdm.get("concept"), ancestor)
    if terms.empty:
        return pd.DataFrame(columns=columns)
    records = (
        cdm["condition_occurrence"]
        .inner_join(persons, "person_id")
        .inner_join(ibis.memtable(terms), "condition_concept_id")
        .to_pandas()
    )
    records = records[records["person_id"].isin(study_id)].copy()
    if records.empty:  # no adverse-event condition recorded for any DTT person
        return pd.DataFrame(columns=columns)
    records["date"] = pd.to_datetime(records["condition_start_date"]).dt.date
    records["patient_id"] = records["person_id"].map(study_id)
    ids = records.get("condition_occurrence_id", pd.Series(pd.NA, index=records.index))
    records["record_id"] = ids
    # Sort first: every mask below is aligned on this order (backends return rows in any).
    records = records.sort_values(["person_id", "term", "date", "record_id"]).reset_index(drop=True)
    episode = index.set_index("person_id")
    start = records["person_id"].map(episode["start"]).map(lambda d: pd.Timestamp(d).date())
    risk_end = (
        records["person_id"]
        .map(episode["end"])
        .map(lambda d: pd.Timestamp(d).date() + dt.timedelta(days=options.adverse_event_lag_days))
    )
    risk_end = risk_end.where(risk_end <= data_cut, data_cut)
    before = records["date"] < start
    preexisting = set(
        zip(records.loc[before, "person_id"], records.loc[before, "term"], strict=True)
    )

    records["detail"] = (
        records["term"] + " (concept " + records["condition_concept_id"].astype(str) + ")"
    )

    def note(mask: pd.Series, reason: str) -> None:
        _log_records(log, "condition_occurrence", records[mask], reason, id_column="record_id")

    in_window = (records["date"] >= start) & (records["date"] <= risk_end)
    note(before, "recorded before the DTT start (history, not an adverse event of DTT)")
    note(
        ~before & ~in_window,
        f"after the DTT episode + {options.adverse_event_lag_days} days or the data cut",
    )
    candidates = records[in_window]
    existed = pd.Series(
        [
            (p, t) in preexisting
            for p, t in zip(candidates["person_id"], candidates["term"], strict=True)
        ],
        index=candidates.index,
        dtype=bool,
    )
    note(
        existed.reindex(records.index, fill_value=False),
        "term also recorded before the DTT start (pre-existing)",
    )
    candidates = candidates[~existed]
    repeat = candidates.duplicated(["person_id", "term"], keep="first")
    note(
        repeat.reindex(records.index, fill_value=False),
        "repeat record of an event already extracted",
    )
    events = candidates[~repeat]
    return (
        pd.DataFrame(
            {
                "patient_id": events["patient_id"],
                "onset_date": events["date"].map(_iso),
                "term": events["term"],
                "category": events["category"],
                "ctcae_grade": pd.NA,
            }
        )
        .sort_values(["patient_id", "onset_date"])
        .reset_index(drop=True)
    )


def _resolve_adverse_event_concepts(
    concepts: pd.DataFrame, concept: ibis.Table | None, ancestor: ibis.Table | None
) -> pd.DataFrame:
    """``condition_concept_id, term, category`` for every adverse-event entry: its concept_id,
    the concepts of the CDM's ``concept`` table with its SNOMED code, and (with
    ``concept_ancestor``) their descendants."""
    direct = concepts.dropna(subset=["concept_id"])
    roots = [
        pd.DataFrame(
            {
                "root_id": direct["concept_id"].astype("int64").to_numpy(),
                "term": direct["term"].to_numpy(),
            }
        )
    ]
    coded = concepts[concepts["snomed_code"].ne("")]
    if concept is not None and len(coded):
        found = (
            concept.filter(
                (_.vocabulary_id == "SNOMED") & _.concept_code.isin(coded["snomed_code"].tolist())
            )
            .select("concept_id", "concept_code")
            .to_pandas()
        )
        code_term = dict(zip(coded["snomed_code"], coded["term"], strict=True))
        roots.append(
            pd.DataFrame(
                {
                    "root_id": found["concept_id"].astype("int64").to_numpy(),
                    "term": found["concept_code"].map(code_term).to_numpy(),
                }
            )
        )
    root_terms = pd.concat(roots, ignore_index=True).drop_duplicates()
    if root_terms.empty:
        return pd.DataFrame(columns=["condition_concept_id", "term", "category"])
    mapping = expand_descendants(
        ibis.memtable(root_terms[["root_id"]].drop_duplicates()), ancestor
    ).to_pandas()
    category = dict(zip(concepts["term"], concepts["category"], strict=True))
    resolved = mapping.merge(root_terms, on="root_id").rename(
        columns={"concept_id": "condition_concept_id"}
    )
    resolved["category"] = resolved["term"].map(category)
    return resolved[["condition_concept_id", "term", "category"]].drop_duplicates(
        "condition_concept_id"
    )


def _log_records(
    log: list[dict], table: str, rows: pd.DataFrame, reason: str, id_column: str
) -> None:
    """One log entry per row of ``rows`` (``patient_id, person_id, date, detail`` and the
    record ID in ``id_column``), all with ``reason``."""
    if rows.empty:
        return
    ids = pd.to_numeric(rows[id_column], errors="coerce").astype("Int64")
    entries = pd.DataFrame(
        {
            "table": table,
            "patient_id": rows["patient_id"].to_numpy(),
            "person_id": rows["person_id"].astype("int64").to_numpy(),
            "record_id": ids.to_numpy(),
            "date": rows["date"].map(_iso).to_numpy(),
            "detail": rows["detail"].to_numpy(),
            "reason": reason,
        }
    )
    log.extend(entries.to_dict("records"))


def _iso(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _number(value: float) -> str | None:
    if pd.isna(value):
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))
