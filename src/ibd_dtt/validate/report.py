"""The validation report: one row per problem, queryable, printable, exportable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ibd_dtt.problems import PROBLEM_FIELDS, Problem

_SEVERITY_ORDER = {"error": 0, "warning": 1}
_STAGE_ORDER = {"config": 0, "file": 1, "header": 2}


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found, errors and warnings alike.

    ``problems`` has the columns severity, rule, table, file, sheet, row, column,
    patient_id, value, expected and message.
    """

    problems: pd.DataFrame

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ValidationReport:
        """The report of ``problems``; patient IDs and values that look like direct
        identifiers (record or national numbers, a full date given as a birth year) are
        masked here, so that no message, file or console line repeats them."""
        from ibd_dtt.validate.identifiers import shown_value

        records = []
        for problem in problems:
            record = problem.as_dict()
            record["patient_id"] = shown_value(record["patient_id"])
            record["value"] = shown_value(record["value"], record["column"])
            records.append(record)
        frame = pd.DataFrame(records, columns=list(PROBLEM_FIELDS))
        frame["row"] = frame["row"].astype("Int64")
        order = frame["severity"].map(_SEVERITY_ORDER)
        # causes before their consequences: the configuration, then whole files and
        # tables (a missing table), then headers, then rows
        stage = frame["rule"].str.split(".").str[0].map(_STAGE_ORDER).fillna(len(_STAGE_ORDER))
        frame = (
            frame.assign(_order=order, _stage=stage)
            .sort_values(
                ["_order", "_stage", "table", "file", "row", "column", "rule"],
                na_position="first",
                kind="stable",
            )
            .drop(columns=["_order", "_stage"])
            .drop_duplicates()
            .reset_index(drop=True)
        )
        return cls(frame)

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "warning"]

    @property
    def is_valid(self) -> bool:
        """True when there is no error (warnings do not make data invalid)."""
        return self.errors.empty

    def to_csv(self, path: str | Path) -> None:
        """CSV; text that a spreadsheet would run as a formula is prefixed with ``'``."""
        from ibd_dtt.outputs import neutralise_formulas

        neutralise_formulas(self.problems).to_csv(path, index=False)

    def to_json(self, path: str | Path) -> None:
        records = json.loads(self.problems.to_json(orient="records"))
        Path(path).write_text(
            json.dumps({"valid": self.is_valid, "problems": records}, indent=2, ensure_ascii=False)
            + "\n",
            encoding="utf-8",
        )

    def write(self, path: str | Path, format: str | None = None) -> None:
        """Write as CSV or JSON: ``format`` or else the file suffix (.csv / .json); any
        other suffix is refused rather than written in the wrong format."""
        path = Path(path)
        chosen = format or path.suffix.lower().lstrip(".")
        if chosen == "json":
            self.to_json(path)
        elif chosen == "csv":
            self.to_csv(path)
        else:
            raise ValueError(f"{path}: write .csv or .json, not {path.suffix or 'no suffix'}")
