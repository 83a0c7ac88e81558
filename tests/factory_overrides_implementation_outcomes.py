"""Valid rows of the implementation-outcome tables for the generic factory (isolation walk): known step and
activity keys, a real ERIC strategy and CFIR key, a FRAME record that passes validate_adaptation."""

from tests.factories import OVERRIDES


def _text(marker: str) -> str:
    return f"{marker} text"


OVERRIDES["AdoptionStep"] = lambda f, agency, clinic, marker, cache: {"step": "invited", "note": _text(marker)}
OVERRIDES["ActivityCompletion"] = lambda f, agency, clinic, marker, cache: {
    "activity_key": "outreach_contact", "note": _text(marker)}
OVERRIDES["StrategyUse"] = lambda f, agency, clinic, marker, cache: {
    "eric_strategy": "facilitation", "implementation_outcome": ["adoption"], "cfir_construct": "V.D",
    "name": f"{marker} strategy", "definition": _text(marker), "actor": _text(marker), "action": _text(marker),
    "action_target": _text(marker), "temporality": _text(marker), "dose": _text(marker),
    "justification": _text(marker)}
OVERRIDES["Adaptation"] = lambda f, agency, clinic, marker, cache: {
    "description": f"{marker} adaptation",
    "frame": {"when": "implementation", "planned": "planned_reactive", "who_decided": ["other"],
              "who_decided_other": f"{marker} decider", "what_modified": ["context"], "level": "cohort",
              "fidelity_consistent": "consistent", "reasons": ["recipient:access_to_resources"]}}
