"""The ``ibd-dtt`` command line. Thin: every command calls :mod:`ibd_dtt.pipeline`.

Exit codes: 0 success (data valid), 1 the data has errors, 2 the input or the output cannot
be used at all (no such folder, a configuration error, an output folder that cannot be
written), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM). Bad data never
produces a traceback; an interrupted run leaves no process and no partial output behind.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ibd_dtt import __version__
from ibd_dtt.errors import IbdDttError
from ibd_dtt.outcomes import STRATEGIES
from ibd_dtt.outputs import output_folder, write_file
from ibd_dtt.parallel import (
    Interrupted,
    checkpoint,
    close_interrupted_connections,
    install_signal_handlers,
    received_signal,
)
from ibd_dtt.pipeline import (
    analyse_registry,
    load_registry,
    score_registry,
    summarise_registry,
)
from ibd_dtt.validate import ValidationResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ibd-dtt: dual-targeted therapy studies in IBD, from raw records to results.",
)
# Tables lay out at 140 columns; messages are never broken by the console (soft wrap), so a
# path or a value in an error line stays on one line, whole, for copying and for grep.
console = Console(width=140, soft_wrap=True)
EXIT_INVALID, EXIT_UNUSABLE = 1, 2


def _error(message: object) -> None:
    """Print one error line; user values are never read as console markup."""
    console.print(f"[bold red]error[/]: {escape(str(message))}")


# Modules whose exceptions, raised while an OMOP command reads a CDM, are input errors.
DATABASE_MODULES = ("duckdb", "_duckdb", "ibis", "pyspark", "py4j", "psycopg", "pyarrow")


def _guarded(command: Callable[..., Any], database: bool = False) -> Callable[..., Any]:
    """A command whose deliberate errors (unusable input or output) print one line and exit
    2 instead of a traceback; with ``database``, also errors of the database engine reading
    a CDM (an OMOP command's input)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except IbdDttError as exc:
            _error(exc)
            raise typer.Exit(EXIT_UNUSABLE) from None
        except Exception as exc:
            # A database engine refusing a CDM it cannot read (a type it cannot convert, a
            # file it cannot open) is a problem of the input, said in one line; a query
            # interrupted for SIGINT/SIGTERM is not (main() ends the run as interrupted).
            if (
                not database
                or type(exc).__module__.split(".")[0] not in DATABASE_MODULES
                or received_signal() is not None
            ):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _error(f"the CDM could not be read: {type(exc).__name__}: {first}")
            raise typer.Exit(EXIT_UNUSABLE) from None

    return run


def _cdm_guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    return _guarded(command, database=True)


DataArg = Annotated[
    Path,
    typer.Argument(
        help="A folder of <table>.csv files or an .xlsx workbook (one sheet per table)."
    ),
]
ConfigOpt = Annotated[
    Path | None, typer.Option(help="study.yaml to use instead of the one found beside the data.")
]


MissingOpt = Annotated[
    list[str] | None,
    typer.Option(help="Missing-data strategy (repeatable): as-observed, nri, locf, mi."),
]
WindowsOpt = Annotated[
    Path | None, typer.Option(help="Visit-window YAML instead of the paper's windows.")
]
AfterEpisodeOpt = Annotated[
    str | None,
    typer.Option(help="Override: exclude, include_after_deescalation or include."),
]
AllowRejectedOpt = Annotated[
    bool, typer.Option(help="Analyse the accepted rows even if some rows were rejected.")
]


def _cell(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _text(value: object) -> Text:
    """A table cell shown exactly as written (``[/bold]`` in the data is not markup)."""
    return Text(_cell(value))


def _print_problems(result: ValidationResult, show_warnings: bool) -> None:
    problems = result.report.problems
    if not show_warnings:
        problems = problems[problems["severity"] == "error"]
    if problems.empty:
        return
    table = Table(show_lines=False, header_style="bold")
    for name in ("severity", "where", "patient", "column", "value", "problem", "expected"):
        table.add_column(name, overflow="fold")
    for p in problems.itertuples():
        where = Path(_cell(p.file)).name + (f" [{p.sheet}]" if _cell(p.sheet) else "")
        where += f":{p.row}" if _cell(p.row) else ""
        style = "red" if p.severity == "error" else "yellow"
        table.add_row(
            f"[{style}]{p.severity}[/]",
            _text(where),
            _text(p.patient_id),
            _text(p.column),
            _text(p.value),
            _text(p.message),
            _text(p.expected),
        )
    console.print(table)


def _print_verdict(result: ValidationResult) -> None:
    n_err, n_warn = len(result.report.errors), len(result.report.warnings)
    counts = result.accounting()
    rows = ", ".join(f"{r.table} {r.accepted}/{r.input_rows}" for r in counts.itertuples())
    console.print(f"rows accepted: {rows}")
    if n_err:
        console.print(
            f"[bold red]INVALID[/]: {n_err} error(s), {n_warn} warning(s); "
            f"{len(result.rejected)} row(s) rejected."
        )
    else:
        console.print(f"[bold green]VALID[/]: 0 errors, {n_warn} warning(s).")


def _config_failed(result: ValidationResult) -> bool:
    """A missing or invalid study configuration: nothing can be analysed (exit 2)."""
    return bool(result.report.errors["rule"].str.startswith("config.").any())


def _stop_unless_analysable(result: ValidationResult, allow_rejected: bool) -> None:
    """Print the errors and the verdict; stop unless the data are valid (or rejected rows
    are allowed and something is left to analyse)."""
    _print_problems(result, show_warnings=False)
    _print_verdict(result)
    if _config_failed(result):
        console.print("Fix the study configuration (study.yaml) first.")
        raise typer.Exit(EXIT_UNUSABLE)
    if not result.is_valid and not allow_rejected:
        console.print("Fix the errors above, or pass --allow-rejected to analyse the rest.")
        raise typer.Exit(EXIT_INVALID)
    reason = result.unanalysable_reason()
    if reason:
        console.print(f"[bold red]nothing to analyse[/]: {escape(reason)}")
        raise typer.Exit(EXIT_INVALID)


def _load_for_analysis(data: Path, config: Path | None, allow_rejected: bool):
    """Validate, print the errors, stop unless the data may be analysed, and score."""
    result = load_registry(data, config)
    _stop_unless_analysable(result, allow_rejected)
    return score_registry(result)


def _jobs_problem(jobs: int) -> str | None:
    return "--jobs must be at least 1 (1 = everything in this process)" if jobs < 1 else None


JobsOpt = Annotated[
    int,
    typer.Option(
        help="Processes to work in (1 = everything in this process; more: outcomes and "
        "figures in that many worker processes, same results)."
    ),
]


REPORT_FORMATS = (".csv", ".json")


@app.command("validate")
@_guarded
def validate_command(
    data: DataArg,
    config: ConfigOpt = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write every problem to this .csv or .json file.")
    ] = None,
    rejected: Annotated[
        Path | None,
        typer.Option(help="Write the rejected rows and their reasons to this .csv file."),
    ] = None,
    warnings: Annotated[bool, typer.Option(help="List warnings as well as errors.")] = True,
) -> None:
    """Check DATA against the data contract and report every problem at once."""
    if report is not None and report.suffix.lower() not in REPORT_FORMATS:
        _error(f"--report {report}: the file name must end in .csv or .json")
        raise typer.Exit(EXIT_UNUSABLE)
    if rejected is not None and rejected.suffix.lower() != ".csv":
        _error(f"--rejected {rejected}: the file name must end in .csv")
        raise typer.Exit(EXIT_UNUSABLE)
    result = load_registry(data, config)
    _print_problems(result, warnings)
    if report is not None:
        chosen = report.suffix.lower().lstrip(".")
        write_file(report, lambda path: result.report.write(path, chosen), "problem list")
        console.print(f"problems written to {escape(str(report))}")
    if rejected is not None:
        write_file(rejected, result.write_rejected, "rejected rows")
        console.print(f"rejected rows written to {escape(str(rejected))}")
    _print_verdict(result)
    if _config_failed(result):
        raise typer.Exit(EXIT_UNUSABLE)
    if not result.is_valid:
        raise typer.Exit(EXIT_INVALID)


def _print_frame(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    frame = frame.reset_index()
    for column in frame.columns:
        table.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_text(round(v, 2) if isinstance(v, float) else v) for v in row))
    console.print(table)


