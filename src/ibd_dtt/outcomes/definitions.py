"""Outcome definition sets: versioned YAML naming rules and their parameters."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ibd_dtt.errors import ConfigError
from ibd_dtt.outcomes.rules import RULES
from ibd_dtt.windows.windows import AfterEpisode

DEFINITIONS_DIR = Path(__file__).with_name("definitions")
DIAGNOSIS_KEYS = ("UC", "CD", "IBDU", "any")


class RuleSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> RuleSpec:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; known: {sorted(RULES)}")
        signature = inspect.signature(RULES[self.rule][0])
        accepted = set(signature.parameters) - {"ctx"}
        unknown = set(self.params) - accepted
        if unknown:
            raise ValueError(f"rule {self.rule}: unknown parameter(s) {sorted(unknown)}")
        return self


ENDOSCOPIC_PARAMETERS = ("mayo_endoscopic", "ses_cd", "uceis")


class OutcomeDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    timepoints: tuple[str, ...]
    rules: dict[str, RuleSpec]
    nri: bool = True  # whether non-responder imputation applies to this outcome
    # whether --missing mi imputes this outcome; by default yes, except outcomes read from
    # endoscopy (done when indicated, not at every visit: its absence is not at random)
    # and those without non-responder imputation (steroid withdrawal)
    multiple_imputation: bool | None = None

    @property
    def imputed_by_mi(self) -> bool:
        if self.multiple_imputation is not None:
            return self.multiple_imputation
        text = repr([spec.params for spec in self.rules.values()])
        endoscopic = any(name in text for name in ENDOSCOPIC_PARAMETERS)
        return self.nri and not endoscopic

    @model_validator(mode="after")
    def _keys(self) -> OutcomeDefinition:
        bad = set(self.rules) - set(DIAGNOSIS_KEYS)
        if bad:
            raise ValueError(f"{self.id}: rules keyed by {sorted(bad)}; use {DIAGNOSIS_KEYS}")
        return self

    def rule_for(self, diagnosis: str, ibdu_as: str) -> RuleSpec | None:
        """The rule for a diagnosis; IBD-unclassified falls back to ``ibdu_as`` (UC)."""
        if diagnosis in self.rules:
            return self.rules[diagnosis]
        if diagnosis == "IBDU" and ibdu_as in self.rules:
            return self.rules[ibdu_as]
        return self.rules.get("any")


class DefinitionSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    title: str
    source: str
    after_episode: AfterEpisode | None = None
    ibdu_as: str = "UC"
    outcomes: tuple[OutcomeDefinition, ...]

    def get(self, outcome_id: str) -> OutcomeDefinition:
        for outcome in self.outcomes:
            if outcome.id == outcome_id:
                return outcome
        raise KeyError(outcome_id)


def available_definition_sets() -> list[str]:
    return sorted(p.stem for p in DEFINITIONS_DIR.glob("*.yaml"))


def load_definition_set(name_or_path: str | Path = "paper") -> DefinitionSet:
    """A shipped set by name (``paper``, ``stride2``, ``simple``) or a YAML file path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = DEFINITIONS_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown definition set {name_or_path!r}; shipped: {available_definition_sets()}"
            )
    try:
        return DefinitionSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"definition set {path}: {exc}") from None
