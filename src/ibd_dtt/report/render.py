"""Write a computed :class:`Report`: HTML, Excel, Word, CSV/Parquet and figure files.

Outputs are deterministic: apart from the one "Generated" timestamp in ``report.html``, two
runs on the same input give byte-identical files (zip entries of .xlsx/.docx carry a fixed
date; SVG and PNG carry no creation date).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import json
import platform
import re
import zipfile
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ibd_dtt import __version__
from ibd_dtt.outputs import neutralise_formulas, output_folder
from ibd_dtt.report.build import Report
from ibd_dtt.report.figure_inputs import (
    FigureFiles,
    FigureInputs,
    draw_report_figures,
    write_figures,
)
from ibd_dtt.report.model import ReportTable
from ibd_dtt.report.narrative import headline_cards, methods_paragraphs, results_paragraphs
from ibd_dtt.stats.format import using_percent_decimals

FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
FIXED_DOC_DATE = dt.datetime(2000, 1, 1)
PATIENT_LEVEL_FIGURES = ("fig2_swimmer", "fig3_lab_trajectories")
# Patient listings longer than this are kept whole in the CSV, Parquet and Excel files but
# not printed in the HTML page or the Word document (a 10 000-row table is not readable).
LISTING_MAX_ROWS = 200


def _for_documents(table: ReportTable) -> ReportTable:
    if not table.patient_level or len(table.display) <= LISTING_MAX_ROWS:
        return table
    note = (
        f"{len(table.display)} patients: the full listing is in tables.xlsx (sheet "
        f"{table.key[:31]}) and tables/{table.key}.csv; documents print listings of up to "
        f"{LISTING_MAX_ROWS} patients."
    )
    return ReportTable(
        table.key,
        table.title,
        table.data,
        table.display.iloc[0:0],
        (*table.notes, note),
        table.patient_level,
    )


def hash_inputs(source: str | Path | None) -> dict[str, str]:
    """SHA-256 of every input file (the data folder's files, or the workbook)."""
    if source is None:
        return {}
    source = Path(source)
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.suffix.lower() in {".csv", ".xlsx", ".yaml", ".yml", ".json"}
    }


def provenance(report: Report, source: str | Path | None) -> dict:
    """Versions, configuration and input hashes (no timestamp)."""
    from importlib.metadata import version

    import numpy
    import scipy
    import statsmodels

    primary = report.primary
    return {
        "ibd_dtt_version": __version__,
        "python": platform.python_version(),
        "packages": {
            "pandas": pd.__version__,
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
            "matplotlib": version("matplotlib"),  # not imported: only figure processes use it
        },
        "analyses": [
            {
                "definition_set": a.definitions.name,
                "definition_version": a.definitions.version,
                "strategy": a.strategy,
                "windows_version": a.windows.version,
                "after_episode": a.windows.after_episode,
            }
            for a in report.analyses
        ],
        "primary_analysis": f"{primary.definitions.name} v{primary.definitions.version} / "
        f"{primary.strategy}",
        "ci_method": report.ci_method,
        "data_cut_date": str(report.cohort.data_cut.date()),
        "input_files_sha256": hash_inputs(source),
    }


_COUNT = re.compile(r"^(\d+)(?=( \(|/| \(|$))")


def suppress_cell(text: str, min_count: int) -> str:
    """Replace a count of 1..min_count-1 (and what can be derived from it) by '<min_count'.

    >>> suppress_cell("3 (16.7)", 5), suppress_cell("3/17 (17.6 %, 3.8–43.4)", 5)
    ('<5', '<5/17')
    >>> suppress_cell("0 (0.0)", 5), suppress_cell("12 (66.7)", 5), suppress_cell("7/7 (100 %)", 5)
    ('0 (0.0)', '12 (66.7)', '7/7 (100 %)')
    """
    match = _COUNT.match(text.strip())
    if not match:
        return text
    n = int(match.group(1))
    if 0 < n < min_count:
        rest = text.strip()[match.end() :]
        return f"<{min_count}" + (rest.split(" ", 1)[0] if rest.startswith("/") else "")
    total = re.match(r"^\d+/(\d+)", text.strip())
    if total and 0 < int(total.group(1)) - n < min_count:  # complement derivable
        return f"≥{int(total.group(1)) - min_count + 1}/{total.group(1)}"
    return text


