"""Smaller instruments: UCEIS, CD-PRO2 and the Montreal age class.

Sources (clinical.md): Limberg B, Z Gastroenterol 1999;37:495 (§1.7, grades 0-4);
Travis SPL et al., Gut 2012;61:535 (UCEIS §1.8, 0-8, bands 0-1/2-4/5-6/7-8);
Khanna R et al., APT 2015;41:77 (CD-PRO2 §1.3); Satsangi J et al., Gut 2006;55:749
(Montreal age §2.1: A1 <= 16, A2 17-40, A3 > 40, in completed years).
"""

from __future__ import annotations

import math

import pandas as pd

from ibd_dtt.scores._common import band, total_of


def compute_uceis(
    vascular_pattern: pd.Series, bleeding: pd.Series, erosions_ulcers: pd.Series
) -> pd.Series:
    """UCEIS = vascular pattern (0-2) + bleeding (0-3) + erosions/ulcers (0-3), 0-8."""
    return total_of(vascular_pattern, bleeding, erosions_ulcers)


def band_uceis(total: pd.Series) -> pd.Series:
    """UCEIS bands (not formally validated): 0-1 remission, 2-4 mild, 5-6 moderate, 7-8 severe.

    >>> band_uceis(pd.Series([1, 2, 4, 5, 6, 7])).tolist()
    ['remission', 'mild', 'mild', 'moderate', 'moderate', 'severe']
    """
    return band(total, [(1, "remission"), (4, "mild"), (6, "moderate"), (8, "severe")])


def compute_cd_pro2(stool_mean: pd.Series, pain_mean: pd.Series) -> pd.Series:
    """CD-PRO2 = 2 x mean daily liquid stools + 5 x mean daily abdominal pain (7-day means).

    Example (clinical.md §9: stools 3/day, pain 1 -> 11):
        >>> compute_cd_pro2(pd.Series([3.0]), pd.Series([1.0])).tolist()
        [11.0]
    """
    return (2 * stool_mean.astype("Float64") + 5 * pain_mean.astype("Float64")).round(6)


def completed_years(age: float) -> int:
    """Whole years lived (16.9 -> 16); ages are never rounded up."""
    return math.floor(age)


def classify_montreal_age(age_at_diagnosis: pd.Series) -> pd.Series:
    """Montreal age class from age at diagnosis in completed years.

    Example (clinical.md §9):
        >>> classify_montreal_age(pd.Series([16.9, 17.0, 40.9, 41.0])).tolist()
        ['A1', 'A2', 'A2', 'A3']
    """
    years = (
        age_at_diagnosis.astype("Float64")
        .apply(lambda a: pd.NA if pd.isna(a) else completed_years(a))
        .astype("Int64")
    )
    return band(years, [(16, "A1"), (40, "A2"), (float("inf"), "A3")])


AGE_DERIVED = "derived: diagnosis year - birth year"


def derive_age_at_diagnosis(patients: pd.DataFrame) -> pd.DataFrame:
    """Age at diagnosis, recorded or derived from the birth year, with its bounds.

    Adds ``age_at_diagnosis_source`` (``recorded``, ``derived: diagnosis year - birth
    year`` or missing) and ``age_at_diagnosis_min`` / ``age_at_diagnosis_max``, the youngest
    and oldest possible age in completed years. A recorded age is its own bound. With only a
    birth year (the contract keeps no birth date) the age is the diagnosis year minus the
    birth year, OHDSI's convention for ``year_of_birth`` (the expected exact age when
    birthday and diagnosis day are unknown), and the completed years are that or one less,
    as eligibility treats the age at DTT start.

    >>> frame = pd.DataFrame({"birth_year": [1990, 1990, None],
    ...     "diagnosis_date": pd.to_datetime(["2007-03-01", "2007-03-01", "2010-01-01"]),
    ...     "age_at_diagnosis": [None, 16.5, None]})
    >>> out = derive_age_at_diagnosis(frame)
    >>> out["age_at_diagnosis"].tolist(), out["age_at_diagnosis_min"].tolist()
    ([17.0, 16.5, nan], [16.0, 16.5, nan])
    >>> out["age_at_diagnosis_source"].tolist()
    ['derived: diagnosis year - birth year', 'recorded', <NA>]
    """
    out = patients.copy()
    recorded = out["age_at_diagnosis"].astype("Float64")
    years = pd.to_datetime(out["diagnosis_date"]).dt.year.astype("Float64") - out[
        "birth_year"
    ].astype("Float64")
    derived = recorded.isna() & years.notna()
    out["age_at_diagnosis"] = recorded.where(~derived, years).astype(float)
    out["age_at_diagnosis_min"] = recorded.where(~derived, years - 1).astype(float)
    out["age_at_diagnosis_max"] = recorded.where(~derived, years).astype(float)
    source = pd.Series(pd.NA, index=out.index, dtype="string")
    source[recorded.notna().to_numpy(bool)] = "recorded"
    source[derived.to_numpy(bool)] = AGE_DERIVED
    out["age_at_diagnosis_source"] = source
    return out


def classify_montreal_age_between(youngest: pd.Series, oldest: pd.Series) -> pd.Series:
    """Montreal age class when the age is known to lie between two bounds: the class both
    bounds share, else missing (e.g. completed years 16 or 17: A1 or A2, cannot tell).

    >>> classify_montreal_age_between(pd.Series([15.0, 16.0]), pd.Series([16.0, 17.0])).tolist()
    ['A1', <NA>]
    """
    low, high = classify_montreal_age(youngest), classify_montreal_age(oldest)
    return low.where(low == high)
