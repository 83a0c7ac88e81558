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
    """Counts pinned to the sources: 73 strategies (Powell et al. 2015, Implementation Science 10:21) in 9 clusters
    of 10/4/4/17/11/5/5/9/8 (Waltz et al. 2015, Implementation Science 10:109, Table 1)."""
    eric = load_eric_strategies()
    assert len(eric["strategies"]) == 73  # Powell et al. 2015
    assert len({s["key"] for s in eric["strategies"]}) == 73
    assert len({s["name"] for s in eric["strategies"]}) == 73
    assert len(eric["clusters"]) == 9  # Waltz et al. 2015
    grouped = strategies_by_cluster(eric)
    waltz_table_1 = {
        "use_evaluative_and_iterative_strategies": 10, "provide_interactive_assistance": 4,
        "adapt_and_tailor_to_context": 4, "develop_stakeholder_interrelationships": 17,
        "train_and_educate_stakeholders": 11, "support_clinicians": 5, "engage_consumers": 5,
        "utilize_financial_strategies": 9, "change_infrastructure": 8}
    assert {k: len(v) for k, v in grouped.items()} == waltz_table_1
    assert {c["key"]: c["size"] for c in eric["clusters"]} == waltz_table_1
    names = {s["name"]: s["cluster"] for s in eric["strategies"]}
    assert names["Facilitation"] == "provide_interactive_assistance"
    assert names["Provide ongoing consultation"] == "train_and_educate_stakeholders"
    assert [s["number"] for s in eric["strategies"]] == list(range(1, 74))
    assert eric["strategies"][0]["name"] == "Access new funding"


def test_eric_clusters_read_in_waltz_table_1():
    """Members (by Powell number) of the clusters read in full in Waltz et al. 2015, Table 1 (and the first six of
    Develop stakeholder interrelationships, which include #48, one of the three strategies Figure 1's legend says were
    reassigned), and of Change infrastructure as reproduced in a 2023 Implementation Science Communications table
    (doi:10.1186/s43058-023-00409-3, Table 1), which includes #62, another of the three."""
    numbers = {}
    for s in load_eric_strategies()["strategies"]:
        numbers.setdefault(s["cluster"], set()).add(s["number"])
    assert numbers["use_evaluative_and_iterative_strategies"] == {4, 5, 56, 26, 27, 23, 18, 61, 46, 14}
    assert numbers["provide_interactive_assistance"] == {33, 54, 53, 8}
    assert numbers["adapt_and_tailor_to_context"] == {63, 51, 67, 68}
    assert {35, 48, 57, 38, 6, 47} <= numbers["develop_stakeholder_interrelationships"]
    assert numbers["change_infrastructure"] == {11, 12, 13, 62, 44, 22, 10, 9}


def test_data_files_cite_their_sources():
    eric = load_eric_strategies()
    citations = [s["citation"] for s in eric["source"]]
    assert any("Powell BJ" in c and "10:21" in c for c in citations)
    assert any("Waltz TJ" in c and "10:109" in c for c in citations)
    assert all(s["checked_at"] for s in eric["source"])
    frame = load_frame_fields()
    assert "Wiltsey Stirman S" in frame["source"]["citation"] and "14:58" in frame["source"]["citation"]
    assert frame["source"]["checked_at"]


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
