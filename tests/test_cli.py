import json
from pathlib import Path

from typer.testing import CliRunner

from ibd_dtt.cli import app

ROOT = Path(__file__).parents[1]
runner = CliRunner()


def test_validate_example_exits_zero():
    result = runner.invoke(app, ["validate", str(ROOT / "examples" / "paper_cohort")])
    assert result.exit_code == 0, result.stdout
    assert "VALID" in result.stdout


def test_validate_broken_data_exits_one_and_writes_the_report(tmp_path):
    report = tmp_path / "problems.json"
    result = runner.invoke(
        app,
        [
            "validate",
            str(ROOT / "tests" / "data" / "broken"),
            "--report",
            str(report),
            "--rejected",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "INVALID" in result.stdout
    assert "unknownumab" in result.stdout
    assert json.loads(report.read_text())["valid"] is False
    assert (tmp_path / "r.csv").read_text().startswith("table,file,sheet,row,patient_id,reasons")


def test_missing_folder_exits_two_without_a_traceback(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stdout
    assert "Traceback" not in result.stdout


def test_summary_prints_the_cohort_table():
    result = runner.invoke(app, ["summary", str(ROOT / "examples" / "paper_cohort")])
    assert result.exit_code == 0, result.stdout
    assert "22.78" in result.stdout
