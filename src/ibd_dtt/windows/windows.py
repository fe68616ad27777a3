"""Visit-window configuration (frozen pydantic models loaded from YAML)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ibd_dtt.errors import ConfigError

DEFAULT_WINDOWS = Path(__file__).with_name("default.yaml")

AfterEpisode = Literal["exclude", "include_after_deescalation", "include"]


class VisitWindow(BaseModel):
    """A range of analysis days; ``target_day`` set for nominal timepoints, not for periods."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    label: str
    lower_day: int
    upper_day: int
    target_day: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> VisitWindow:
        if self.lower_day > self.upper_day:
            raise ValueError(
                f"{self.name}: lower_day {self.lower_day} > upper_day {self.upper_day}"
            )
        if self.target_day is not None and not self.lower_day <= self.target_day <= self.upper_day:
            raise ValueError(f"{self.name}: target_day {self.target_day} outside its window")
        return self

    def contains(self, day: int) -> bool:
        return self.lower_day <= day <= self.upper_day

    def describe(self) -> str:
        target = f", target day {self.target_day}" if self.target_day is not None else ""
        return f"{self.name} [day {self.lower_day} to {self.upper_day}{target}]"


class VisitWindows(BaseModel):
    """Baseline window, nominal timepoints (closest to target) and periods (last value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    baseline: VisitWindow
    timepoints: tuple[VisitWindow, ...]
    periods: tuple[VisitWindow, ...] = ()
    after_episode: AfterEpisode = "exclude"

    @model_validator(mode="after")
    def _no_overlap(self) -> VisitWindows:
        ordered = sorted((self.baseline, *self.timepoints), key=lambda w: w.lower_day)
        for first, second in itertools.pairwise(ordered):
            if second.lower_day <= first.upper_day:
                raise ValueError(f"windows {first.name} and {second.name} overlap")
        names = [w.name for w in (self.baseline, *self.timepoints, *self.periods)]
        if len(set(names)) != len(names):
            raise ValueError(f"window names must be unique: {names}")
        if any(t.target_day is None for t in self.timepoints):
            raise ValueError("every timepoint needs a target_day")
        return self

    def attributes_after_episode(self, status: object, stop_reason: object) -> bool:
        """Whether values measured after an ended episode with this status count for DTT.

        ``include_after_deescalation`` admits only a planned de-escalation for remission to
        one of the DTT agents, never a stop after failure.
        """
        if self.after_episode == "include":
            return True
        planned = status == "de-escalated" and (
            isinstance(stop_reason, str) and stop_reason == "remission_deescalation"
        )
        return self.after_episode == "include_after_deescalation" and planned

    def follow_up(self) -> tuple[VisitWindow, ...]:
        return (*self.timepoints, *self.periods)

    def get(self, name: str) -> VisitWindow:
        for window in (self.baseline, *self.timepoints, *self.periods):
            if window.name == name:
                return window
        raise KeyError(name)


def load_visit_windows(
    path: str | Path | None = None, *, after_episode: AfterEpisode | None = None
) -> VisitWindows:
    """Read a window set (default: the paper's windows); optionally override ``after_episode``."""
    path = Path(path) if path else DEFAULT_WINDOWS
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        windows = VisitWindows.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"visit windows {path}: {exc}") from None
    if after_episode is not None:
        windows = windows.model_copy(update={"after_episode": after_episode})
    return windows
