"""Study configuration: what is specific to one study, loaded from ``study.yaml``.

Example ``study.yaml``::

    study_name: My DTT registry
    data_cut_date: 2024-01-31
    date_format: iso          # iso | dmy | mdy  (ISO dates are always accepted)
    crp_uln_mg_l: 5           # upper limit of normal for CRP, mg/L
    min_cell_count: 5         # site packages (ibd-dtt share): smallest count shown
    blank_hbi_complications: missing   # missing | absent (an empty complication = 0 points)
    crp_uln_mg_l_by_center:   # optional per-center override
      Center B: 8
    default_units:
      crp: mg/L
      albumin: g/L
      hematocrit: "%"
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ibd_dtt.errors import ConfigError

CONFIG_FILE_NAME = "study.yaml"
# REDCap suggests HL7 null flavours as a project's missing-data codes (Project Setup >
# Additional customizations > Missing Data Codes); a project may define its own.
REDCAP_MISSING_CODES = (
    "NI",
    "INV",
    "UNK",
    "NASK",
    "ASKU",
    "NAV",
    "MSK",
    "NA",
    "NAVU",
    "NP",
    "QS",
    "QI",
    "TRC",
    "UNC",
    "DER",
    "PINF",
    "NINF",
    "OTH",
)


class DefaultUnits(BaseModel):
    """Unit assumed for a lab value when its row gives no unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    crp: Literal["mg/L", "mg/dL"] = "mg/L"
    albumin: Literal["g/L", "g/dL"] = "g/L"
    hematocrit: Literal["%", "L/L"] = "%"


