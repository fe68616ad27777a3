"""The pooled report printed as a reader would see it: tables.docx through LibreOffice and
report.pdf through headless Chromium, read back with pdftotext: no table loses a column or
splits a word, nothing runs off the page."""

import sys
from pathlib import Path

import pytest

# the print helpers shared with tests/report (tests are not a package)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from print_checks import (
    PDFTOTEXT,
    SOFFICE,
    docx_to_pdf,
    missing_words,
    off_page,
    pdf_words,
    table_texts,
)

from ibd_dtt.network import pool_packages, write_pooled_report
from ibd_dtt.network.report import pooled_tables
from ibd_dtt.report.pdf import find_chromium

SITES = ("Center 1", "Center 2", "Center 3")


@pytest.fixture(scope="module")
def pooled_files(site_packages, tmp_path_factory):
    study = pool_packages([site_packages[s] for s in SITES])
    out = tmp_path_factory.mktemp("pooled-print") / "pooled"
    files = write_pooled_report(study, out, pdf=find_chromium() is not None)
    return study, files


@pytest.mark.skipif(
    SOFFICE is None or PDFTOTEXT is None,
    reason="LibreOffice or pdftotext not installed; .ci/run installs them",
)
def test_pooled_word_tables_print_whole(pooled_files, tmp_path):
    study, files = pooled_files
    printed = pdf_words(docx_to_pdf(files["docx"], tmp_path))
    assert not missing_words(table_texts(pooled_tables(study)), printed)
    assert not off_page(printed)


@pytest.mark.skipif(
    find_chromium() is None or PDFTOTEXT is None,
    reason="Chromium or pdftotext not installed; .ci/run installs them",
)
def test_pooled_pdf_report_prints_every_table_whole(pooled_files):
    study, files = pooled_files
    assert files["pdf"] is not None and files["pdf"].exists()
    printed = pdf_words(files["pdf"])
    assert not missing_words(table_texts(pooled_tables(study)), printed)
    assert not off_page(printed)
