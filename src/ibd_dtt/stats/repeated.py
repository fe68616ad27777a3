"""Repeated measures over follow-up: estimated means by visit from every available value,
not only complete pairs.

A linear mixed model with a random intercept per patient (statsmodels ``MixedLM``, REML)
is the primary model; generalized estimating equations with an exchangeable working
correlation and robust (sandwich) standard errors (statsmodels ``GEE``) are the
sensitivity analysis. Both use every patient with at least one value: a patient missing at
6 months still informs the baseline and 3-month means, under missing at random.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

MODELS = ("mixed model", "GEE")
# Above this many patients the random-intercept REML fit uses the closed-form likelihood
# below instead of statsmodels MixedLM, whose likelihood loops over patients in Python
# (about 9 s per fit at 10 000 patients). Both give the same estimates (tested: within
# 1e-5, MixedLM's own optimiser tolerance).
MIXEDLM_MAX_PATIENTS = 1000
# Likewise for the GEE: above this many patients the closed-form exchangeable GEE below
# replaces statsmodels GEE (which loops over patients in Python: about 1.4 s per fit at
# 10 000 patients); it runs statsmodels' own iteration and gives the same numbers (tested).
GEE_MAX_PATIENTS = 1000
GEE_MAXITER, GEE_CTOL = 60, 1e-6  # statsmodels GEE.fit defaults


def _visit_design(frame: pd.DataFrame, present: list[str]):
    """The design of ``value ~ visit`` (intercept = the first visit, then one indicator per
    later visit), the values, each row's patient as 0..P-1, and each patient's row count."""
    codes = pd.Categorical(frame["visit"], categories=present).codes
    x = np.zeros((len(frame), len(present)))
    x[:, 0] = 1.0
    for k in range(1, len(present)):
        x[:, k] = codes == k
    group = pd.factorize(frame["patient_id"])[0]
    return x, frame["value"].to_numpy(float), group, np.bincount(group).astype(float)


def _per_patient_sums(values: np.ndarray, group: np.ndarray, patients: int) -> np.ndarray:
    """Column sums of ``values`` within each patient (one row per patient)."""
    out = np.zeros((patients, values.shape[1]))
    np.add.at(out, group, values)
    return out


def random_intercept_reml(frame: pd.DataFrame, present: list[str]):
    """REML fit of ``value ~ visit`` with a random intercept per patient, vectorised.

    With lambda = tau^2 / sigma^2, the covariance of patient i's n_i values is
    sigma^2 (I + lambda J), whose inverse is I - lambda / (1 + n_i lambda) J; every term of
    the REML log-likelihood is then a sum over patients of per-patient sums (Harville,
    JASA 1977). lambda is found by bounded 1-D optimisation on its log; sigma^2 is profiled.
    Returns the fixed effects (intercept = the first visit, then differences) and their
    covariance, as statsmodels' ``fe_params`` and ``cov_params``.
    """
    from scipy.optimize import minimize_scalar

    x, y, group, sizes = _visit_design(frame, present)
    n_obs, n_par = x.shape

    def sums(values: np.ndarray) -> np.ndarray:
        return _per_patient_sums(values, group, len(sizes))

    sx, sy = sums(x), sums(y[:, None])[:, 0]
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)

    def solve(lam: float):
        w = lam / (1 + sizes * lam)
        a = xtx - (sx * w[:, None]).T @ sx
        b = xty - (sx * w[:, None]).T @ sy
        beta = np.linalg.solve(a, b)
        rss = yty - 2 * beta @ xty + beta @ xtx @ beta
        rs = sy - sx @ beta
        quad = rss - float(np.sum(w * rs**2))
        return beta, a, quad

    def negative_reml(log_lam: float) -> float:
        lam = float(np.exp(log_lam))
        _, a, quad = solve(lam)
        dof = n_obs - n_par
        return 0.5 * (
            float(np.sum(np.log1p(sizes * lam)))
            + float(np.linalg.slogdet(a)[1])
            + dof * np.log(quad / dof)
        )

    best = minimize_scalar(
        negative_reml, bounds=(-20.0, 12.0), method="bounded", options={"xatol": 1e-10}
    )
    lam = float(np.exp(best.x))
    beta, a, quad = solve(lam)
    sigma2 = quad / (n_obs - n_par)
    names = ["Intercept", *[f"C(visit)[T.{v}]" for v in present[1:]]]
    return (
        pd.Series(beta, index=names),
        pd.DataFrame(sigma2 * np.linalg.inv(a), index=names, columns=names),
    )


def exchangeable_gee(frame: pd.DataFrame, present: list[str]):
    """GEE of ``value ~ visit`` (Gaussian, identity link) with an exchangeable working
    correlation and robust (sandwich) covariance, vectorised over patients.

    It repeats statsmodels ``GEE.fit`` step by step (defaults: OLS start, one mean update
    then one moment update of the correlation rho per iteration, stop when the score norm
    is below 1e-6 after at least one rho update, at most 60 iterations). The inverse of a
    patient's exchangeable correlation matrix is I / (1 - rho) - c J with
    c = rho / ((1 - rho) (1 + (n_i - 1) rho)) (Liang & Zeger, Biometrika 1986), so every
    sum over patients is a sum of per-patient sums. Returns (params, robust covariance,
    converged), as statsmodels' ``params`` and ``cov_params()``.
    """
    x, y, group, sizes = _visit_design(frame, present)
    n_obs, n_par = x.shape
    n_groups = len(sizes)

    def sums(values: np.ndarray) -> np.ndarray:
        return _per_patient_sums(values, group, n_groups)

    sx = sums(x)  # per-patient column sums of the design
    xtx = x.T @ x
    n_pairs = float(np.sum(sizes * (sizes - 1) / 2))

    def pieces(params: np.ndarray, rho: float):
        resid = y - x @ params
        c = rho / (1.0 - rho) / (1.0 + rho * (sizes - 1))
        sr = np.bincount(group, weights=resid, minlength=n_groups)
        bmat = xtx / (1.0 - rho) - (sx * c[:, None]).T @ sx
        per_patient = sums(x * resid[:, None]) / (1.0 - rho) - sx * (c * sr)[:, None]
        return resid, sr, bmat, per_patient

    params = np.linalg.lstsq(x, y, rcond=None)[0]  # statsmodels starts from the GLM (OLS)
    rho, converged = 0.0, False
    for updates in range(GEE_MAXITER):  # one rho update per iteration
        _, _, bmat, per_patient = pieces(params, rho)
        score = per_patient.sum(axis=0)
        params = params + np.linalg.solve(bmat, score)
        if np.sqrt(np.sum(score**2)) < GEE_CTOL and updates > 0:
            converged = True
            break
        # statsmodels' Exchangeable.update: moment estimator with ddof = parameters
        resid, sr, _, _ = pieces(params, rho)
        ssr = float(resid @ resid)
        scale = ssr / (n_obs - n_par)
        pair_sum = float(np.sum((sr**2 - np.bincount(group, weights=resid**2)) / 2)) / scale
        rho = pair_sum / (n_pairs - n_par)
    _, _, bmat, per_patient = pieces(params, rho)
    bread = np.linalg.inv(bmat)
    robust = bread @ (per_patient.T @ per_patient) @ bread
    names = ["Intercept", *[f"C(visit)[T.{v}]" for v in present[1:]]]
    return (
        pd.Series(params, index=names),
        pd.DataFrame(robust, index=names, columns=names),
        converged,
    )


def estimated_means(
    data: pd.DataFrame, visits: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Estimated mean of ``value`` at each visit, and its difference from the first visit.

    ``data``: one row per patient and visit with ``patient_id``, ``visit`` (one of
    ``visits``, the first being the reference, e.g. baseline) and ``value``. Returns one
    row per model x visit: estimate, CI, the change from the reference with its CI and
    p-value, the number of patients and values, and the model's note (e.g. a fit that did
    not converge).

    In complete, balanced data both models' means are the observed means by visit (tested).
    """
    import statsmodels.formula.api as smf
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    frame = data.dropna(subset=["value"])
    frame = frame[frame["visit"].isin(visits)].copy()
    present = [v for v in visits if v in set(frame["visit"])]
    if len(present) < 2 or frame["patient_id"].nunique() < 2 or present[0] != visits[0]:
        return pd.DataFrame()
    frame["visit"] = pd.Categorical(frame["visit"], categories=present)
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for model in MODELS:
        note = ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if model == "mixed model" and frame["patient_id"].nunique() > (
                    MIXEDLM_MAX_PATIENTS
                ):
                    params, cov = random_intercept_reml(frame, present)
                elif model == "mixed model":
                    fit = smf.mixedlm("value ~ C(visit)", frame, groups=frame["patient_id"]).fit(
                        reml=True
                    )
                    params, cov = (
                        fit.fe_params,
                        fit.cov_params().loc[fit.fe_params.index, fit.fe_params.index],
                    )
                elif frame["patient_id"].nunique() > GEE_MAX_PATIENTS:
                    params, cov, converged = exchangeable_gee(frame, present)
                    if not converged:
                        note = "did not fully converge"
                else:
                    fit = smf.gee(
                        "value ~ C(visit)",
                        groups="patient_id",
                        data=frame,
                        cov_struct=Exchangeable(),
                    ).fit()
                    params, cov = fit.params, fit.cov_params()
            except (np.linalg.LinAlgError, ValueError) as exc:
                rows.append({"model": model, "visit": None, "note": f"not fitted: {exc}"})
                continue
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            note = "did not fully converge"
        names = list(params.index)
        for i, visit in enumerate(present):
            contrast = np.zeros(len(names))
            contrast[0] = 1.0
            if i:
                contrast[i] = 1.0
            mean = float(contrast @ params.to_numpy())
            se = float(np.sqrt(contrast @ cov.to_numpy() @ contrast))
            row = {
                "model": model,
                "visit": visit,
                "patients": int(frame.loc[frame["visit"] == visit, "patient_id"].nunique()),
                "estimate": mean,
                "ci_low": mean - z * se,
                "ci_high": mean + z * se,
                "change": None,
                "change_ci_low": None,
                "change_ci_high": None,
                "pvalue": None,
                "note": note,
            }
            if i:
                change, change_se = float(params.iloc[i]), float(np.sqrt(cov.iloc[i, i]))
                row.update(
                    change=change,
                    change_ci_low=change - z * change_se,
                    change_ci_high=change + z * change_se,
                    pvalue=float(2 * stats.norm.sf(abs(change / change_se))),
                )
            rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["values"] = len(frame)
    out.attrs["patients"] = int(frame["patient_id"].nunique())
    return out
