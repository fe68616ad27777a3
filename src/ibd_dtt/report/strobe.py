"""The STROBE checklist for a cohort study, filled in from the report: for each item, where
this report covers it, or that it is for the authors to complete, or not applicable.

Source: von Elm E, et al. The Strengthening the Reporting of Observational Studies in
Epidemiology (STROBE) statement. Lancet 2007;370:1453-7 (checklist for cohort studies,
items 1-22). The recommendations are abridged; the full wording is in the statement.
"""

from __future__ import annotations

import pandas as pd

from ibd_dtt.report.model import ReportTable

AUTHOR = "Author to complete"


def _has(tables: dict[str, ReportTable], key: str) -> bool:
    return key in tables and not tables[key].display.empty


def table_strobe(
    tables: dict[str, ReportTable], analyses: list, attrition: pd.DataFrame, data_cut: str
) -> ReportTable:
    """STROBE items 1-22 (cohort studies) with where this report answers each.

    The locations are computed from what the report holds (the tables built, the sensitivity
    analyses run, the patient flow), so an item is never claimed for a table that is absent.
    """
    primary = analyses[0]
    sensitivity = [f"{a.definitions.name} / {a.strategy}" for a in analyses[1:]]
    # no counts here: this table is also printed in aggregate (suppressed) exports
    flow = (
        "Patient flow table and flow figure: patients in the input, leaving at each step "
        "with the criterion, and analysed"
        if len(attrition)
        else "not in this report"
    )
    where = {
        "table1": "Table 1" if _has(tables, "table1_baseline") else None,
        "table2": "Table 2" if _has(tables, "table2_clinical_baseline") else None,
        "completeness": "Data completeness table" if _has(tables, "data_completeness") else None,
        "response": "Response table" if _has(tables, "response") else None,
        "secondary": "Remission and other outcomes" if _has(tables, "secondary_outcomes") else None,
        "effects": "Effect sizes table" if _has(tables, "effects") else None,
        "labs": "CRP and albumin tables" if _has(tables, "lab_changes") else None,
        "safety": "Adverse events table" if _has(tables, "safety") else None,
        "persistence": "Persistence table and Kaplan-Meier figure"
        if _has(tables, "persistence")
        else None,
    }

    def join(*parts: str | None) -> str:
        found = [p for p in parts if p]
        return "; ".join(found) if found else "not in this report"

    items = [
        (
            "1",
            "Title and abstract",
            "(a) Design in the title or abstract; (b) an informative and balanced abstract",
            AUTHOR + " (Headline results give the main estimates)",
        ),
        ("2", "Background/rationale", "Scientific background and rationale", AUTHOR),
        ("3", "Objectives", "Specific objectives, including prespecified hypotheses", AUTHOR),
        (
            "4",
            "Study design",
            "Key elements of the design, early in the paper",
            "Methods: retrospective multicenter cohort (case series) from the start of DTT",
        ),
        (
            "5",
            "Setting",
            "Setting, locations, dates of recruitment, exposure, follow-up and data collection",
            join(
                where["table1"] and "Table 1 (center)",
                f"Methods (data cut {data_cut}, visit windows)",
            ),
        ),
        (
            "6",
            "Participants",
            "(a) Eligibility criteria, sources and methods of selection, methods of follow-up",
            "Methods (DTT start, eligibility (a)-(c) and exclusions "
            "(1)-(7), visit windows); " + flow,
        ),
        (
            "7",
            "Variables",
            "Outcomes, exposures, predictors, confounders and effect modifiers; "
            "diagnostic criteria",
            "Methods (every outcome's definition with its source; scores as defined in "
            "docs/data-contract.md)",
        ),
        (
            "8",
            "Data sources/measurement",
            "Sources of data and methods of assessment for each variable",
            join(
                "Methods (visit windows: the assessment closest to the target day)",
                where["completeness"],
            ),
        ),
        (
            "9",
            "Bias",
            "Efforts to address potential sources of bias",
            AUTHOR
            + (" (sensitivity analyses: " + ", ".join(sensitivity) + ")" if sensitivity else ""),
        ),
        (
            "10",
            "Study size",
            "How the study size was arrived at",
            "All eligible patients of the participating centers; Patient flow table",
        ),
        (
            "11",
            "Quantitative variables",
            "How quantitative variables were handled; groupings",
            "Methods (score thresholds of each outcome definition); Tables 1-2 (median (Q1–Q3), "
            "mean (SD))",
        ),
        (
            "12",
            "Statistical methods",
            "(a) All methods; (b) subgroups and interactions; (c) "
            "missing data; (d) loss to follow-up; (e) sensitivity analyses",
            "Methods (tests, exact or approximate p-values, software versions); (b) UC vs CD in "
            "every table; (c) missing-data strategy " + primary.strategy + "; (d) Kaplan-Meier "
            "censoring at the data cut; (e) "
            + (", ".join(sensitivity) if sensitivity else "none run"),
        ),
        (
            "13",
            "Participants",
            "(a) Numbers at each stage; (b) reasons for non-participation; (c) flow diagram",
            flow,
        ),
        (
            "14",
            "Descriptive data",
            "(a) Characteristics of participants; (b) missing data "
            "for each variable; (c) follow-up time",
            join(
                where["table1"] and "(a) Table 1",
                where["table2"] and "Table 2",
                "(b) 'missing' rows of Tables 1-2"
                + (" and the data completeness table" if where["completeness"] else ""),
                where["effects"]
                and "(c) median follow-up (reverse Kaplan-Meier) in the effect sizes table",
            ),
        ),
        (
            "15",
            "Outcome data",
            "Numbers of outcome events or summary measures over time",
            join(where["response"], where["secondary"], where["persistence"]),
        ),
        (
            "16",
            "Main results",
            "(a) Estimates with their precision (95 % CI); (b) category "
            "boundaries; (c) absolute risk",
            join(
                where["response"] and where["response"] + " (n/N (%) [95 % CI])",
                where["effects"],
                "(b), (c) not applicable",
            ),
        ),
        (
            "17",
            "Other analyses",
            "Subgroups, interactions, sensitivity analyses",
            join(
                where["secondary"],
                where["labs"],
                where["safety"],
                "sensitivity analyses side by side in the response tables" if sensitivity else None,
            ),
        ),
        (
            "18",
            "Key results",
            "Key results with reference to the objectives",
            AUTHOR + " (the Results paragraph is a draft)",
        ),
        ("19", "Limitations", "Limitations, sources of bias or imprecision", AUTHOR),
        ("20", "Interpretation", "Cautious overall interpretation", AUTHOR),
        ("21", "Generalisability", "External validity of the results", AUTHOR),
        ("22", "Funding", "Source of funding and the role of the funders", AUTHOR),
    ]
    display = pd.DataFrame(
        items, columns=["Item", "Section", "Recommendation (abridged)", "Where in this report"]
    )
    return ReportTable(
        "strobe",
        "STROBE checklist (cohort studies)",
        display.rename(columns=str.lower),
        display,
        (
            "STROBE: von Elm E, et al. Lancet 2007;370:1453-7, checklist for cohort studies; "
            "recommendations abridged. 'Author to complete': the report cannot answer the "
            "item from the data.",
        ),
    )
