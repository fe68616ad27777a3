"""Port OHDSI TreatmentPatterns' hand-built pathway cases into a data file for our tests.

Reads ``tests/testthat/test-pathwaysLogical.R`` and ``tests/testthat/test-computePathways.R``
of darwin-eu/TreatmentPatterns (Apache License 2.0; a checkout given as the first argument)
and writes ``tests/omop/data/treatment_patterns_cases.json``: for every ``test_that`` block
its name, source file, the event eras (name, start, end) per subject and target window, the
``computePathways`` parameters and the expected pathways. A block that runs
``computePathways`` several times (``## 30 ----`` sections) gives one case per section,
named ``block / section``. Blocks that test TreatmentPatterns' target-window options
(``periodPriorToIndex``, ``indexDateOffset``, messages), run on the Eunomia CDM, or check
argument types are written with ``skip`` and the reason, so that the data file lists every
case.

    python tools/port_treatment_patterns_cases.py ~/TreatmentPatterns
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SOURCES = ("tests/testthat/test-pathwaysLogical.R", "tests/testthat/test-computePathways.R")
TARGET = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "omop"
    / "data"
    / "treatment_patterns_cases.json"
)
PARAMETERS = (
    "minEraDuration",
    "eraCollapseSize",
    "combinationWindow",
    "minPostCombinationDuration",
    "filterTreatments",
    "maxPathLength",
)


def _vector(text: str) -> list[str]:
    return [v.strip().strip('"') for v in text.split(",")]


def parse(r_code: str, source: str = SOURCES[0]) -> list[dict]:
    blocks = re.split(r'\ntest_that\("', "\n" + r_code)[1:]
    cases = []
    for block in blocks:
        name = block.split('"', 1)[0]
        if "generateCohortTable" in block:
            cases.append(
                {
                    "name": name,
                    "source": source,
                    "skip": "runs on the Eunomia CDM's cohorts (counts and argument checks), "
                    "not on hand-built eras",
                }
            )
            continue
        sections = re.split(r"\n\s*## (.+?) -+\n", block)
        if len(sections) > 1:
            head = sections[0]
            for title, body in zip(sections[1::2], sections[2::2], strict=True):
                cases.append(_parse_block(f"{name} / {title.strip()}", head + body, source))
        else:
            cases.append(_parse_block(name, block, source))
    return cases


def _parse_block(name: str, block: str, source: str) -> dict:
    case: dict = {"name": name, "source": source}
    ids = re.search(r"cohortId = c\(([^)]*)\)", block)
    names = re.search(r"cohortName = c\(([^)]*)\)", block)
    types = re.search(r"type = c\(([^)]*)\)", block)
    if not (ids and names and types):
        case["skip"] = "no cohort definition in the block"
        return case
    cohorts = {
        int(float(i)): (n, t)
        for i, n, t in zip(
            _vector(ids.group(1)), _vector(names.group(1)), _vector(types.group(1)), strict=True
        )
    }
    rows = re.findall(
        r'^\s*(\d+),\s*(\d+),\s*as\.Date\("([\d-]+)"\),\s*as\.Date\("([\d-]+)"\)',
        block,
        re.MULTILINE,
    )
    subjects: dict[str, dict] = {}
    for cohort, subject, start, end in rows:
        label, kind = cohorts[int(cohort)]
        entry = subjects.setdefault(subject, {"targets": [], "events": []})
        if kind == "target":
            entry["targets"].append([start, end])
        else:
            entry["events"].append([label, start, end])
    case["subjects"] = subjects
    case["parameters"] = {
        p: (m.group(1).strip('"') if (m := re.search(rf"{p} = ([^,\n)]+)", block)) else None)
        for p in PARAMETERS
    }
    expected = re.search(
        r"(?:treatment_pathways\$pathway|expect_identical\(pathway), "
        r"(c\([^)]*\)|\"[^\"]*\")",
        block,
    )
    freq = re.search(r"treatment_pathways\$freq, (c\([^)]*\)|\d+)", block)
    if expected:
        text = expected.group(1)
        case["expected"] = _vector(text[2:-1]) if text.startswith("c(") else [text.strip('"')]
    if freq:
        text = freq.group(1)
        case["freq"] = [int(v) for v in (_vector(text[2:-1]) if text.startswith("c(") else [text])]
    window_options = ("periodPrior", "indexDateOffset", "startAnchor", "windowEnd")
    if "expect_message" in block or any(o in block for o in window_options):
        case["skip"] = "tests TreatmentPatterns' target-window options (not ported)"
    elif any(len(s["targets"]) > 1 for s in subjects.values()):
        case["skip"] = (
            "several target cohort records per person: TreatmentPatterns' target cohorts; "
            "ibd-dtt computes one pathway per person"
        )
    elif not expected:
        case["skip"] = (
            "no expected pathway in the block (it checks TreatmentPatterns' internal tables)"
        )
    return case


def main() -> None:
    checkout = Path(sys.argv[1])
    cases = [
        case
        for source in SOURCES
        for case in parse((checkout / source).read_text(encoding="utf-8"), source)
    ]
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(
        json.dumps(
            {
                "source": "darwin-eu/TreatmentPatterns "
                + " and ".join(SOURCES)
                + " (Apache License 2.0)",
                "cases": cases,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(cases)} cases written to {TARGET}")


if __name__ == "__main__":
    main()
