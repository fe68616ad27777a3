"""Multiple imputation of response outcomes (issue 15 item 5: --missing mi)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ibd_dtt.outcomes.imputation import _rubin, pool_imputations
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.stats import proportion_ci

EXAMPLE = Path(__file__).parents[2] / "examples" / "paper_cohort"


@pytest.fixture(scope="module")
def scored():
    return score_registry(load_registry(EXAMPLE))


def test_rubins_rules_by_hand():
    """Four imputations giving 5, 6, 5, 7 responders of 10 (Rubin 1987, eqs. 3.1.2-3.1.6)."""
    successes = np.array([5.0, 6.0, 5.0, 7.0])
    p = successes / 10
    q, b, w = p.mean(), p.var(ddof=1), (p * (1 - p) / 10).mean()
    total = w + (1 + 1 / 4) * b
    df = 3 * (1 + w / ((1 + 1 / 4) * b)) ** 2
    half = stats.t.ppf(0.975, df) * np.sqrt(total)
    assert np.allclose(_rubin(successes, 10, 0.95), (q, q - half, q + half))


def test_agreeing_imputations_give_the_exact_interval():
    q, low, high = _rubin(np.array([8.0] * 20), 10, 0.95)
    exact = proportion_ci(8, 10)
    assert (q, low, high) == (0.8, exact.ci_low, exact.ci_high)


def test_mi_fills_only_values_missing_on_dtt_and_is_reproducible(scored):
    mi = analyse_registry(scored, "paper", "mi")
    again = analyse_registry(scored, "paper", "mi")
    pd.testing.assert_frame_equal(mi.summary, again.summary)
    s = mi.summary.set_index(["outcome", "timepoint", "group"])
    # nothing is missing at 3 months on DTT: MI equals the observed 15/17 with its exact CI
    month_3 = s.loc[("clinical_response", "month_3", "all")]
    exact = proportion_ci(15, 17)
    assert (month_3["responders"], month_3["evaluable"]) == (15.0, 17)
    assert np.isclose(month_3["mi_ci_low"], exact.ci_low)
    # a window not reached by the data cut is never imputed
    reasons = mi.outcomes.loc[
        ~mi.outcomes["imputable"] & (mi.outcomes["result"] == "not_evaluable"), "reason"
    ]
    assert reasons.str.contains("before the window opens|baseline", regex=True).any()
    assert mi.outcomes["imputable"].any()


def test_pooling_a_small_hand_made_table():
    rows = []
    for i in range(10):
        missing = i >= 8
        rows.append(
            {
                "patient_id": f"P{i}",
                "diagnosis": "UC",
                "definition_set": "d",
                "strategy": "mi",
                "outcome": "o",
                "timepoint": "t",
                "value": None if missing else i < 6,
                "imputed": False,
                "imputable": missing,
            }
        )
    summary = pool_imputations(pd.DataFrame(rows), m=50, seed=1)
    all_row = summary[summary["group"] == "all"].iloc[0]
    assert all_row["evaluable"] == 10 and all_row["imputed"] == 2
    # 6 observed responders + 2 imputed from Beta(7, 3): between 6 and 8, mean near 7.5
    assert 6 <= all_row["responders"] <= 8
    assert all_row["mi_ci_low"] < all_row["percent"] / 100 < all_row["mi_ci_high"]


def test_the_report_shows_mi_beside_the_other_analyses(scored):
    from ibd_dtt.report import build_report

    report = build_report(
        scored, [analyse_registry(scored, "paper"), analyse_registry(scored, "paper", "mi")]
    )
    table = report.tables["response"]
    assert "Multiple imputation" in [label for label, _ in table.spanners]
    assert "Multiple imputation: Overall" in table.display.columns
    assert any("Rubin's rules" in note for note in table.notes)


def test_mi_as_the_primary_analysis_reports_pooled_figures_not_truncated_counts(scored):
    from ibd_dtt.report import build_report
    from ibd_dtt.report.narrative import headline_cards

    mi = analyse_registry(scored, "paper", "mi")
    report = build_report(scored, [mi])
    pooled = mi.summary.set_index(["outcome", "timepoint", "group"]).loc[
        ("clinical_response", "month_9", "all")
    ]
    headline = report.headline.set_index(["measure", "timepoint"]).loc[
        ("clinical_response", "month_9")
    ]
    assert headline["n"] == pooled["responders"] and headline["percent"] == pooled["percent"]
    card = next(c for c in headline_cards(report) if c["label"] == "clinical response at 9 months")
    assert f"/{int(pooled['evaluable'])})" in card["value"]
