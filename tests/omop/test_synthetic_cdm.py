"""Episode detection on a synthetic CDM agrees with a plain-Python reading of the same rules,
and the CDM checks name what is missing."""

import datetime as dt
from collections import defaultdict

import pandas as pd
import pytest

from ibd_dtt.omop import advanced_therapy_concepts, derive_combination_episodes, derive_drug_eras
from ibd_dtt.omop.cdm import CdmError, open_cdm, require
from ibd_dtt.omop.synth import generate_omop, write_omop


def reference_episodes(
    drug_exposure: pd.DataFrame, concept_ancestor=None, era_gap=30, window=30
) -> set:
    """The rules of docs/omop.md written as loops, independently of the Ibis code."""
    concepts = advanced_therapy_concepts().set_index("concept_id")
    ingredient_of = {cid: cid for cid in concepts.index}
    if concept_ancestor is not None:
        for r in concept_ancestor.itertuples(index=False):
            if r.ancestor_concept_id in concepts.index:
                ingredient_of[r.descendant_concept_id] = r.ancestor_concept_id
    records = defaultdict(list)
    for r in drug_exposure.itertuples(index=False):
        if r.drug_concept_id not in ingredient_of:
            continue  # not an advanced therapy (steroids, immunomodulators)
        c = concepts.loc[ingredient_of[r.drug_concept_id]]
        start = pd.Timestamp(r.drug_exposure_start_date).date()
        covered = max(int(c.interval_days), int(r.days_supply or 0))
        records[(r.person_id, c.drug, c.mechanism_class)].append(
            (start, start + dt.timedelta(days=covered - 1))  # last covered day, inclusive
        )
    eras = defaultdict(list)
    for (person, drug, mechanism), spans in records.items():
        spans.sort()
        era_start, era_end = spans[0]
        for start, end in spans[1:]:
            if (start - era_end).days <= era_gap:
                era_end = max(era_end, end)
            else:
                eras[person].append((drug, mechanism, era_start, era_end))
                era_start, era_end = start, end
        eras[person].append((drug, mechanism, era_start, era_end))
    found = set()
    for person, items in eras.items():
        for a in items:
            for b in items:
                if a[0] < b[0] and a[1] != b[1]:
                    start, end = max(a[2], b[2]), min(a[3], b[3])
                    if (end - start).days >= window:
                        found.add((person, f"{a[0]}+{b[0]}", start, end))
    return found


def test_ibis_episodes_equal_the_plain_python_reference(tmp_path):
    tables = generate_omop(400, seed=7)
    cdm = open_cdm(write_omop(tables, tmp_path))
    require(cdm, "drug_exposure")
    episodes = derive_combination_episodes(
        derive_drug_eras(cdm["drug_exposure"], concept_ancestor=cdm["concept_ancestor"])
    ).execute()
    got = {
        (int(r.person_id), r.regimen, pd.Timestamp(r.start).date(), pd.Timestamp(r.end).date())
        for r in episodes.itertuples(index=False)
    }
    expected = reference_episodes(tables["drug_exposure"], tables["concept_ancestor"])
    assert len(expected) > 40  # the generator makes about 20 % DTT
    assert got == expected


def test_missing_tables_and_columns_are_listed_at_once(tmp_path):
    tables = generate_omop(5, seed=1)
    tables["drug_exposure"] = tables["drug_exposure"].drop(columns=["days_supply"])
    del tables["person"]
    cdm = open_cdm(write_omop(tables, tmp_path))
    with pytest.raises(CdmError, match=r"'person' is missing.*days_supply"):
        require(cdm, "person", "drug_exposure")
    with pytest.raises(CdmError, match="no such CDM"):
        open_cdm(tmp_path / "nowhere")


def test_synth_omop_and_omop_episodes_commands(tmp_path):
    from typer.testing import CliRunner

    from ibd_dtt.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["synth-omop", "--persons", "50", "--out", str(tmp_path / "cdm")])
    assert made.exit_code == 0, made.stdout
    found = runner.invoke(
        app,
        [
            "omop",
            "episodes",
            "--cdm",
            str(tmp_path / "cdm"),
            "--out",
            str(tmp_path / "episodes.parquet"),
        ],
    )
    assert found.exit_code == 0, found.stdout
    episodes = pd.read_parquet(tmp_path / "episodes.parquet")
    assert {"person_id", "regimen", "start", "end", "ended_by", "overlap_days"} <= set(
        episodes.columns
    )
    ibd = runner.invoke(
        app,
        [
            "omop",
            "episodes",
            "--cdm",
            str(tmp_path / "cdm"),
            "--ibd-only",
            "--out",
            str(tmp_path / "ibd.parquet"),
        ],
    )
    assert ibd.exit_code == 0, ibd.stdout
    ibd_episodes = pd.read_parquet(tmp_path / "ibd.parquet")
    assert set(ibd_episodes["diagnosis"]) <= {"CD", "UC", "IBDU"}
    assert len(ibd_episodes) == len(episodes)  # every synthetic person has IBD
    missing = runner.invoke(
        app,
        ["omop", "episodes", "--cdm", str(tmp_path / "none"), "--out", str(tmp_path / "x.parquet")],
    )
    assert missing.exit_code == 2 and "no such CDM" in missing.stdout
