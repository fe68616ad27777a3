"""One formatting policy for every printed table (issue 16): typography, one missing-value
symbol, counts without false decimals, gtsummary-style response tables, an abbreviations
footnote, and an adverse-event table whose hierarchy cannot be misread."""

import re

import pandas as pd

from ibd_dtt.report.render import abbreviations_used, typeset_table


def _printed(written_report, key):
    out, _ = written_report
    return pd.read_csv(out / "tables" / f"{key}.csv", dtype=str, keep_default_na=False)


def test_comparison_signs_and_units_are_typeset_everywhere(written_report):
    out, files = written_report
    texts = [p.read_text(encoding="utf-8") for p in (out / "tables").glob("*.csv")]
    texts = [t for t in texts if "," in t]
    assert texts
    for name, text in zip(sorted((out / "tables").glob("*.csv")), texts, strict=False):
        if name.name.endswith(".data.csv"):
            continue
        assert "<=" not in text and ">=" not in text and "ug/g" not in text, name
    secondary = _printed(written_report, "secondary_outcomes")
    labels = " ".join(secondary["Outcome"])
    assert "CRP ≤ ULN" in labels and "250 µg/g" in labels
    page = re.sub(r"base64,[^\"]*", "", files["html"].read_text(encoding="utf-8"))
    assert "&lt;= ULN" not in page and "ug/g" not in page


def test_one_missing_symbol_and_never_zero_over_zero(paper_report):
    for table in paper_report.tables.values():
        cells = {str(v) for v in table.display.to_numpy(object).ravel()}
        assert "-" not in cells and "0/0" not in cells, table.key
        assert not any(c.startswith("0 (-") for c in cells), table.key


def test_a_group_an_outcome_does_not_apply_to_is_blank_with_a_footnote(paper_report):
    table = paper_report.tables["secondary_outcomes"]
    display = table.display.set_index("Outcome")
    healing = display.index.get_loc("Endoscopic healing, UC (MES = 0)")
    rows = display.iloc[healing + 1 : healing + 6]
    assert (rows["As observed: CD"] == "").all()
    assert (rows["As observed: UC"] != "").all()
    assert any(
        n.startswith("Endoscopic healing, UC (MES = 0): defined for UC only; its CD cells")
        for n in table.notes
    )


def test_response_table_has_analyses_side_by_side(paper_report):
    table = paper_report.tables["response"]
    spanners, labels = table.header()
    assert spanners == [("", 1), ("As observed", 3), ("NRI", 3)]
    assert labels == ["Outcome", "Overall", "UC", "CD", "Overall", "UC", "CD"]
    first = table.display.iloc[:3, :2].to_numpy().tolist()
    # the outcome heads its timepoints; each cell n/N (%) [95 % CI] (paper: 88.23 %, 15/17)
    assert first == [
        ["Clinical response", ""],
        ["    3 months", "15/17 (88.24) [63.56–98.54]"],
        ["    6 months", "11/12 (91.67) [61.52–99.79]"],
    ]
    assert any("n/N (%) [95 % CI, Clopper-Pearson (exact)]" in n for n in table.notes)


def test_counts_are_printed_without_false_decimals(paper_report):
    display = paper_report.tables["table2_clinical_baseline"].display
    row = display[
        display["Characteristic"] == "Failed biologics per patient, all patients, median (Q1–Q3)"
    ].iloc[0]
    assert not re.search(r"\d\.00\b", row.iloc[1]), row.iloc[1]
    mean = display.iloc[display.index.get_loc(row.name) + 1]
    assert mean["Characteristic"].strip() == "mean (SD)" and "." in mean.iloc[1]


def test_every_abbreviation_a_table_uses_is_defined_under_it(paper_report):
    table = typeset_table(paper_report.tables["table3_maintained"])
    note = table.notes[-1]
    assert note.startswith("Abbreviations: ")
    for drug, name in (("UST", "ustekinumab"), ("VDZ", "vedolizumab"), ("TOF", "tofacitinib")):
        assert f"{drug}, {name}" in note
    assert abbreviations_used(["no abbreviation here"]) == {}
    # a word that only contains the letters of one is not one
    assert abbreviations_used(["CDs and UCLA"]) == {}


def test_adverse_event_breakdowns_each_sit_under_their_own_heading(paper_report):
    display = paper_report.tables["safety"].display.fillna("")
    labels = list(display.iloc[:, 0])
    serious = labels.index("Adverse events, n") + 1
    assert labels[serious] == "    serious"
    grade = labels.index("Adverse events by CTCAE grade, n")
    assert (display.iloc[grade, 1:] == "").all()  # a heading, not a count of 0
    assert labels[grade + 1].startswith("    grade ")
    assert "Serious adverse events, n" not in labels


def test_the_registry_report_keeps_every_definition_and_has_no_source_banner(paper_report):
    from ibd_dtt.report.narrative import methods_paragraphs

    assert not any("no clinical or endoscopic score" in a for a in paper_report.alerts)
    methods = " ".join(methods_paragraphs(paper_report))
    assert "partial Mayo score decrease" in methods
    assert "Not evaluable in these data" not in methods or paper_report.unevaluable


def test_the_strobe_checklist_points_to_what_the_report_holds(paper_report):
    strobe = paper_report.tables["strobe"].display.set_index("Item")
    assert list(strobe.index) == [str(i) for i in range(1, 23)]
    where = strobe["Where in this report"]
    assert where["13"].startswith("Patient flow table and flow figure")
    assert "Table 1" in where["14"] and "data completeness table" in where["14"]
    # the sensitivity analysis that was run is named; the items the data cannot answer are
    # the authors'
    assert "paper / nri" in where["12"]
    assert all(where[i].startswith("Author to complete") for i in ("2", "3", "19", "22"))
    assert not any(ch.isdigit() for ch in where["10"])  # no counts: safe in suppressed exports


def test_negative_numbers_print_with_the_minus_sign_and_excel_keeps_hyphen_minus(written_report):
    """Journals print a minus (U+2212), not a hyphen: in the HTML and Word tables. The Excel
    workbook is for further work: its cells keep the ASCII hyphen-minus a spreadsheet reads."""
    import docx
    from openpyxl import load_workbook

    _, files = written_report
    page = re.sub(r"base64,[^\"]*", "", files["html"].read_text(encoding="utf-8"))
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)
    assert any("\u2212" in cell for cell in cells)
    assert not [c for c in cells if re.search(r"(?:^|[\s(\[\u2013>])-\d", c)]
    words = " ".join(
        cell.text for table in docx.Document(files["docx"]).tables for cell in table._cells
    )
    assert "\u2212" in words and not re.search(r"(?:^|[\s(\[\u2013])-\d", words)
    numbers = [
        cell.value
        for sheet in load_workbook(files["xlsx"], read_only=True).worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
    assert any(isinstance(v, str) and re.search(r"\(-\d", v) for v in numbers)
    assert not any(isinstance(v, str) and re.search("\u2212\\d", v) for v in numbers)
