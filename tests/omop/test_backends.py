"""The same Ibis episode detection gives identical tables on DuckDB, Spark (local mode) and a
real PostgreSQL server, on the same synthetic CDM.

PostgreSQL: set ``IBD_DTT_TEST_POSTGRES_URL`` (``.ci/run`` installs Debian's server, starts it
and sets it); without it those tests skip and say so.
"""

from __future__ import annotations

import datetime
import os
import shutil
import uuid

import pandas as pd
import pytest

from ibd_dtt.omop import derive_combination_episodes, derive_drug_eras
from ibd_dtt.omop.cdm import CdmError, open_cdm, require
from ibd_dtt.omop.synth import generate_omop, write_omop

POSTGRES_URL = os.environ.get("IBD_DTT_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="no PostgreSQL server: set IBD_DTT_TEST_POSTGRES_URL (.ci/run starts one)",
)
needs_spark = pytest.mark.skipif(
    shutil.which("java") is None, reason="Spark needs Java 17 (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tables = generate_omop(300, seed=11)
    folder = write_omop(tables, tmp_path_factory.mktemp("cdm"))
    return tables, folder


def episode_table(cdm) -> pd.DataFrame:
    require(cdm, "drug_exposure")
    episodes = derive_combination_episodes(
        derive_drug_eras(cdm["drug_exposure"], concept_ancestor=cdm.get("concept_ancestor"))
    ).to_pandas()
    for column in ("start", "end"):
        episodes[column] = pd.to_datetime(episodes[column]).dt.strftime("%Y-%m-%d")
    episodes["person_id"] = episodes["person_id"].astype("int64")
    episodes["overlap_days"] = episodes["overlap_days"].astype("int64")
    return episodes.sort_values(["person_id", "drug_a", "drug_b", "start"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def duckdb_episodes(synthetic):
    episodes = episode_table(open_cdm(synthetic[1]))
    assert len(episodes) > 30
    return episodes


@needs_spark
def test_spark_local_mode_gives_identical_episodes(synthetic, duckdb_episodes):
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    spark_episodes = episode_table(open_cdm(f"spark:{synthetic[1]}"))
    pd.testing.assert_frame_equal(spark_episodes, duckdb_episodes, check_dtype=False)


@needs_spark
def test_spark_session_catalog_is_a_source(synthetic, duckdb_episodes):
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from ibd_dtt.omop.cdm import local_spark_session

    session = local_spark_session()
    database = f"cdm_{uuid.uuid4().hex[:8]}"
    session.sql(f"CREATE DATABASE {database}")
    try:
        for name in ("drug_exposure", "concept_ancestor"):
            frame = session.read.parquet(str(synthetic[1] / f"{name}.parquet"))
            frame.write.saveAsTable(f"{database}.{name}")
        cdm = open_cdm(session, schema=database)
        assert set(cdm) == {"drug_exposure", "concept_ancestor"}
        pd.testing.assert_frame_equal(episode_table(cdm), duckdb_episodes, check_dtype=False)
    finally:
        session.sql(f"DROP DATABASE {database} CASCADE")


@needs_postgres
def test_postgresql_server_gives_identical_episodes(synthetic, duckdb_episodes):
    import ibis

    schema = f"cdm_{uuid.uuid4().hex[:8]}"
    loader = postgres_connection(POSTGRES_URL)
    loader.raw_sql(f"CREATE SCHEMA {schema}")
    try:
        for name, frame in synthetic[0].items():
            loader.create_table(name, frame, database=schema)
        cdm = open_cdm(f"{POSTGRES_URL}?schema={schema}")
        assert isinstance(cdm["drug_exposure"], ibis.Table)
        pd.testing.assert_frame_equal(episode_table(cdm), duckdb_episodes, check_dtype=False)
        on_duckdb = extraction_tables(open_cdm(synthetic[1]))
        for name, frame in extraction_tables(cdm).items():
            pd.testing.assert_frame_equal(frame, on_duckdb[name], obj=name)
    finally:
        loader.raw_sql(f"DROP SCHEMA {schema} CASCADE")


def postgres_connection(url: str):
    """A plain Ibis connection to load test tables (the CDM under test is opened by URL)."""
    from urllib.parse import urlparse

    import ibis

    parsed = urlparse(url)
    return ibis.postgres.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.path.lstrip("/"),
    )


def test_unreachable_postgresql_is_a_clear_error_without_the_password():
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    with pytest.raises(CdmError) as error:
        open_cdm("postgresql://someone:secret@127.0.0.1:1/nowhere")
    assert "cannot connect to postgresql://127.0.0.1:1/nowhere" in str(error.value)
    assert "secret" not in str(error.value)


def test_missing_spark_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CdmError, match="no such CDM folder"):
        open_cdm(f"spark:{tmp_path / 'absent'}")


def extraction_tables(cdm) -> dict[str, pd.DataFrame]:
    from ibd_dtt.omop.extract import extract_registry

    extraction = extract_registry(cdm)
    tables = {name: frame.astype(str) for name, frame in extraction.tables.items()}
    tables["log"] = extraction.log.astype(str)
    tables["episodes"] = extraction.episodes.astype(str)
    return tables


@needs_spark
def test_spark_extraction_equals_duckdb_extraction(synthetic):
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    on_duckdb = extraction_tables(open_cdm(synthetic[1]))
    on_spark = extraction_tables(open_cdm(f"spark:{synthetic[1]}"))
    assert len(on_duckdb["patients"]) > 20
    for name, frame in on_duckdb.items():
        pd.testing.assert_frame_equal(on_spark[name], frame, obj=name)


@pytest.fixture(scope="module")
def nested_dispensings(tmp_path_factory):
    """Random dispensings of three drugs with long and short supplies (many records outlast
    their successor, the branch of the era query that the synthetic CDM rarely reaches), the
    eras a record-by-record builder gives for them, and the table as a Parquet folder."""
    import random

    from test_eras_and_episodes import CONCEPT, DAY0, ohdsi_eras

    draw = random.Random(7)
    rows = [
        (
            draw.randint(1, 40),
            draw.choice(["ADA", "IFX", "TOF"]),
            draw.randint(0, 700),
            draw.choice([None, None, 0, 14, 90, 200, 365]),
        )
        for _ in range(600)
    ]
    frame = pd.DataFrame(
        {
            "drug_exposure_id": range(1, len(rows) + 1),
            "person_id": [r[0] for r in rows],
            "drug_concept_id": [CONCEPT[r[1]] for r in rows],
            "drug_exposure_start_date": [DAY0 + datetime.timedelta(days=r[2]) for r in rows],
            "days_supply": pd.array([r[3] for r in rows], dtype="Int64"),
        }
    )
    folder = tmp_path_factory.mktemp("nested")
    frame.to_parquet(folder / "drug_exposure.parquet")
    return frame, folder, ohdsi_eras(rows, 30)


def era_rows(cdm) -> list[tuple]:
    from test_eras_and_episodes import DAY0

    eras = derive_drug_eras(cdm["drug_exposure"]).to_pandas()
    return sorted(
        (
            int(r.person_id),
            r.drug,
            (pd.Timestamp(r.era_start) - pd.Timestamp(DAY0)).days,
            (pd.Timestamp(r.era_end) - pd.Timestamp(DAY0)).days,
            int(r.records),
        )
        for r in eras.itertuples()
    )


def test_nested_dispensings_give_the_reference_eras_on_duckdb(nested_dispensings):
    _frame, folder, expected = nested_dispensings
    assert len(expected) > 100
    assert era_rows(open_cdm(folder)) == expected


@needs_spark
def test_nested_dispensings_give_the_reference_eras_on_spark(nested_dispensings):
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    _frame, folder, expected = nested_dispensings
    assert era_rows(open_cdm(f"spark:{folder}")) == expected


@needs_postgres
def test_nested_dispensings_give_the_reference_eras_on_postgresql(nested_dispensings):
    frame, _folder, expected = nested_dispensings
    schema = f"cdm_{uuid.uuid4().hex[:8]}"
    loader = postgres_connection(POSTGRES_URL)
    loader.raw_sql(f"CREATE SCHEMA {schema}")
    try:
        loader.create_table("drug_exposure", frame, database=schema)
        assert era_rows(open_cdm(f"{POSTGRES_URL}?schema={schema}")) == expected
    finally:
        loader.raw_sql(f"DROP SCHEMA {schema} CASCADE")


# The one line the JVM itself prints when Spark 4 loads an incubator module: not Spark's
# logging, and no JVM option turns it off.
JVM_INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector"
CLI = "from ibd_dtt.cli import main; main()"


def _episodes_command(cdm: str, out):
    """``ibd-dtt omop episodes --cdm CDM --out OUT`` started in a process of its own."""
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", CLI, "omop", "episodes", "--cdm", cdm, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@needs_spark
def test_spark_command_keeps_stderr_free_of_spark_logs_and_progress_bars(synthetic, tmp_path):
    # Spark's defaults print INFO/WARN lines at start-up and a progress bar per stage
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    process = _episodes_command(f"spark:{synthetic[1]}", tmp_path / "e.parquet")
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stdout + stderr
    assert "DTT episodes written" in stdout
    assert [line for line in stderr.splitlines() if line != JVM_INCUBATOR_WARNING] == []


SPARK_HANDLERS = """
import signal
import ibd_dtt.parallel as parallel
from ibd_dtt.omop.cdm import local_spark_session
parallel.install_signal_handlers()  # as the CLI does
session = local_spark_session()
interrupt, close = parallel._interruptible[session.sparkContext]
print(signal.getsignal(signal.SIGINT).__name__, close)
"""


@needs_spark
def test_spark_keeps_the_cli_signal_handlers_and_cancels_jobs_on_a_signal():
    # PySpark makes SIGINT a KeyboardInterrupt of its own when it creates its context; the
    # CLI's handler is put back, and the context is registered so that a signal cancels
    # its jobs (and is not closed by the interrupted run's clean-up)
    import subprocess
    import sys

    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    done = subprocess.run(
        [sys.executable, "-c", SPARK_HANDLERS], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_raise_interrupted", "None"]


@needs_spark
@pytest.mark.parametrize("signum", [2, 15])
def test_a_signal_during_a_spark_run_ends_it_as_interrupted(synthetic, tmp_path, signum):
    import time

    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    out = tmp_path / "e.parquet"
    process = _episodes_command(f"spark:{synthetic[1]}", out)
    try:
        time.sleep(8)  # the JVM started, jobs running or about to
        if process.poll() is not None:
            pytest.skip("the Spark run ended before the signal could be sent")
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signum, stdout + stderr
    assert "interrupted" in stdout and "Traceback" not in stdout + stderr
    assert [line for line in stderr.splitlines() if line != JVM_INCUBATOR_WARNING] == []
    assert not out.exists()


@needs_postgres
def test_a_signal_cancels_the_running_query_on_the_postgresql_server(tmp_path):
    # Exiting the client alone leaves the server working on the query (until it next writes
    # to the closed socket): the signal must cancel it on the server.
    import signal
    import time

    schema = f"slow_{uuid.uuid4().hex[:8]}"
    loader = postgres_connection(POSTGRES_URL)
    loader.raw_sql(f"CREATE SCHEMA {schema}")
    loader.raw_sql(
        f"""CREATE VIEW {schema}.drug_exposure AS
        SELECT i AS person_id, 1119119::bigint AS drug_concept_id,
               DATE '2020-01-01' + (i % 1000)::int AS drug_exposure_start_date,
               NULL::int AS days_supply
        FROM generate_series(1::bigint, 100000000000::bigint) i
        WHERE i % 1000000007 = 0"""
    )

    def running() -> int:
        # the era query reads the view through a server-side cursor
        with loader.raw_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'FETCH FORWARD%' AND pid <> pg_backend_pid()"
        ) as cursor:
            return cursor.fetchone()[0]

    out = tmp_path / "e.parquet"
    process = _episodes_command(f"{POSTGRES_URL}?schema={schema}", out)
    try:
        deadline = time.monotonic() + 60
        while running() == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert running() >= 1, process.communicate()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert running() == 0  # cancelled on the server, not left running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        loader.raw_sql(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'FETCH FORWARD%' AND pid <> pg_backend_pid()"
        ).close()
        loader.raw_sql(f"DROP SCHEMA {schema} CASCADE").close()
    assert process.returncode == 130, stdout + stderr
    assert "interrupted" in stdout and stderr == ""
    assert not out.exists()
