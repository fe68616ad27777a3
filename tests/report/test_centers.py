"""Results by center (issue 17, part 1): per-center counts that are the counts of each
center analysed alone, heterogeneity statistics recomputed independently, safety per center
from the raw adverse-event rows, and the forest plot."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report
from ibd_dtt.report.build import ReportError
from ibd_dtt.report.centers import centers_of
from ibd_dtt.stats import fisher_exact_rxc
from ibd_dtt.stats.meta import meta_proportions

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"


@pytest.fixture(scope="module")
def by_center(scored):
    return build_report(scored, [analyse_registry(scored, "paper")], by="center")


def _one_center(folder: Path, center: str, target: Path) -> Path:
    """The registry folder restricted to one center's patients (every table)."""
    target.mkdir()
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    keep = set(patients.loc[patients["center"] == center, "patient_id"])
    for csv in folder.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        frame[frame["patient_id"].isin(keep)].to_csv(target / csv.name, index=False)
    shutil.copy(folder / "study.yaml", target / "study.yaml")
    return target


def test_each_centers_counts_are_the_counts_of_that_center_analysed_alone(by_center, tmp_path):
    rates = by_center.tables["outcomes_by_center"].data
    centers = centers_of(by_center.cohort.patients)
    assert centers == ("Center A", "Center B", "Center C")
    for center in centers:
        alone = analyse_registry(
            score_registry(load_registry(_one_center(EXAMPLE, center, tmp_path / center))),
            "paper",
        ).summary
        alone = alone[alone["group"] == "all"].set_index(["outcome", "timepoint"])
        mine = rates[rates["center"] == center].set_index(["outcome", "timepoint"])
        assert len(mine) > 0
        for key, row in mine.iterrows():
            assert int(row["responders"]) == int(alone.loc[key, "responders"]), (center, key)
            assert int(row["evaluable"]) == int(alone.loc[key, "evaluable"]), (center, key)


def test_centers_add_up_to_the_overall_column_and_the_main_response_table(by_center):
    rates = by_center.tables["outcomes_by_center"].data
    summed = (
        rates[rates["center"] != "all"]
        .groupby(["outcome", "timepoint"])[["responders", "evaluable"]]
        .sum()
    )
    overall = rates[rates["center"] == "all"].set_index(["outcome", "timepoint"])
    assert (summed.loc[overall.index] == overall[["responders", "evaluable"]]).all().all()
    s = by_center.primary.summary
    main = s[s["group"] == "all"].set_index(["outcome", "timepoint"])
    # the paper: clinical response 15/17 at 3 months
    assert tuple(overall.loc[("clinical_response", "month_3"), ["responders", "evaluable"]]) == (
        15,
        17,
    )
    for key, row in overall.iterrows():
        assert int(row["evaluable"]) == int(main.loc[key, "evaluable"])


def test_heterogeneity_is_the_exact_test_and_the_meta_analysis_of_the_center_counts(by_center):
    rates = by_center.tables["outcomes_by_center"].data
    block = rates[(rates["outcome"] == "clinical_response") & (rates["timepoint"] == "month_3")]
    centers = block[(block["center"] != "all") & (block["evaluable"] > 0)]
    table = [list(centers["responders"]), list(centers["evaluable"] - centers["responders"])]
    first = block.iloc[0]
    assert first["exact_pvalue"] == pytest.approx(fisher_exact_rxc(table).pvalue, rel=1e-12)
    meta = meta_proportions(centers["responders"], centers["evaluable"])
    assert first["i2"] == pytest.approx(meta.i2, abs=1e-12)
    assert first["tau2"] == pytest.approx(meta.tau2, abs=1e-12)
    assert first["pooled_random_effects"] == pytest.approx(meta.proportion, rel=1e-12)
    # the printed row carries the same numbers
    display = by_center.tables["outcomes_by_center"].display
    row = display[display["Outcome"] == "    3 months"].iloc[0]
    assert row["Overall (N=18)"].startswith("15/17 (")
    assert row["I² (τ²)"].endswith(f"({meta.tau2:.2f})")


