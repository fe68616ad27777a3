"""tables.docx as LibreOffice prints it: every column and every word of every table on the
page, none broken across lines; A4 by default, US Letter on request.

`.ci/run` installs LibreOffice (libreoffice-writer-nogui) and poppler-utils; where they are
missing locally the tests are skipped and say so.
"""

import pytest
from docx import Document
from print_checks import (
    PDFTOTEXT,
    SOFFICE,
    docx_to_pdf,
    missing_words,
    off_page,
    pdf_words,
    table_texts,
)

from ibd_dtt.report.layout import PAPER_SIZES, fit_columns, text_width_mm
from ibd_dtt.report.render import typeset_table, write_docx

needs_renderer = pytest.mark.skipif(
    SOFFICE is None or PDFTOTEXT is None,
    reason="LibreOffice or pdftotext not installed (apt-get install libreoffice-writer-nogui "
    "poppler-utils); .ci/run installs them",
)
MM_PER_PT = 25.4 / 72


@needs_renderer
def test_every_table_prints_whole_with_no_word_broken(written_report, paper_report, tmp_path):
    _, files = written_report
    pdf = docx_to_pdf(files["docx"], tmp_path)
    printed = pdf_words(pdf)
    assert not missing_words(table_texts(paper_report.tables.values()), printed)
    assert not off_page(printed)
    # A4: portrait pages for the narrow tables, landscape ones for the wide
    sizes = {tuple(round(v * MM_PER_PT) for v in w["page"]) for w in printed}
    assert sizes == {(210, 297), (297, 210)}


@needs_renderer
def test_letter_paper_and_a_wide_table(paper_report, tmp_path):
    tables = [typeset_table(t) for t in paper_report.tables.values()]
    path = write_docx(tables, tmp_path / "letter.docx", "Study", paper="letter")
    printed = pdf_words(docx_to_pdf(path, tmp_path))
    sizes = {tuple(round(v) for v in w["page"]) for w in printed}
    assert sizes <= {(612, 792), (792, 612)}  # US Letter, points
    assert not missing_words(table_texts(tables), printed)
    assert not off_page(printed)


def test_header_rows_repeat_and_rows_never_split(written_report):
    _, files = written_report
    doc = Document(files["docx"])
    for table in doc.tables:
        first = table.rows[0]._tr.xml
        assert "<w:tblHeader/>" in first and "<w:cantSplit/>" in first
    response = doc.tables[4]
    # the analyses span their groups: the first header row names them once each
    spanner = [c.text for c in response.rows[0].cells]
    assert "As observed" in spanner and "NRI" in spanner
    assert [c.text for c in response.rows[1].cells][:4] == ["Outcome", "Overall", "UC", "CD"]


def test_journal_neutral_styles(written_report):
    _, files = written_report
    doc = Document(files["docx"])
    for name in ("Normal", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        assert style.font.name == "Arial"
        assert style.font.color.rgb is None or str(style.font.color.rgb) == "000000"
    assert 9 <= doc.styles["Normal"].font.size.pt <= 10


def test_columns_get_their_longest_word_and_the_page_decides_orientation():
    import pandas as pd

    # worked by hand from Helvetica's metrics: "CD" = (722 + 722)/1000 em; at 9 pt
    # 1.444 x 9 = 13.0 pt = 4.58 mm
    assert text_width_mm("CD", 9) == pytest.approx(1.444 * 9 * MM_PER_PT)
    narrow = pd.DataFrame({"Characteristic": ["Sex, n (%)", "    female"], "Overall": ["11", "7"]})
    layout = fit_columns(["Characteristic", "Overall (N=18)"], narrow)
    assert not layout.landscape and layout.font_pt == 9
    # each column gets its longest line here: nothing needs to wrap
    assert layout.widths_mm[1] >= text_width_mm("Overall (N=18)", 9, bold=True)
    wide = pd.DataFrame({f"column {i}": ["a-rather-long-unbreakable-token"] for i in range(6)})
    layout = fit_columns(list(wide.columns), wide)
    usable_portrait = PAPER_SIZES["a4"][0] - 40
    assert layout.landscape and sum(layout.widths_mm) <= PAPER_SIZES["a4"][1] - 40 + 1e-9
    assert sum(layout.widths_mm) > usable_portrait
    with pytest.raises(ValueError, match="paper must be one of"):
        fit_columns(["a"], narrow[["Overall"]], paper="a5")