@app.command("summary")
@_guarded
def summary_command(data: DataArg, config: ConfigOpt = None) -> None:
    """Validate DATA, compute the clinical scores and print a summary of the cohort."""
    result = load_registry(data, config)
    _print_problems(result, show_warnings=True)
    _print_verdict(result)
    if _config_failed(result):
        raise typer.Exit(EXIT_UNUSABLE)
    if not result.is_valid:
        console.print("Fix the errors above first; nothing was scored.")
        raise typer.Exit(EXIT_INVALID)
    scored = score_registry(result)
    for title, frame in summarise_registry(scored).items():
        _print_frame(title[0].upper() + title[1:], frame)


def _half_up(value: float) -> str:
    """Percent rounded half-up to 2 decimals (15/17 -> 88.24), as journals print it."""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@app.command("outcomes")
@_guarded
def outcomes_command(
    data: DataArg,
    out: Annotated[Path, typer.Option(help="Folder to write the analysis tables to.")],
    config: ConfigOpt = None,
    definitions: Annotated[
        str, typer.Option(help="Definition set: paper, stride2, simple, or a YAML file.")
    ] = "paper",
    missing: MissingOpt = None,
    windows: WindowsOpt = None,
    after_episode: AfterEpisodeOpt = None,
    allow_rejected: AllowRejectedOpt = False,
    jobs: JobsOpt = 1,
) -> None:
    """Derive DTT episodes, windowed visits and outcomes; write them as CSV and Parquet."""
    strategies = missing or ["as-observed"]
    problems = _analysis_option_problems(strategies, after_episode)
    if problem := _jobs_problem(jobs):
        problems.append(problem)
    _stop_on(problems)
    scored = _load_for_analysis(data, config, allow_rejected)
    analyses = []
    for strategy in strategies:
        checkpoint("outcomes")
        with console.status(f"deriving outcomes ({definitions}, {strategy})"):
            analyses.append(
                analyse_registry(
                    scored, definitions, strategy, windows, after_episode=after_episode, jobs=jobs
                )
            )
    with output_folder(out, inputs=(data,), kind="outcomes") as folder:
        for strategy, analysis in zip(strategies, analyses, strict=True):
            analysis.write(folder if len(strategies) == 1 else folder / strategy)
    for strategy, analysis in zip(strategies, analyses, strict=True):
        summary = analysis.summary[
            (analysis.summary["group"] == "all") & (analysis.summary["evaluable"] > 0)
        ].copy()
        summary["percent"] = summary["percent"].map(_half_up)
        d = analysis.definitions
        _print_frame(
            f"{d.name} v{d.version}, {strategy}, after_episode={analysis.windows.after_episode}",
            summary[["outcome", "timepoint", "responders", "evaluable", "not_evaluable", "percent"]]
            .rename(columns={"percent": "%"})
            .set_index("outcome"),
        )
    console.print(f"analysis tables written to {escape(str(out))}")