def test_safety_per_center_is_counted_from_the_adverse_event_rows(by_center, scored):
    data = by_center.tables["safety_by_center"].data
    patients = by_center.cohort.patients.set_index("patient_id")["center"]
    events = by_center.cohort.adverse_events
    events = events[events["during_dtt"]]
    for center in centers_of(by_center.cohort.patients):
        row = data[
            (data["item"] == "Patients with ≥ 1 adverse event, n (%)") & (data["group"] == center)
        ].iloc[0]
        who = events.loc[events["patient_id"].map(patients) == center, "patient_id"].nunique()
        assert int(row["n"]) == who
        assert int(row["total"]) == int((patients == center).sum())
    display = by_center.tables["safety_by_center"].display
    assert list(display.columns) == [
        "Adverse events during DTT",
        "Overall",
        *centers_of(by_center.cohort.patients),
    ]


def test_baseline_by_center_tests_across_the_three_centers(by_center):
    table = by_center.tables["baseline_by_center"]
    assert {"Center A (N=7)", "Center B (N=7)", "Center C (N=4)"} <= set(table.display.columns)
    tests = set(table.data.loc[table.data["group"] == "comparison", "test"])
    assert tests <= {"Pearson's chi-square test", "Fisher's exact test", "Kruskal-Wallis test"}
    assert "Kruskal-Wallis test" in tests


def test_one_center_cannot_be_reported_by_center(scored, tmp_path):
    alone = score_registry(load_registry(_one_center(EXAMPLE, "Center A", tmp_path / "a")))
    with pytest.raises(ReportError, match="at least two centers"):
        build_report(alone, [analyse_registry(alone, "paper")], by="center")
    with pytest.raises(ReportError, match="--by must be one of center"):
        build_report(scored, [analyse_registry(scored, "paper")], by="sex")


def test_the_forest_plot_has_a_panel_per_evaluable_primary_outcome_and_every_center(by_center):
    from ibd_dtt.report.figure_inputs import CENTER_FOREST, FigureInputs
    from ibd_dtt.report.figures import draw_figures, plot_center_forest

    rates = by_center.tables["outcomes_by_center"].data
    fig = plot_center_forest(rates, {"clinical_response": "Clinical response"})
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    overall = rates[
        (rates["center"] == "all")
        & rates["outcome"].isin(["clinical_response", "endoscopic_response"])
    ]
    assert len(panels) == int((overall["evaluable"] > 0).sum())
    for ax in panels:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[:3] == ["Center A", "Center B", "Center C"]
        assert "Overall (pooled counts)" in labels
    inputs = FigureInputs.of_report(by_center)
    assert inputs.names[-1] == CENTER_FOREST
    drawn = draw_figures(inputs, only=(len(inputs.names) - 1,))
    assert drawn[0].name == CENTER_FOREST and "3 centers" in drawn[0].title


def test_report_by_center_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from ibd_dtt.cli import app

    runner = CliRunner()
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["report", str(EXAMPLE), "--out", str(out), "--by", "center", "--no-pdf"]
    )
    assert result.exit_code == 0, result.stdout
    for name in ("outcomes_by_center", "baseline_by_center", "safety_by_center"):
        assert (out / "tables" / f"{name}.csv").is_file()
    assert (out / "figures" / "fig7_center_forest.png").is_file()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Primary outcomes by center" in page and "by center (3 centers)" in page

    refused = runner.invoke(
        app, ["report", str(EXAMPLE), "--out", str(tmp_path / "x"), "--by", "sex"]
    )
    assert refused.exit_code == 2 and "--by must be center" in refused.stdout
    alone = _one_center(EXAMPLE, "Center C", tmp_path / "c")
    single = runner.invoke(
        app, ["report", str(alone), "--out", str(tmp_path / "y"), "--by", "center"]
    )
    assert single.exit_code == 2, single.stdout
    assert "at least two centers" in single.stdout and "Traceback" not in single.stdout
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
