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
            "--percent-decimals",
            "2",
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


def test_jobs_change_nothing_in_the_output(tmp_path):
    # --jobs 2 evaluates outcomes and draws figures in worker processes: same files
    args = ["report", str(ROOT / "examples" / "paper_cohort"), "--missing", "nri"]
    one = runner.invoke(app, [*args, "--out", str(tmp_path / "one")])
    two = runner.invoke(app, [*args, "--out", str(tmp_path / "two"), "--jobs", "2"])
    assert one.exit_code == two.exit_code == 0, one.stdout + two.stdout
    files = sorted(
        p.relative_to(tmp_path / "one")
        for p in (tmp_path / "one").rglob("*")
        # report.html and report.pdf show the "Generated" time, which differs
        if p.is_file() and p.name not in ("report.html", "report.pdf")
    )
    assert len(files) > 40
    for name in files:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    assert runner.invoke(app, [*args, "--out", str(tmp_path / "x"), "--jobs", "0"]).exit_code == 2


def test_the_headline_moves_when_one_patient_changes(tmp_path):
    # A responder at 3 months (DTT11, CD, HBI drop 5) gets the baseline HBI items again at
    # month 3: the headline must follow the data, 15/17 -> 14/17.
    import shutil

    import pandas as pd

    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "paper_cohort", data)
    visits = pd.read_csv(data / "assessments.csv", dtype=str, keep_default_na=False)
    mine = visits[visits["patient_id"] == "DTT11"].sort_values("visit_date")
    baseline, month_3 = mine.index[0], mine.index[1]
    items = [c for c in visits.columns if c.startswith("hbi_")]
    visits.loc[month_3, items] = visits.loc[baseline, items].to_numpy()
    visits.to_csv(data / "assessments.csv", index=False)
    result = runner.invoke(app, ["report", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stdout
    # one decimal by default (journals' convention; --percent-decimals 2 prints the paper's)
    assert "82.4 % (14/17)" in result.stdout and "15/17" not in result.stdout


def test_a_figure_that_fails_is_an_error_naming_it(tmp_path, monkeypatch):
    from ibd_dtt.report import figures

    def broken(*args, **kwargs):
        raise ValueError("no data to draw")

    monkeypatch.setattr(figures, "plot_kaplan_meier", broken)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["report", str(ROOT / "examples" / "paper_cohort"), "--out", str(out)]
    )
    assert result.exit_code == 2, result.stdout
    said = " ".join(result.stdout.split())
    assert "figure fig4_persistence could not be drawn: ValueError: no data to draw" in said
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_paper_and_pdf_options_are_checked_before_any_work(tmp_path, monkeypatch):
    data = str(ROOT / "examples" / "paper_cohort")
    result = runner.invoke(app, ["report", data, "--out", str(tmp_path / "a"), "--paper", "a5"])
    assert result.exit_code == 2 and "--paper must be a4 or letter" in result.stdout
    monkeypatch.setenv("IBD_DTT_CHROMIUM", str(tmp_path / "no-such-browser"))
    result = runner.invoke(app, ["report", data, "--out", str(tmp_path / "b"), "--pdf"])
    assert result.exit_code == 2 and "--pdf needs Chromium" in result.stdout
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
