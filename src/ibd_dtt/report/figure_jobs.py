"""Drawing the figures in other processes while the tables are computed and written.

The figures need only the cohort and the primary analysis (:class:`FigureInputs`), not the
tables, so they can start as soon as the outcomes are known. Drawing six 300-dpi figures
costs more than computing every table of a small report, and importing matplotlib takes a
third of a second, so this module never imports matplotlib itself: only the processes that
draw do.

Two ways to get the figures drawn meanwhile:

- :class:`BackgroundFigures` forks processes when it is created; they inherit the inputs.
- For a short run from a cold start (``ibd-dtt report`` on a small registry), the drawing
  process can be started *before* the data are read (:func:`start_figure_worker`): it
  imports matplotlib and SciPy and loads the fonts on the other core while this process
  reads, validates and analyses; :class:`BackgroundFigures` then sends it the (small)
  inputs instead of forking.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FIGURE_COUNT = 6
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

    @classmethod
    def of(cls, cohort, primary, ci_method: str = "clopper-pearson") -> FigureInputs:
        """From a report's ``Cohort`` and primary ``AnalysisResult``."""
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
                visits["parameter"].isin(TRAJECTORY_PARAMETERS),
                ["patient_id", "parameter", "window", "value", "after_episode"],
            ],
            attrition=primary.attrition,
            definition_set=primary.definitions.name,
            outcome_labels={d.id: d.label for d in primary.definitions.outcomes},
            strategy=primary.strategy,
            ci_method=ci_method,
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


class _FigureWorker:
    """A process forked early that imports the figure code and waits for one job: it then
    forks once more, and the two processes draw one half of the figures each, sending
    them back through one pipe per half."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.jobs, jobs_end = context.Pipe()
        halves = [context.Pipe(duplex=False) for _ in BackgroundFigures.HALVES]
        self.results = [receive for receive, _ in halves]
        self.process = context.Process(
            target=_serve, args=(jobs_end, [send for _, send in halves]), daemon=True
        )
        self.process.start()
        jobs_end.close()
        for _, send in halves:
            send.close()

    def submit(self, inputs: FigureInputs) -> bool:
        try:
            self.jobs.send(inputs)
            return True
        except (BrokenPipeError, OSError):
            return False

    def collect(self) -> list[list[FigureFiles]] | None:
        """The two halves, or None if the worker died before sending them."""
        try:
            parts = [receive.recv() for receive in self.results]
        except EOFError:
            return None
        finally:
            self.close()
        for part in parts:
            if isinstance(part, BaseException):
                raise part
        return parts

    def close(self) -> None:
        for connection in (self.jobs, *self.results):
            connection.close()
        self.process.join(timeout=5)


_WORKER: _FigureWorker | None = None


def start_figure_worker() -> None:
    """Start, now, the process that will draw the figures of the next small report
    (< ``BackgroundFigures.SPLIT_BELOW_PATIENTS`` patients), so that importing matplotlib
    and SciPy overlaps reading and analysing the data. Does nothing where fork is not
    available. A worker that is not used exits with this process (it is a daemon)."""
    global _WORKER
    if _WORKER is None and "fork" in multiprocessing.get_all_start_methods():
        _WORKER = _FigureWorker()


def stop_figure_worker() -> None:
    """Stop a started worker that will not be used."""
    global _WORKER
    if _WORKER is not None:
        worker, _WORKER = _WORKER, None
        worker.submit(None)
        worker.close()


def _serve(jobs, results) -> None:
    import os

    from ibd_dtt.report import figures

    figures.warm_up()
    try:
        inputs = jobs.recv()
    except EOFError:
        return
    if inputs is None:
        return
    halves = BackgroundFigures.HALVES
    pid = os.fork()  # the second half is drawn by a copy of this process, on the other core
    index = 1 if pid == 0 else 0
    try:
        drawn: list[FigureFiles] | BaseException = figures.draw_figures(inputs, only=halves[index])
    except Exception as error:  # handed to the parent, which raises it
        drawn = error
    results[index].send(drawn)
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


_BACKGROUND_INPUTS: FigureInputs | None = None  # inherited by the forked processes


class BackgroundFigures:
    """The figures of ``inputs`` drawn in other processes; :meth:`result` waits for them
    and returns them in the usual order. Where fork is not available they are drawn in
    :meth:`result` instead.

    Small cohorts split the figures between two processes (the tables and files of a small
    report take less time than the figures, so the figures are the critical path), in the
    worker of :func:`start_figure_worker` if one was started; large ones use one forked
    process, which takes about as long as the tables and files, so a second would only
    compete for the cores."""

    SPLIT_BELOW_PATIENTS = 1000
    HALVES = ((1, 2, 5), (0, 3, 4))  # swimmer + trajectories + flow | the others (~equal)

    def __init__(self, inputs: FigureInputs) -> None:
        global _BACKGROUND_INPUTS, _WORKER
        self._inputs = inputs
        self._pool: ProcessPoolExecutor | None = None
        self._worker: _FigureWorker | None = None
        self._figures: list[FigureFiles] | None = None
        small = len(inputs.patients) < self.SPLIT_BELOW_PATIENTS
        self.parts = self.HALVES if small else (tuple(range(FIGURE_COUNT)),)
        if small and _WORKER is not None:
            worker, _WORKER = _WORKER, None
            if worker.submit(inputs):
                self._worker = worker
                return
        stop_figure_worker()
        if "fork" in multiprocessing.get_all_start_methods():
            _BACKGROUND_INPUTS = inputs
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(len(self.parts), mp_context=context)
            self._futures = [self._pool.submit(_draw_part, part) for part in self.parts]

    def result(self) -> list[FigureFiles]:
        """The drawn figures (waits for them the first time)."""
        global _BACKGROUND_INPUTS
        if self._figures is not None:
            return self._figures
        parts = None
        if self._worker is not None:
            parts = self._worker.collect()
        elif self._pool is not None:
            try:
                parts = [future.result() for future in self._futures]
            finally:
                self._pool.shutdown()
                _BACKGROUND_INPUTS = None
        if parts is None:  # no fork here, or the worker died: draw them in this process
            from ibd_dtt.report.figures import draw_figures

            self._figures = draw_figures(self._inputs)
            return self._figures
        drawn = {}
        for part, figures in zip(self.parts, parts, strict=True):
            drawn.update(zip(part, figures, strict=True))
        self._figures = [drawn[i] for i in range(FIGURE_COUNT)]
        return self._figures


def _draw_part(part: tuple[int, ...]) -> list[FigureFiles]:
    from ibd_dtt.report.figures import draw_figures

    return draw_figures(_BACKGROUND_INPUTS, only=part)
