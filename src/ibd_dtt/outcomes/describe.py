"""Outcome rules in words, generated from the rule and its parameters, for the Methods
section: the sentence a manuscript prints is the rule the engine ran."""

from __future__ import annotations

from typing import Any

PARAMETER_NAMES = {
    "partial_mayo": "partial Mayo score",
    "full_mayo": "full Mayo score",
    "mayo_stool_frequency": "stool frequency subscore",
    "mayo_rectal_bleeding": "rectal bleeding subscore",
    "mayo_physician_global": "physician's global assessment",
    "mayo_endoscopic": "Mayo endoscopic subscore",
    "hbi": "HBI",
    "ses_cd": "SES-CD",
    "limberg": "Limberg score",
    "crp": "CRP",
    "fecal_calprotectin": "fecal calprotectin",
    "uc_pro2": "UC-PRO2",
    "cd_pro2": "CD-PRO2",
    "uceis": "UCEIS",
    "cd_pro2_pain_mean": "CD-PRO2 abdominal pain (7-day mean)",
    "cd_pro2_stool_mean": "CD-PRO2 liquid stools (7-day mean)",
}
OPERATORS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "=", "!=": "≠"}
DIAGNOSIS_NAMES = {"UC": "UC", "CD": "CD", "IBDU": "IBD-U", "any": "all patients"}


def _name(parameter: str) -> str:
    return PARAMETER_NAMES.get(parameter, parameter.replace("_", " "))


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _conditions(conditions: list[dict[str, Any]]) -> str:
    return " and ".join(
        f"{_name(c['parameter'])} {OPERATORS.get(c['op'], c['op'])} {_number(c['value'])}"
        for c in conditions
    )


def describe_rule(rule: str, params: dict[str, Any]) -> str:
    """One rule with its parameters in words.

    >>> describe_rule("percent_drop", {"parameter": "ses_cd", "min_percent": 50, "strict": True})
    'SES-CD decrease of > 50 % from baseline'
    >>> describe_rule("absolute_drop", {"parameter": "mayo_endoscopic", "min_drop": 1})
    'Mayo endoscopic subscore decrease of ≥ 1 from baseline'
    """
    p = params
    if rule == "mayo_response":
        strict = ">" if p.get("percent_strict", False) else "≥"
        text = (
            f"{_name(p.get('parameter', 'partial_mayo'))} decrease of ≥ "
            f"{_number(p.get('min_drop', 3))} points and {strict} "
            f"{_number(p.get('min_percent', 30))} % from baseline"
        )
        if p.get("require_bleeding", True):
            text += (
                f", with a rectal bleeding subscore decrease of ≥ "
                f"{_number(p.get('bleeding_min_drop', 1))} or a subscore ≤ "
                f"{_number(p.get('bleeding_max', 1))}"
            )
        return text
    if rule == "hbi_response":
        text = (
            f"HBI decrease of ≥ {_number(p.get('min_drop', 3))} points; when the "
            f"{p.get('low_hbi_refers_to', 'baseline')} HBI is ≤ "
            f"{_number(p.get('low_hbi_max', 4))}, "
            f"CRP normalisation ({'≤' if p.get('crp_normal_inclusive', True) else '<'} ULN at "
            f"follow-up from > ULN at baseline) or a Limberg decrease of ≥ "
            f"{_number(p.get('limberg_min_drop', 2))}"
        )
        if p.get("low_hbi_may_qualify_by_drop"):
            text += " (or the HBI decrease)"
        return text
    if rule == "crp_normalisation":
        return (
            f"CRP > ULN at baseline and {'≤' if p.get('inclusive', True) else '<'} ULN at follow-up"
        )
    if rule == "absolute_drop":
        return (
            f"{_name(p['parameter'])} decrease of ≥ {_number(p.get('min_drop', 1))} from baseline"
        )
    if rule == "percent_drop":
        op = ">" if p.get("strict", True) else "≥"
        percent = _number(p.get("min_percent", 50))
        return f"{_name(p['parameter'])} decrease of {op} {percent} % from baseline"
    if rule == "all_conditions":
        return _conditions(p["conditions"])
    if rule == "any_of":
        return " or ".join(f"({describe_rule(r['rule'], r.get('params', {}))})" for r in p["rules"])
    if rule == "biomarker_normalisation":
        text = f"CRP {'≤' if p.get('crp_inclusive', True) else '<'} ULN"
        below = _number(p.get("calprotectin_below", 250))
        if p.get("require_calprotectin"):
            return f"{text} and fecal calprotectin < {below} µg/g"
        return f"{text}, and fecal calprotectin < {below} µg/g when measured"
    if rule == "steroid_withdrawal":
        kind = "systemic and local" if p.get("include_local", True) else "systemic"
        return (
            f"every {kind} corticosteroid running at the DTT start stopped within "
            f"{_number(p.get('within_days', 91))} days (patients on one at the start)"
        )
    if rule == "steroid_free_remission":
        kind = "" if p.get("include_local", True) else " systemic"
        return (
            f"{_conditions(p['conditions'])}, with no{kind} corticosteroid in the "
            f"{_number(p.get('steroid_free_days', 84))} days before the assessment"
        )
    return f"rule {rule} with {params}"


def describe_outcome(outcome) -> str:
    """An outcome definition in words, per diagnosis: 'Clinical response — UC: ...; CD: ...'."""
    parts = [
        f"{DIAGNOSIS_NAMES.get(key, key)}: {describe_rule(spec.rule, spec.params)}"
        for key, spec in outcome.rules.items()
    ]
    return f"{outcome.label} — {'; '.join(parts)}"
