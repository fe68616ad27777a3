"""Input checks shared by the public statistics functions.

A statistic computed from a truncated count (2.5 read as 2), a negative cell or a missing
event flag read as an event is a wrong number that looks right; each function checks its
input first and raises a ``ValueError`` that names the argument, the value and what was
expected.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

# Above this a "count" is not a number of patients, events or records but a unit or typing
# error; it would also overflow the integer arithmetic of the exact tests.
MAX_COUNT = 1_000_000_000


def count(name: str, value: object) -> int:
    """A non-negative whole number (``3`` or ``3.0``), as an int.

    >>> count("n", 3.0)
    3
    >>> count("n", 2.5)
    Traceback (most recent call last):
    ...
    ValueError: `n` must be a whole number of patients or events, not 2.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a count (a whole number), not {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"`{name}` must be a finite count, not {value!r}")
    if not number.is_integer():
        raise ValueError(f"`{name}` must be a whole number of patients or events, not {value!r}")
    if number < 0:
        raise ValueError(f"`{name}` must not be negative, not {value!r}")
    if number > MAX_COUNT:
        raise ValueError(f"`{name}` is larger than {MAX_COUNT:,}: {value!r}")
    return int(number)


def non_negative(name: str, value: object) -> float:
    """A finite number >= 0 (person-time, a duration)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number, not {value!r}")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, not {value!r}")
    return number


def count_table(name: str, table: object) -> np.ndarray:
    """A non-empty 2-D table of non-negative whole numbers."""
    values = table.to_numpy() if isinstance(table, pd.DataFrame) else table
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a table of counts") from None
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"`{name}` must be a non-empty table (rows x columns) of counts")
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` has a missing or infinite count")
    if (array < 0).any():
        raise ValueError(f"`{name}` has a negative count: {array[array < 0][0]:g}")
    if (array > MAX_COUNT).any():
        raise ValueError(f"`{name}` has a count larger than {MAX_COUNT:,}")
    if not np.equal(array, np.floor(array)).all():
        bad = array[~np.equal(array, np.floor(array))][0]
        raise ValueError(f"`{name}` has a count that is not a whole number: {bad:g}")
    return array.astype(np.int64)


def flags(name: str, values: object) -> np.ndarray:
    """True/False flags (1/0 allowed), none missing: a missing event flag is not an event."""
    series = pd.Series(values, dtype=object)
    if series.isna().any():
        raise ValueError(
            f"`{name}` has {int(series.isna().sum())} missing value(s); every flag must be "
            f"True or False (a missing event flag is not an event)"
        )
    allowed = {True, False}
    bad = [v for v in series if v not in allowed]
    if bad:
        raise ValueError(f"`{name}` must hold True/False (or 1/0), not {bad[0]!r}")
    return series.astype(bool).to_numpy()


def same_length(**arrays: object) -> int:
    """The common length of several inputs, or a ValueError naming the lengths."""
    lengths = {name: len(values) for name, values in arrays.items()}  # type: ignore[arg-type]
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "inputs must have the same length: "
            + ", ".join(f"`{name}` {n}" for name, n in lengths.items())
        )
    return next(iter(lengths.values()), 0)
