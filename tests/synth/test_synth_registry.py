"""The synthetic registry passes validation and carries the intended structure."""

from typer.testing import CliRunner

from ibd_dtt.cli import app
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.synth import SynthOptions, generate_registry, write_registry


def test_synthetic_registry_is_valid_and_fully_analysable(tmp_path):
    options = SynthOptions(patients=60, centers=4, seed=11)
    write_registry(generate_registry(options), tmp_path, options)
    result = load_registry(tmp_path)
    assert result.is_valid, result.report.errors
    analysis = analyse_registry(score_registry(result))
    assert (analysis.screening["decision"] == "analysed").sum() == 60
    summary = analysis.summary
    month3 = summary[
        (summary["outcome"] == "clinical_response")
        & (summary["timepoint"] == "month_3")
        & (summary["group"] == "all")
    ]
    assert 0 < int(month3["responders"].iloc[0]) < int(month3["evaluable"].iloc[0])


def test_same_seed_same_data_and_centers_use_both_unit_systems():
    a = generate_registry(SynthOptions(patients=30, centers=3, seed=5))
    b = generate_registry(SynthOptions(patients=30, centers=3, seed=5))
    for name in a:
        assert a[name].equals(b[name])
    assert set(a["assessments"]["crp_unit"]) == {"mg/L", "mg/dL"}
    assert a["patients"]["patient_id"].is_unique
    assert not generate_registry(SynthOptions(patients=30, seed=6))["patients"].equals(
        a["patients"]
    )


def test_synth_command(tmp_path):
    result = CliRunner().invoke(
        app, ["synth", "--patients", "12", "--centers", "2", "--seed", "3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stdout
    assert (tmp_path / "study.yaml").exists() and (tmp_path / "patients.csv").exists()
    bad = CliRunner().invoke(app, ["synth", "--patients", "0", "--out", str(tmp_path)])
    assert bad.exit_code == 2


def test_recent_diagnoses_never_put_dates_after_the_data_cut(tmp_path):
    # seed 2024 with 1 000 patients once produced a prior azathioprine course stopping after
    # the data cut (diagnosed shortly before DTT); every row must validate.
    options = SynthOptions(patients=1000, centers=4, seed=2024)
    write_registry(generate_registry(options), tmp_path, options)
    result = load_registry(tmp_path)
    assert result.is_valid, result.report.errors


def test_centers_differ_in_response_by_the_center_effect(tmp_path):
    """With a strong center effect the last center responds clearly more often than the
    first; with none, the centers are alike up to chance."""
    from ibd_dtt.report.centers import summarise_outcomes_by_center
    from ibd_dtt.synth.registry import center_offsets

    assert center_offsets(4, 0.6).round(12).tolist() == [-0.6, -0.2, 0.2, 0.6]

    def month3_by_center(effect: float, folder):
        options = SynthOptions(patients=450, centers=3, seed=8, center_effect=effect)
        write_registry(generate_registry(options), folder, options)
        scored = score_registry(load_registry(folder))
        counts = summarise_outcomes_by_center(analyse_registry(scored).outcomes, scored.patients)
        m3 = counts[
            (counts["outcome"] == "clinical_response") & (counts["timepoint"] == "month_3")
        ].set_index("center")
        return m3["responders"] / m3["evaluable"]

    strong = month3_by_center(2.0, tmp_path / "strong")
    assert strong["Center 1"] + 0.15 < strong["Center 2"] + 0.075 < strong["Center 3"]
    none = month3_by_center(0.0, tmp_path / "none")
    assert abs(none["Center 1"] - none["Center 3"]) < 0.1
