import pytest

from implementation_outcomes.errors import StrategyRecordError
from implementation_outcomes.strategies import (
    load_eric_strategies,
    load_frame_fields,
    load_strategy_specification,
    strategies_by_cluster,
    validate_adaptation,
    validate_strategy_use,
)


def test_eric_73_strategies_9_clusters():
    eric = load_eric_strategies()
    assert len(eric["strategies"]) == 73  # Powell et al. 2015
    assert len({s["key"] for s in eric["strategies"]}) == 73
    assert len(eric["clusters"]) == 9  # Waltz et al. 2015
    grouped = strategies_by_cluster(eric)
    # cluster sizes reported by Waltz et al. 2015
    assert {k: len(v) for k, v in grouped.items()} == {
        "use_evaluative_and_iterative_strategies": 10, "provide_interactive_assistance": 4,
        "adapt_and_tailor_to_context": 4, "develop_stakeholder_interrelationships": 17,
        "train_and_educate_stakeholders": 11, "support_clinicians": 5, "engage_consumers": 5,
        "utilize_financial_strategies": 9, "change_infrastructure": 8}
    names = {s["name"]: s["cluster"] for s in eric["strategies"]}
    assert names["Facilitation"] == "provide_interactive_assistance"
    assert names["Provide ongoing consultation"] == "train_and_educate_stakeholders"
    assert [s["number"] for s in eric["strategies"]] == list(range(1, 74))
    assert eric["strategies"][0]["name"] == "Access new funding"


def test_frame_fields_present():
    keys = [f["key"] for f in load_frame_fields()["fields"]]
    for required in ("when", "planned", "who_decided", "what_modified", "level", "type", "fidelity_consistent",
                     "reasons"):
        assert required in keys


def adaptation():
    return {"when": "implementation", "planned": "unplanned_reactive", "who_decided": ["individual_practitioner"],
            "what_modified": ["context"], "context_modified": ["format"], "level": "individual_recipient",
            "fidelity_consistent": "consistent", "reasons": ["recipient:access_to_resources"],
            "description": "Session moved to video because of transport."}


def test_validate_adaptation():
    frame = load_frame_fields()
    validate_adaptation(adaptation(), frame)
    bad = adaptation()
    bad["planned"] = ["planned_proactive", "unplanned_reactive"]
    bad["reasons"] = ["recipient:weather"]
    bad["who_decided"] = ["other"]
    del bad["level"]
    bad["colour"] = "red"
    with pytest.raises(StrategyRecordError) as info:
        validate_adaptation(bad, frame)
    errors = info.value.errors
    assert "field 'planned': takes one option, got a list" in errors
    assert "field 'reasons': 'recipient:weather' is not an option" in errors
    assert "field 'who_decided_other': describe the 'other' choice" in errors
    assert "field 'level': required" in errors
    assert "field 'colour': not a FRAME field" in errors


def test_validate_strategy_use_proctor_fields():
    spec, eric = load_strategy_specification(), load_eric_strategies()
    keys = {f["key"] for f in spec["fields"]}
    assert {"actor", "action", "action_target", "temporality", "dose", "implementation_outcome",
            "justification"} <= keys  # Proctor et al. 2013
    record = {"eric_strategy": "provide_clinical_supervision", "name": "MIO consultation calls",
              "definition": "Weekly group consultation", "actor": "MIO trainer", "action": "Case review",
              "action_target": "Counselor skill", "temporality": "Weeks 1-20", "dose": "1 h weekly",
              "implementation_outcome": ["fidelity"], "justification": "Training requirement"}
    validate_strategy_use(record, spec, eric)
    with pytest.raises(StrategyRecordError) as info:
        validate_strategy_use({**record, "eric_strategy": "magic", "dose": "", "implementation_outcome": ["joy"]},
                              spec, eric)
    assert info.value.errors == ["field 'eric_strategy': 'magic' is not an ERIC strategy key", "field 'dose': required",
                                 "field 'implementation_outcome': 'joy' is not an option"]
