"""Open an OMOP CDM with Ibis and check the tables a step needs, with clear errors.

One implementation of the logic runs on every backend, so opening a CDM is the only place
that knows where the data lives:

=========================================  ==============================================
source                                     backend
=========================================  ==============================================
``cdm/`` (folder of ``<table>.parquet``    DuckDB in memory, reading the files in place
or ``<table>.csv``)
``cdm.duckdb``                             DuckDB file, read only
``postgresql://user:pw@host:5432/db``      PostgreSQL (``?schema=cdm`` or ``schema=``
                                           picks the CDM schema; default ``public``)
``spark:cdm/`` (folder)                    Spark in local mode, one view per file
a ``pyspark.sql.SparkSession``             Spark: the tables of its catalog (``schema=``
                                           picks the database)
=========================================  ==============================================
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import ibis

from ibd_dtt.errors import IbdDttError
from ibd_dtt.parallel import interrupt_on_signal, received_signal, restore_signal_handlers

REQUIRED_COLUMNS = {
    "drug_exposure": ("person_id", "drug_concept_id", "drug_exposure_start_date", "days_supply"),
    "person": ("person_id", "gender_concept_id", "year_of_birth"),
    "condition_occurrence": ("person_id", "condition_concept_id", "condition_start_date"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
    "measurement": (
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
        "unit_concept_id",
    ),
    "observation_period": (
        "person_id",
        "observation_period_start_date",
        "observation_period_end_date",
    ),
}
POSTGRES_SCHEMES = ("postgres", "postgresql")
SPARK_LOG4J = Path(__file__).with_name("spark-log4j2.properties").as_uri()


class CdmError(IbdDttError):
    """The CDM cannot be opened or lacks a table or column a step needs."""


def open_cdm(
    source: str | Path | Any, memory_limit: str | None = None, schema: str | None = None
) -> dict[str, ibis.Table]:
    """The tables of a CDM as Ibis tables keyed by lower-case name (see the module docstring
    for the sources understood). ``memory_limit`` (e.g. ``"3GB"``) caps DuckDB's memory;
    above it DuckDB spills to disk."""
    if _is_spark_session(source):
        tables = _spark_catalog(source, schema)
    else:
        text = str(source)
        if urlparse(text).scheme in POSTGRES_SCHEMES:
            tables = _postgres(text, schema)
        elif text.startswith("spark:"):
            tables = _spark_folder(Path(text.removeprefix("spark:")))
        else:
            tables = _duckdb(Path(text), memory_limit)
    return {name: normalise_types(name, table) for name, table in tables.items()}


# OMOP identifiers that are integers in every CDM version (vocabulary_id, domain_id,
# concept_class_id and relationship_id are text and stay text).
def _is_integer_id(column: str) -> bool:
    return column in ("person_id", "concept_id") or column.endswith(
        ("_concept_id", "_exposure_id", "_occurrence_id", "measurement_id", "observation_period_id")
    )


def normalise_types(name: str, table: ibis.Table) -> ibis.Table:
    """The table with the types every step expects, whatever the CDM was written with:
    integers as int64 (the official DDL and OHDSI's Parquet exports use 32-bit ``integer``),
    identifier and date columns read as text (a CSV folder, a header-only vocabulary file)
    as int64 and date, timestamps in ``*_date`` columns as dates, decimals as float64.

    Text that does not convert is a :class:`CdmError` naming the table, column and a value.
    """
    casts = {}
    for column, dtype in table.schema().items():
        if dtype.is_integer() and not dtype.is_int64():
            casts[column] = "int64"
        elif dtype.is_decimal():
            casts[column] = "float64"
        elif dtype.is_string() and _is_integer_id(column):
            _check_convertible(name, table, column, "int64", "an integer identifier")
            casts[column] = "int64"
        elif column.endswith("_date") and (dtype.is_string() or dtype.is_timestamp()):
            if dtype.is_string():
                _check_convertible(name, table, column, "date", "a YYYY-MM-DD date")
            casts[column] = "date"
    if not casts:
        return table
    return table.mutate(**{column: table[column].cast(kind) for column, kind in casts.items()})


def _check_convertible(name: str, table: ibis.Table, column: str, kind: str, what: str) -> None:
    value = table[column]
    bad = table.filter(value.notnull() & (value.strip() != "") & value.try_cast(kind).isnull())
    example = bad.select(value).limit(1).to_pyarrow()
    if example.num_rows:
        raise CdmError(
            f"table {name!r}, column {column!r}: {example.column(0)[0].as_py()!r} is not {what}"
        )


def _duckdb(path: Path, memory_limit: str | None) -> dict[str, ibis.Table]:
    config = {"memory_limit": memory_limit} if memory_limit else {}
    if not path.exists():
        raise CdmError(
            f"no such CDM: {path} (expected a folder of Parquet/CSV files, a .duckdb file, "
            "a postgresql:// URL or spark:FOLDER)"
        )
    if path.is_dir():
        con = ibis.duckdb.connect(**config)
        interrupt_on_signal(con.con)
        tables = {}
        for name, file in _table_files(path).items():
            if file.suffix.lower() == ".parquet":
                tables[name] = con.read_parquet(file, table_name=name)
            else:
                tables[name] = con.read_csv(file, table_name=name)
        return tables
    if path.suffix.lower() == ".zip":
        raise CdmError(_zip_hint(path))
    try:
        con = ibis.duckdb.connect(str(path), read_only=True, **config)
    except Exception as exc:  # duckdb.IOException: not a database, or a newer file format
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CdmError(f"cannot open {path} as a DuckDB database: {first}") from None
    interrupt_on_signal(con.con)
    # The table names straight from DuckDB: Ibis 12's list_tables() calls
    # DuckDBPyConnection.fetch_arrow_table, which DuckDB 2.0 removed.
    names = [
        row[0]
        for row in con.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    ]
    if not names:
        raise CdmError(f"{path} holds no tables")
    return {name.lower(): con.table(name) for name in names}


def _table_files(folder: Path) -> dict[str, Path]:
    files = {
        file.stem.lower(): file
        for file in sorted(folder.iterdir())
        if file.suffix.lower() in (".parquet", ".csv")
    }
    if not files:
        inner = [
            d
            for d in sorted(folder.iterdir())
            if d.is_dir() and any(f.suffix.lower() in (".parquet", ".csv") for f in d.iterdir())
        ]
        hint = f": the CDM's tables are in {inner[0]}, pass that folder" if len(inner) == 1 else ""
        raise CdmError(f"{folder} holds no .parquet or .csv files{hint}")
    return files


def _zip_hint(path: Path) -> str:
    """How to open a zipped CDM (OHDSI's Eunomia datasets ship as a zip of Parquet or CSV
    files): unzip it and pass the folder that holds the table files."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return f"{path} is not a readable zip archive"
    folders = sorted(
        {str(Path(n).parent) for n in names if Path(n).suffix.lower() in (".parquet", ".csv")}
    )
    where = "DIR" if folders in ([], ["."]) else f"DIR/{folders[0]}"
    return (
        f"{path} is a zip archive: unzip it first (unzip {path.name} -d DIR) and pass the "
        f"folder of table files (--cdm {where})"
    )


def _postgres(url: str, schema: str | None) -> dict[str, ibis.Table]:
    parsed = urlparse(url)
    schema = schema or parse_qs(parsed.query).get("schema", ["public"])[0]
    try:
        con = ibis.postgres.connect(
            host=parsed.hostname or "localhost",
            port=parsed.port or 5432,
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            database=parsed.path.lstrip("/") or None,
        )
    except ModuleNotFoundError as exc:
        raise CdmError(
            "PostgreSQL needs the postgres extra: pip install 'ibd-dtt[postgres]'"
        ) from exc
    except Exception as exc:  # psycopg raises its own OperationalError family
        redacted = parsed._replace(netloc=parsed.netloc.rsplit("@", 1)[-1]).geturl()
        raise CdmError(f"cannot connect to {redacted}: {exc}".strip()) from exc
    # Ctrl-C/SIGTERM cancel the running query on the server: closing the client alone
    # leaves the server working on it until it next writes to the closed socket
    interrupt_on_signal(con.con, interrupt=lambda connection: connection.cancel_safe())
    for name in ("psycopg.connection", "psycopg.transaction"):
        logger = logging.getLogger(name)
        if _not_after_a_signal not in logger.filters:
            logger.addFilter(_not_after_a_signal)
    names = con.list_tables(database=schema)
    if not names:
        raise CdmError(f"schema {schema!r} of {parsed.path.lstrip('/')} holds no tables")
    return {name.lower(): con.table(name, database=schema) for name in names}


def _not_after_a_signal(record: logging.LogRecord) -> bool:
    """Drop psycopg's warnings once the run is interrupted ("error ignored in rollback": the
    cancelled query's transaction cannot roll back while the process is exiting anyway)."""
    return received_signal() is None


def _is_spark_session(source: object) -> bool:
    return type(source).__name__ == "SparkSession" and hasattr(source, "catalog")


def local_spark_session() -> Any:
    """A local-mode SparkSession on all cores (UTC, no web UI, few shuffle partitions)."""
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as exc:
        raise CdmError("Spark needs the spark extra: pip install 'ibd-dtt[spark]'") from exc
    session = (
        SparkSession.builder.master("local[*]")
        .appName("ibd-dtt")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # no stage bars on stderr
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={SPARK_LOG4J}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _interrupt_spark_jobs_on_signal(session)
    return session


def _interrupt_spark_jobs_on_signal(session: Any) -> None:
    """Ctrl-C/SIGTERM cancel the session's running jobs, and the CLI's handlers are put back
    (PySpark replaces the SIGINT handler when it creates its context)."""
    interrupt_on_signal(session.sparkContext, interrupt=lambda context: context.cancelAllJobs())
    restore_signal_handlers()


def _spark_folder(folder: Path) -> dict[str, ibis.Table]:
    if not folder.is_dir():
        raise CdmError(f"no such CDM folder: {folder}")
    files = _table_files(folder)
    session = local_spark_session()
    for name, file in files.items():
        reader = session.read
        if file.suffix.lower() == ".csv":
            frame = reader.option("header", True).option("inferSchema", True).csv(str(file))
        else:
            frame = reader.parquet(str(file))
        frame.createOrReplaceTempView(name)
    con = ibis.pyspark.connect(session)
    return {name: con.table(name) for name in files}


def _spark_catalog(session: Any, schema: str | None) -> dict[str, ibis.Table]:
    _interrupt_spark_jobs_on_signal(session)
    con = ibis.pyspark.connect(session)
    listed = session.catalog.listTables(schema) if schema else session.catalog.listTables()
    # Temporary views belong to the session, not to a database; Ibis' own are internal.
    names = [
        t.name
        for t in listed
        if not t.name.startswith("ibis_") and (schema is None or not t.isTemporary)
    ]
    if not names:
        raise CdmError(f"the Spark catalog holds no tables{f' in {schema}' if schema else ''}")
    database = {"database": schema} if schema else {}
    return {name.lower(): con.table(name, **database) for name in names}


def require(tables: dict[str, ibis.Table], *names: str) -> None:
    """Raise one error listing every missing table and column."""
    problems = []
    for name in names:
        if name not in tables:
            problems.append(f"table {name!r} is missing")
            continue
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in tables[name].columns]
        if missing:
            problems.append(f"table {name!r} lacks column(s) {', '.join(missing)}")
    if problems:
        raise CdmError("the CDM cannot be used: " + "; ".join(problems))
