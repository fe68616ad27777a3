"""Outputs appear whole or not at all, never over the input or a folder that is not ours,
and never as a live spreadsheet formula."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.outputs import (
    MARKER,
    OutputError,
    neutralise_formula,
    neutralise_formulas,
    output_folder,
    write_file,
)

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "paper_cohort"
runner = CliRunner()


def test_a_new_output_replaces_the_old_one_entirely(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as folder:
        (folder / "old.txt").write_text("old")
    with output_folder(out) as folder:
        (folder / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary, no lock


def test_a_failed_run_leaves_the_previous_output_and_no_partial_folder(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as folder:
        (folder / "kept.txt").write_text("kept")
    with pytest.raises(RuntimeError), output_folder(out) as folder:
        (folder / "half.txt").write_text("half")
        raise RuntimeError("a step failed")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "kept.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_folders_that_are_not_ours_and_the_input_are_refused(tmp_path):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    with (
        pytest.raises(OutputError, match="not empty and was not written by ibd-dtt"),
        output_folder(foreign),
    ):
        pass
    assert (foreign / "thesis.docx").read_text() == "precious"
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    (data / MARKER).write_text("")  # even if it looks like ours
    for target in (data, tmp_path):
        with (
            pytest.raises(OutputError, match="contains the input"),
            output_folder(target, inputs=(data,)),
        ):
            pass
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is a file"), output_folder(a_file):
        pass
    with pytest.raises(OutputError, match="cannot create"), output_folder(a_file / "out"):
        pass  # a file where a folder is expected on the way


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "out"
    with (
        output_folder(out),
        pytest.raises(OutputError, match="another ibd-dtt run"),
        output_folder(out),
    ):
        pass
    # a lock left by a killed run (its process is gone) does not block the next run
    (tmp_path / ".out.lock").write_text("999999999")
    with output_folder(out) as folder:
        (folder / "a").write_text("")
    assert (out / "a").exists() and not (tmp_path / ".out.lock").exists()


def test_write_file_is_atomic_and_refuses_a_missing_folder(tmp_path):
    target = tmp_path / "p.csv"
    write_file(target, lambda p: p.write_text("one"))
    with pytest.raises(ValueError):
        write_file(target, lambda p: (p.write_text("half"), int("x")))
    assert target.read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]
    with pytest.raises(OutputError, match="does not exist"):
        write_file(tmp_path / "missing" / "p.csv", lambda p: p.write_text(""))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_an_output_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError), output_folder(locked / "out"):
            pass
    finally:
        locked.chmod(0o700)


# OWASP "CSV injection": cells starting with = + - @ tab CR are prefixed with '
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-2.0", "-2.0"),
        ("-1.5 (-3.0–0.5)", "-1.5 (-3.0–0.5)"),
        ("+12 %", "+12 %"),
        ("Arthralgia", "Arthralgia"),
        (3, 3),
    ],
)
def test_formula_neutralisation(value, expected):
    assert neutralise_formula(value) == expected


@given(st.text())
def test_no_neutralised_text_can_start_a_formula(text):
    result = neutralise_formula(text)
    if result != text:
        assert result == "'" + text
    elif text[:1] in ("=", "@", "\t", "\r"):
        pytest.fail(f"{text!r} left as a formula")


def test_neutralise_formulas_keeps_other_cells_and_types():
    frame = pd.DataFrame({"a": ["=1", "x", None], "b": [1, 2, 3]})
    out = neutralise_formulas(frame)
    assert out["a"].tolist()[:2] == ["'=1", "x"] and pd.isna(out["a"].iloc[2])
    assert out["b"].tolist() == [1, 2, 3]
    assert frame["a"].iloc[0] == "=1"  # the input is not changed


def _cohort_with_formula_term(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    ae = pd.read_csv(data / "adverse_events.csv", dtype=str, keep_default_na=False)
    ae.loc[0, "term"] = '=HYPERLINK("http://x.invalid","click")'
    ae.to_csv(data / "adverse_events.csv", index=False)
    return data


def test_report_never_writes_a_live_formula(tmp_path):
    from openpyxl import load_workbook

    data = _cohort_with_formula_term(tmp_path)
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.stdout
    found = 0
    for csv in out.rglob("*.csv"):
        for line in csv.read_text(encoding="utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith("=HYPERLINK"), csv
            found += "'=HYPERLINK" in line
    assert found > 0
    workbook = load_workbook(out / "tables.xlsx")
    texts = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert texts and all(cell.data_type == "s" for cell in texts)


def test_cli_output_errors_are_one_line_with_exit_two(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = runner.invoke(app, ["report", str(EXAMPLE), "--out", str(a_file)])
    assert result.exit_code == 2 and "is a file" in result.stdout
    assert "Traceback" not in result.stdout
    result = runner.invoke(app, ["validate", str(EXAMPLE), "--report", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 2 and "must end in .csv or .json" in result.stdout
    result = runner.invoke(
        app, ["validate", str(EXAMPLE), "--report", str(tmp_path / "missing" / "p.csv")]
    )
    assert result.exit_code == 2 and "does not exist" in result.stdout
    result = runner.invoke(app, ["report", str(EXAMPLE), "--out", str(EXAMPLE)])
    assert result.exit_code == 2 and "contains the input" in result.stdout
    assert (EXAMPLE / "patients.csv").exists()


def test_an_aggregate_export_into_a_full_report_folder_leaves_no_patient_level_file(tmp_path):
    out = tmp_path / "report"
    assert runner.invoke(app, ["report", str(EXAMPLE), "--out", str(out)]).exit_code == 0
    assert (out / "datasets").exists()
    result = runner.invoke(
        app, ["report", str(EXAMPLE), "--out", str(out), "--min-cell-count", "5"]
    )
    assert result.exit_code == 0, result.stdout
    assert not (out / "datasets").exists()
    assert not (out / "figures" / "fig2_swimmer.png").exists()
    assert not (out / "tables" / "table3_maintained.csv").exists()
