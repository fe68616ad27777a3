"""Outcome definitions as versioned configuration, and their evaluation.

``load_definition_set("paper")`` reads a shipped set (``paper``, ``stride2``, ``simple``) or a
YAML file; ``evaluate_outcomes`` gives patient x outcome x timepoint results (yes / no /
not evaluable) with the rule, its version, the branch taken and the inputs used;
``summarise_outcomes`` counts responders over evaluable patients.
"""

from ibd_dtt.outcomes.definitions import (
    DefinitionSet,
    OutcomeDefinition,
    available_definition_sets,
    load_definition_set,
)
from ibd_dtt.outcomes.engine import STRATEGIES, evaluate_outcomes, summarise_outcomes
from ibd_dtt.outcomes.rules import RULES, OutcomeValue, Record, RuleContext

__all__ = [
    "RULES",
    "STRATEGIES",
    "DefinitionSet",
    "OutcomeDefinition",
    "OutcomeValue",
    "Record",
    "RuleContext",
    "available_definition_sets",
    "evaluate_outcomes",
    "load_definition_set",
    "summarise_outcomes",
]