class CsvOptions(BaseModel):
    """How the CSV files are written, when detection should not decide (each detected
    adaptation is named in a warning)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delimiter: Literal[",", ";", "\t"] | None = Field(
        None, description="Field separator; default: detected (comma, semicolon or tab)."
    )
    decimal: Literal[".", ","] | None = Field(
        None,
        description="Decimal separator of numbers; default: '.', or ',' in semicolon-"
        "separated files (the European Excel convention).",
    )


class StudyConfig(BaseModel):
    """Study-specific settings. Every field has a documented default except the data cut."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    study_name: str = "Unnamed DTT study"
    data_cut_date: dt.date = Field(
        description="Last date of data collection; events after it are errors, "
        "therapies without a stop date are ongoing at this date."
    )
    date_format: Literal["iso", "dmy", "mdy"] = Field(
        "iso",
        description="How non-ISO dates are written. ISO (YYYY-MM-DD) is always accepted; "
        "'dmy' also accepts 31/01/2024, 31.01.2024 and 31-01-2024; 'mdy' accepts 01/31/2024.",
    )
    crp_uln_mg_l: float = Field(
        5.0, gt=0, description="CRP upper limit of normal in mg/L (clinical.md §3.1: 5 mg/L)."
    )
    crp_uln_mg_l_by_center: dict[str, float] = Field(default_factory=dict)
    default_units: DefaultUnits = DefaultUnits()
    dtt_min_overlap_days: int = Field(
        1,
        ge=0,
        description="Days of concurrent therapy (added start to the earlier stop date) an "
        "ended DTT episode needs; 1 = any overlap (a switch on the same day is not DTT). "
        "`ibd-dtt omop extract` sets it from --combination-window.",
    )
    blank_hbi_complications: Literal["missing", "absent"] = Field(
        "missing",
        description="What an empty HBI complication column (hbi_arthralgia ... hbi_abscess) "
        "means at a visit whose four main HBI items are given: 'missing' (default: the HBI "
        "is not computed, and validate says so) or 'absent' (0 points: for registries that "
        "tick only the complications present).",
    )
    redcap_missing_codes: list[str] = Field(
        default_factory=lambda: list(REDCAP_MISSING_CODES),
        description="Cell values of a REDCap export that mean 'not recorded' (the project's "
        "missing-data codes); read as empty, counted in a warning.",
    )
    csv: CsvOptions = CsvOptions()
    min_cell_count: int = Field(
        5,
        ge=1,
        description="Smallest count a site package (`ibd-dtt share`) may show: counts from 1 "
        "to this minus 1 are suppressed, with secondary suppression (OHDSI's minCellCount, "
        "default 5). Set the same value at every site of a network.",
    )
    allow_identifier_like_text: list[str] = Field(
        default_factory=list,
        description="Free-text columns whose identifier-like values (names after a title, "
        "phone numbers, addresses, dates) are kept instead of masked, e.g. [term].",
    )

    @field_validator("data_cut_date")
    @classmethod
    def _not_in_the_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError(
                f"{value} is in the future: the data cut is the last day data were "
                f"collected (YYYY-MM-DD, today or earlier)"
            )
        return value

    @field_validator("crp_uln_mg_l_by_center")
    @classmethod
    def _positive_uln(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {center: uln for center, uln in value.items() if not uln > 0}
        if bad:
            raise ValueError(f"CRP upper limits must be > 0 mg/L; got {bad}")
        return value

    def crp_uln_for(self, center: str | None) -> float:
        """CRP upper limit of normal (mg/L) that applies to ``center``."""
        if center is not None and center in self.crp_uln_mg_l_by_center:
            return self.crp_uln_mg_l_by_center[center]
        return self.crp_uln_mg_l


@dataclass(frozen=True)
class ConfigProblem:
    """One wrong setting: the key (``csv.delimiter``), the value as written, what is wrong
    and the expected form with an example line to copy."""

    key: str
    value: object
    message: str
    expected: str


@dataclass(frozen=True)
class ConfigReading:
    """What was read from a ``study.yaml``.

    ``config`` is the configuration when every setting is valid, else None. ``usable``
    keeps every valid setting and puts defaults in place of the wrong ones (today as the
    data cut when it is wrong or missing), so that the data can still be read and checked
    as configured (``date_format: dmy`` still applies when ``data_cut_date`` is wrong);
    it is None only when the file itself cannot be read.
    """

    path: Path
    config: StudyConfig | None
    usable: StudyConfig | None
    problems: tuple[ConfigProblem, ...]


# The expected form of each setting, with a line to copy (docs/data-contract.md).
EXPECTED_FORMS = {
    "study_name": "text, e.g.  study_name: My DTT registry",
    "data_cut_date": "a date written YYYY-MM-DD, e.g.  data_cut_date: 2024-01-31",
    "date_format": "iso, dmy or mdy, e.g.  date_format: dmy",
    "crp_uln_mg_l": "a number of mg/L above 0, e.g.  crp_uln_mg_l: 5",
    "crp_uln_mg_l_by_center": "center name: mg/L above 0, e.g.  "
    "crp_uln_mg_l_by_center: {Center B: 8}",
    "default_units": "units per lab, e.g.  default_units: {crp: mg/dL, albumin: g/dL}",
    "default_units.crp": "mg/L or mg/dL, e.g.  default_units: {crp: mg/dL}",
    "default_units.albumin": "g/L or g/dL, e.g.  default_units: {albumin: g/dL}",
    "default_units.hematocrit": '"%" or L/L, e.g.  default_units: {hematocrit: L/L}',
    "dtt_min_overlap_days": "a whole number of days, 0 or more, e.g.  dtt_min_overlap_days: 1",
    "blank_hbi_complications": "missing or absent, e.g.  blank_hbi_complications: absent",
    "csv": 'csv options, e.g.  csv: {delimiter: ";", decimal: ","}',
    "csv.delimiter": '",", ";" or "\\t", e.g.  csv: {delimiter: ";"}',
    "csv.decimal": '"." or ",", e.g.  csv: {decimal: ","}',
    "redcap_missing_codes": "a list of codes, e.g.  redcap_missing_codes: [UNK, NASK, NA]",
    "allow_identifier_like_text": "a list of column names, e.g.  "
    "allow_identifier_like_text: [term]",
}

_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")


def _date_hint(value: object, date_format: object) -> str:
    """``31/01/2024`` -> ``; write 2024-01-31`` (the day/month order from ``date_format``,
    or from the numbers when only one order is a date)."""
    match = _DAY_FIRST.match(str(value))
    if not match:
        return ""
    a, b, year = (int(g) for g in match.groups())
    orders = {"dmy": [(a, b)], "mdy": [(b, a)]}.get(str(date_format), [(a, b), (b, a)])
    candidates = []
    for day, month in orders:
        with contextlib.suppress(ValueError):  # 31/02: not a date in this order
            candidates.append(dt.date(year, month, day).isoformat())
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) == 1:
        return f"; write {candidates[0]}"
    if candidates:
        return f"; write {' or '.join(candidates)} (day/month order unknown)"
    return ""