_GROUP_SIZE = re.compile(r"\(N=(\d+)\)")
_ROW_SIZE_COLUMNS = ("n (pairs)", "Patients")


def _suppress_value(value, min_count: int):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):  # integer cells of display tables are counts
        return f"<{min_count}" if 0 < value < min_count else value
    return suppress_cell(value, min_count) if isinstance(value, str) else value


def suppress_table(table: ReportTable, min_count: int) -> ReportTable:
    """Render-time small-cell suppression of one table (see docs/statistics.md): counts and
    their complements, group sizes in the headers, and every statistic of a row that is
    computed from fewer than ``min_count`` patients (e.g. a mean over 3 pairs)."""
    display = table.display.copy()
    for column in _ROW_SIZE_COLUMNS:
        if column not in display:
            continue
        sizes = pd.to_numeric(display[column], errors="coerce")
        small = (sizes > 0) & (sizes < min_count)
        if small.any():
            labels = list(display.columns[: list(display.columns).index(column)])
            for other in display.columns:
                if other not in labels and other != column:
                    display[other] = display[other].astype(object)
                    display.loc[small, other] = "suppressed"
    display = display.map(lambda v: _suppress_value(v, min_count)).map(
        lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
    )
    display.columns = [
        _GROUP_SIZE.sub(
            lambda m: f"(N<{min_count})" if 0 < int(m.group(1)) < min_count else m.group(0),
            str(c),
        )
        for c in display.columns
    ]
    note = (
        f"Small-cell suppression: counts from 1 to {min_count - 1} are shown as "
        f"'<{min_count}', complements that would reveal them are masked, and statistics "
        f"computed from fewer than {min_count} patients are not shown."
    )
    return ReportTable(
        table.key,
        table.title,
        table.data.iloc[0:0],
        display,
        (*table.notes, note),
        table.patient_level,
    )


def _html_table(table: ReportTable) -> str:
    frame = table.display
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = ["" if pd.isna(v) else str(v) for v in record]
        section = all(c == "" for c in cells[1:]) and not cells[0].startswith(" ")
        cls = ' class="section"' if section and table.key.startswith("table") else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _normalise_zip(path: Path) -> None:
    """Rewrite an Office file with fixed entry dates and order, for byte-identical output."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, payload in entries:
            if name == "docProps/core.xml":  # openpyxl stamps "modified" with the save time
                payload = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    payload,
                )
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, payload)
    path.write_bytes(buffer.getvalue())


def _xlsx_value(sheet, value):
    """A cell value for openpyxl: numbers as numbers, text as text. Text that starts with
    ``=`` would be stored as a live formula by openpyxl, so it is written as a typed string
    cell (never evaluated by Excel)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def study_name(report) -> str:
    """The study's name from study.yaml (``study_name``), shown on every output."""
    config = getattr(getattr(report, "scored", None), "validation", None)
    config = getattr(config, "config", None)
    return getattr(config, "study_name", None) or "Dual-targeted therapy in IBD"


