"""What the figures are drawn from, the drawn files, and drawing them (in this process or,
with ``jobs > 1``, in worker processes through :func:`ibd_dtt.parallel.run_parallel`).

This module never imports matplotlib: only the code that draws does (importing it takes a
third of a second that a run without figures should not pay).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ibd_dtt.errors import IbdDttError
from ibd_dtt.parallel import checkpoint, run_parallel

# The report's figures, in order (figures.draw_figures draws them under these names).
FIGURE_NAMES = (
    "fig1_response_rates",
    "fig2_swimmer",
    "fig3_lab_trajectories",
    "fig4_persistence",
    "fig5_regimen_flow",
    "fig6_patient_flow",
)
FIGURE_COUNT = len(FIGURE_NAMES)
# drawn only for a report by center (``--by center``)
CENTER_FOREST = "fig7_center_forest"
TRAJECTORY_PARAMETERS = ("crp", "albumin")


@dataclass(frozen=True)
class FigureFiles:
    """One drawn figure: its file stem, caption, and the PNG (300 dpi) and SVG bytes."""

    name: str
    title: str
    png: bytes
    svg: bytes


@dataclass(frozen=True)
class FigureInputs:
    """Everything the figures are drawn from, and nothing more (so that it is cheap to send
    to another process): the cohort's patients, adverse events and prior therapies, and
    from the primary analysis its summary, clinical-response results, CRP/albumin visits
    and attrition."""

    patients: pd.DataFrame
    adverse_events: pd.DataFrame
    prior_therapies: pd.DataFrame
    summary: pd.DataFrame
    clinical_response: pd.DataFrame  # patient_id, outcome, timepoint, result
    lab_visits: pd.DataFrame  # patient_id, parameter, window, value, after_episode
    attrition: pd.DataFrame
    definition_set: str
    outcome_labels: dict
    strategy: str
    ci_method: str = "clopper-pearson"
    # the data of the report's "outcomes_by_center" table, for the forest plot (or None)
    center_rates: pd.DataFrame | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The figures these inputs make, in order."""
        return FIGURE_NAMES + ((CENTER_FOREST,) if self.center_rates is not None else ())

    @classmethod
    def of(
        cls, cohort, primary, ci_method: str = "clopper-pearson", center_rates=None
    ) -> FigureInputs:
        """From a report's ``Cohort`` and primary ``AnalysisResult`` (and, for a report by
        center, the data of its by-center outcome table)."""
        outcomes = primary.outcomes
        visits = primary.visits
        return cls(
            patients=cohort.patients,
            adverse_events=cohort.adverse_events,
            prior_therapies=cohort.prior_therapies,
            summary=primary.summary,
            clinical_response=outcomes.loc[
                outcomes["outcome"] == "clinical_response",
                ["patient_id", "outcome", "timepoint", "result"],
            ],
            lab_visits=visits.loc[
                visits["parameter"].isin(TRAJECTORY_PARAMETERS)
                & (visits["censored"].isna() if "censored" in visits else True),
                ["patient_id", "parameter", "window", "value", "after_episode"],
            ],
            attrition=primary.attrition,
            definition_set=primary.definitions.name,
            outcome_labels={d.id: d.label for d in primary.definitions.outcomes},
            strategy=primary.strategy,
            ci_method=ci_method,
            center_rates=center_rates,
        )

    @classmethod
    def of_report(cls, report) -> FigureInputs:
        """From a computed :class:`~ibd_dtt.report.build.Report`."""
        by_center = report.tables.get("outcomes_by_center")
        return cls.of(
            report.cohort,
            report.primary,
            report.ci_method,
            None if by_center is None else by_center.data,
        )


def write_figures(figures: list[FigureFiles], out_dir: str | Path) -> list[Path]:
    """Write each figure as ``<name>.png`` and ``<name>.svg``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for f in figures:
        for ext, payload in (("png", f.png), ("svg", f.svg)):
            path = out / f"{f.name}.{ext}"
            path.write_bytes(payload)
            written.append(path)
    return written


class FigureError(IbdDttError):
    """A figure could not be drawn (the message names the figure and the cause)."""


_INPUTS: FigureInputs | None = None  # inherited by forked workers (never pickled)


def draw_report_figures(inputs: FigureInputs, jobs: int = 1) -> list[FigureFiles]:
    """Every figure, in order, drawn here (``jobs=1``) or in up to ``jobs`` processes (one
    figure per task; the same bytes either way)."""
    global _INPUTS
    checkpoint("figures")
    if jobs <= 1:
        from ibd_dtt.report.figures import draw_figures

        return draw_figures(inputs)
    _INPUTS = inputs
    try:
        return run_parallel(_draw_one, range(len(inputs.names)), jobs)
    finally:
        _INPUTS = None


def _draw_one(index: int) -> FigureFiles:
    from ibd_dtt.report.figures import draw_figures

    assert _INPUTS is not None
    checkpoint("figure-worker")
    return draw_figures(_INPUTS, only=(index,))[0]
