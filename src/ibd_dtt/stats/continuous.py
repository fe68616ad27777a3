"""Continuous variables: median (Q1-Q3), mean (SD), range, and the count missing.

Quartiles default to SPSS's definition (``HAVERAGE``, Hyndman-Fan type 6, numpy
``method="weibull"``), the software the paper's authors and most of our users compared with;
R's default (type 7, numpy ``"linear"``) is selectable. The method is stored with the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILE_METHODS = {"spss": "weibull", "r7": "linear", "r2": "averaged_inverted_cdf"}


@dataclass(frozen=True)
class ContinuousSummary:
    n: int
    missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None
    quantile_method: str


def summarise_continuous(values, quantile_method: str = "spss") -> ContinuousSummary:
    """Summary of a numeric series; missing values are counted, not used.

    >>> s = summarise_continuous([1, 2, 3, 4, None])
    >>> (s.n, s.missing, s.median, s.q1, s.q3)
    (4, 1, 2.5, 1.25, 3.75)
    """
    if quantile_method not in QUANTILE_METHODS:
        raise ValueError(
            f"`quantile_method` must be one of {', '.join(QUANTILE_METHODS)}, "
            f"not {quantile_method!r}"
        )
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        numbers = values.astype(float, copy=False)
    else:
        try:
            numbers = pd.to_numeric(pd.Series(values, dtype="object"), errors="raise").to_numpy(
                float, na_value=np.nan
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"`values` must be numbers or missing: {exc}") from None
    if np.isinf(numbers).any():
        raise ValueError("`values` must be finite numbers or missing, not infinite")
    present = numbers[~np.isnan(numbers)]
    missing = int(numbers.size - present.size)
    if present.size == 0:
        return ContinuousSummary(
            0, missing, None, None, None, None, None, None, None, quantile_method
        )
    q1, median, q3 = np.quantile(
        present, [0.25, 0.5, 0.75], method=QUANTILE_METHODS[quantile_method]
    )
    sd = float(np.std(present, ddof=1)) if present.size > 1 else None
    return ContinuousSummary(
        n=int(present.size),
        missing=missing,
        mean=float(present.mean()),
        sd=sd,
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        minimum=float(present.min()),
        maximum=float(present.max()),
        quantile_method=quantile_method,
    )
