"""Multiple imputation of response outcomes (``--missing mi``) with Rubin's rules.

What is imputed: a yes/no outcome at a timepoint whose follow-up value is missing while the
patient was on DTT, in a window that had opened by the data cut (``imputable`` in the
outcomes table) - for clinical and laboratory outcomes only: outcomes read from endoscopy
(done when indicated, so its absence is not at random) and steroid withdrawal are not
imputed (``multiple_imputation`` in a definition set overrides this). A stop for failure or
an adverse event is non-response (as under NRI), a window after DTT ended for another
reason or not yet reached stays not evaluable, and a missing baseline is never imputed.

How: m = 20 imputations with a fixed seed. Timepoints are filled in their order, each
missing status drawn as a proper Bayesian imputation from the patients observed at the same
timepoint with the same diagnosis and the same status at the previous timepoint (so the
within-patient course is kept): p ~ Beta(1 + responders, 1 + non-responders) of that
stratum, then status ~ Bernoulli(p). A stratum without observed patients widens to the
diagnosis, then to every patient observed at that timepoint; with nobody observed the value
stays missing. Donors are the values observed at that timepoint (never the non-responses
set by the failure rule). This is missing at random given diagnosis and the previous status.

Pooling (Rubin 1987): per group, each imputation's proportion p_i and its variance
p_i (1 - p_i) / N; the pooled estimate is the mean, the total variance T = W + (1 + 1/m) B,
and the interval the t interval with Rubin's degrees of freedom, clipped to [0, 1]. When the
imputations agree (B = 0) there is no imputation uncertainty and the interval is the
Clopper-Pearson interval of the counts, as without imputation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ibd_dtt.stats import proportion_ci

MI_IMPUTATIONS = 20
MI_SEED = 20251203
KEYS = ["definition_set", "strategy", "outcome", "timepoint"]


def _draw(observed: pd.Series, rng: np.random.Generator) -> bool | None:
    if observed.empty:
        return None
    yes = int(observed.sum())
    p = rng.beta(1 + yes, 1 + len(observed) - yes)
    return bool(rng.random() < p)


def impute_once(outcomes: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """One completed set of outcome values (boolean, NA where still missing)."""
    value = outcomes["value"].astype("boolean").copy()
    imputable = outcomes["imputable"].fillna(False).astype(bool)
    for _, rows in outcomes.groupby(["definition_set", "outcome"], sort=False):
        previous: dict[str, object] = {}
        for timepoint in dict.fromkeys(rows["timepoint"]):
            cell = rows[rows["timepoint"] == timepoint]
            # donors: values observed at this timepoint (not the NRI non-responses, which
            # describe patients off DTT)
            nri = cell["imputed"].fillna(False).astype(bool)
            known = cell[~imputable[cell.index] & ~nri & value[cell.index].notna()]
            known_value = value[known.index].astype(bool)
            prev_known = known["patient_id"].map(previous)
            for index, row in cell[imputable[cell.index]].iterrows():
                same_dx = known["diagnosis"] == row["diagnosis"]
                prev = previous.get(row["patient_id"])
                draw = None
                if prev is not None:
                    draw = _draw(known_value[same_dx & (prev_known == prev)], rng)
                if draw is None:
                    draw = _draw(known_value[same_dx], rng)
                if draw is None:
                    draw = _draw(known_value, rng)
                if draw is not None:
                    value[index] = draw
            for index, row in cell.iterrows():
                if pd.notna(value[index]):
                    previous[row["patient_id"]] = bool(value[index])
    return value


def _rubin(successes: np.ndarray, n: int, confidence: float) -> tuple[float, float, float]:
    p = successes / n
    q = float(p.mean())
    if np.ptp(successes) == 0:  # the imputations agree: no imputation uncertainty
        exact = proportion_ci(round(successes[0]), n, confidence=confidence)
        return float(exact.proportion), float(exact.ci_low), float(exact.ci_high)
    m = len(p)
    b = float(p.var(ddof=1))
    w = float((p * (1 - p) / n).mean())
    total = w + (1 + 1 / m) * b
    df = (m - 1) * (1 + w / ((1 + 1 / m) * b)) ** 2
    half = stats.t.ppf(0.5 + confidence / 2, df) * np.sqrt(total)
    return q, max(0.0, q - half), min(1.0, q + half)


def pool_imputations(
    outcomes: pd.DataFrame,
    m: int = MI_IMPUTATIONS,
    seed: int = MI_SEED,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The outcome summary under multiple imputation: per definition set x outcome x
    timepoint x group, the pooled percent and interval (``mi_ci_low`` / ``mi_ci_high``),
    the mean number of responders, the patients in the analysis (observed, NRI and
    imputed) and how many values were imputed."""
    rng = np.random.default_rng(seed)
    completed = [impute_once(outcomes, rng) for _ in range(m)]
    rows = []
    groups = [("all", outcomes.index), *outcomes.groupby("diagnosis").groups.items()]
    for group, members in groups:
        part = outcomes.loc[members]
        for key, cell in part.groupby(KEYS, sort=False):
            first = completed[0][cell.index]
            analysed = first.notna()
            n = int(analysed.sum())
            imputable = cell["imputable"].fillna(False).astype(bool)
            imputed = int((imputable & analysed).sum()) + int(
                (cell["imputed"].fillna(False).astype(bool) & ~imputable).sum()
            )
            row = dict(zip(KEYS, key, strict=True)) | {
                "group": group,
                "evaluable": n,
                "not_evaluable": len(cell) - n,
                "imputed": imputed,
                "imputations": m,
            }
            if n == 0:
                rows.append(
                    row
                    | {
                        "responders": 0.0,
                        "percent": np.nan,
                        "mi_ci_low": np.nan,
                        "mi_ci_high": np.nan,
                    }
                )
                continue
            successes = np.array(
                [float(values[cell.index].fillna(False).astype(bool).sum()) for values in completed]
            )
            q, low, high = _rubin(successes, n, confidence)
            rows.append(
                row
                | {
                    "responders": float(successes.mean()),
                    "percent": 100 * q,
                    "mi_ci_low": low,
                    "mi_ci_high": high,
                }
            )
    columns = [
        *KEYS,
        "group",
        "responders",
        "evaluable",
        "not_evaluable",
        "imputed",
        "percent",
        "mi_ci_low",
        "mi_ci_high",
        "imputations",
    ]
    return pd.DataFrame(rows, columns=columns)
