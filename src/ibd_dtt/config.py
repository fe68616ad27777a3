"""Study configuration: what is specific to one study, loaded from ``study.yaml``.

Example ``study.yaml``::

    study_name: My DTT registry
    data_cut_date: 2024-01-31
    date_format: iso          # iso | dmy | mdy  (ISO dates are always accepted)
    crp_uln_mg_l: 5           # upper limit of normal for CRP, mg/L
    blank_hbi_complications: missing   # missing | absent (an empty complication = 0 points)
    crp_uln_mg_l_by_center:   # optional per-center override
      Center B: 8
    default_units:
      crp: mg/L
      albumin: g/L
      hematocrit: "%"
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ibd_dtt.errors import ConfigError

CONFIG_FILE_NAME = "study.yaml"


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
    csv: CsvOptions = CsvOptions()
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


def load_study_config(path: str | Path) -> StudyConfig:
    """Read and check a ``study.yaml`` file; raise :class:`ConfigError` with every problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"study configuration not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        return StudyConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
