"""Boundary tests of the outcome rules, with values worked by hand.

Source of every expected value: ../shared/reference/clinical.md §4.1 and §9 (hand-worked
from the paper's Outcome definitions), unless a comment says otherwise.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ibd_dtt.outcomes.rules import (
    Record,
    RuleContext,
    absolute_drop,
    all_conditions,
    biomarker_normalisation,
    crp_normalisation,
    hbi_response,
    mayo_response,
    percent_drop,
    steroid_free_remission,
    steroid_withdrawal,
)

START = pd.Timestamp("2023-01-01")


def ctx(baseline=None, follow_up=None, therapies=None, crp_uln=5.0, data_cut="2024-01-31"):
    def records(values, day):
        # a value written as text, "<5" or ">100", is a censored lab result
        return {
            p: Record(
                float(str(v).lstrip("<>")),
                day,
                f"assessments:{day}",
                visit_date=(START + pd.Timedelta(days=day)).date(),
                censored=str(v)[0] if str(v)[0] in "<>" else None,
            )
            for p, v in (values or {}).items()
        }

    empty = pd.DataFrame(
        columns=["_row", "drug", "drug_category", "mechanism_class", "start_date", "stop_date"]
    )
    return RuleContext(
        patient_id="P1",
        diagnosis="UC",
        window="month_3",
        baseline=records(baseline, -2),
        follow_up=records(follow_up, 91),
        crp_uln=crp_uln,
        episode={"start_date": START},
        therapies=empty if therapies is None else therapies,
        data_cut=dt.date.fromisoformat(data_cut),
    )


# --- UC clinical response: PMS drop >= 3 and >= 30 % and (RB drop >= 1 or RB <= 1) ---------
@pytest.mark.parametrize(
    ("pms", "rb", "expected"),
    [
        ((9, 6), (3, 2), True),  # §9: drop 3, 33 %, RB -1
        ((9, 6), (3, 3), False),  # §9: RB rule fails (RB 3, no drop)
        ((6, 3), (2, 2), False),  # §4.1: RB_f = 2 and no drop
        ((6, 3), (2, 1), True),  # §4.1
        ((5, 3), (2, 0), False),  # §4.1: drop 2 < 3
        ((9, 6), (2, 1), True),  # RB drop 1 and RB_f <= 1
        ((8, 5), (1, 1), True),  # RB no drop but RB_f <= 1
    ],
)
def test_partial_mayo_response(pms, rb, expected):
    c = ctx(
        {"partial_mayo": pms[0], "mayo_rectal_bleeding": rb[0]},
        {"partial_mayo": pms[1], "mayo_rectal_bleeding": rb[1]},
    )
    assert mayo_response(c).value is expected


def test_full_mayo_exactly_30_percent_is_a_response():
    # §9: full Mayo 10 -> 7 with RB 2 -> 1 is exactly 30 % (>= 30 %): response; 11 -> 8 is 27.3 %
    exact = ctx(
        {"full_mayo": 10, "mayo_rectal_bleeding": 2}, {"full_mayo": 7, "mayo_rectal_bleeding": 1}
    )
    assert mayo_response(exact, parameter="full_mayo").value is True
    assert mayo_response(exact, parameter="full_mayo", percent_strict=True).value is False
    below = ctx(
        {"full_mayo": 11, "mayo_rectal_bleeding": 2}, {"full_mayo": 8, "mayo_rectal_bleeding": 1}
    )
    assert mayo_response(below, parameter="full_mayo").value is False


def test_mayo_response_not_evaluable_cases_say_why():
    no_follow = mayo_response(ctx({"partial_mayo": 7, "mayo_rectal_bleeding": 2}, {}))
    assert no_follow.value is None and no_follow.missing == "follow_up"
    assert "no partial_mayo value" in no_follow.reason
    low = mayo_response(
        ctx(
            {"partial_mayo": 2, "mayo_rectal_bleeding": 1},
            {"partial_mayo": 0, "mayo_rectal_bleeding": 0},
        )
    )
    assert low.value is None and "< 3" in low.reason


def test_mayo_response_records_inputs_and_branch():
    result = mayo_response(
        ctx(
            {"partial_mayo": 9, "mayo_rectal_bleeding": 3},
            {"partial_mayo": 6, "mayo_rectal_bleeding": 2},
        )
    )
    assert result.inputs["partial_mayo_baseline"] == {
        "value": 9,
        "day": -2,
        "source": "assessments:-2",
    }
    assert result.inputs["bleeding_follow_up"]["value"] == 2
    assert "drop 3" in result.branch and "bleeding drop" in result.branch


# --- endoscopic response ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ses", "expected"),
    [((10, 5), False), ((10, 4), True), ((11, 5), True), ((12, 6), False), ((3, 1), True)],
)
def test_ses_cd_response_is_strictly_more_than_50_percent(ses, expected):
    # §4.1 / §9: SES-CD decrease > 50 %: 10 -> 5 is exactly 50 % (no), 10 -> 4 yes
    c = ctx({"ses_cd": ses[0]}, {"ses_cd": ses[1]})
    assert percent_drop(c, "ses_cd", 50, strict=True).value is expected


def test_ses_cd_baseline_zero_is_not_evaluable():
    result = percent_drop(ctx({"ses_cd": 0}, {"ses_cd": 0}), "ses_cd", 50, strict=True)
    assert result.value is None and result.missing == "baseline"


def test_pro2_response_at_exactly_50_percent():
    # §9: UC-PRO2 4 -> 2 is exactly 50 %, and STRIDE-II's rule is >= 50 %: response
    assert percent_drop(ctx({"uc_pro2": 4}, {"uc_pro2": 2}), "uc_pro2", 50, strict=False).value


@pytest.mark.parametrize(("base", "follow"), [(0.3, 0.21), (1.1, 0.77), (0.7, 0.49), (2.3, 1.61)])
def test_percent_boundaries_are_exact_not_floating_point(base, follow):
    # each pair is exactly a 30 % drop in decimal; binary floats get some of them wrong
    c = ctx({"crp": base}, {"crp": follow})
    assert percent_drop(c, "crp", 30, strict=False).value is True
    assert percent_drop(c, "crp", 30, strict=True).value is False


@pytest.mark.parametrize(
    ("mes", "expected"), [((1, 0), True), ((3, 2), True), ((2, 2), False), ((2, 3), False)]
)
def test_mes_drop_of_at_least_one(mes, expected):
    c = ctx({"mayo_endoscopic": mes[0]}, {"mayo_endoscopic": mes[1]})
    assert absolute_drop(c, "mayo_endoscopic", 1).value is expected


def test_mes_baseline_zero_is_not_evaluable():
    # §4.1: MES_b = 0 -> not evaluable
    assert (
        absolute_drop(
            ctx({"mayo_endoscopic": 0}, {"mayo_endoscopic": 0}), "mayo_endoscopic", 1
        ).value
        is None
    )


# --- CD clinical response ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hbi", "expected"), [((9, 6), True), ((9, 7), False), ((5, 2), True), ((5, 3), False)]
)
def test_hbi_drop_of_three(hbi, expected):
    assert hbi_response(ctx({"hbi": hbi[0]}, {"hbi": hbi[1]})).value is expected


def test_low_baseline_hbi_uses_crp_normalisation():
    # HBI_b <= 4: CRP 12 -> 4.9 normalised (ULN 5); 12 -> 5 normalised only if "<= ULN"
    assert hbi_response(ctx({"hbi": 4, "crp": 12}, {"hbi": 3, "crp": 4.9})).value is True
    at_uln = ctx({"hbi": 4, "crp": 12}, {"hbi": 3, "crp": 5})
    assert hbi_response(at_uln).value is True
    assert hbi_response(at_uln, crp_normal_inclusive=False).value is False
    assert "CRP normalisation" in hbi_response(at_uln).branch


def test_crp_normal_at_baseline_is_not_evaluable_never_a_success():
    # §9: CRP 3 -> 2 with ULN 5: not evaluable
    result = crp_normalisation(ctx({"crp": 3}, {"crp": 2}))
    assert result.value is None and "already normal" in result.reason
    # with the Limberg branch missing too, the CD response is not evaluable
    assert hbi_response(ctx({"hbi": 3, "crp": 3}, {"hbi": 2, "crp": 2})).value is None


@pytest.mark.parametrize(("limberg", "expected"), [((3, 1), True), ((3, 2), False), ((4, 2), True)])
def test_low_baseline_hbi_uses_limberg_drop_of_two(limberg, expected):
    # §9: Limberg 3 -> 1 yes; 3 -> 2 no. Baseline CRP normal, so only Limberg decides.
    c = ctx(
        {"hbi": 3, "crp": 3.2, "limberg": limberg[0]}, {"hbi": 2, "crp": 2.8, "limberg": limberg[1]}
    )
    assert hbi_response(c).value is expected


def test_low_baseline_hbi_drop_counts_only_when_allowed():
    c = ctx({"hbi": 4, "crp": 3}, {"hbi": 1, "crp": 2})
    assert hbi_response(c).value is None
    assert hbi_response(c, low_hbi_may_qualify_by_drop=True).value is True


def test_hbi_threshold_can_refer_to_follow_up():
    # reading "HBI <= 4" as the follow-up value: 9 -> 4 must then also normalise CRP
    c = ctx({"hbi": 9, "crp": 12}, {"hbi": 4, "crp": 8})
    assert hbi_response(c).value is True
    assert hbi_response(c, low_hbi_refers_to="follow_up").value is False


def test_crp_uln_applies_per_center_value_passed_in():
    # ULN 8 mg/L at a center: 12 -> 7 normalises there, not with ULN 5
    assert crp_normalisation(ctx({"crp": 12}, {"crp": 7}, crp_uln=8)).value is True
    assert crp_normalisation(ctx({"crp": 12}, {"crp": 7}, crp_uln=5)).value is False


# --- remission and biomarkers ------------------------------------------------------------------
UC_REMISSION = [
    {"parameter": "partial_mayo", "op": "<=", "value": 2},
    {"parameter": "mayo_stool_frequency", "op": "<=", "value": 1},
    {"parameter": "mayo_rectal_bleeding", "op": "<=", "value": 1},
    {"parameter": "mayo_physician_global", "op": "<=", "value": 1},
]


def test_mayo_remission_needs_no_subscore_above_one():
    # §9: SF 1, RB 0, PGA 1 (total 2) is remission; SF 2, RB 0, PGA 0 (total 2) is not
    yes = ctx(
        {},
        {
            "partial_mayo": 2,
            "mayo_stool_frequency": 1,
            "mayo_rectal_bleeding": 0,
            "mayo_physician_global": 1,
        },
    )
    no = ctx(
        {},
        {
            "partial_mayo": 2,
            "mayo_stool_frequency": 2,
            "mayo_rectal_bleeding": 0,
            "mayo_physician_global": 0,
        },
    )
    assert all_conditions(yes, UC_REMISSION).value is True
    assert all_conditions(no, UC_REMISSION).value is False


@pytest.mark.parametrize(("value", "expected"), [(4, True), (5, False)])
def test_hbi_remission_at_most_four(value, expected):
    cond = [{"parameter": "hbi", "op": "<=", "value": 4}]
    assert all_conditions(ctx({}, {"hbi": value}), cond).value is expected


@pytest.mark.parametrize(("ses", "expected"), [(2, True), (3, False)])
def test_ses_cd_remission_at_most_two(ses, expected):
    cond = [{"parameter": "ses_cd", "op": "<=", "value": 2}]
    assert all_conditions(ctx({}, {"ses_cd": ses}), cond).value is expected


def test_biomarker_normalisation_with_and_without_calprotectin():
    assert biomarker_normalisation(ctx({}, {"crp": 5})).value is True
    assert biomarker_normalisation(ctx({}, {"crp": 5}), crp_inclusive=False).value is False
    assert biomarker_normalisation(ctx({}, {"crp": 2, "fecal_calprotectin": 249})).value is True
    assert biomarker_normalisation(ctx({}, {"crp": 2, "fecal_calprotectin": 250})).value is False
    assert biomarker_normalisation(ctx({}, {"crp": 2}), require_calprotectin=True).value is None


# --- corticosteroids ------------------------------------------------------------------------------
def steroids(*courses):
    return pd.DataFrame(
        [
            {
                "_row": i + 2,
                "drug": "PDN",
                "drug_category": "corticosteroid",
                "mechanism_class": "systemic_corticosteroid",
                "start_date": pd.Timestamp(start),
                "stop_date": pd.Timestamp(stop) if stop else pd.NaT,
            }
            for i, (start, stop) in enumerate(courses)
        ]
    )


@pytest.mark.parametrize(("stop", "expected"), [("2023-04-02", True), ("2023-04-03", False)])
def test_steroid_withdrawal_boundary_day_91(stop, expected):
    # DTT start 2023-01-01; day 91 = 2023-04-02 (within 3 months), day 92 is not
    result = steroid_withdrawal(ctx(therapies=steroids(("2022-12-01", stop))))
    assert result.value is expected


def test_steroid_withdrawal_not_applicable_or_not_yet_known():
    none = steroid_withdrawal(ctx(therapies=steroids(("2022-01-01", "2022-03-01"))))
    assert none.value is None and none.missing == "not_applicable"
    running = steroid_withdrawal(
        ctx(therapies=steroids(("2022-12-01", None)), data_cut="2023-03-01")
    )
    assert running.value is None and "data cut" in running.reason
    still = steroid_withdrawal(ctx(therapies=steroids(("2022-12-01", None))))
    assert still.value is False


def test_steroid_free_remission_needs_the_whole_period():
    cond = [{"parameter": "hbi", "op": "<=", "value": 4}]
    # follow-up visit on day 91 = 2023-04-02; 84 days before = 2023-01-08
    stopped_late = ctx({}, {"hbi": 2}, therapies=steroids(("2022-12-01", "2023-01-08")))
    stopped_early = ctx({}, {"hbi": 2}, therapies=steroids(("2022-12-01", "2023-01-07")))
    assert steroid_free_remission(stopped_late, cond, steroid_free_days=84).value is False
    assert steroid_free_remission(stopped_early, cond, steroid_free_days=84).value is True


@pytest.mark.parametrize(("baseline", "evaluable"), [(5, False), (5.01, True)])
def test_baseline_crp_exactly_at_the_uln_is_already_normal(baseline, evaluable):
    # ULN 5 mg/L (clinical.md §3.1): a baseline of exactly 5 is normal and cannot normalise
    result = crp_normalisation(ctx({"crp": baseline}, {"crp": 2}))
    assert (result.value is not None) is evaluable
    if evaluable:
        assert result.value is True


# --- censored lab values: used only where the bound decides (issue 12) --------------------
@pytest.mark.parametrize(
    ("baseline", "follow", "expected", "reason"),
    [
        (12, "<5", True, None),  # below 5 is within a ULN of 5
        (12, "<4", True, None),
        (12, "<10", None, "cannot tell whether it is within the ULN"),
        (12, ">5", False, None),  # above 5 is not normal
        (">20", 3, True, None),  # baseline above 20: abnormal for sure
        ("<10", 3, None, "cannot tell whether it was above the ULN"),
        ("<5", 3, None, "already normal at baseline"),
    ],
)
def test_censored_crp_decides_only_where_its_bound_does(baseline, follow, expected, reason):
    result = crp_normalisation(ctx({"crp": baseline}, {"crp": follow}))
    assert result.value is expected
    if reason:
        assert reason in result.reason
    # the audit trail says the value was censored
    shown = result.inputs["crp_follow_up"].get("censored", "")
    assert shown == (str(follow)[0] if str(follow)[0] in "<>" else "")


def test_censored_values_in_threshold_conditions():
    from ibd_dtt.outcomes.rules import all_conditions

    rule = [{"parameter": "fecal_calprotectin", "op": "<", "value": 250}]
    assert all_conditions(ctx({}, {"fecal_calprotectin": "<30"}), rule).value is True
    assert all_conditions(ctx({}, {"fecal_calprotectin": ">1800"}), rule).value is False
    unknown = all_conditions(ctx({}, {"fecal_calprotectin": "<500"}), rule)
    assert unknown.value is None and "censored" in unknown.reason


def test_methods_state_every_outcome_rule_as_the_engine_runs_it(scored_paper):
    """Issue 16 item 5: the Methods give each outcome's full definition, generated from the
    rule and its parameters (the paper's Outcome definitions, clinical.md §4.1)."""
    from ibd_dtt.pipeline import analyse_registry
    from ibd_dtt.report import build_report
    from ibd_dtt.report.narrative import methods_paragraphs

    report = build_report(scored_paper, [analyse_registry(scored_paper, "paper")])
    text = methods_paragraphs(report)[1]
    assert (
        "Clinical response — UC: partial Mayo score decrease of ≥ 3 points and ≥ 30 % from "
        "baseline, with a rectal bleeding subscore decrease of ≥ 1 or a subscore ≤ 1; CD: HBI "
        "decrease of ≥ 3 points; when the baseline HBI is ≤ 4, CRP normalisation" in text
    )
    assert "CD: SES-CD decrease of > 50 % from baseline" in text  # strictly more than half
