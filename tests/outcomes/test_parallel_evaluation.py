"""Evaluating outcomes in several processes gives exactly the single-process table."""

import pandas as pd

from ibd_dtt.outcomes import evaluate_outcomes
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.synth import SynthOptions, generate_registry, write_registry


def test_workers_do_not_change_the_outcome_table(tmp_path):
    options = SynthOptions(patients=80, centers=3, seed=5)
    write_registry(generate_registry(options), tmp_path, options)
    scored = score_registry(load_registry(tmp_path))
    analysis = analyse_registry(scored, "paper")
    arguments = (
        analysis.visits,
        analysis.episodes[analysis.episodes["is_index"]].reset_index(drop=True),
        scored.patients,
        scored.therapies,
        analysis.definitions,
        analysis.windows,
        scored.validation.config,
    )
    for strategy in ("as-observed", "nri"):
        single = evaluate_outcomes(*arguments, strategy=strategy, workers=1)
        several = evaluate_outcomes(*arguments, strategy=strategy, workers=3)
        pd.testing.assert_frame_equal(several, single)
    assert len(single) > 80 * 10
