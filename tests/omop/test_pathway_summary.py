"""Aggregated pathways: counts by stratum, TreatmentPatterns' censor types, no person-level
data. Twelve hand-built persons; every expected count below is worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.omop import summarise_pathways

runner = CliRunner()
#  pathway, persons, year of birth, sex concept (8532 F, 8507 M), first treatment year
GROUPS = [
    ("IFX -> UST", 6, 1990, 8532, 2020),  # age 30 -> 18-39
    ("IFX", 3, 1950, 8507, 2021),  # age 71 -> 65+
    ("VDZ -> UST+VDZ", 2, 2010, 8532, 2021),  # age 11 -> 0-17
    ("ADA", 1, 1990, 8507, 2022),  # age 32 -> 18-39
]


def _inputs():
    pathways, persons = [], []
    for pathway, n, born, sex, year in GROUPS:
        for _ in range(n):
            pid = len(persons) + 1
            pathways.append((pid, pathway, pd.Timestamp(f"{year}-03-01")))
            persons.append((pid, born, sex))
    return (
        pd.DataFrame(pathways, columns=["person_id", "pathway", "first_start"]),
        pd.DataFrame(persons, columns=["person_id", "year_of_birth", "gender_concept_id"]),
    )


def _rows(table, stratum_type, stratum="all"):
    t = table[(table["stratum_type"] == stratum_type) & (table["stratum"] == stratum)]
    return t[["pathway", "n", "censored"]].values.tolist()


def test_min_cell_count_shows_small_counts_as_the_threshold():
    s = summarise_pathways(*_inputs(), min_cell_count=5, censor_type="minCellCount")
    assert _rows(s.pathways, "all") == [
        ["IFX -> UST", 6, False],
        ["ADA", 5, True],
        ["IFX", 5, True],
        ["VDZ -> UST+VDZ", 5, True],
    ]
    overall = s.pathways[s.pathways["stratum_type"] == "all"].set_index("pathway")
    assert overall.loc["IFX -> UST", "percent"] == 50.0
    assert overall.loc[["ADA", "IFX"], "percent"].isna().all()  # no percent of a censored row
    # strata smaller than 5 persons are left out whole: 65+ (3), 0-17 (2), M (4), 2022 (1)
    strata = s.strata.set_index(["stratum_type", "stratum"])
    assert strata.loc[("age", "18-39"), "persons"] == 7
    assert strata.loc[("sex", "F"), "persons"] == 8
    hidden = strata[strata["censored"]].index.tolist()
    assert hidden == [("age", "0-17"), ("age", "65+"), ("sex", "M"), ("index_year", "2022")]
    shown = set(zip(s.pathways["stratum_type"], s.pathways["stratum"], strict=True))
    assert not shown & set(hidden)
    assert _rows(s.pathways, "age", "18-39") == [["IFX -> UST", 6, False], ["ADA", 5, True]]
    assert s.sankey.values.tolist() == [[1, "IFX", "UST", 6, False], [1, "VDZ", "UST+VDZ", 5, True]]


def test_remove_and_mean():
    removed = summarise_pathways(*_inputs(), censor_type="remove")
    assert _rows(removed.pathways, "all") == [["IFX -> UST", 6, False]]
    assert removed.sunburst["pathway"].tolist() == ["IFX -> UST"]
    mean = summarise_pathways(*_inputs(), censor_type="mean")
    # the censored counts of the overall stratum are 3, 2 and 1: each becomes their mean, 2
    assert [n for _p, n, c in _rows(mean.pathways, "all") if c] == [2, 2, 2]
    assert "mean of the censored counts" in mean.censoring


def test_censoring_off_and_bad_arguments():
    plain = summarise_pathways(*_inputs(), min_cell_count=0)
    assert _rows(plain.pathways, "all")[-1] == ["ADA", 1, False]
    assert not plain.strata["censored"].any()
    with pytest.raises(ValueError, match="censor_type"):
        summarise_pathways(*_inputs(), censor_type="hide")


def test_cli_on_a_synthetic_cdm_writes_only_aggregates(tmp_path):
    cdm = tmp_path / "cdm"
    assert runner.invoke(app, ["synth-omop", "--persons", "300", "--out", str(cdm)]).exit_code == 0
    out = tmp_path / "pathways"
    result = runner.invoke(app, ["omop", "pathways", "--cdm", str(cdm), "--out", str(out)])
    assert result.exit_code == 0, result.stdout
    for name in ("treatment_pathways", "strata", "sankey", "sunburst"):
        frame = pd.read_csv(out / f"{name}.csv")
        assert "person_id" not in frame.columns
        assert (frame["n"].dropna() >= 5).all() if "n" in frame else True
    assert "minCellCount 5" in (out / "README.txt").read_text()
    bad = runner.invoke(
        app, ["omop", "pathways", "--cdm", str(cdm), "--out", str(out), "--censor-type", "x"]
    )
    assert bad.exit_code == 2
