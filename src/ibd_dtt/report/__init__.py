"""The publication report: tables, figures, prose, and their HTML/Excel/Word/CSV files.

``build_report(scored, analyses)`` computes every table (numbers first, text second);
``render_figures(report)`` draws the figures; ``write_report(report, out_dir)`` writes
``report.html``, ``tables.xlsx``, ``tables.docx``, ``tables/*.csv|parquet``, ``figures/`` and
``datasets/``.
"""

from ibd_dtt.report.build import Report, build_report
from ibd_dtt.report.model import ReportTable
from ibd_dtt.report.render import write_report

__all__ = ["Report", "ReportTable", "build_report", "render_figures", "write_report"]


def __getattr__(name: str):
    # matplotlib (a third of a second) is imported on first use of the figures, not with
    # the package: `ibd-dtt report` draws them in other processes.
    if name == "render_figures":
        from ibd_dtt.report.figures import render_figures

        return render_figures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