def _problem_from(error: dict, raw: dict) -> ConfigProblem:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    top = loc[0] if loc else ""
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        known = sorted(StudyConfig.model_fields) if len(loc) == 1 else []
        if len(loc) > 1:
            parent = StudyConfig.model_fields.get(loc[0])
            model = getattr(parent, "annotation", None)
            known = sorted(getattr(model, "model_fields", {}))
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return ConfigProblem(
            key,
            value,
            f"unknown setting {key!r}{hint}",
            f"one of: {', '.join(known)}",
        )
    expected = EXPECTED_FORMS.get(key) or EXPECTED_FORMS.get(top, "")
    if kind == "missing":
        return ConfigProblem(key, None, f"{key} is required but missing", expected)
    message = str(error["msg"]).removeprefix("Value error, ")
    if top == "data_cut_date" and value is None:
        return ConfigProblem(key, None, "data_cut_date is empty", expected)
    if top == "data_cut_date" and kind.startswith("date"):
        message = (
            f"{value!r} is not a date written YYYY-MM-DD{_date_hint(value, raw.get('date_format'))}"
        )
    return ConfigProblem(key, value, f"{key}: {message}", expected)


def _without(raw: dict, loc: tuple) -> None:
    """Remove the setting at ``loc`` (or its top-level key when the path cannot be walked)."""
    node = raw
    for part in loc[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            raw.pop(loc[0], None)
            return
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        node.pop(loc[-1])
    else:
        raw.pop(loc[0], None)


def read_study_config(path: str | Path) -> ConfigReading:
    """Read a ``study.yaml`` and name every wrong setting (key, value, expected form with an
    example), keeping the valid ones usable (see :class:`ConfigReading`).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "study.yaml").write_text("data_cut_date: 31/01/2024\\ndate_format: dmy\\n")
    >>> reading = read_study_config(folder / "study.yaml")
    >>> reading.problems[0].message
    "data_cut_date: '31/01/2024' is not a date written YYYY-MM-DD; write 2024-01-31"
    >>> reading.usable.date_format
    'dmy'
    """
    path = Path(path)

    def unreadable(message: str, expected: str) -> ConfigReading:
        return ConfigReading(path, None, None, (ConfigProblem("", None, message, expected),))

    if not path.is_file():
        return unreadable(
            f"study configuration not found: {path}", "a study.yaml with data_cut_date"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return unreadable(f"{path}: not UTF-8 text (byte {exc.start})", "save it as UTF-8")
    except OSError as exc:
        return unreadable(f"{path}: cannot be read ({exc.strerror})", "a readable file")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return unreadable(
            f"{path}: not valid YAML ({exc})".replace("\n", " "),
            "key: value lines, e.g.  data_cut_date: 2024-01-31",
        )
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return unreadable(
            f"{path}: expected settings as key: value lines, got {type(raw).__name__}",
            "key: value lines, e.g.  data_cut_date: 2024-01-31",
        )
    try:
        config = StudyConfig.model_validate(raw)
        return ConfigReading(path, config, config, ())
    except ValidationError as exc:
        problems = tuple(_problem_from(err, raw) for err in exc.errors())
    kept, usable = copy.deepcopy(raw), None
    for _ in range(10):  # each round removes at least one wrong setting
        kept.setdefault("data_cut_date", dt.date.today())
        try:
            usable = StudyConfig.model_validate(kept)
            break
        except ValidationError as exc:
            for err in exc.errors():
                _without(kept, tuple(err["loc"]))
    return ConfigReading(path, None, usable, problems)


def load_study_config(path: str | Path) -> StudyConfig:
    """Read and check a ``study.yaml`` file; raise :class:`ConfigError` naming every wrong
    setting with its value and the expected form."""
    reading = read_study_config(path)
    if reading.config is None:
        raise ConfigError(
            f"{path}: "
            + "; ".join(
                f"{p.message} (expected {p.expected})" if p.expected else p.message
                for p in reading.problems
            )
        )
    return reading.config
