"""Write a computed :class:`Report`: HTML, Excel, Word, CSV/Parquet and figure files.

Outputs are deterministic: apart from the one "Generated" timestamp in ``report.html``, two
runs on the same input give byte-identical files (zip entries of .xlsx/.docx carry a fixed
date; SVG and PNG carry no creation date).
"""

from __future__ import annotations

import base64
import dataclasses
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
from ibd_dtt.report.layout import MARGIN_MM, PAPER_SIZES, TableLayout, fit_columns
from ibd_dtt.report.model import ReportTable
from ibd_dtt.report.narrative import headline_cards, methods_paragraphs, results_paragraphs
from ibd_dtt.report.pdf import find_chromium, print_to_pdf
from ibd_dtt.stats.format import (
    keep_words_whole,
    typeset,
    typeset_minus,
    using_percent_decimals,
)

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
    return dataclasses.replace(table, display=table.display.iloc[0:0], notes=(*table.notes, note))


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


# a count: before " (" or the end of the cell, or before "/N" (where multiple imputation's
# mean number of responders may carry a decimal)
_COUNT = re.compile(r"^(\d+(?:\.\d+)?(?=/)|\d+(?= \(|$))")


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
    n = float(match.group(1))
    if 0 < n < min_count:
        rest = text.strip()[match.end() :]
        return f"<{min_count}" + (rest.split(" ", 1)[0] if rest.startswith("/") else "")
    total = re.match(r"^[\d.]+/(\d+)", text.strip())
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
    return dataclasses.replace(
        table, data=table.data.iloc[0:0], display=display, notes=(*table.notes, note)
    )


def is_section_row(cells: list[str]) -> bool:
    """A group header inside a table ("Disease characteristics", an outcome above its
    timepoints): text in the first column only, not indented. Printed bold everywhere."""
    return (
        len(cells) > 2
        and bool(cells[0])
        and not cells[0].startswith(" ")
        and all(c == "" for c in cells[1:])
    )


_NUMERIC_CELL = re.compile(r"^([<>≤≥]?\d|none of|\u2013$|$)")


def numeric_columns(frame: pd.DataFrame) -> list[bool]:
    """Columns whose cells are numbers or statistics (right-aligned in print): every
    non-empty cell starts with a digit or a bound, and one at least does."""
    flags = []
    for i, column in enumerate(frame.columns):
        texts = ["" if pd.isna(v) else str(v).strip() for v in frame[column]]
        filled = [t for t in texts if t]
        flags.append(i > 0 and bool(filled) and all(_NUMERIC_CELL.match(t) for t in filled))
    return flags


_BREAKABLE_WORD = re.compile(r"\S*[-\u2013/]\S*")


def _html_words(text: str) -> str:
    """Cell text for HTML: a word with a hyphen, en dash or slash inside ("[63.6–98.5]",
    "de-escalation") is kept on one line (browsers break after those characters); negative
    numbers get the minus sign."""
    return _BREAKABLE_WORD.sub(
        lambda m: f'<span class="nw">{m.group(0)}</span>',
        html.escape(typeset_minus(text), quote=False),
    )