def write_xlsx(tables: list[ReportTable], path: Path, title: str = "") -> Path:
    """One sheet per table (the printed table, then its footnotes). Written in openpyxl's
    streaming (write-only) mode: listings of thousands of patients stay fast."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    wb.properties.title = title or None
    for table in tables:
        ws = wb.create_sheet(table.key[:31])
        cells = table.display.to_numpy(object)
        for i, column in enumerate(table.display.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in cells[:, i - 1]])
            ws.column_dimensions[get_column_letter(i)].width = min(max(8, width + 2), 70)

        def bold_row(values: list, sheet=ws) -> list:
            cells = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=value)
                cell.font = bold
                cells.append(cell)
            return cells

        ws.append(bold_row([table.title]))
        ws.append(bold_row([str(c) for c in table.display.columns]))
        for record in cells:
            ws.append([_xlsx_value(ws, v) for v in record])
        ws.append([])
        for note in table.notes:
            ws.append([note])
    wb.properties.created = FIXED_DOC_DATE
    wb.properties.modified = FIXED_DOC_DATE
    wb.properties.creator = "ibd-dtt"
    wb.save(path)
    _normalise_zip(path)
    return path


def _rule(cell, edge: str, size: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(size))
    element.set(qn("w:color"), "000000")
    borders.append(element)


def _run_xml(text: str) -> str:
    """``<w:r>`` as python-docx writes it for ``cell.text = text``: ``w:t`` pieces with
    ``xml:space="preserve"`` only around outer spaces, tabs as ``w:tab``, line breaks as
    ``w:br``."""
    if not text:
        return "<w:r/>"
    parts = []
    for piece in re.split(r"(\t|\n)", text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece == "\n":
            parts.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if piece.strip() != piece else ""
            parts.append(f"<w:t{space}>{html.escape(piece, quote=False)}</w:t>")
    return "<w:r>" + "".join(parts) + "</w:r>"


def _append_rows(table, frame: pd.DataFrame) -> None:
    """The body rows of a Word table, parsed from one XML string: python-docx's
    ``add_row`` and ``cell.text`` cost about 0.2 ms per cell, which made the Word file the
    slowest output of a small report. The XML is what they produce (cell width from the
    table grid, one paragraph with one run; line breaks as ``w:br``)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    widths = [col.get(qn("w:w")) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    if not len(frame):
        return
    cells = []
    rows = []
    columns = [frame[c].to_numpy(object) for c in frame.columns]
    for i in range(len(frame)):
        cells.clear()
        for width, values in zip(widths, columns, strict=True):
            value = values[i]
            text = "" if pd.isna(value) else str(value)
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                f"<w:p>{_run_xml(text)}</w:p></w:tc>"
            )
        rows.append("<w:tr>" + "".join(cells) + "</w:tr>")
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
    for row in list(parsed):
        table._tbl.append(row)


