"""Open an OMOP CDM with Ibis and check the tables a step needs, with clear errors."""

from __future__ import annotations

from pathlib import Path

import ibis

from ibd_dtt.errors import IbdDttError

REQUIRED_COLUMNS = {
    "drug_exposure": ("person_id", "drug_concept_id", "drug_exposure_start_date", "days_supply"),
    "person": ("person_id", "gender_concept_id", "year_of_birth"),
    "condition_occurrence": ("person_id", "condition_concept_id", "condition_start_date"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
}


class CdmError(IbdDttError):
    """The CDM cannot be opened or lacks a table or column a step needs."""


def open_cdm(uri: str | Path, memory_limit: str | None = None) -> dict[str, ibis.Table]:
    """Tables of a CDM given as a folder of Parquet/CSV files (one per table) or a DuckDB
    file. Table names are lower-cased. ``memory_limit`` (e.g. ``"3GB"``) caps DuckDB's
    memory; above it DuckDB spills to disk."""
    config = {"memory_limit": memory_limit} if memory_limit else {}
    path = Path(uri)
    if not path.exists():
        raise CdmError(
            f"no such CDM: {uri} (expected a folder of Parquet/CSV files or a .duckdb file)"
        )
    if path.is_dir():
        con = ibis.duckdb.connect(**config)
        tables = {}
        for file in sorted(path.iterdir()):
            if file.suffix.lower() == ".parquet":
                tables[file.stem.lower()] = con.read_parquet(file, table_name=file.stem.lower())
            elif file.suffix.lower() == ".csv":
                tables[file.stem.lower()] = con.read_csv(file, table_name=file.stem.lower())
        if not tables:
            raise CdmError(f"{uri} holds no .parquet or .csv files")
        return tables
    con = ibis.duckdb.connect(str(path), read_only=True, **config)
    return {name.lower(): con.table(name) for name in con.list_tables()}


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
