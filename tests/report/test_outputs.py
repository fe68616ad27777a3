"""The files the report writes: content of .xlsx/.docx read back with openpyxl/python-docx,
determinism, privacy (study IDs only, no calendar dates, small-cell suppression)."""

import json
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from ibd_dtt.report import write_report
from ibd_dtt.report.render import suppress_cell

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"


def test_xlsx_has_one_sheet_per_table_with_the_printed_values(written_report, paper_report):
    _out, files = written_report
    wb = load_workbook(files["xlsx"])
    assert wb.sheetnames == [t.key[:31] for t in paper_report.tables.values()]
    t1 = wb["table1_baseline"]
    assert t1["A1"].value == "Table 1. Baseline characteristics"
    assert [c.value for c in t1[2]][:4] == [
        "Characteristic",
        "Overall (N=18)",
        "UC (N=8)",
        "CD (N=10)",
    ]
    rows = {r[0]: r[1] for r in t1.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["    female"] == "11 (61.1)"
    response = [r for r in wb["response"].iter_rows(values_only=True)]
    # gtsummary layout: the analyses span their groups, outcomes head their timepoints
    assert response[1][:5] == (None, "As observed", None, None, "NRI")
    assert response[2][:5] == ("Outcome", "Overall", "UC", "CD", "Overall")
    assert response[3][:2] == ("Clinical response", None)
    assert response[4][:2] == (
        "    3 months",
        "15/17 (88.24) [63.56–98.54]",  # --percent-decimals 2, as the paper
    )
    # numbers are numbers: p-values keep their printed format, "<0.001" stays text
    p_column = [c.value for c in t1[2]].index("p-value")
    sex = next(r for r in t1.iter_rows(min_row=3) if r[0].value == "Sex, n (%)")
    assert sex[p_column].value == 1.0 and sex[p_column].number_format == "0.000"
    labs = wb["lab_changes"]
    p_values = [r[-1] for r in labs.iter_rows(min_row=3) if r[-1].value is not None]
    assert "<0.001" in [c.value for c in p_values]
    assert any(isinstance(c.value, float) for c in p_values)


def test_docx_has_every_table_in_journal_style(written_report, paper_report):
    _out, files = written_report
    doc = Document(files["docx"])
    assert len(doc.tables) == len(paper_report.tables)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 2")]
    assert headings == [t.title for t in paper_report.tables.values()]
    response = doc.tables[list(paper_report.tables).index("response")]
    cells = [c.text.replace("\u2060", "") for c in response.rows[3].cells]
    assert cells[:2] == ["3 months", "15/17 (88.24) [63.56–98.54]"]
    xml = response._tbl.xml
    assert 'w:top w:val="single"' in xml
    assert "<w:left " not in xml and "<w:right " not in xml  # no vertical rules


def test_every_table_is_written_as_csv_and_parquet_and_datasets_too(written_report, paper_report):
    import pandas as pd

    out, _ = written_report
    for key in paper_report.tables:
        assert (out / "tables" / f"{key}.csv").exists()
        assert (out / "tables" / f"{key}.parquet").exists()
        assert (out / "tables" / f"{key}.data.csv").exists()
    outcomes = pd.read_parquet(out / "datasets" / "outcomes.parquet")
    assert {"rule_id", "inputs", "reason"} <= set(outcomes.columns)
    assert (out / "datasets" / "paper-nri" / "outcome_summary.csv").exists()


def test_figures_are_png_at_300_dpi_and_svg(written_report):
    out, _ = written_report
    names = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert names == [
        "fig1_response_rates",
        "fig2_swimmer",
        "fig3_lab_trajectories",
        "fig4_persistence",
        "fig5_regimen_flow",
        "fig6_patient_flow",
    ]
    for name in names:
        with Image.open(out / "figures" / f"{name}.png") as img:
            assert round(img.info["dpi"][0]) == 300
        assert (out / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")


def test_html_is_self_contained_with_methods_results_and_provenance(written_report):
    _out, files = written_report
    page = files["html"].read_text()
    assert page.count("data:image/png;base64,") == 6
    assert not re.search(r'src="(?!data:)', page)  # nothing loaded from outside
    assert "Follow-up visit windows (visit windows v1.0.0): 3 months = day 77 to 105" in page
    # the paper's two decimals (--percent-decimals 2), the interval with the same
    assert "Clinical response was 88.24 % (15/17; 95 % CI 63.56–98.54) at 3 months" in page
    assert "sha256 patients.csv" in page
    prov = json.loads(files["provenance"].read_text())
    assert prov["analyses"][0]["definition_set"] == "paper"
    assert set(prov["input_files_sha256"]) >= {"patients.csv", "therapies.csv"}


def test_two_runs_give_identical_files_apart_from_the_timestamp(
    written_report, paper_report, paper_figures, tmp_path
):
    first, _ = written_report
    write_report(
        paper_report, tmp_path, source=EXAMPLE, figures=paper_figures, generated_at="RUN-2"
    )
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    differing = [f for f in files if (first / f).read_bytes() != (tmp_path / f).read_bytes()]
    # the "Generated" time, shown in report.html and so in report.pdf when it is printed
    assert differing == sorted({Path("report.html"), Path("report.pdf")} & set(files))
    a = (first / "report.html").read_text().splitlines()
    b = (tmp_path / "report.html").read_text().splitlines()
    assert [(x, y) for x, y in zip(a, b, strict=True) if x != y] == [
        ("<tr><td>Generated</td><td>RUN-1</td></tr>", "<tr><td>Generated</td><td>RUN-2</td></tr>")
    ]


def test_patient_level_tables_show_study_ids_and_no_calendar_dates(paper_report):
    for key in ("table3_maintained", "table4_discontinued"):
        text = paper_report.tables[key].display.to_csv()
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
        assert "DTT01" in text or "DTT05" in text


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("4 (22.2)", "<5"),
        ("0 (0.0)", "0 (0.0)"),
        ("5 (27.8)", "5 (27.8)"),
        ("1/3 (33.3 %, 0.8–90.6)", "<5/3"),
        ("15/17 (88.24 %, 63.56–98.54)", "≥13/17"),
        ("7/7 (100.0 %, 59.0–100.0)", "7/7 (100.0 %, 59.0–100.0)"),
        ("Clinical response", "Clinical response"),
    ],
)
def test_small_cell_suppression_masks_counts_and_their_complements(cell, expected):
    assert suppress_cell(cell, 5) == expected


