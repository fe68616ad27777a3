"""OHDSI TreatmentPatterns' own hand-built pathway cases (test-pathwaysLogical.R and
test-computePathways.R, ported by tools/port_treatment_patterns_cases.py into
data/treatment_patterns_cases.json) run through :func:`derive_treatment_pathways`, each with
its TreatmentPatterns test name as the case id.

What TreatmentPatterns does before the pathway rules is done here, as it documents it:
events are taken within each target window (from its start, clipped at its end), eras
shorter than ``minEraDuration`` are dropped, eras of one event separated by at most
``eraCollapseSize`` days are collapsed, and each target window is one pathway ("None" when
it holds no event). Cases that still differ are listed in KNOWN_DIFFERENCES with what is
known (docs/omop.md) and must keep differing, so that a change in either tool is noticed.
Cases on TreatmentPatterns' target-window options, on several target records per person or
on the Eunomia CDM are in the data file with the reason they are not run (``skip``).

Two blocks of test-computePathways.R ("FRFS combination", "LRFS combination") build eras by
hand but check only which internal branch TreatmentPatterns takes (its addRowsFRFS/LRFS
tables), not the pathway; their pathways are worked out by hand below (HAND_DERIVED) from
TreatmentPatterns' doCombinationWindow (R/constructPathways.R, 3.1.0).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.omop.pathways import derive_treatment_pathways

DATA = json.loads(
    (Path(__file__).parent / "data" / "treatment_patterns_cases.json").read_text(encoding="utf-8")
)
# Worked by hand (combinationWindow and minPostCombinationDuration 30, minEraDuration 30):
# - FRFS, subject 5: B 2017-11-26..2018-04-10, A 2018-02-26..2018-04-24. Overlap
#   2018-04-10 - 2018-02-26 = 43 >= 30: a combination, B received and stopped first. Split
#   pieces: B 2017-11-26..2018-02-26 (92 days, kept), A 2018-04-10..2018-04-24 (14 < 30,
#   dropped) -> B-A+B. Subject 7: one A era of 147 days -> A.
# - LRFS, subject 5: A 2018-01-26..2018-03-24 inside B. Overlap 57 >= 30; B before A:
#   2017-11-26..2018-01-26 (61, kept), B after A: 2018-03-24..2018-04-10 (17 < 30, dropped)
#   -> B-A+B. Subject 7 -> A.
HAND_DERIVED = {
    "FRFS combination": {"B-A+B": 1, "A": 1},
    "LRFS combination": {"B-A+B": 1, "A": 1},
}
CASES = [c for c in DATA["cases"] if "skip" not in c] + [
    dict(c, expected=list(HAND_DERIVED[c["name"]]), freq=list(HAND_DERIVED[c["name"]].values()))
    for c in DATA["cases"]
    if c["name"] in HAND_DERIVED
]
# Cases that differ by design, with the reason (docs/omop.md); they must keep differing, so
# that a change in either tool is noticed. None at present.
KNOWN_DIFFERENCES: dict[str, str] = {}
# computePathways' defaults (TreatmentPatterns 3.x), for blocks that leave a parameter out
DEFAULTS = {
    "minEraDuration": "0",
    "eraCollapseSize": "30",
    "combinationWindow": "30",
    "minPostCombinationDuration": "30",
    "filterTreatments": "First",
    "maxPathLength": "5",
}


def _collapse(eras: list[tuple[str, pd.Timestamp, pd.Timestamp]], size: int):
    out = []
    for name in sorted({e[0] for e in eras}):
        spans = sorted((s, e) for n, s, e in eras if n == name)
        start, end = spans[0]
        for s, e in spans[1:]:
            if (s - end).days <= size:
                end = max(end, e)
            else:
                out.append((name, start, end))
                start, end = s, e
        out.append((name, start, end))
    return out


def our_pathways(case: dict) -> Counter:
    p = {k: v if v is not None else DEFAULTS[k] for k, v in case["parameters"].items()}
    found = Counter()
    for subject in case["subjects"].values():
        for t_start, t_end in subject["targets"]:
            low, high = pd.Timestamp(t_start), pd.Timestamp(t_end)
            eras = [
                (name, pd.Timestamp(s), min(pd.Timestamp(e), high))
                for name, s, e in subject["events"]
                if low <= pd.Timestamp(s) <= high
            ]
            eras = [e for e in eras if (e[2] - e[1]).days >= int(p["minEraDuration"] or 0)]
            eras = _collapse(eras, int(p["eraCollapseSize"] or 0)) if eras else []
            if not eras:
                found["None"] += 1
                continue
            frame = pd.DataFrame(
                [(1, n, s, e) for n, s, e in eras],
                columns=["person_id", "drug", "era_start", "era_end"],
            )
            pathway = derive_treatment_pathways(
                frame,
                combination_window=int(p["combinationWindow"]),
                min_post_combination_duration=int(p["minPostCombinationDuration"]),
                filter_treatments=p["filterTreatments"].lower(),
                max_path_length=int(p["maxPathLength"]),
            )["pathway"]
            found[pathway.item().replace(" -> ", "-") if len(pathway) else "None"] += 1
    return found


def expected_pathways(case: dict) -> Counter:
    freq = case.get("freq") or [None] * len(case["expected"])
    total = sum(len(s["targets"]) for s in case["subjects"].values())
    if len(case["expected"]) == 1 and freq[0] is None:
        return Counter({case["expected"][0]: total})
    return Counter(dict(zip(case["expected"], freq, strict=True)))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_treatment_patterns_case(case):
    ours, theirs = our_pathways(case), expected_pathways(case)
    if case["name"] in KNOWN_DIFFERENCES:
        assert ours != theirs, "now agrees: remove it from KNOWN_DIFFERENCES"
    else:
        assert ours == theirs
