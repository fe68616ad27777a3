"""The OMOP front door on a CDM nobody here wrote: OHDSI's Synthea27Nj (v5.4, official
types: 32-bit integer ids, DATE columns, decimals, header-only vocabulary tables), as shipped
(Parquet), as a CSV folder and as a .duckdb file; and a copy with four injected persons whose
DTT episodes are counted by hand below.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from test_backends import (
    POSTGRES_URL,
    needs_postgres,
    needs_spark,
    postgres_connection,
)  # tests/omop/
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry

ROOT = Path(__file__).parents[2]
ZIP = ROOT.parent / "shared" / "data" / "omop" / "Synthea27NjParquet_5.4.zip"
CLI = "from ibd_dtt.cli import main; main()"
runner = CliRunner()

pytestmark = pytest.mark.skipif(not ZIP.exists(), reason=f"{ZIP} not found (shared/ data)")


@pytest.fixture(scope="module")
def synthea(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthea")
    with zipfile.ZipFile(ZIP) as archive:
        for name in archive.namelist():
            if name.startswith("Synthea27NjParquet/") and name.endswith(".parquet"):
                (folder / Path(name).name).write_bytes(archive.read(name))
    return folder


def _as_csv(parquet: Path, target: Path) -> Path:
    target.mkdir()
    for file in parquet.glob("*.parquet"):
        pa_csv.write_csv(pq.read_table(file), target / f"{file.stem}.csv")
    return target


def _as_duckdb(parquet: Path, target: Path) -> Path:
    con = duckdb.connect(str(target))
    for file in parquet.glob("*.parquet"):
        con.execute(f"CREATE TABLE {file.stem} AS SELECT * FROM read_parquet('{file}')")
    con.close()
    return target


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True)


def test_synthea_has_the_official_32_bit_types(synthea):
    schema = pq.read_schema(synthea / "drug_exposure.parquet")
    assert schema.field("person_id").type == pa.int32()
    assert pq.read_table(synthea / "concept_ancestor.parquet").num_rows == 0


@pytest.mark.parametrize("form", ["parquet", "csv", "duckdb"])
def test_every_form_runs_with_exit_0_and_clean_stderr(synthea, tmp_path, form):
    cdm = {
        "parquet": lambda: synthea,
        "csv": lambda: _as_csv(synthea, tmp_path / "csv"),
        "duckdb": lambda: _as_duckdb(synthea, tmp_path / "cdm.duckdb"),
    }[form]()
    done = _run("omop", "extract", "--cdm", str(cdm), "--out", str(tmp_path / "registry"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    said = " ".join(done.stdout.split())
    assert "persons in the CDM │ 28" in said
    assert "No IBD person with a DTT episode" in said
    episodes = runner.invoke(
        app, ["omop", "episodes", "--cdm", str(cdm), "--out", str(tmp_path / "e.parquet")]
    )
    assert episodes.exit_code == 0, episodes.stdout
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0
    pathways = runner.invoke(
        app, ["omop", "pathways", "--cdm", str(cdm), "--out", str(tmp_path / "pathways")]
    )
    assert pathways.exit_code == 0, pathways.stdout
    assert "No person with an advanced therapy" in " ".join(pathways.stdout.split())
    header = (tmp_path / "pathways" / "treatment_pathways.csv").read_text().strip()
    assert header == "stratum_type,stratum,pathway,n,percent,censored"


def test_malformed_tables_are_one_line_errors_with_exit_2(synthea, tmp_path):
    csv = _as_csv(synthea, tmp_path / "csv")
    text = (csv / "drug_exposure.csv").read_text().splitlines()
    header = text[0].split(",")
    first = text[1].split(",")
    first[header.index('"person_id"')] = '"P-001"'
    (csv / "drug_exposure.csv").write_text("\n".join([text[0], ",".join(first), *text[2:]]))
    result = runner.invoke(
        app, ["omop", "episodes", "--cdm", str(csv), "--out", str(tmp_path / "e.parquet")]
    )
    assert result.exit_code == 2
    assert "table 'drug_exposure', column 'person_id': 'P-001' is not an integer" in " ".join(
        result.stdout.split()
    )
    csv = _as_csv(synthea, tmp_path / "csv2")
    (csv / "person.csv").write_text('"person_id","year_of_birth"\n1,1980\n')
    result = runner.invoke(
        app, ["omop", "extract", "--cdm", str(csv), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "lacks column(s) gender_concept_id" in result.stdout
    (tmp_path / "not.duckdb").write_text("not a database")
    result = runner.invoke(
        app,
        [
            "omop",
            "episodes",
            "--cdm",
            str(tmp_path / "not.duckdb"),
            "--out",
            str(tmp_path / "e.parquet"),
        ],
    )
    assert result.exit_code == 2 and "cannot open" in result.stdout
    assert "Traceback" not in result.stdout


def test_the_zip_as_shipped_and_its_parent_folder_say_which_folder_to_pass(tmp_path):
    # OHDSI ships Eunomia datasets as a zip of a folder of Parquet files; a new user's first
    # try is the zip itself, or the folder it was unzipped into
    result = runner.invoke(
        app, ["omop", "episodes", "--cdm", str(ZIP), "--out", str(tmp_path / "e.parquet")]
    )
    assert result.exit_code == 2
    message = " ".join(result.stdout.split())
    assert "is a zip archive: unzip it first" in message
    assert "--cdm DIR/Synthea27NjParquet" in message
    with zipfile.ZipFile(ZIP) as archive:
        archive.extract("Synthea27NjParquet/person.parquet", tmp_path / "unzipped")
    result = runner.invoke(
        app,
        [
            *["omop", "episodes", "--cdm", str(tmp_path / "unzipped")],
            *["--out", str(tmp_path / "e.parquet")],
        ],
    )
    assert result.exit_code == 2
    assert "pass that folder" in result.stdout and "Synthea27NjParquet" in result.stdout
    assert not (tmp_path / "e.parquet").exists()


# --- four injected persons, counted by hand -----------------------------------------------
# Concept ids are the OMOP ingredient concepts of our drug catalogue (IFX 937368, ADA
# 1119119, VDZ 45774639, UST 40161532) and OMOP's Crohn's disease (201606) and ulcerative
# colitis (81893). 99999001 is a made-up clinical-drug concept (an ustekinumab product) that
# reaches its ingredient only through concept_ancestor. Coverage of a record = max(dosing
# interval, days_supply) = 56 days for all four drugs: a record on day s covers s .. s + 55
# (OMOP inclusive dates, docs/omop.md).
IFX, ADA, VDZ, UST, UST_PRODUCT = 937368, 1119119, 45774639, 40161532, 99999001
CD, UC = 201606, 81893
INJECTED = {
    # 9001 CD: UST 2020-01-01, 02-26, 04-22 (covered to 06-16) and VDZ 03-01, 04-26
    #   (covered to 06-20): 06-16 - 03-01 = 107 days >= 30 -> DTT
    9001: (CD, [(UST, "2020-01-01", 1), (UST, "2020-02-26", 1), (UST, "2020-04-22", 1),
                (VDZ, "2020-03-01", 1), (VDZ, "2020-04-26", 1)]),
    # 9002 UC: IFX and ADA overlap for months, but both are anti-TNF -> not DTT
    9002: (UC, [(IFX, "2020-01-01", 1), (IFX, "2020-02-26", 1), (ADA, "2020-01-15", 1),
                (ADA, "2020-01-29", 1)]),
    # 9003 CD: UST 2020-01-01 (covered 01-01..02-25) and VDZ from 01-27: min(end) - max(start)
    #   = 02-25 - 01-27 = 29 days, one day short of the 30-day combination window -> not DTT
    9003: (CD, [(UST, "2020-01-01", 1), (VDZ, "2020-01-27", 1)]),
    # 9004 CD: IFX 2021-01-01, 02-26 and the ustekinumab product (NULL days_supply) from
    #   2021-02-01: reached through concept_ancestor, overlap 2021-02-01..04-22 -> DTT
    9004: (CD, [(IFX, "2021-01-01", 1), (IFX, "2021-02-26", 1), (UST_PRODUCT, "2021-02-01", None)]),
    # 9005 CD: UST 2021-06-01, 07-27 and VDZ 06-15, 08-10 -> DTT; the observation period ends
    #   2021-09-01 while both are covered: both courses censored there, DTT not stopped
    9005: (CD, [(UST, "2021-06-01", 1), (UST, "2021-07-27", 1), (VDZ, "2021-06-15", 1),
                (VDZ, "2021-08-10", 1)]),
}  # fmt: skip
OBSERVATION_END = {9005: "2021-09-01"}  # the others: 2022-12-31


def _append(folder: Path, table: str, rows: list[dict]) -> None:
    existing = pq.read_table(folder / f"{table}.parquet")
    full = [{name: row.get(name) for name in existing.schema.names} for row in rows]
    added = pa.Table.from_pylist(full, schema=existing.schema)
    pq.write_table(pa.concat_tables([existing, added]), folder / f"{table}.parquet")


@pytest.fixture(scope="module")
def injected(synthea, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("injected")
    for file in synthea.glob("*.parquet"):
        (folder / file.name).write_bytes(file.read_bytes())
    day = dt.date.fromisoformat
    persons, periods, conditions, drugs = [], [], [], []
    for person_id, (diagnosis, exposures) in INJECTED.items():
        persons.append({"person_id": person_id, "gender_concept_id": 8532, "year_of_birth": 1990,
                        "race_concept_id": 0, "ethnicity_concept_id": 0})  # fmt: skip
        periods.append({"observation_period_id": person_id, "person_id": person_id,
                        "observation_period_start_date": day("2015-01-01"),
                        "observation_period_end_date": day(
                            OBSERVATION_END.get(person_id, "2022-12-31")),
                        "period_type_concept_id": 32882})  # fmt: skip
        conditions.append({"condition_occurrence_id": person_id, "person_id": person_id,
                           "condition_concept_id": diagnosis,
                           "condition_start_date": day("2018-06-01"),
                           "condition_type_concept_id": 32020})  # fmt: skip
        for i, (concept, start, supply) in enumerate(exposures):
            drugs.append({"drug_exposure_id": person_id * 100 + i, "person_id": person_id,
                          "drug_concept_id": concept,
                          "drug_exposure_start_date": day(start),
                          "drug_exposure_end_date": day(start), "days_supply": supply,
                          "drug_type_concept_id": 32838})  # fmt: skip
    _append(folder, "person", persons)
    _append(folder, "observation_period", periods)
    _append(folder, "condition_occurrence", conditions)
    _append(folder, "drug_exposure", drugs)
    _append(folder, "concept_ancestor", [
        {"ancestor_concept_id": UST, "descendant_concept_id": UST_PRODUCT,
         "min_levels_of_separation": 1, "max_levels_of_separation": 1},
    ])  # fmt: skip
    return folder


@pytest.mark.parametrize("form", ["parquet", "duckdb"])
def test_injected_persons_give_the_hand_counted_episodes(injected, tmp_path, form):
    cdm = injected if form == "parquet" else _as_duckdb(injected, tmp_path / "cdm.duckdb")
    out = tmp_path / "episodes.parquet"
    result = runner.invoke(
        app, ["omop", "episodes", "--cdm", str(cdm), "--out", str(out), "--ibd-only"]
    )
    assert result.exit_code == 0, result.stdout
    episodes = pq.read_table(out).to_pandas().sort_values("person_id")
    assert episodes["person_id"].tolist() == [9001, 9004, 9005]
    assert episodes["regimen"].tolist() == ["UST+VDZ", "IFX+UST", "UST+VDZ"]

    pathways = runner.invoke(
        app,
        [
            "omop",
            "pathways",
            "--cdm",
            str(cdm),
            "--out",
            str(tmp_path / "p"),
            "--min-cell-count",
            "0",
        ],
    )
    assert pathways.exit_code == 0, pathways.stdout
    sunburst = pd.read_csv(tmp_path / "p" / "sunburst.csv").set_index("pathway")["n"].to_dict()
    # 9001: UST alone 01-01..02-29 (59 days), UST+VDZ 03-01..06-16, VDZ alone 06-17..06-20
    #   (3 days: a piece split off a combination and shorter than
    #   min_post_combination_duration 30, dropped) -> UST -> UST+VDZ;
    # 9005: UST alone 06-01..06-14 (13 days) and VDZ alone 09-21..10-04 (13 days) are both
    #   split pieces shorter than 30, dropped before and after the combination, as
    #   TreatmentPatterns does -> UST+VDZ;
    # 9002: ADA (01-15..02-11) lies inside IFX (01-01..04-21): IFX+ADA lasts 27 days (< 30, a
    #   switch artefact, dropped) and the IFX pieces around it merge -> IFX;
    # 9003: UST 01-01..02-25, VDZ 01-27..03-22: UST+VDZ 29 days (< 30) -> UST -> VDZ;
    # 9004: IFX 01-01..04-22, UST 02-01..03-28: IFX alone before (30 days) is kept, IFX+UST
    #   55 days, IFX alone after it 24 days (< 30, dropped) -> IFX -> IFX+UST
    assert sunburst == {
        "UST -> UST+VDZ": 1,
        "UST+VDZ": 1,
        "IFX": 1,
        "UST -> VDZ": 1,
        "IFX -> IFX+UST": 1,
    }
    done = _run("omop", "extract", "--cdm", str(cdm), "--out", str(tmp_path / "registry"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    attrition = pa_csv.read_csv(tmp_path / "registry" / "extraction" / "attrition.csv")
    assert attrition.column("persons").to_pylist() == [33, 5, 5, 3, 3]
    patients = pa_csv.read_csv(tmp_path / "registry" / "patients.csv").to_pandas()
    assert sorted(patients["diagnosis"]) == ["CD", "CD", "CD"]
    validated = runner.invoke(app, ["validate", str(tmp_path / "registry")])
    assert validated.exit_code == 0, validated.stdout
    # 9005's courses are censored at the end of observation, so its DTT did not stop
    linkage = pd.read_csv(tmp_path / "registry" / "extraction" / "person_id_linkage.csv")
    censored_id = linkage.set_index("person_id").loc[9005, "patient_id"]
    therapies = pd.read_csv(tmp_path / "registry" / "therapies.csv")
    mine = therapies[therapies["patient_id"] == censored_id]
    assert mine[["stop_date", "stop_reason"]].drop_duplicates().values.tolist() == [
        ["2021-09-01", "end_of_follow_up"]
    ]
    # (analysed although the extract holds no lab value at all: no visits, no crash)
    scored = score_registry(load_registry(tmp_path / "registry"))
    episode = analyse_registry(scored).episodes.set_index("patient_id").loc[censored_id]
    assert (episode["status"], episode["follow_up_ended"], episode["stopped_for_failure"]) == (
        "maintained",
        True,
        False,
    )


CDM_TABLES = ("person", "observation_period", "condition_occurrence", "drug_exposure",
              "concept_ancestor", "concept", "measurement")  # fmt: skip


@needs_postgres
def test_injected_cdm_in_postgresql_with_official_integer_ids(injected, tmp_path):
    schema = f"synthea_{uuid.uuid4().hex[:8]}"
    loader = postgres_connection(POSTGRES_URL)
    loader.raw_sql(f"CREATE SCHEMA {schema}")
    try:
        for name in CDM_TABLES:
            loader.create_table(name, pq.read_table(injected / f"{name}.parquet"), database=schema)
        types = loader.raw_sql(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = "
            f"'{schema}' AND table_name = 'drug_exposure' AND column_name = 'person_id'"
        ).fetchall()
        assert types == [("integer",)]  # the official DDL's type
        url = f"{POSTGRES_URL}?schema={schema}"
        out = tmp_path / "episodes.parquet"
        result = runner.invoke(
            app, ["omop", "episodes", "--cdm", url, "--out", str(out), "--ibd-only"]
        )
        assert result.exit_code == 0, result.stdout
        assert sorted(pq.read_table(out).column("person_id").to_pylist()) == [9001, 9004, 9005]
        result = runner.invoke(
            app, ["omop", "extract", "--cdm", url, "--out", str(tmp_path / "registry")]
        )
        assert result.exit_code == 0, result.stdout
        attrition = pa_csv.read_csv(tmp_path / "registry" / "extraction" / "attrition.csv")
        assert attrition.column("persons").to_pylist() == [33, 5, 5, 3, 3]
    finally:
        loader.raw_sql(f"DROP SCHEMA {schema} CASCADE")


@needs_spark
def test_injected_cdm_on_spark_gives_the_hand_counted_episodes(injected):
    # Spark reads the official 32-bit types from Parquet; the normalisation is Ibis, so the
    # same episodes come out as on DuckDB and PostgreSQL
    from ibd_dtt.omop import derive_combination_episodes, derive_drug_eras, derive_ibd_cohort
    from ibd_dtt.omop.cdm import open_cdm

    tables = open_cdm(f"spark:{injected}")
    assert tables["drug_exposure"].schema()["person_id"].is_int64()
    eras = derive_drug_eras(tables["drug_exposure"], concept_ancestor=tables["concept_ancestor"])
    episodes = derive_combination_episodes(eras).inner_join(
        derive_ibd_cohort(tables["condition_occurrence"], tables["concept_ancestor"]),
        "person_id",
    )
    frame = episodes.to_pandas().sort_values("person_id")
    assert frame["person_id"].tolist() == [9001, 9004, 9005]
    assert frame["regimen"].tolist() == ["UST+VDZ", "IFX+UST", "UST+VDZ"]
