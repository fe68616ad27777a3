"""The record of one data problem, shared by the readers and the validator."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]
PROBLEM_FIELDS = (
    "severity",
    "rule",
    "table",
    "file",
    "sheet",
    "row",
    "column",
    "patient_id",
    "value",
    "expected",
    "message",
)


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, located as precisely as possible.

    ``row`` is the row number a person sees when opening the file: the header is row 1, so
    the first data row is row 2 (in a CSV file and in a workbook sheet alike).
    """

    severity: Severity
    rule: str
    message: str
    expected: str = ""
    table: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    patient_id: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        return {name: data[name] for name in PROBLEM_FIELDS}
