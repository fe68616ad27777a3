from pathlib import Path

from typer.testing import CliRunner

from ibd_dtt.cli import app

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def test_report_command_writes_everything_and_prints_the_headline(tmp_path):
    result = runner.invoke(
        app,
        [
            "report",
            str(ROOT / "examples" / "paper_cohort"),
            "--out",
            str(tmp_path),
            "--missing",
            "as-observed",
            "--missing",
            "nri",
            "--ci",
            "wilson",
        ],
    )
    assert result.exit_code == 0, result.stdout
    assert "88.24 % (15/17)" in result.stdout and "22.22 % (4/18)" in result.stdout
    for name in ("report.html", "tables.xlsx", "tables.docx", "provenance.json"):
        assert (tmp_path / name).exists()
    assert (
        "Wilson" in (tmp_path / "tables" / "response.csv").read_text()
        or "wilson" in (tmp_path / "tables" / "response.data.csv").read_text()
    )


def test_report_refuses_bad_options_with_exit_two(tmp_path):
    result = runner.invoke(
        app,
        [
            "report",
            str(ROOT / "examples" / "paper_cohort"),
            "--out",
            str(tmp_path),
            "--ci",
            "wald",
            "--missing",
            "mice",
        ],
    )
    assert result.exit_code == 2
    assert "--ci must be one of" in result.stdout and "--missing must be one of" in result.stdout
    assert not (tmp_path / "report.html").exists()


def test_report_on_invalid_data_exits_one_and_writes_nothing(tmp_path):
    result = runner.invoke(
        app, ["report", str(ROOT / "tests" / "data" / "broken"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "INVALID" in result.stdout
    assert not (tmp_path / "report.html").exists()


def test_report_analysed_here_or_ahead_writes_the_same_tables(tmp_path, monkeypatch):
    # small registries are analysed in a forked process while the statistics libraries are
    # imported; larger ones in this process, with progress shown: same tables either way
    import ibd_dtt.cli as cli

    args = ["report", str(ROOT / "examples" / "paper_cohort"), "--missing", "nri"]
    ahead = runner.invoke(app, [*args, "--out", str(tmp_path / "ahead")])
    monkeypatch.setattr(cli, "RUN_AHEAD_MAX_INPUT_BYTES", 0)
    here = runner.invoke(app, [*args, "--out", str(tmp_path / "here")])
    assert ahead.exit_code == here.exit_code == 0, ahead.stdout + here.stdout
    tables = sorted((tmp_path / "here" / "tables").glob("*.csv"))
    assert len(tables) > 10
    for table in tables:
        assert (tmp_path / "ahead" / "tables" / table.name).read_bytes() == table.read_bytes()