def _html_table(table: ReportTable, widths_mm: tuple[float, ...] = ()) -> str:
    """The table as HTML; ``widths_mm``: column widths used in print (as in tables.docx)."""
    frame = table.display
    spanners, labels = table.header()
    aligned = numeric_columns(frame)
    head = ""
    if spanners:
        head += (
            '<tr class="spanners">'
            + "".join(
                f'<th colspan="{span}"{" class=span" if label else ""}>{_html_words(label)}</th>'
                for label, span in spanners
            )
            + "</tr>"
        )
    head += (
        "<tr>"
        + "".join(
            f"<th{' class=num' if right else ''}>{_html_words(c)}</th>"
            for c, right in zip(labels, aligned, strict=True)
        )
        + "</tr>"
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = ["" if pd.isna(v) else str(v) for v in record]
        cls = ' class="section"' if is_section_row(cells) else ""
        rows.append(
            f"<tr{cls}>"
            + "".join(
                f"<td{' class=num' if right else ''}>{_html_words(c)}</td>"
                for c, right in zip(cells, aligned, strict=True)
            )
            + "</tr>"
        )
    columns = "".join(f'<col style="--w: {w:.1f}mm">' for w in widths_mm)
    colgroup = f"<colgroup>{columns}</colgroup>" if columns else ""
    body = "".join(rows)
    return f'<table class="t">{colgroup}<thead>{head}</thead><tbody>{body}</tbody></table>'


# Abbreviations a table may use besides the drug catalogue's, defined under each table that
# uses them (journals define every abbreviation where it is used).
ABBREVIATIONS = {
    "UC": "ulcerative colitis",
    "CD": "Crohn's disease",
    "IBDU": "IBD unclassified",
    "DTT": "dual-targeted therapy",
    "CI": "confidence interval",
    "SD": "standard deviation",
    "Q1–Q3": "first to third quartile",
    "NRI": "non-responder imputation",
    "LOCF": "last observation carried forward",
    "CRP": "C-reactive protein",
    "ULN": "upper limit of normal",
    "HBI": "Harvey-Bradshaw Index",
    "MES": "Mayo endoscopic subscore",
    "SES-CD": "Simple Endoscopic Score for Crohn's Disease",
    "CTCAE": "Common Terminology Criteria for Adverse Events",
    "NR": "not reached",
    "Dx": "diagnosis",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
}


def abbreviations_used(texts: list[str]) -> dict[str, str]:
    """Every abbreviation (drug abbreviations from the catalogue and :data:`ABBREVIATIONS`)
    that occurs as a word in ``texts``, with what it stands for, in alphabetical order.

    >>> abbreviations_used(["UST + VDZ", "CD (N=10)"])
    {'CD': "Crohn's disease", 'UST': 'ustekinumab', 'VDZ': 'vedolizumab'}
    """
    from ibd_dtt.catalogue import load_drug_catalogue

    known = {d.abbreviation: d.generic_name for d in load_drug_catalogue().drugs}
    known.update(ABBREVIATIONS)
    words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9–-]*[A-Za-z0-9]|[A-Z]", "\n".join(texts)))
    return {a: known[a] for a in sorted(known, key=str.lower) if a in words}


def typeset_table(table: ReportTable) -> ReportTable:
    """The table as printed: every label, cell and note through
    :func:`ibd_dtt.stats.format.typeset` ('<=' as '≤', 'ug/g' as 'µg/g'), and a last
    footnote defining every abbreviation the table uses."""

    def text(value):
        return typeset(value) if isinstance(value, str) else value

    display = table.display.map(text)
    display.columns = [text(c) for c in table.display.columns]
    shown = [table.title, *map(str, display.columns), *(label for label, _ in table.spanners)]
    shown += [v for v in display.to_numpy(object).ravel() if isinstance(v, str)]
    used = abbreviations_used(shown)
    notes = tuple(typeset(n) for n in table.notes)
    if used:
        notes += ("Abbreviations: " + "; ".join(f"{a}, {n}" for a, n in used.items()) + ".",)
    return dataclasses.replace(
        table,
        title=typeset(table.title),
        display=display,
        notes=notes,
        spanners=tuple((typeset(label), span) for label, span in table.spanners),
    )


def print_layout(table: ReportTable, paper: str) -> TableLayout:
    """The printed layout of a table (orientation, font, column widths), the same for the
    Word file and the HTML print stylesheet."""
    spanners, labels = table.header()
    sections = [
        is_section_row(["" if pd.isna(v) else str(v) for v in record])
        for record in table.display.itertuples(index=False)
    ]
    return fit_columns(labels, table.display, paper, spanners, sections)


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


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.(\d+))?$")


def _xlsx_value(sheet, value):
    """A cell for openpyxl: numbers as numbers, with a number format that prints them as
    the report does ("0.050" stays a number formatted 0.000; "<0.001" stays text); other
    text as text. Text that starts with ``=`` would be stored as a live formula by
    openpyxl, so it is written as a typed string cell (never evaluated by Excel)."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    match = _PLAIN_NUMBER.match(text.strip())
    if match and not (
        len(text.strip()) > 1 and text.strip().lstrip("-").startswith("0") and not match.group(1)
    ):  # "007" is an identifier, not a number
        decimals = len(match.group(2) or "")
        cell = WriteOnlyCell(sheet, value=float(text) if decimals else int(text))
        cell.number_format = "0." + "0" * decimals if decimals else "0"
        return cell
    if text.startswith("="):
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


DEFAULT_STUDY_NAME = "Dual-targeted therapy in IBD"


def study_name(report) -> str:
    """The study's name from study.yaml (``study_name``), shown on every output."""
    config = getattr(getattr(report, "scored", None), "validation", None)
    config = getattr(config, "config", None)
    return getattr(config, "study_name", None) or DEFAULT_STUDY_NAME


