"""The vectorised exchangeable GEE (used above GEE_MAX_PATIENTS) against statsmodels GEE
itself on unbalanced repeated measures: the same estimates, robust covariance and
correlation, and the switch in estimated_means happens without changing the numbers."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.genmod.cov_struct import Exchangeable

from ibd_dtt.stats import repeated
from ibd_dtt.stats.repeated import estimated_means, exchangeable_gee

VISITS = ["baseline", "month_3", "month_6", "month_12"]


def _repeated_measures(patients: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(patients):
        level = rng.normal(0, 2.0)  # patient effect: values of a patient are correlated
        for j, visit in enumerate(VISITS):
            if j and rng.random() < 0.3:  # a missed visit: unbalanced clusters
                continue
            rows.append(
                {
                    "patient_id": f"P{i}",
                    "visit": visit,
                    "value": 10 - 1.5 * j + level + rng.normal(0, 1.5),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("patients, seed", [(40, 1), (300, 2), (1200, 3)])
def test_vectorised_gee_equals_statsmodels(patients, seed):
    frame = _repeated_measures(patients, seed)
    frame["visit"] = pd.Categorical(frame["visit"], categories=VISITS)
    fit = smf.gee(
        "value ~ C(visit)", groups="patient_id", data=frame, cov_struct=Exchangeable()
    ).fit()
    params, cov, converged = exchangeable_gee(frame, VISITS)
    assert converged
    assert list(params.index) == list(fit.params.index)
    np.testing.assert_allclose(params.to_numpy(), fit.params.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(cov.to_numpy(), fit.cov_params().to_numpy(), rtol=1e-7, atol=1e-12)


def test_estimated_means_give_the_same_gee_rows_either_way(monkeypatch):
    frame = _repeated_measures(150, 4)
    by_statsmodels = estimated_means(frame, VISITS)
    monkeypatch.setattr(repeated, "GEE_MAX_PATIENTS", 10)  # force the vectorised fit
    vectorised = estimated_means(frame, VISITS)
    a = by_statsmodels[by_statsmodels["model"] == "GEE"].reset_index(drop=True)
    b = vectorised[vectorised["model"] == "GEE"].reset_index(drop=True)
    numbers = ["estimate", "ci_low", "ci_high", "change", "change_ci_low", "change_ci_high"]
    pd.testing.assert_frame_equal(
        a[numbers].astype(float), b[numbers].astype(float), check_exact=False, atol=1e-8
    )
    assert a["note"].tolist() == b["note"].tolist()
