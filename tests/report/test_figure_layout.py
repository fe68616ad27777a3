"""Figures that never hide data (issue 16): labels clear of error bars, legends outside the
data, a swimmer axis that covers every bar or says where it cuts one, readable KM intervals,
a flow diagram that shows every criterion, and captions with n and the definition set."""

import pandas as pd

from ibd_dtt.report.figure_inputs import FigureInputs
from ibd_dtt.report.figures import (
    SWIMMER_AXIS_MAX_MONTHS,
    SWIMMER_CUT_MONTHS,
    plot_flow_diagram,
    plot_kaplan_meier,
    plot_response_rates,
    plot_swimmer,
)
from ibd_dtt.report.followup import MAIN_OUTCOMES, summarise_response_rates
from ibd_dtt.report.safety import persistence_data


def _inputs(paper_report):
    return FigureInputs.of(paper_report.cohort, paper_report.primary)


def test_response_labels_sit_above_the_upper_confidence_limit(paper_report):
    inputs = _inputs(paper_report)
    rates = summarise_response_rates([inputs.summary], "clopper-pearson", MAIN_OUTCOMES)
    fig = plot_response_rates(rates, inputs.outcome_labels)
    for ax in fig.axes:
        tops = {}
        for line in ax.get_lines():  # error-bar caps: (x, top of the interval)
            for x, y in line.get_xydata():
                tops[round(float(x), 6)] = max(tops.get(round(float(x), 6), 0), float(y))
        assert ax.texts
        for text in ax.texts:
            x, y = text.get_position()
            assert y > tops.get(round(float(x), 6), 0), text.get_text()
            assert text.get_color() == "black"
        assert ax.get_ylim()[1] > 120


def test_swimmer_legend_is_outside_the_data_and_the_axis_covers_every_bar(paper_report):
    inputs = _inputs(paper_report)
    patients = inputs.patients.copy()
    # the paper cohort has one 52-month course: here every course is within the covered range
    patients["duration_months"] = patients["duration_months"].clip(upper=20.0)
    patients.loc[patients.index[0], "duration_months"] = 30.0
    fig = plot_swimmer(patients, inputs.clinical_response, inputs.adverse_events)
    ax = fig.axes[0]
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # right of the plotting area
    assert ax.get_xlim()[1] >= 30.0
    assert not [t for t in ax.texts if t.get_text() == "//"]


def test_a_very_long_bar_is_cut_with_a_break_and_its_length(paper_report):
    inputs = _inputs(paper_report)
    patients = inputs.patients.copy()
    patients.loc[patients.index[0], "duration_months"] = SWIMMER_AXIS_MAX_MONTHS + 16.0
    ax = plot_swimmer(patients, inputs.clinical_response, inputs.adverse_events).axes[0]
    assert ax.get_xlim()[1] < SWIMMER_CUT_MONTHS + 2
    texts = [t.get_text() for t in ax.texts]
    assert "//" in texts and f"{SWIMMER_AXIS_MAX_MONTHS + 16} mo" in texts


def test_km_intervals_are_steps_not_overlapping_fills(paper_report):
    fig = plot_kaplan_meier(persistence_data(paper_report.cohort.patients))
    ax = fig.axes[0]
    assert not ax.collections or all(
        type(c).__name__ != "FillBetweenPolyCollection" and type(c).__name__ != "PolyCollection"
        for c in ax.collections
    )
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 2 * 3  # lower and upper limit for Overall, UC, CD


def test_the_flow_diagram_lists_every_criterion_even_when_nobody_is_excluded(paper_report):
    attrition = paper_report.primary.attrition
    assert int(attrition.loc[attrition["step"] == "Analysed", "patients"].iloc[0]) == 18
    texts = " ".join(t.get_text() for t in plot_flow_diagram(attrition).axes[0].texts)
    rejected = [s for s in attrition["step"] if s.startswith("Rejected by validation")]
    for step in attrition["step"]:
        if step not in ("Patients in the input", "Screened", "Analysed", *rejected):
            assert step.removeprefix("Excluded: ") in texts, step
    assert "Excluded, n = 0" in texts and "Rejected by validation, n = 0" in texts


def test_every_caption_gives_n(paper_figures):
    for figure in paper_figures:
        assert "n = 18" in figure.title, figure.name
    response = next(f for f in paper_figures if f.name == "fig1_response_rates")
    assert "paper definitions, as-observed" in response.title


def test_flow_diagram_of_a_cohort_with_exclusions_shows_the_counts():
    attrition = pd.DataFrame(
        {
            "step": [
                "Patients in the input",
                "Rejected by validation (see the validation report)",
                "Screened",
                "No DTT episode",
                "Excluded: (2) pregnancy",
                "Analysed",
            ],
            "patients": [10, 1, 9, 2, 1, 6],
            "meeting_criterion": [10, 1, 9, 2, 1, 6],
        }
    )
    texts = " ".join(t.get_text() for t in plot_flow_diagram(attrition).axes[0].texts)
    assert "Rejected by validation, n = 1" in texts
    assert "Excluded, n = 3" in texts and "(2) pregnancy: 1" in texts and "n = 6" in texts


def test_marks_after_the_break_of_a_cut_bar_are_drawn_inside_the_axis(paper_report):
    """A course ending at 52 months with an adverse event at month 40 must still show both
    the end marker and the event, after the "//" and in order (issue 16: never hide data)."""
    inputs = _inputs(paper_report)
    patients = inputs.patients.copy()
    first = patients.index[0]
    patient = patients.loc[first, "patient_id"]
    patients.loc[first, ["duration_months", "ongoing_at_data_cut", "status"]] = [
        52.0,
        False,
        "stopped",
    ]
    events = pd.DataFrame(
        {"patient_id": [patient], "onset_day": [40 * 30.4375], "during_dtt": [True]}
    )
    ax = plot_swimmer(patients, inputs.clinical_response, events).axes[0]
    right = ax.get_xlim()[1]
    row = [t.get_text().split(" ")[0] for t in ax.get_yticklabels()].index(patient)
    marks = [
        (line.get_marker(), float(x))
        for line in ax.get_lines()
        for x, y in line.get_xydata()
        if abs(y - row) < 0.01 or abs(y - (row + 0.3)) < 0.01
    ]
    end = [x for m, x in marks if m == "s"]
    event = [x for m, x in marks if m == "v"]
    assert end and event, marks
    break_x = next(t.get_position()[0] for t in ax.texts if t.get_text() == "//")
    assert break_x < event[0] < end[0] <= right


def test_swimmer_position_keeps_uncut_bars_and_orders_squeezed_marks():
    import numpy as np

    from ibd_dtt.report.figures import swimmer_position

    # uncut bar (length == shown): every month is where it is
    assert swimmer_position(
        np.array([3.0, 11.9]), np.array([12.0] * 2), np.array([12.0] * 2)
    ).tolist() == [3.0, 11.9]
    # cut bar of 52 months shown as 25: before the break unchanged, after it inside (23.4, 25]
    placed = swimmer_position(
        np.array([10.0, 30.0, 40.0, 52.0]), np.array([52.0] * 4), np.array([25.0] * 4)
    )
    assert placed[0] == 10.0
    assert 24.6 <= placed[1] < placed[2] < placed[3] == 25.0
