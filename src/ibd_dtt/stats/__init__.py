"""Statistics, computed as data first and formatted after.

Every function returns a frozen dataclass of numbers (``Proportion``, ``ContinuousSummary``,
``TestResult``, ``IncidenceRate``, ``KaplanMeier``); :mod:`ibd_dtt.stats.format` alone turns
them into text. All tests and intervals come from SciPy and statsmodels; see
``docs/statistics.md`` for each choice and its source.
"""

from ibd_dtt.stats.comparisons import (
    TestResult,
    cochran_rule,
    compare_categorical,
    compare_continuous,
    compare_paired,
    fisher_exact_rxc,
)
from ibd_dtt.stats.continuous import ContinuousSummary, summarise_continuous
from ibd_dtt.stats.proportions import Proportion, proportion_ci
from ibd_dtt.stats.rates import IncidenceRate, incidence_rate
from ibd_dtt.stats.survival import KaplanMeier, kaplan_meier, logrank

__all__ = [
    "ContinuousSummary",
    "IncidenceRate",
    "KaplanMeier",
    "Proportion",
    "TestResult",
    "cochran_rule",
    "compare_categorical",
    "compare_continuous",
    "compare_paired",
    "fisher_exact_rxc",
    "incidence_rate",
    "kaplan_meier",
    "logrank",
    "proportion_ci",
    "summarise_continuous",
]
