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


def test_outcomes_command_writes_tables_and_prints_rates(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["outcomes", str(ROOT / "examples" / "paper_cohort"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.stdout
    assert "88.24" in result.stdout and "91.67" in result.stdout
    for name in ("outcomes", "analysis_visits", "visit_candidates", "exclusions", "attrition"):
        assert (out / f"{name}.csv").is_file() and (out / f"{name}.parquet").is_file()


def test_outcomes_command_several_strategies_and_bad_options(tmp_path):
    data = str(ROOT / "examples" / "paper_cohort")
    result = runner.invoke(
        app, ["outcomes", data, "--out", str(tmp_path), "--missing", "nri", "--missing", "locf"]
    )
    assert result.exit_code == 0, result.stdout
    assert (tmp_path / "nri" / "outcomes.csv").is_file()
    assert (tmp_path / "locf" / "outcomes.csv").is_file()
    bad = runner.invoke(app, ["outcomes", data, "--out", str(tmp_path), "--missing", "worst"])
    assert bad.exit_code == 2 and "as-observed" in bad.stdout
    assert "--after-episode" not in bad.stdout  # only what is wrong is named
    both = runner.invoke(
        app,
        [
            *["outcomes", data, "--out", str(tmp_path / "x")],
            *["--missing", "worst", "--after-episode", "never", "--jobs", "0"],
        ],
    )
    assert both.exit_code == 2
    assert "--missing must be one of" in both.stdout
    assert "--after-episode must be one of" in both.stdout and "--jobs" in both.stdout
    assert not (tmp_path / "x").exists()
    unknown = runner.invoke(app, ["outcomes", data, "--out", str(tmp_path), "--definitions", "x"])
    assert unknown.exit_code == 2 and "unknown definition set" in unknown.stdout


def test_outcomes_command_refuses_invalid_data(tmp_path):
    result = runner.invoke(
        app, ["outcomes", str(ROOT / "tests" / "data" / "broken"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "--allow-rejected" in result.stdout


def test_outcomes_on_partly_rejected_data_lists_the_rejected_patients(tmp_path):
    result = runner.invoke(
        app,
        [
            "outcomes",
            str(ROOT / "tests" / "data" / "broken"),
            "--out",
            str(tmp_path),
            "--allow-rejected",
        ],
    )
    assert result.exit_code == 0, result.stdout
    exclusions = (tmp_path / "exclusions.csv").read_text()
    assert "validation" in exclusions and "no DTT episode" in exclusions


def test_every_command_has_a_one_line_summary_in_the_command_list():
    # Typer's command list prints the first paragraph of each docstring with its line breaks:
    # a summary wrapped in the source would be wrapped mid-sentence in `ibd-dtt --help`
    import inspect

    import typer

    def commands(group, prefix=""):
        for name, command in getattr(group, "commands", {}).items():
            yield prefix + name, command
            yield from commands(command, prefix + name + " ")

    found = dict(commands(typer.main.get_command(app)))
    assert {"report", "share", "pool", "omop extract", "omop pathways"} <= set(found)
    for name, command in found.items():
        summary = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert summary and "\n" not in summary, name
