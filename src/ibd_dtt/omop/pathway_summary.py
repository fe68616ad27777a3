"""Aggregated treatment pathways: what a network shares, with small cells suppressed.

``summarise_pathways`` turns one pathway per person (:func:`derive_treatment_pathways`) into
counts overall and by age group, sex and index year, plus the step-to-step transitions a
Sankey diagram needs and the pathway counts a sunburst needs. No person identifier, date or
row-level value is kept. Counts from 1 to ``min_cell_count - 1`` are censored as OHDSI
TreatmentPatterns' ``censorType`` does:

- ``minCellCount`` — the count is replaced by ``min_cell_count`` (and flagged);
- ``remove`` — the row is left out;
- ``mean`` — the count is replaced by the mean of the censored counts of that table and
  stratum, rounded (and flagged).

Percentages of censored rows are not shown, and a stratum whose size is below
``min_cell_count`` is reported as censored as a whole (its rows are left out), so that no
count can be recovered from a total.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CENSOR_TYPES = ("minCellCount", "remove", "mean")
AGE_GROUPS = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 64, "40-64"), (65, 200, "65+"))
SEX = {8532: "F", 8507: "M"}
PATHWAY_COLUMNS = ["stratum_type", "stratum", "pathway", "n", "percent", "censored"]
SANKEY_COLUMNS = ["step", "source", "target", "n", "censored"]


@dataclass(frozen=True)
class PathwaySummary:
    """The shared tables and a sentence on how they were censored."""

    pathways: pd.DataFrame  # stratum_type, stratum, pathway, n, percent, censored
    sankey: pd.DataFrame  # step, source, target, n, censored (overall)
    sunburst: pd.DataFrame  # pathway, n, censored (overall)
    strata: pd.DataFrame  # stratum_type, stratum, persons, censored
    censoring: str


def age_group(age: float) -> str:
    """Age group at the first advanced therapy.

    >>> age_group(17), age_group(18), age_group(64), age_group(65)
    ('0-17', '18-39', '40-64', '65+')
    """
    for low, high, label in AGE_GROUPS:
        if low <= age <= high:
            return label
    return "unknown"


def _censor(frame: pd.DataFrame, min_cell_count: int, censor_type: str, by: list[str]):
    small = (frame["n"] > 0) & (frame["n"] < min_cell_count)
    frame = frame.assign(censored=small)
    if censor_type == "remove":
        return frame[~small].reset_index(drop=True)
    if censor_type == "minCellCount":
        frame.loc[small, "n"] = min_cell_count
        return frame
    means = frame[small].groupby(by, dropna=False)["n"].transform("mean").round()
    frame.loc[small, "n"] = means.astype(int)
    return frame


def summarise_pathways(
    pathways: pd.DataFrame,
    persons: pd.DataFrame,
    min_cell_count: int = 5,
    censor_type: str = "minCellCount",
) -> PathwaySummary:
    """Counts of ``pathways`` (``person_id, pathway, first_start``) overall and by age group
    at the first treatment, sex and index year; ``persons`` has ``person_id,
    year_of_birth, gender_concept_id``. ``min_cell_count`` 0 or 1 switches censoring off.

    >>> p = pd.DataFrame({"person_id": range(6), "pathway": ["IFX"] * 5 + ["UST"],
    ...     "first_start": pd.to_datetime(["2020-01-01"] * 6)})
    >>> people = pd.DataFrame({"person_id": range(6), "year_of_birth": 1990,
    ...     "gender_concept_id": 8532})
    >>> s = summarise_pathways(p, people)
    >>> s.sunburst.values.tolist()
    [['IFX', 5, False], ['UST', 5, True]]
    """
    if censor_type not in CENSOR_TYPES:
        raise ValueError(f"censor_type must be one of {', '.join(CENSOR_TYPES)}")
    if min_cell_count < 0:
        raise ValueError("min_cell_count must be 0 (off) or more")
    if pathways.empty:  # no person with an advanced therapy: every table, with no rows
        return PathwaySummary(
            pathways=pd.DataFrame(columns=PATHWAY_COLUMNS),
            sankey=pd.DataFrame(columns=SANKEY_COLUMNS),
            sunburst=pd.DataFrame(columns=["pathway", "n", "censored"]),
            strata=pd.DataFrame(columns=["stratum_type", "stratum", "persons", "censored"]),
            censoring=_censoring_text(min_cell_count, censor_type),
        )
    people = persons.set_index("person_id")
    data = pathways[["person_id", "pathway", "first_start"]].copy()
    start = pd.to_datetime(data["first_start"])
    birth = data["person_id"].map(people["year_of_birth"])
    data["age"] = [
        age_group(s.year - b) if pd.notna(b) and pd.notna(s) else "unknown"
        for s, b in zip(start, birth, strict=True)
    ]
    data["sex"] = data["person_id"].map(people["gender_concept_id"]).map(SEX).fillna("other")
    data["index_year"] = start.dt.year.astype("Int64").astype(str)
    data["all"] = "all"

    counts, strata = [], []
    for stratum_type in ("all", "age", "sex", "index_year"):
        grouped = data.groupby([stratum_type, "pathway"]).size().rename("n").reset_index()
        grouped = grouped.rename(columns={stratum_type: "stratum"})
        sizes = data.groupby(stratum_type).size()
        grouped["percent"] = grouped["n"] / grouped["stratum"].map(sizes) * 100
        grouped.insert(0, "stratum_type", stratum_type)
        counts.append(grouped)
        strata.append(
            pd.DataFrame(
                {"stratum_type": stratum_type, "stratum": sizes.index, "persons": sizes.values}
            )
        )
    table = (
        pd.concat(counts, ignore_index=True)
        if counts
        else pd.DataFrame(columns=PATHWAY_COLUMNS[:-1])
    )
    sizes = pd.concat(strata, ignore_index=True)
    threshold = max(min_cell_count, 1)
    sizes["censored"] = sizes["persons"] < threshold
    if min_cell_count > 1:
        # a stratum smaller than the threshold would reveal its pathways: left out whole
        hidden = sizes.loc[sizes["censored"], ["stratum_type", "stratum"]]
        table = table.merge(hidden, how="left", indicator=True)
        table = table[table["_merge"] == "left_only"].drop(columns="_merge")
        sizes.loc[sizes["censored"], "persons"] = pd.NA
        table = _censor(table, min_cell_count, censor_type, ["stratum_type", "stratum"])
        table.loc[table["censored"], "percent"] = float("nan")
    else:
        table = table.assign(censored=False)
    table = table.sort_values(
        ["stratum_type", "stratum", "n", "pathway"], ascending=[True, True, False, True]
    )

    steps = [p.split(" -> ") for p in data["pathway"]]
    transitions = pd.DataFrame(
        [(i + 1, a, b) for path in steps for i, (a, b) in enumerate(itertools.pairwise(path))],
        columns=["step", "source", "target"],
    )
    sankey = transitions.groupby(["step", "source", "target"]).size().rename("n").reset_index()
    sunburst = data.groupby("pathway").size().rename("n").reset_index()
    if min_cell_count > 1:
        sankey = _censor(sankey, min_cell_count, censor_type, ["step"])
        sunburst = _censor(sunburst.assign(_all=1), min_cell_count, censor_type, ["_all"])
        sunburst = sunburst.drop(columns="_all")
    else:
        sankey, sunburst = sankey.assign(censored=False), sunburst.assign(censored=False)
    censoring = _censoring_text(min_cell_count, censor_type)
    return PathwaySummary(
        pathways=table.reindex(columns=PATHWAY_COLUMNS).reset_index(drop=True),
        sankey=sankey.reindex(columns=SANKEY_COLUMNS).reset_index(drop=True),
        sunburst=sunburst.reindex(columns=["pathway", "n", "censored"])
        .sort_values(["n", "pathway"], ascending=[False, True])
        .reset_index(drop=True),
        strata=sizes.reindex(columns=["stratum_type", "stratum", "persons", "censored"]),
        censoring=censoring,
    )


def _censoring_text(min_cell_count: int, censor_type: str) -> str:
    if min_cell_count <= 1:
        return "no small-cell censoring (min_cell_count 0)"
    how = {
        "minCellCount": f"counts from 1 to {min_cell_count - 1} are shown as {min_cell_count} "
        "and flagged censored",
        "remove": f"rows with a count from 1 to {min_cell_count - 1} are left out",
        "mean": f"counts from 1 to {min_cell_count - 1} are replaced by the mean of the "
        "censored counts of their stratum and flagged censored",
    }[censor_type]
    return (
        f"{how}; percentages of censored rows are not shown; strata of fewer than "
        f"{min_cell_count} persons are left out (censorType {censor_type!r}, minCellCount "
        f"{min_cell_count}, as in OHDSI TreatmentPatterns)"
    )


def write_pathway_summary(summary: PathwaySummary, folder: Path, parameters: str) -> None:
    """``treatment_pathways.csv``, ``strata.csv``, ``sankey.csv``, ``sunburst.csv`` and a
    ``README.txt`` stating ``parameters`` and the censoring, into ``folder``."""
    from ibd_dtt.outputs import neutralise_formulas

    for name, frame in (
        ("treatment_pathways", summary.pathways),
        ("strata", summary.strata),
        ("sankey", summary.sankey),
        ("sunburst", summary.sunburst),
    ):
        neutralise_formulas(frame).to_csv(folder / f"{name}.csv", index=False)
    (folder / "README.txt").write_text(
        "Aggregated treatment pathways (ibd-dtt omop pathways): counts only, no person-level\n"
        "row, identifier or date. Rules: docs/omop.md.\n"
        f"Parameters: {parameters}.\n"
        f"Censoring: {summary.censoring}.\n",
        encoding="utf-8",
    )
