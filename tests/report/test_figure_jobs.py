"""Figures drawn in other processes are the figures drawn here, in the usual order."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ibd_dtt.report import figure_jobs
from ibd_dtt.report.figure_jobs import BackgroundFigures, FigureInputs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"
fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="other processes need fork")


def _same(drawn, expected):
    assert [f.name for f in drawn] == [f.name for f in expected]
    for a, b in zip(drawn, expected, strict=True):
        assert (a.title, a.png, a.svg) == (b.title, b.png, b.svg), a.name


@fork_only
def test_figures_forked_at_once_equal_those_drawn_here(paper_report, paper_figures):
    inputs = FigureInputs.of(paper_report.cohort, paper_report.primary, paper_report.ci_method)
    _same(BackgroundFigures(inputs).result(), paper_figures)


@fork_only
def test_a_worker_started_before_the_data_draws_the_same_figures(paper_report, paper_figures):
    figure_jobs.start_figure_worker()
    assert figure_jobs._WORKER is not None
    inputs = FigureInputs.of(paper_report.cohort, paper_report.primary, paper_report.ci_method)
    background = BackgroundFigures(inputs)
    assert background._worker is not None  # the started worker took the job
    assert figure_jobs._WORKER is None  # and is used once
    _same(background.result(), paper_figures)
    assert background.result() is background.result()  # collected once, then kept


@fork_only
def test_an_unused_worker_is_stopped():
    figure_jobs.start_figure_worker()
    process = figure_jobs._WORKER.process
    figure_jobs.stop_figure_worker()
    assert figure_jobs._WORKER is None
    assert not process.is_alive()


def test_build_report_can_start_the_figures_and_write_report_collects_them(
    scored, paper_report, paper_figures, tmp_path
):
    from ibd_dtt.report import build_report, write_report

    report = build_report(scored, paper_report.analyses, start_figures=True)
    assert report.figures is not None
    files = write_report(report, tmp_path, source=EXAMPLE, generated_at="RUN-1")
    assert files["figures"].is_dir()
    for figure in paper_figures:
        assert (files["figures"] / f"{figure.name}.png").read_bytes() == figure.png


def test_importing_the_report_does_not_import_matplotlib():
    # the figures are drawn in other processes; the process that computes the tables and
    # writes the files never pays for importing matplotlib
    code = (
        "import sys; import ibd_dtt.report, ibd_dtt.report.figure_jobs; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
