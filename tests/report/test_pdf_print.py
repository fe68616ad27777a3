"""report.pdf, printed by headless Chromium with the report's print stylesheet: every word
of every table on the page, none broken, wide tables on landscape pages; and a browser that
hangs or fails never leaves a process or a half-written report behind.

`.ci/run` installs Chromium and poppler-utils; where they are missing locally the tests that
need them are skipped and say so.
"""

import os
import stat
import time

import pytest
from print_checks import PDFTOTEXT, missing_words, off_page, pdf_words, table_texts

from ibd_dtt.report import pdf as pdf_module
from ibd_dtt.report import write_report
from ibd_dtt.report.pdf import PdfError, find_chromium, print_to_pdf

needs_chromium = pytest.mark.skipif(
    find_chromium() is None or PDFTOTEXT is None,
    reason="Chromium or pdftotext not installed (apt-get install chromium poppler-utils); "
    ".ci/run installs them",
)
PT_PER_MM = 72 / 25.4


@needs_chromium
def test_the_printed_report_shows_every_table_whole(written_report, paper_report):
    _, files = written_report
    assert files["pdf"] is not None and files["pdf"].is_file()
    printed = pdf_words(files["pdf"])
    assert not missing_words(table_texts(paper_report.tables.values()), printed)
    assert not off_page(printed)
    sizes = {tuple(round(v / PT_PER_MM) for v in w["page"]) for w in printed}
    assert sizes == {(210, 297), (297, 210)}  # A4, with landscape pages for wide tables
    text = " ".join(w["text"] for w in printed)
    assert "Headline results" in text and "Methods" in text and "Reproducibility" in text


@needs_chromium
def test_letter_paper_and_no_pdf_on_request(paper_report, paper_figures, tmp_path):
    files = write_report(paper_report, tmp_path / "letter", figures=paper_figures, paper="letter")
    sizes = {tuple(round(v) for v in w["page"]) for w in pdf_words(files["pdf"])}
    assert sizes <= {(612, 792), (792, 612)}
    files = write_report(paper_report, tmp_path / "none", figures=paper_figures, pdf=False)
    assert files["pdf"] is None and not (tmp_path / "none" / "report.pdf").exists()


@needs_chromium
def test_two_prints_of_one_report_are_identical(paper_report, paper_figures, tmp_path):
    one = write_report(paper_report, tmp_path / "a", figures=paper_figures, generated_at="T")
    two = write_report(paper_report, tmp_path / "b", figures=paper_figures, generated_at="T")
    assert one["pdf"].read_bytes() == two["pdf"].read_bytes()


def _fake_browser(tmp_path, body: str):
    script = tmp_path / "fake-chromium"
    script.write_text("#!/bin/sh\necho $$ > " + str(tmp_path / "pid") + "\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_hanging_browser_is_killed_and_nothing_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_module, "PRINT_TIMEOUT_SECONDS", 1)
    browser = _fake_browser(tmp_path, "sleep 60")
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>")
    started = time.monotonic()
    with pytest.raises(PdfError, match="did not finish printing within 1 s"):
        print_to_pdf(html, tmp_path / "r.pdf", chromium=browser)
    assert time.monotonic() - started < 30
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the browser (and its group) is gone, not orphaned


def test_a_failing_browser_leaves_the_earlier_report_untouched(
    paper_report, paper_figures, tmp_path, monkeypatch
):
    out = tmp_path / "report"
    write_report(paper_report, out, figures=paper_figures, pdf=False, generated_at="FIRST")
    before = sorted(p.name for p in out.iterdir())
    monkeypatch.setenv("IBD_DTT_CHROMIUM", _fake_browser(tmp_path, "echo crashed >&2; exit 3"))
    with pytest.raises(PdfError, match=r"exit 3.*crashed"):
        write_report(paper_report, out, figures=paper_figures, pdf=True, generated_at="SECOND")
    assert sorted(p.name for p in out.iterdir()) == before
    assert "FIRST" in (out / "report.html").read_text()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_no_browser_is_a_clear_error_when_a_pdf_is_required(tmp_path, monkeypatch):
    monkeypatch.setenv("IBD_DTT_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert find_chromium() is None
    with pytest.raises(PdfError, match="Chromium not found"):
        print_to_pdf(tmp_path / "r.html", tmp_path / "r.pdf")