def write_docx(
    tables: list[ReportTable], path: Path, title: str, alerts: tuple[str, ...] = ()
) -> Path:
    """Journal-style tables: three horizontal rules, no vertical lines, footnotes below."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(8)
    doc.add_heading(title, level=1)
    for alert in alerts:
        doc.add_paragraph().add_run(f"Not evaluable. {alert}").bold = True
    for table in tables:
        doc.add_heading(table.title, level=2)
        frame = table.display
        t = doc.add_table(rows=1, cols=len(frame.columns))
        for cell, column in zip(t.rows[0].cells, frame.columns, strict=True):
            cell.text = str(column)
            cell.paragraphs[0].runs[0].bold = True
            _rule(cell, "top", 12)
            _rule(cell, "bottom", 6)
        _append_rows(t, frame)
        for cell in t.rows[-1].cells:
            _rule(cell, "bottom", 12)
        for note in table.notes:
            p = doc.add_paragraph(note)
            p.runs[0].font.size = Pt(7)
    doc.core_properties.created = FIXED_DOC_DATE
    doc.core_properties.modified = FIXED_DOC_DATE
    doc.core_properties.last_printed = FIXED_DOC_DATE
    doc.core_properties.author = "ibd-dtt"
    doc.core_properties.title = title
    doc.core_properties.revision = 1
    doc.save(path)
    _normalise_zip(path)
    return path


def write_report(
    report: Report,
    out_dir: str | Path,
    source: str | Path | None = None,
    min_cell_count: int = 0,
    generated_at: str | None = None,
    figures: list[FigureFiles] | None = None,
    jobs: int = 1,
) -> dict[str, Path]:
    """Write every output into ``out_dir``, whole or not at all; returns the main files by
    kind.

    The files are written into a temporary folder beside ``out_dir`` that then replaces it
    (:func:`ibd_dtt.outputs.output_folder`): an earlier report there is replaced entirely,
    a failed or interrupted run leaves it untouched, and a folder that is not an ibd-dtt
    output (or holds the input ``source``) is refused.

    ``min_cell_count`` > 0 makes an aggregate export: patient-level tables, figures and
    datasets are left out and small counts are suppressed in every table. ``figures``:
    already drawn, or None to draw them here (``jobs`` > 1: in that many processes).
    """
    inputs = (source,) if source is not None else ()
    with (
        output_folder(out_dir, inputs, kind="report") as tmp,
        using_percent_decimals(report.percent_decimals),
    ):
        _write_report_files(report, tmp, source, min_cell_count, generated_at, figures, jobs)
    out = Path(out_dir)
    return {
        "html": out / "report.html",
        "xlsx": out / "tables.xlsx",
        "docx": out / "tables.docx",
        "tables": out / "tables",
        "figures": out / "figures",
        "provenance": out / "provenance.json",
    }


def _write_report_files(
    report: Report,
    out: Path,
    source: str | Path | None,
    min_cell_count: int,
    generated_at: str | None,
    figures: list[FigureFiles] | None,
    jobs: int,
) -> None:
    (out / "tables").mkdir(parents=True, exist_ok=True)
    tables = list(report.tables.values())
    suppression = ""
    if min_cell_count > 0:
        tables = [suppress_table(t, min_cell_count) for t in tables if not t.patient_level]
        suppression = (
            f"Aggregate export with small-cell suppression (minimum cell count "
            f"{min_cell_count}); patient-level listings and figures are omitted."
        )
    if figures is None:
        figures = draw_report_figures(
            FigureInputs.of(report.cohort, report.primary, report.ci_method), jobs
        )

    for table in tables:
        display = neutralise_formulas(table.display)
        display.to_csv(out / "tables" / f"{table.key}.csv", index=False)
        table.display.to_parquet(out / "tables" / f"{table.key}.parquet", index=False)
        if min_cell_count == 0:
            numbers = table.data.copy()
            neutralise_formulas(numbers).to_csv(
                out / "tables" / f"{table.key}.data.csv", index=False
            )
            numbers.astype(
                {c: "string" for c in numbers.columns if numbers[c].dtype == object}
            ).to_parquet(out / "tables" / f"{table.key}.data.parquet", index=False)
    if min_cell_count == 0:
        report.primary.write(out / "datasets")
        for extra in report.analyses[1:]:
            extra.write(out / "datasets" / f"{extra.definitions.name}-{extra.strategy}")
    title = f"{study_name(report)}: study report"
    write_xlsx(tables, out / "tables.xlsx", title)
    documents = [_for_documents(t) for t in tables]
    write_docx(documents, out / "tables.docx", title, report.alerts)
    if min_cell_count > 0:
        figures = [f for f in figures if f.name not in PATIENT_LEVEL_FIGURES]
    write_figures(figures, out / "figures")
    prov = provenance(report, source)
    (out / "provenance.json").write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")

    env = Environment(
        loader=PackageLoader("ibd_dtt.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    rows = [("ibd-dtt version", prov["ibd_dtt_version"]), ("Python", prov["python"])]
    rows += [(f"{k} version", v) for k, v in prov["packages"].items()]
    rows += [
        (
            f"Analysis {i + 1}",
            f"{a['definition_set']} v{a['definition_version']}, "
            f"{a['strategy']}, windows v{a['windows_version']}, after_episode="
            f"{a['after_episode']}",
        )
        for i, a in enumerate(prov["analyses"])
    ]
    rows += [("Data cut", prov["data_cut_date"]), ("Confidence intervals", prov["ci_method"])]
    rows += [(f"sha256 {name}", digest) for name, digest in prov["input_files_sha256"].items()]
    page = env.get_template("report.html.j2").render(
        title=title,
        study=study_name(report),
        subtitle=f"{len(report.cohort.patients)} patients analysed · data cut "
        f"{prov['data_cut_date']} · primary analysis {prov['primary_analysis']}",
        suppression=suppression,
        alerts=report.alerts,
        headline=headline_cards(report, min_cell_count),
        methods=methods_paragraphs(report),
        results=results_paragraphs(report, min_cell_count),
        tables=[
            {"key": t.key, "title": t.title, "notes": t.notes, "html": _html_table(t)}
            for t in documents
        ],
        figures=[
            {
                "name": f.name,
                "title": f.title,
                "png_base64": base64.b64encode(f.png).decode("ascii"),
            }
            for f in figures
        ],
        provenance_rows=rows,
        generated_at=generated_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    (out / "report.html").write_text(page, encoding="utf-8")
