"""The vectorised random-intercept REML used for large cohorts gives statsmodels MixedLM's
estimates and standard errors (unbalanced data, missing visits)."""

import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from ibd_dtt.stats import repeated
from ibd_dtt.stats.repeated import estimated_means, random_intercept_reml


def _data(patients: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    visits = ["baseline", "month_3", "month_6", "month_9"]
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat([f"P{i}" for i in range(patients)], 4),
            "visit": np.tile(visits, patients),
        }
    )
    frame["value"] = (
        30
        - 2.0 * frame["visit"].map({v: i for i, v in enumerate(visits)})
        + np.repeat(rng.normal(0, 6, patients), 4)
        + rng.normal(0, 3, len(frame))
    )
    return frame[rng.random(len(frame)) < 0.7].reset_index(drop=True)


def test_closed_form_reml_equals_mixedlm():
    frame = _data(300, 4)
    present = ["baseline", "month_3", "month_6", "month_9"]
    params, cov = random_intercept_reml(frame, present)
    reference = frame.assign(visit=pd.Categorical(frame["visit"], categories=present))
    fit = smf.mixedlm("value ~ C(visit)", reference, groups=reference["patient_id"]).fit(reml=True)
    names = fit.fe_params.index
    # agreement to MixedLM's own optimiser tolerance (2e-6 here)
    assert params.to_numpy() == pytest.approx(fit.fe_params.to_numpy(), abs=1e-5)
    # MixedLM's covariance comes from its numerical Hessian at its optimum: agreement to
    # about 1e-4 of the variances (standard errors to 1e-4 relative)
    reference_cov = fit.cov_params().loc[names, names].to_numpy()
    assert cov.to_numpy() == pytest.approx(reference_cov, abs=1e-4 * reference_cov.max())
    assert np.sqrt(np.diag(cov)) == pytest.approx(np.sqrt(np.diag(reference_cov)), rel=1e-4)


def test_estimated_means_switch_to_it_for_large_cohorts_with_the_same_answer(monkeypatch):
    frame = _data(300, 7)
    visits = ["baseline", "month_3", "month_6", "month_9"]
    mixedlm = estimated_means(frame, visits)
    monkeypatch.setattr(repeated, "MIXEDLM_MAX_PATIENTS", 10)
    closed = estimated_means(frame, visits)
    columns = ["estimate", "ci_low", "ci_high", "change", "pvalue"]
    a = mixedlm[mixedlm["model"] == "mixed model"][columns].astype(float).to_numpy()
    b = closed[closed["model"] == "mixed model"][columns].astype(float).to_numpy()
    assert np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True)


def test_ten_thousand_patients_fit_in_well_under_a_second():
    frame = _data(10_000, 1)
    started = time.perf_counter()
    params, _ = random_intercept_reml(frame, ["baseline", "month_3", "month_6", "month_9"])
    assert time.perf_counter() - started < 3
    assert params.iloc[1] == pytest.approx(-2.0, abs=0.2)