_AFTER_EPISODE = ("exclude", "include_after_deescalation", "include")
_CI_METHODS = ("clopper-pearson", "wilson")


def _analysis_option_problems(strategies: list[str], after_episode: str | None) -> list[str]:
    """What is wrong with --missing and --after-episode (report and share take both)."""
    problems = []
    if [s for s in strategies if s not in STRATEGIES]:
        problems.append(f"--missing must be one of {', '.join(STRATEGIES)}")
    if after_episode and after_episode not in _AFTER_EPISODE:
        problems.append(f"--after-episode must be one of {', '.join(_AFTER_EPISODE)}")
    return problems


def _stop_on(problems: list[str]) -> None:
    """Print every problem with the command line, one per line, and exit 2 if there is one."""
    for problem in problems:
        _error(problem)
    if problems:
        raise typer.Exit(EXIT_UNUSABLE)


def _nobody_analysed(analysis) -> bool:
    """True when no patient passed the eligibility criteria (the flow says where each left)."""
    screening = analysis.screening
    return "decision" not in screening or not (screening["decision"] == "analysed").any()


@app.command("report")
@_guarded
def report_command(
    data: DataArg,
    out: Annotated[Path, typer.Option(help="Folder to write the report and its files to.")],
    config: ConfigOpt = None,
    definitions: Annotated[
        list[str] | None,
        typer.Option(
            help="Definition set (repeatable; the first is the primary analysis, the others "
            "are sensitivity analyses shown beside it): paper, stride2, simple, or a YAML file."
        ),
    ] = None,
    missing: MissingOpt = None,
    windows: WindowsOpt = None,
    after_episode: AfterEpisodeOpt = None,
    ci: Annotated[
        str, typer.Option(help="Confidence interval for proportions: clopper-pearson, wilson.")
    ] = "clopper-pearson",
    min_cell_count: Annotated[
        int,
        typer.Option(
            help="> 0: aggregate export for sharing - suppress counts below this and leave "
            "out patient-level listings, figures and datasets."
        ),
    ] = 0,
    allow_rejected: AllowRejectedOpt = False,
    jobs: JobsOpt = 1,
    percent_decimals: Annotated[
        int,
        typer.Option(
            help="Decimals of every percentage: 1 (journals' convention), 2 to reproduce "
            "the paper's print."
        ),
    ] = 1,
    rank_tests: Annotated[
        str,
        typer.Option(
            help="Mann-Whitney and Wilcoxon signed-rank p-values as scipy (default) or as "
            "R's wilcox.test defaults (r)."
        ),
    ] = "scipy",
    paper: Annotated[
        str, typer.Option(help="Page size of tables.docx and report.pdf: a4 or letter.")
    ] = "a4",
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Print report.pdf with headless Chromium. Default: when Chromium is "
            "installed (--pdf makes a missing Chromium an error).",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="center: add the primary outcomes, baseline characteristics and safety per "
            "center, with tests of heterogeneity (exact test, I²) and a forest plot.",
        ),
    ] = None,
) -> None:
    """Full analysis and publication report in HTML, PDF, Excel, Word, CSV and Parquet.

    Tables 1-4, response, labs, safety, persistence and figures (docs/report.md)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    definition_sets = definitions or ["paper"]
    strategies = missing or ["as-observed"]
    problems = _analysis_option_problems(strategies, after_episode)
    if ci not in _CI_METHODS:
        problems.append(f"--ci must be one of {', '.join(_CI_METHODS)}")
    if min_cell_count < 0:
        problems.append("--min-cell-count must be 0 (off) or a positive count")
    if percent_decimals not in (0, 1, 2, 3):
        problems.append("--percent-decimals must be 0, 1, 2 or 3")
    if rank_tests not in ("scipy", "r"):
        problems.append("--rank-tests must be scipy or r")
    if paper not in ("a4", "letter"):
        problems.append("--paper must be a4 or letter")
    if by is not None and by != "center":
        problems.append("--by must be center")
    from ibd_dtt.report.pdf import find_chromium

    if pdf and find_chromium() is None:
        problems.append(
            "--pdf needs Chromium: install it (Debian: apt-get install chromium) or set "
            "IBD_DTT_CHROMIUM to its path; or pass --no-pdf"
        )
    if problem := _jobs_problem(jobs):
        problems.append(problem)
    _stop_on(problems)
    checkpoint("validate")
    scored = _load_for_analysis(data, config, allow_rejected)
    from ibd_dtt.report import build_report, write_report

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        analyses = []
        for d, s in [(d, s) for d in definition_sets for s in strategies]:
            task = progress.add_task(f"outcomes: {escape(d)} / {s}", total=1)
            checkpoint("outcomes")
            analyses.append(analyse_registry(scored, d, s, windows, after_episode, jobs=jobs))
            progress.update(task, completed=1)
        if _nobody_analysed(analyses[0]):
            progress.stop()
            _print_frame("Patient flow", analyses[0].attrition.set_index("step"))
            console.print(
                "[bold red]nothing to analyse[/]: no patient has a DTT episode that passes "
                "the eligibility criteria (the patient flow above shows where each left)"
            )
            raise typer.Exit(EXIT_INVALID)
        task = progress.add_task("statistics and tables", total=1)
        checkpoint("tables")
        report = build_report(scored, analyses, ci, percent_decimals, rank_tests, by)
        progress.update(task, completed=1)
        task = progress.add_task("figures, HTML, PDF, Excel, Word, CSV and Parquet", total=1)
        checkpoint("write")
        files = write_report(
            report,
            out,
            source=data,
            min_cell_count=min_cell_count,
            jobs=jobs,
            paper=paper,
            pdf=pdf,
        )
        progress.update(task, completed=1)
    from ibd_dtt.report.narrative import headline_cards

    table = Table(
        title="Headline results (primary analysis)", title_justify="left", header_style="bold"
    )
    table.add_column("measure")
    table.add_column("result", justify="right")
    from ibd_dtt.stats.format import using_percent_decimals

    with using_percent_decimals(report.percent_decimals):
        cards = headline_cards(report, min_cell_count)
    for card in cards:
        table.add_row(_text(card["label"]), _text(card["value"]))
    console.print(table)
    for alert in report.alerts:
        console.print(f"[bold yellow]not evaluable[/]: {escape(alert)}")
    console.print(f"report: {escape(str(files['html']))}")
    if files["pdf"] is not None:
        console.print(f"printable report: {escape(str(files['pdf']))}")
    elif pdf is None:
        console.print(
            "report.pdf not written: Chromium is not installed (apt-get install chromium; "
            "or print report.html from a browser)"
        )
    console.print(
        f"tables: {escape(str(files['xlsx']))}, {escape(str(files['docx']))}, "
        f"{escape(str(files['tables']))}/"
    )
    console.print(f"figures: {escape(str(files['figures']))}/")


@app.command("share")
@_guarded
def share_command(
    data: DataArg,
    out: Annotated[Path, typer.Option(help="The site package to write, e.g. site_a.zip.")],
    site: Annotated[str, typer.Option(help="This site's name in the network, e.g. 'Leuven'.")],
    config: ConfigOpt = None,
    definitions: Annotated[
        list[str] | None,
        typer.Option(
            help="Definition set (repeatable; the first is the primary analysis): paper, "
            "stride2, simple, or a YAML file. Every site must use the same."
        ),
    ] = None,
    missing: MissingOpt = None,
    windows: WindowsOpt = None,
    after_episode: AfterEpisodeOpt = None,
    min_cell_count: Annotated[
        int | None,
        typer.Option(
            help="Smallest count shown; smaller counts are suppressed (with secondary "
            "suppression). Default: study.yaml min_cell_count (5)."
        ),
    ] = None,
    km_steps: Annotated[
        bool,
        typer.Option(
            "--km-steps",
            help="Share the Kaplan-Meier table day by day (small counts; the pooled curve "
            "then equals a central one) instead of on a month grid merged until no count is "
            "small.",
        ),
    ] = False,
    allow_rejected: AllowRejectedOpt = False,
) -> None:
    """Write this site's aggregate package for a network study (docs/network.md).

    Counts and sufficient statistics only, small cells suppressed, and a summary page for
    the data-protection officer."""
    from ibd_dtt.network import build_site_package, write_site_package
    from ibd_dtt.report import build_report

    strategies = missing or ["as-observed"]
    problems = _analysis_option_problems(strategies, after_episode)
    if "mi" in strategies:
        problems.append("--missing mi has no patient counts to share: use as-observed, nri or locf")
    if min_cell_count is not None and min_cell_count < 1:
        problems.append("--min-cell-count must be at least 1")
    if not site.strip():
        problems.append("--site needs this site's name")
    if out.suffix.lower() != ".zip":
        problems.append("--out must name a .zip file")
    _stop_on(problems)
    checkpoint("validate")
    scored = _load_for_analysis(data, config, allow_rejected)
    study = scored.validation.config
    threshold = min_cell_count if min_cell_count is not None else study.min_cell_count
    analyses = []
    for d in definitions or ["paper"]:
        for s in strategies:
            checkpoint("outcomes")
            with console.status(f"deriving outcomes ({escape(d)}, {s})"):
                analyses.append(analyse_registry(scored, d, s, windows, after_episode))
    if _nobody_analysed(analyses[0]):
        _print_frame("Patient flow", analyses[0].attrition.set_index("step"))
        console.print("[bold red]nothing to share[/]: no patient passes the eligibility criteria")
        raise typer.Exit(EXIT_INVALID)
    with console.status("counting and suppressing small cells"):
        report = build_report(scored, analyses)
        package = build_site_package(report, site, threshold, "steps" if km_steps else "grid")
        path = write_site_package(package, out)
    hidden = sum(package.manifest["suppressed_cells"].values())
    console.print(
        f"site package for {escape(package.site)}: {escape(str(path))} "
        f"({len(report.cohort.patients)} patients; {hidden} cells suppressed below "
        f"{threshold})"
    )
    summary = path.with_name(path.stem + ".summary.html")
    console.print(f"for your data-protection officer: {escape(str(summary))}")
    if km_steps:
        console.print(
            "[yellow]note[/]: --km-steps shares the Kaplan-Meier table day by day, with counts "
            "that can be below the minimum cell count; the summary page says so"
        )


@app.command("pool")
@_guarded
def pool_command(
    packages: Annotated[
        list[Path], typer.Argument(help="The sites' packages (.zip from ibd-dtt share).")
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the pooled report to.")],
    ci: Annotated[
        str, typer.Option(help="Confidence interval for proportions: clopper-pearson, wilson.")
    ] = "clopper-pearson",
    paper: Annotated[
        str, typer.Option(help="Page size of tables.docx and report.pdf: a4 or letter.")
    ] = "a4",
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Print report.pdf with headless Chromium (default: when installed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Pool the sites' packages of a network study into one report (docs/network.md).

    Summed counts with exact CIs, pooled Kaplan-Meier, means/SDs, approximate medians, and
    a random-effects meta-analysis across sites with forest plots."""
    from ibd_dtt.network import pool_packages, read_packages, write_pooled_report

    problems = []
    if ci not in _CI_METHODS:
        problems.append(f"--ci must be one of {', '.join(_CI_METHODS)}")
    if paper not in ("a4", "letter"):
        problems.append("--paper must be a4 or letter")
    missing_files = [str(p) for p in packages if not p.is_file()]
    if missing_files:
        problems.append(f"no such package: {', '.join(missing_files)}")
    _stop_on(problems)
    with console.status(f"pooling {len(packages)} site packages"):
        study = pool_packages(read_packages(packages), ci)
        files = write_pooled_report(study, out, inputs=tuple(packages), paper=paper, pdf=pdf)
    table = Table(title="Pooled clinical response", title_justify="left", header_style="bold")
    table.add_column("outcome")
    table.add_column("all sites", justify="right")
    from ibd_dtt.network.report import pooled_headline

    cards = pooled_headline(study)
    for card in cards:
        table.add_row(_text(card["label"]), _text(card["value"]))
    if cards:
        console.print(table)
    else:
        console.print(
            "[bold yellow]no pooled clinical response[/]: every site hid its counts (sites "
            "smaller than their minimum cell count, or no evaluable patient); the report "
            "lists what could be pooled"
        )
    console.print(f"sites: {escape(', '.join(study.sites))}")
    for note in study.notes:
        console.print(escape(note))
    console.print(f"pooled report: {escape(str(files['html']))}")
    if files["pdf"] is not None:
        console.print(f"printable report: {escape(str(files['pdf']))}")
    console.print(
        f"tables: {escape(str(files['xlsx']))}, {escape(str(files['docx']))}, "
        f"{escape(str(files['tables']))}/"
    )