def write_xlsx(tables: list[ReportTable], path: Path, title: str = "") -> Path:
    """One sheet per table: the title, the header (spanning analysis names above the
    column names, as in the documents), the cells (numbers stored as numbers with their
    printed format), then the footnotes. Written in openpyxl's streaming (write-only)
    mode: listings of thousands of patients stay fast."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    wb.properties.title = title or None
    for table in tables:
        ws = wb.create_sheet(table.key[:31])
        spanners, labels = table.header()
        cells = table.display.to_numpy(object)
        for i, column in enumerate(labels, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in cells[:, i - 1]])
            ws.column_dimensions[get_column_letter(i)].width = min(max(8, width + 2), 70)

        def bold_cells(values: list, sheet=ws, centre: bool = False) -> list:
            out = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=value)
                cell.font = bold
                if centre:
                    cell.alignment = Alignment(horizontal="centerContinuous")
                out.append(cell)
            return out

        ws.append(bold_cells([table.title]))
        if spanners:
            # write-only sheets cannot merge: "centre across selection" spans the label
            spanned = []
            for label, span in spanners:
                spanned += [label] + [None] * (span - 1)
            ws.append(bold_cells(spanned, centre=True))
        ws.append(bold_cells(labels))
        for record in cells:
            texts = [
                "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                for v in record
            ]
            if is_section_row(texts):
                ws.append(bold_cells(texts))
            else:
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


# single-spaced cell paragraphs with no space before or after
_TIGHT = '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'


def _append_rows(table, frame: pd.DataFrame, aligned: list[bool], font_half_points: int) -> None:
    """The body rows of a Word table, parsed from one XML string: python-docx's
    ``add_row`` and ``cell.text`` cost about 0.2 ms per cell, which made the Word file the
    slowest output of a small report. The XML is what they produce (cell width from the
    table grid, one paragraph with one run; line breaks as ``w:br``), plus the alignment,
    the table's font size, bold group headers and rows that never split across pages."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    widths = [col.get(qn("w:w")) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    if not len(frame):
        return
    size = f'<w:sz w:val="{font_half_points}"/>'
    rows = []
    columns = [frame[c].to_numpy(object) for c in frame.columns]
    for i in range(len(frame)):
        texts = ["" if pd.isna(values[i]) else str(values[i]) for values in columns]
        bold = "<w:b/>" if is_section_row(texts) else ""
        cells = []
        for width, text, right in zip(widths, texts, aligned, strict=True):
            justify = '<w:jc w:val="right"/>' if right else ""
            indent = ""
            if text.startswith(" "):  # indented level: a hanging indent, not spaces
                depth = (len(text) - len(text.lstrip(" "))) // 4 or 1
                indent = f'<w:ind w:left="{170 * depth}"/>'
                text = text.lstrip(" ")
            run = _run_xml(keep_words_whole(text)).replace(
                "<w:r>", f"<w:r><w:rPr>{bold}{size}</w:rPr>", 1
            )
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                f"<w:p><w:pPr>{_TIGHT}{indent}{justify}</w:pPr>{run}</w:p></w:tc>"
            )
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
    for row in list(parsed):
        table._tbl.append(row)


def _mark_header_row(row) -> None:
    """Repeat the row at the top of every page the table runs onto; never split it."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        tr_pr.append(element)


def _set_section(section, paper: str, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    width, height = PAPER_SIZES[paper]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = Mm(height if landscape else width)
    section.page_height = Mm(width if landscape else height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))


def _journal_styles(doc) -> None:
    """One font (Arial), black, 10 pt text; headings bold in the same font."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name, size in (("Normal", 10), ("Title", 14), ("Heading 1", 14), ("Heading 2", 11)):
        style = doc.styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        r_fonts = style.element.rPr.rFonts
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            r_fonts.set(qn(attribute), "Arial")
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            r_fonts.attrib.pop(qn(theme), None)
        if name == "Normal":
            style.paragraph_format.space_before = Pt(0)
            style.paragraph_format.space_after = Pt(2)
            style.paragraph_format.line_spacing = 1.0
        else:
            style.font.bold = True
            style.paragraph_format.keep_with_next = True
            style.paragraph_format.space_before = Pt(12)
            style.paragraph_format.space_after = Pt(4)


