"""Work computed ahead in a forked process comes back as computed here."""

from pathlib import Path

import pandas as pd
import pytest

from ibd_dtt.ahead import Ahead
from ibd_dtt.errors import ConfigError
from ibd_dtt.pipeline import analyse_registry, load_registry, prepare_analyses, score_registry

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "paper_cohort"


def _fail(message):
    raise ConfigError(message)


def test_the_value_comes_back_and_is_kept():
    ahead = Ahead(sorted, [3, 1, 2])
    assert ahead.result() == [1, 2, 3]
    assert ahead.result() == [1, 2, 3]


def test_an_exception_is_raised_in_the_caller():
    ahead = Ahead(_fail, "no data cut")
    with pytest.raises(ConfigError, match="no data cut"):
        ahead.result()


def test_analyses_prepared_ahead_equal_those_computed_here():
    combos = [("paper", "as-observed"), ("paper", "nri")]
    prepared = Ahead(prepare_analyses, EXAMPLE, None, combos).result()
    scored = score_registry(load_registry(EXAMPLE))
    assert prepared.validation.is_valid and prepared.error is None
    for (definitions, strategy), analysis in zip(combos, prepared.analyses, strict=True):
        here = analyse_registry(scored, definitions, strategy)
        for name, table in here.tables().items():
            pd.testing.assert_frame_equal(analysis.tables()[name], table, obj=name)


def test_invalid_data_stop_after_validation(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for f in EXAMPLE.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    patients = (data / "patients.csv").read_text().splitlines()
    patients[1] = patients[1].replace("DTT01,", "DTT 01,", 1)  # not a valid study ID
    (data / "patients.csv").write_text("\n".join(patients) + "\n")
    prepared = prepare_analyses(data, None, [("paper", "as-observed")])
    assert not prepared.validation.is_valid
    assert prepared.scored is None and prepared.analyses is None
    allowed = prepare_analyses(data, None, [("paper", "as-observed")], allow_rejected=True)
    assert allowed.analyses is not None
    assert "DTT01" not in set(allowed.analyses[0].episodes["patient_id"])
    assert "DTT02" in set(allowed.analyses[0].episodes["patient_id"])


def test_an_analysis_error_is_returned_after_validation():
    prepared = prepare_analyses(EXAMPLE, None, [("no-such-definition-set", "as-observed")])
    assert prepared.validation.is_valid
    assert prepared.analyses is None and prepared.error is not None


def _absolute_values_in_a_pool(numbers):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(abs, numbers))


def test_the_work_may_start_processes_of_its_own():
    # outcomes are evaluated in worker processes from 2 000 patients
    assert Ahead(_absolute_values_in_a_pool, [-1, 2, -3]).result() == [1, 2, 3]