def test_suppressed_export_leaves_out_patient_level_outputs(paper_report, paper_figures, tmp_path):
    write_report(paper_report, tmp_path, source=EXAMPLE, figures=paper_figures, min_cell_count=5)
    everything = " ".join(
        p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.suffix in {".csv", ".html"}
    )
    assert "DTT0" not in everything and "DTT1" not in everything
    assert not (tmp_path / "datasets").exists()
    assert not (tmp_path / "figures" / "fig2_swimmer.png").exists()
    assert "<5" in (tmp_path / "tables" / "safety.csv").read_text()
    wb = load_workbook(tmp_path / "tables.xlsx")
    assert "table3_maintained" not in wb.sheetnames


def test_long_patient_listings_are_left_to_the_spreadsheet_not_the_documents():
    import pandas as pd

    from ibd_dtt.report.model import ReportTable
    from ibd_dtt.report.render import LISTING_MAX_ROWS, _for_documents

    rows = pd.DataFrame({"Patient": [f"P{i}" for i in range(LISTING_MAX_ROWS + 1)]})
    long = ReportTable("table3_maintained", "T3", rows, rows, (), patient_level=True)
    short = ReportTable("table3_maintained", "T3", rows.head(5), rows.head(5), (), True)
    printed = _for_documents(long)
    assert printed.display.empty and "full listing is in tables.xlsx" in printed.notes[-1]
    assert _for_documents(short) is short


def test_suppression_masks_small_group_sizes_and_statistics_of_small_rows(paper_report):
    from ibd_dtt.report.render import suppress_table

    labs = suppress_table(paper_report.tables["lab_changes"], 5)
    uc6 = labs.display[
        (labs.display["Parameter"] == "CRP, mg/L")
        & (labs.display["Timepoint"] == "6 months")
        & (labs.display["Group"] == "UC")
    ].iloc[0]
    assert uc6["n (pairs)"] == "<5" and uc6["Baseline mean"] == "suppressed"
    cd6 = labs.display[
        (labs.display["Parameter"] == "CRP, mg/L")
        & (labs.display["Timepoint"] == "6 months")
        & (labs.display["Group"] == "CD")
    ].iloc[0]
    assert cd6["Baseline mean"] == "11.93"  # 7 pairs: shown
    t1 = suppress_table(paper_report.tables["table1_baseline"], 9)
    assert "UC (N<9)" in t1.display.columns and "CD (N=10)" in t1.display.columns


def test_the_study_name_titles_the_report_word_excel_and_figure_captions(written_report):
    """Issue 16 item 7: study.yaml's study_name appears on every output."""
    from docx import Document
    from openpyxl import load_workbook

    _out, files = written_report
    name = "DTT case series (synthetic reconstruction of Wang et al. 2025)"
    page = files["html"].read_text()
    assert f"<title>{name}: study report</title>" in page
    assert f"({name})</figcaption>" in page
    assert Document(files["docx"]).core_properties.title == f"{name}: study report"
    assert load_workbook(files["xlsx"], read_only=True).properties.title == f"{name}: study report"