def write_docx(
    tables: list[ReportTable],
    path: Path,
    title: str,
    alerts: tuple[str, ...] = (),
    paper: str = "a4",
    layouts: dict[str, TableLayout] | None = None,
) -> Path:
    """Journal-style tables: three horizontal rules, no vertical lines, footnotes below.

    A4 (or US Letter, ``paper="letter"``), portrait unless a table needs a landscape page;
    column widths fitted to the content with no word broken (:func:`fit_columns`); the
    header rows repeat on every page; statistics right-aligned; group headers bold.
    """
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm, Pt

    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, not {paper!r}")
    doc = Document()
    _journal_styles(doc)
    _set_section(doc.sections[0], paper, landscape=False)
    doc.add_heading(title, level=1)
    for alert in alerts:
        doc.add_paragraph().add_run(f"Not evaluable. {alert}").bold = True
    landscape = False
    for table in tables:
        frame = table.display
        spanners, labels = table.header()
        layout = (layouts or {}).get(table.key) or print_layout(table, paper)
        if layout.landscape != landscape:
            landscape = layout.landscape
            _set_section(doc.add_section(WD_SECTION.NEW_PAGE), paper, landscape)
        doc.add_heading(table.title, level=2)
        aligned = numeric_columns(frame)
        header_rows = 2 if spanners else 1
        t = doc.add_table(rows=header_rows, cols=len(labels))
        t.alignment = WD_TABLE_ALIGNMENT.LEFT
        t.autofit = False
        for column, width in zip(t.columns, layout.widths_mm, strict=True):
            column.width = Mm(width)
        if spanners:
            at = 0
            for label, span in spanners:
                cell = t.cell(0, at)
                if span > 1:
                    cell = cell.merge(t.cell(0, at + span - 1))
                cell.text = keep_words_whole(label)
                if label:
                    cell.paragraphs[0].runs[0].bold = True
                    cell.paragraphs[0].runs[0].font.size = Pt(layout.font_pt)
                    _rule(cell, "bottom", 4)
                at += span
        for row in t.rows:
            for cell, width in zip(row.cells, layout.widths_mm, strict=True):
                cell.width = Mm(width)
        for cell, label, right in zip(t.rows[-1].cells, labels, aligned, strict=True):
            cell.text = keep_words_whole(label)
            run = cell.paragraphs[0].runs[0]
            run.bold = True
            run.font.size = Pt(layout.font_pt)
            if right:
                cell.paragraphs[0].alignment = 2  # right
            _rule(cell, "bottom", 6)
        for cell in t.rows[0].cells:
            _rule(cell, "top", 12)
        for row in t.rows[:header_rows]:
            _mark_header_row(row)
        _append_rows(t, frame, aligned, round(layout.font_pt * 2))
        for cell in t.rows[-1].cells:
            _rule(cell, "bottom", 12)
        for note in table.notes:
            p = doc.add_paragraph(note)
            p.runs[0].font.size = Pt(8)
            p.paragraph_format.space_after = Pt(0)
        doc.add_paragraph()
    doc.core_properties.created = FIXED_DOC_DATE
    doc.core_properties.modified = FIXED_DOC_DATE
    doc.core_properties.last_printed = FIXED_DOC_DATE
    doc.core_properties.author = "ibd-dtt"
    doc.core_properties.title = title
    doc.core_properties.revision = 1
    doc.save(path)
    _normalise_zip(path)
    return path


def write_table_documents(
    tables: list[ReportTable], out: Path, title: str, paper: str, alerts: tuple[str, ...] = ()
) -> tuple[list[ReportTable], dict[str, TableLayout]]:
    """``tables.xlsx`` and ``tables.docx`` (fitted to the page) of typeset tables; returns
    the tables as documents print them and their print layouts, which the HTML page's print
    stylesheet uses too."""
    write_xlsx(tables, out / "tables.xlsx", title)
    documents = [_for_documents(t) for t in tables]
    layouts = {t.key: print_layout(t, paper) for t in documents}  # Word and HTML print
    write_docx(documents, out / "tables.docx", title, alerts, paper, layouts)
    return documents, layouts


