"""Fixtures shared by every test folder."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from ibd_dtt.contract import TABLES

# --doctest-modules would also collect each folder's conftest.py as a module; they all
# import as "conftest", so collecting one after another folder's was loaded fails with
# "import file mismatch" (e.g. `pytest tests/network tests/report`). They hold no doctests.
collect_ignore_glob = ["conftest.py", "*/conftest.py"]


def _csv_folder_to_workbook(folder: Path, target: Path, as_dates: bool = True) -> None:
    """Write a CSV folder as an .xlsx workbook, dates as real Excel date cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in TABLES:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        sheet = workbook.create_sheet(table)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            cells = []
            for column, value in zip(frame.columns, row, strict=True):
                if as_dates and column.endswith("_date") and len(value) == 10:
                    cells.append(pd.Timestamp(value).to_pydatetime())
                elif value.replace(".", "", 1).isdigit():
                    cells.append(float(value) if "." in value else int(value))
                else:
                    cells.append(value or None)
            sheet.append(cells)
    workbook.save(target)
    shutil.copy(folder / "study.yaml", target.with_suffix(".study.yaml"))


@pytest.fixture
def write_workbook():
    """``write_workbook(folder, target)``: a CSV folder as an .xlsx workbook (one sheet per
    table, dates as Excel date cells, numbers as numbers) with its study.yaml beside it."""
    return _csv_folder_to_workbook


@pytest.fixture(scope="session")
def scored_paper():
    """The bundled paper cohort, validated and scored."""
    from ibd_dtt.pipeline import load_registry, score_registry

    return score_registry(load_registry(Path(__file__).parents[1] / "examples" / "paper_cohort"))