@app.command("synth")
@_guarded
def synth_command(
    out: Annotated[Path, typer.Option(help="Folder to write the synthetic registry to.")],
    patients: Annotated[int, typer.Option(help="Number of patients.")] = 1000,
    centers: Annotated[int, typer.Option(help="Number of centers.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 1,
    center_effect: Annotated[
        float,
        typer.Option(
            help="Center effect on the log-odds of clinical response: offsets spread evenly "
            "from -x (Center 1) to +x (last center); 0 makes the centers alike."
        ),
    ] = 0.5,
    split_centers: Annotated[
        bool,
        typer.Option(
            "--split-centers",
            help="Write one registry folder per center (center-1/, center-2/, ...): the "
            "sites of a network study (ibd-dtt share, ibd-dtt pool).",
        ),
    ] = False,
) -> None:
    """Write a SYNTHETIC multicenter DTT registry (CSV folder + study.yaml) in the contract."""
    from ibd_dtt.synth import (
        SynthOptions,
        generate_registry,
        site_folder_name,
        split_by_center,
        write_registry,
    )

    if patients < 1 or centers < 1:
        _error("--patients and --centers must be at least 1")
        raise typer.Exit(EXIT_UNUSABLE)
    if not 0 <= center_effect <= 3:
        _error("--center-effect must be between 0 and 3 (log-odds)")
        raise typer.Exit(EXIT_UNUSABLE)
    options = SynthOptions(
        patients=patients, centers=centers, seed=seed, center_effect=center_effect
    )
    with console.status(f"generating {patients} synthetic patients"):
        tables = generate_registry(options)
        with output_folder(out, kind="synthetic registry") as folder:
            if split_centers:
                for center, part in split_by_center(tables).items():
                    write_registry(part, folder / site_folder_name(center), options)
            else:
                write_registry(tables, folder, options)
    rows = ", ".join(f"{name} {len(frame)}" for name, frame in tables.items())
    console.print(f"synthetic registry (seed {seed}) written to {escape(str(out))}: {rows}")
    if split_centers:
        sites = ", ".join(site_folder_name(c) for c in split_by_center(tables))
        console.print(f"one folder per center (the network's sites): {escape(sites)}")


@app.command("template")
@_guarded
def template_command(
    out: Annotated[
        Path, typer.Option(help="The workbook to write, e.g. my_registry.xlsx (not replaced).")
    ],
) -> None:
    """Write a fill-in Excel workbook and its study.yaml, generated from the data contract.

    One sheet per table, drop-downs, range checks and a note on every header."""
    from ibd_dtt.forms import write_template

    if out.exists():
        _error(f"{out} exists: choose another name (a filled-in workbook is never replaced)")
        raise typer.Exit(EXIT_UNUSABLE)
    if out.suffix.lower() != ".xlsx":
        _error(f"{out}: the template is an .xlsx workbook; give a name ending in .xlsx")
        raise typer.Exit(EXIT_UNUSABLE)
    workbook, config = write_template(out)
    console.print(
        f"template written to {escape(str(workbook))} (configuration: {escape(str(config))})"
    )
    console.print(
        f"next: fill it in, set data_cut_date in {escape(config.name)}, then  "
        f"ibd-dtt validate {escape(str(workbook))}"
    )


redcap_app = typer.Typer(
    no_args_is_help=True,
    help="REDCap: the study's project files and the API.",
)
app.add_typer(redcap_app, name="redcap")


@redcap_app.command("project")
@_guarded
def redcap_project_command(
    out: Annotated[Path, typer.Option(help="Folder for the project files (created).")],
    center: Annotated[
        list[str] | None,
        typer.Option(help="A center (repeatable): one Data Access Group each."),
    ] = None,
) -> None:
    """Write the study's REDCap project (data dictionary, repeating instruments, DAGs)."""
    from ibd_dtt.forms.redcap import write_redcap_project

    with output_folder(out, kind="REDCap project") as folder:
        files = write_redcap_project(folder, center or ["Center A", "Center B", "Center C"])
    console.print(
        f"REDCap project written to {escape(str(out))}: {', '.join(f.name for f in files)}"
    )
    console.print(
        "upload them in REDCap: Online Designer > Data Dictionary, Project Setup > Repeating "
        "instruments, DAGs (docs/bring-your-data.md)"
    )


@redcap_app.command("fetch")
@_guarded
def redcap_fetch_command(
    url: Annotated[
        str, typer.Option(help="The REDCap API URL, e.g. https://redcap.example.org/api/")
    ],
    out: Annotated[Path, typer.Option(help="Folder for records.csv and data_dictionary.csv.")],
    token_env: Annotated[
        str,
        typer.Option(
            help="Environment variable holding the API token (never a command-line value)."
        ),
    ] = "REDCAP_API_TOKEN",
) -> None:
    """Download the records (raw, with DAGs) and the data dictionary through the REDCap API."""
    import os

    from ibd_dtt.readers.redcap import fetch_redcap_export

    with console.status("downloading from REDCap"):
        records, dictionary = fetch_redcap_export(url, os.environ.get(token_env, ""), out)
    console.print(f"records: {escape(str(records))}; data dictionary: {escape(str(dictionary))}")
    console.print(
        f"next: put study.yaml in {escape(str(out))}, then  ibd-dtt validate {escape(str(records))}"
    )


omop_app = typer.Typer(no_args_is_help=True, help="The EHR front door: an OMOP CDM database.")
app.add_typer(omop_app, name="omop")


CdmOpt = Annotated[
    str,
    typer.Option(
        help="The CDM: a folder of Parquet/CSV tables, a .duckdb file, "
        "postgresql://user:password@host:port/database, or spark:FOLDER (Spark local mode)."
    ),
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(help="Schema (PostgreSQL) or database (Spark) holding the CDM tables."),
]


EraGapOpt = Annotated[
    int,
    typer.Option(help="Days allowed between coverage and the next record of the same ingredient."),
]
CombinationWindowOpt = Annotated[
    int, typer.Option(help="Minimum overlap (days) of two mechanisms to count as DTT.")
]


def _check_era_parameters(era_gap: int, combination_window: int) -> None:
    if era_gap < 0 or combination_window < 1:
        _error("--era-gap must be >= 0 and --combination-window >= 1")
        raise typer.Exit(EXIT_UNUSABLE)


@omop_app.command("episodes")
@_cdm_guarded
def omop_episodes_command(
    cdm: CdmOpt,
    out: Annotated[Path, typer.Option(help="Parquet file to write the episodes to.")],
    era_gap: EraGapOpt = 30,
    combination_window: CombinationWindowOpt = 30,
    ibd_only: Annotated[
        bool,
        typer.Option(
            help="Keep persons with a Crohn's disease / ulcerative colitis condition only "
            "(adds their diagnosis and first IBD record date)."
        ),
    ] = False,
    schema: SchemaOpt = None,
) -> None:
    """Find every DTT episode: drug-aware eras, then overlapping eras of different mechanisms."""
    from ibd_dtt.omop import derive_combination_episodes, derive_drug_eras, derive_ibd_cohort
    from ibd_dtt.omop.cdm import open_cdm, require

    _check_era_parameters(era_gap, combination_window)
    if out.suffix.lower() != ".parquet":
        _error(f"--out {out}: the file name must end in .parquet")
        raise typer.Exit(EXIT_UNUSABLE)
    tables = open_cdm(cdm, schema=schema)
    require(tables, "drug_exposure")
    with console.status("deriving treatment eras and DTT episodes"):
        episodes = derive_combination_episodes(
            derive_drug_eras(
                tables["drug_exposure"],
                era_gap=era_gap,
                concept_ancestor=tables.get("concept_ancestor"),
            ),
            combination_window,
        )
        if ibd_only:
            require(tables, "condition_occurrence")
            cohort = derive_ibd_cohort(
                tables["condition_occurrence"], tables.get("concept_ancestor")
            )
            episodes = episodes.inner_join(cohort, "person_id")
        episodes = episodes.to_pyarrow()
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    write_file(out, lambda path: pq.write_table(episodes, path), "episodes")
    console.print(f"{episodes.num_rows} DTT episodes written to {escape(str(out))}")


@omop_app.command("pathways")
@_cdm_guarded
def omop_pathways_command(
    cdm: CdmOpt,
    out: Annotated[Path, typer.Option(help="Folder to write the aggregated pathways to.")],
    era_gap: EraGapOpt = 30,
    combination_window: CombinationWindowOpt = 30,
    min_post_combination_duration: Annotated[
        int,
        typer.Option(
            help="Shortest single-drug piece kept right before or after a combination it was "
            "split from."
        ),
    ] = 30,
    filter_treatments: Annotated[
        str,
        typer.Option(
            help="changes (merge repeats), all (every era a step: A -> A), first (first "
            "occurrence of each; TreatmentPatterns' default)."
        ),
    ] = "changes",
    max_path_length: Annotated[
        int | None, typer.Option(help="Keep the first N steps of each pathway.")
    ] = None,
    min_era_duration: Annotated[
        int, typer.Option(help="Leave out eras shorter than this many days.")
    ] = 0,
    min_cell_count: Annotated[
        int, typer.Option(help="Counts from 1 to this - 1 are censored (0 = off).")
    ] = 5,
    censor_type: Annotated[
        str, typer.Option(help="How: minCellCount, remove or mean (TreatmentPatterns' names).")
    ] = "minCellCount",
    schema: SchemaOpt = None,
) -> None:
    """Treatment pathways of every person with an advanced therapy, aggregated for sharing.

    Counts overall and by age group, sex and index year, Sankey transitions and sunburst
    counts, with small cells censored. No person-level row leaves this command."""
    from ibd_dtt.omop import derive_drug_eras, derive_treatment_pathways, summarise_pathways
    from ibd_dtt.omop.cdm import open_cdm, require
    from ibd_dtt.omop.pathway_summary import CENSOR_TYPES, write_pathway_summary
    from ibd_dtt.omop.pathways import FILTER_TREATMENTS

    _check_era_parameters(era_gap, combination_window)
    if filter_treatments not in FILTER_TREATMENTS or (max_path_length or 1) < 1:
        _error(
            f"--filter-treatments must be one of {', '.join(FILTER_TREATMENTS)}; "
            "--max-path-length at least 1"
        )
        raise typer.Exit(EXIT_UNUSABLE)
    if censor_type not in CENSOR_TYPES or min_cell_count < 0 or min_post_combination_duration < 0:
        _error(
            f"--censor-type must be one of {', '.join(CENSOR_TYPES)}; --min-cell-count and "
            "--min-post-combination-duration must be 0 or more"
        )
        raise typer.Exit(EXIT_UNUSABLE)
    tables = open_cdm(cdm, schema=schema)
    require(tables, "drug_exposure", "person")
    with console.status("deriving treatment eras and pathways"):
        eras = derive_drug_eras(
            tables["drug_exposure"],
            era_gap=era_gap,
            concept_ancestor=tables.get("concept_ancestor"),
        ).to_pandas()
        pathways = derive_treatment_pathways(
            eras,
            combination_window,
            min_post_combination_duration,
            filter_treatments,
            max_path_length,
            min_era_duration,
        )
        persons = (
            tables["person"].select("person_id", "year_of_birth", "gender_concept_id").to_pandas()
        )
        summary = summarise_pathways(pathways, persons, min_cell_count, censor_type)
    with output_folder(out, kind="aggregated pathways") as folder:
        write_pathway_summary(
            summary,
            folder,
            f"era_gap {era_gap}, combination_window {combination_window}, "
            f"min_post_combination_duration {min_post_combination_duration}, "
            f"filter_treatments {filter_treatments}, max_path_length {max_path_length}, "
            f"min_era_duration {min_era_duration}",
        )
    console.print(
        f"{len(pathways):,} person(s) with an advanced therapy; "
        f"{summary.sunburst.shape[0]} distinct pathway(s) shared; {escape(summary.censoring)}"
    )
    if pathways.empty:
        console.print("No person with an advanced therapy in this CDM: the files hold no rows.")
    console.print(f"aggregated pathways written to {escape(str(out))}")


@omop_app.command("extract")
@_cdm_guarded
def omop_extract_command(
    cdm: CdmOpt,
    out: Annotated[Path, typer.Option(help="Folder to write the registry tables to.")],
    era_gap: EraGapOpt = 30,
    combination_window: CombinationWindowOpt = 30,
    data_cut: Annotated[
        str | None,
        typer.Option(help="Data cut date (YYYY-MM-DD); default: the latest observation end."),
    ] = None,
    concepts: Annotated[
        Path | None,
        typer.Option(
            help="Folder with the site's own conditions.csv / measurements.csv / "
            "adverse_events.csv (replacing ours file by file)."
        ),
    ] = None,
    schema: SchemaOpt = None,
) -> None:
    """Extract the registry tables of every IBD patient with a DTT episode from the CDM.

    Patients, therapies, assessments and adverse events, so that `ibd-dtt validate`,
    `outcomes` and `report` run on them."""
    import datetime as dt

    from ibd_dtt.omop.cdm import open_cdm
    from ibd_dtt.omop.extract import ExtractOptions, extract_registry, write_extraction

    _check_era_parameters(era_gap, combination_window)
    try:
        cut = dt.date.fromisoformat(data_cut) if data_cut else None
    except ValueError:
        _error(f"--data-cut {data_cut!r} is not a YYYY-MM-DD date")
        raise typer.Exit(EXIT_UNUSABLE) from None
    options = ExtractOptions(
        era_gap=era_gap,
        combination_window=combination_window,
        data_cut=cut,
        concepts_folder=concepts,
    )
    tables = open_cdm(cdm, schema=schema)
    with console.status("opening the CDM") as status:
        extraction = extract_registry(
            tables, options, progress=lambda step: status.update(f"extracting: {step}")
        )
        with output_folder(out, kind="OMOP extraction") as folder:
            write_extraction(extraction, folder)
    attrition = Table(title="Who was extracted")
    attrition.add_column("step")
    attrition.add_column("persons", justify="right")
    for row in extraction.attrition.itertuples(index=False):
        attrition.add_row(_text(row.step), f"{row.persons:,}")
    console.print(attrition)
    rows = ", ".join(f"{name} {len(frame)}" for name, frame in extraction.tables.items())
    console.print(f"registry tables written to {escape(str(out))}: {rows}")
    if extraction.tables["patients"].empty:
        console.print(
            "No IBD person with a DTT episode in this CDM: the attrition above shows where "
            "everyone left; the files hold the columns and no rows."
        )
    console.print(
        f"{len(extraction.log)} EHR record(s) not carried over, each with the reason: "
        f"{escape(str(out / 'extraction' / 'extraction_log.csv'))}"
    )
    console.print(
        f"next: ibd-dtt validate {escape(str(out))}  then  "
        f"ibd-dtt report {escape(str(out))} --out REPORT_DIR"
    )


@app.command("synth-omop")
@_guarded
def synth_omop_command(
    out: Annotated[Path, typer.Option(help="Folder to write the CDM tables (Parquet) to.")],
    persons: Annotated[int, typer.Option(help="Number of persons.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Write a SYNTHETIC OMOP CDM (one drug_exposure row per administration, random order)."""
    from ibd_dtt.omop.synth import generate_omop, write_omop

    if persons < 1:
        _error("--persons must be at least 1")
        raise typer.Exit(EXIT_UNUSABLE)
    with console.status(f"generating {persons} synthetic persons"):
        tables = generate_omop(persons, seed)
        with output_folder(out, kind="synthetic CDM") as folder:
            write_omop(tables, folder)
    rows = ", ".join(f"{name} {len(frame)}" for name, frame in tables.items())
    console.print(f"synthetic CDM (seed {seed}) written to {escape(str(out))}: {rows}")


@app.command("version")
def version_command() -> None:
    """Print the ibd-dtt version."""
    console.print(f"ibd-dtt {__version__}")


def main() -> None:
    """Entry point of the ``ibd-dtt`` script: SIGINT and SIGTERM end the run cleanly (every
    worker stopped, temporary output removed) with exit 130 / 143 and one line, no
    traceback."""
    install_signal_handlers()
    interruption = None
    try:
        app()
    except BaseException as error:
        # Interrupted itself, or what an engine raised in its place while a query ran
        signum = error.signum if isinstance(error, Interrupted) else received_signal()
        if signum is None or isinstance(error, SystemExit):
            raise
        interruption = Interrupted(signum)
        console.print(
            f"[bold red]interrupted[/] ({interruption}); unfinished outputs were removed."
        )
    if interruption is not None:
        # A DuckDB query interrupted while it calls back into Python (to check for signals)
        # can keep its objects referenced from C++, where the garbage collector cannot free
        # them: close the databases now (their spill files go), and let DuckDB's bindings
        # list those objects as "leaked" at exit into /dev/null, not under our one line.
        close_interrupted_connections()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
        sys.exit(interruption.exit_code)
