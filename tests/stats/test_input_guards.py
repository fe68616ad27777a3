"""Bad input to a public statistics function is a clear ValueError, never a truncated count,
a NaN read as an event or a NumPy error (issue 15 item 3)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibd_dtt.stats import (
    compare_categorical,
    compare_continuous,
    compare_paired,
    fisher_exact_rxc,
    incidence_rate,
    kaplan_meier,
    logrank,
    proportion_ci,
    summarise_continuous,
)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proportion_ci(2.5, 5), "whole number"),
        (lambda: proportion_ci(-1, 5), "negative"),
        (lambda: proportion_ci(1, math.nan), "finite"),
        (lambda: proportion_ci(6, 5), "between 0 and `total`"),
        (lambda: incidence_rate(2.7, 10), "whole number"),
        (lambda: incidence_rate(2, math.nan), "person_years"),
        (lambda: incidence_rate(2, -1.0), "person_years"),
        (lambda: compare_categorical([]), "non-empty"),
        (lambda: compare_categorical([[1, -2], [3, 4]]), "negative"),
        (lambda: compare_categorical([[1.5, 2], [3, 4]]), "whole number"),
        (lambda: compare_categorical([[1, math.nan], [3, 4]]), "missing"),
        # a float32 maximum once reached SciPy's table sampler and crashed the interpreter
        (lambda: compare_categorical([[3.4e38, 1], [1, 1]]), "larger than"),
        (lambda: fisher_exact_rxc([[1, 2, 3]][0]), "table"),
        (lambda: kaplan_meier([1, 2, 3], [1, math.nan, 0]), "missing"),
        (lambda: kaplan_meier([1, 2, 3], [1, 0]), "same length"),
        (lambda: kaplan_meier([1, 2], [1, 2]), "True/False"),
        (lambda: compare_paired([1, 2, 3], [1, 2]), "same length"),
        (lambda: compare_continuous([1, 2, 3], ["a", "b"]), "same length"),
        (lambda: logrank([1, 2], [1, 0], ["a"]), "same length"),
        (lambda: summarise_continuous([1, 2, math.inf]), "infinite"),
        (lambda: summarise_continuous(["a", "b"]), "numbers or missing"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_non_zero_pair_says_so():
    result = compare_paired([1, 2, 3], [1, 2, 4])
    assert result.pvalue is None
    assert result.reason == "3 complete pairs, 1 with a non-zero difference (needs 2)"


def test_whole_numbers_written_as_floats_are_counts():
    assert proportion_ci(2.0, 5.0).n == 2
    assert incidence_rate(np.int64(3), 10).events == 3


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.integers(-3, 30),
                st.floats(allow_nan=True, allow_infinity=True, width=32),
            ),
            min_size=2,
            max_size=2,
        ),
        min_size=0,
        max_size=3,
    )
)
def test_any_table_gives_a_result_or_a_value_error(table):
    try:
        result = compare_categorical(table)
    except ValueError:
        return
    assert result.pvalue is None or 0 <= result.pvalue <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=0, max_size=8),
    st.lists(st.sampled_from([True, False, 1, 0, None, 2, math.nan]), min_size=0, max_size=8),
)
def test_kaplan_meier_gives_a_curve_or_a_value_error(durations, events):
    try:
        km = kaplan_meier(durations, events)
    except ValueError:
        return
    assert km.n == len(durations) and 0 <= km.curve["survival"].min() <= 1