def render_report_page(
    *,
    title: str,
    paper: str,
    study: str,
    subtitle: str,
    suppression: str,
    alerts: tuple[str, ...],
    headline: list[dict],
    methods: list[str],
    results: list[str],
    documents: list[ReportTable],
    layouts: dict[str, TableLayout],
    figures: list[FigureFiles],
    provenance_rows: list[tuple[str, str]],
    generated_at: str | None = None,
) -> str:
    """The self-contained HTML page of a report (the study's or a network's pooled one):
    headline, Methods, Results, tables with their print layout, figures, provenance."""
    env = Environment(
        loader=PackageLoader("ibd_dtt.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(
        title=title,
        paper={"a4": "A4", "letter": "letter"}[paper],
        margin_mm=MARGIN_MM,
        study=study,
        subtitle=subtitle,
        suppression=suppression,
        alerts=alerts,
        headline=headline,
        methods=[typeset(p) for p in methods],
        results=[typeset(p) for p in results],
        tables=[
            {
                "key": t.key,
                "title": t.title,
                "notes": t.notes,
                "html": _html_table(t, layouts[t.key].widths_mm),
                "print": layouts[t.key],
            }
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
        provenance_rows=provenance_rows,
        generated_at=generated_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def prints_pdf(pdf: bool | None) -> bool:
    """Whether report.pdf is printed: asked for (True), or by default (None) when Chromium
    is installed; never with False."""
    return bool(pdf or (pdf is None and find_chromium() is not None))


def write_report(
    report: Report,
    out_dir: str | Path,
    source: str | Path | None = None,
    min_cell_count: int = 0,
    generated_at: str | None = None,
    figures: list[FigureFiles] | None = None,
    jobs: int = 1,
    paper: str = "a4",
    pdf: bool | None = None,
) -> dict[str, Path | None]:
    """Write every output into ``out_dir``, whole or not at all; returns the main files by
    kind.

    The files are written into a temporary folder beside ``out_dir`` that then replaces it
    (:func:`ibd_dtt.outputs.output_folder`): an earlier report there is replaced entirely,
    a failed or interrupted run leaves it untouched, and a folder that is not an ibd-dtt
    output (or holds the input ``source``) is refused.

    ``min_cell_count`` > 0 makes an aggregate export: patient-level tables, figures and
    datasets are left out and small counts are suppressed in every table. ``figures``:
    already drawn, or None to draw them here (``jobs`` > 1: in that many processes).
    ``paper``: page size of the Word tables and the PDF report, ``a4`` or ``letter``.
    ``pdf``: print ``report.pdf`` with headless Chromium (True: required, an error without
    Chromium; None: when Chromium is installed; False: never). ``files["pdf"]`` is None when
    no PDF was written.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, not {paper!r}")
    inputs = (source,) if source is not None else ()
    with (
        output_folder(out_dir, inputs, kind="report") as tmp,
        using_percent_decimals(report.percent_decimals),
    ):
        _write_report_files(report, tmp, source, min_cell_count, generated_at, figures, jobs, paper)
        printed = prints_pdf(pdf)
        if printed:
            print_to_pdf(tmp / "report.html", tmp / "report.pdf")
    out = Path(out_dir)
    return {
        "html": out / "report.html",
        "xlsx": out / "tables.xlsx",
        "docx": out / "tables.docx",
        "pdf": out / "report.pdf" if printed else None,
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
    paper: str = "a4",
) -> None:
    (out / "tables").mkdir(parents=True, exist_ok=True)
    tables = [typeset_table(t) for t in report.tables.values()]
    suppression = ""
    if min_cell_count > 0:
        tables = [suppress_table(t, min_cell_count) for t in tables if not t.patient_level]
        suppression = (
            f"Aggregate export with small-cell suppression (minimum cell count "
            f"{min_cell_count}); patient-level listings and figures are omitted."
        )
    if figures is None:
        figures = draw_report_figures(FigureInputs.of_report(report), jobs)

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
    documents, layouts = write_table_documents(tables, out, title, paper, report.alerts)
    if min_cell_count > 0:
        figures = [f for f in figures if f.name not in PATIENT_LEVEL_FIGURES]
    write_figures(figures, out / "figures")
    prov = provenance(report, source)
    (out / "provenance.json").write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")

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
    page = render_report_page(
        title=title,
        paper=paper,
        study=study_name(report),
        subtitle=f"{len(report.cohort.patients)} patients analysed · data cut "
        f"{prov['data_cut_date']} · primary analysis {prov['primary_analysis']}",
        suppression=suppression,
        alerts=report.alerts,
        headline=headline_cards(report, min_cell_count),
        methods=methods_paragraphs(report),
        results=results_paragraphs(report, min_cell_count),
        documents=documents,
        layouts=layouts,
        figures=figures,
        provenance_rows=rows,
        generated_at=generated_at,
    )
    (out / "report.html").write_text(page, encoding="utf-8")
