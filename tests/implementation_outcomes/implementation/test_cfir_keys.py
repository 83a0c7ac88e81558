"""The CFIR 2.0 key list (a copy of the shared reference) and the CFIR check in validate_strategy_use."""

from pathlib import Path

import pytest

from implementation_outcomes.cfir import addressable_keys, domains, load_cfir_constructs
from implementation_outcomes.errors import CfirListError, StrategyRecordError
from implementation_outcomes.strategies import (
    load_eric_strategies,
    load_strategy_specification,
    validate_strategy_use,
)

SHARED = Path("/work/shared/reference/cfir2-constructs.csv")


def test_packaged_list_matches_cfir_2_0():
    rows = load_cfir_constructs()
    # Damschroder et al. 2022: 5 domains; 48 constructs and 19 subconstructs
    assert [d["key"] for d in domains(rows)] == ["I", "II", "III", "IV", "V"]
    assert sum(r["kind"] == "construct" for r in rows) == 48
    assert sum(r["kind"] == "subconstruct" for r in rows) == 19
    keys = addressable_keys(rows)
    assert {"III.D.1", "V.A", "IV.ROLE.A"} <= keys and "III" not in keys and "IV.ROLE" not in keys
    assert next(r for r in rows if r["key"] == "IV.CHAR.B")["domain"] == "IV"


@pytest.mark.skipif(not SHARED.exists(), reason="shared reference not mounted")
def test_packaged_copy_is_the_shared_reference():
    packaged = Path("implementation_outcomes/data/cfir2_constructs.csv").read_text("utf-8")
    assert packaged == SHARED.read_text("utf-8")


def test_bad_list_names_line_and_column():
    text = "key,published_label,name,kind,parent_key\nI,I,Innovation,domain,\nI.A,I.A,Source,construct,II\nI.A,I.A,Dup,thing,I\n"
    with pytest.raises(CfirListError) as info:
        load_cfir_constructs(text)
    assert info.value.errors == [
        "line 3, column 'parent_key': 'II' is not declared above",
        "line 4, column 'key': duplicate 'I.A'",
        "line 4, column 'kind': 'thing' is not one of domain, subdomain, construct, subconstruct",
    ]
    with pytest.raises(CfirListError, match="line 1: missing column"):
        load_cfir_constructs("key,name\nI,Innovation\n")


def _record(**kw):
    record = {"eric_strategy": "facilitation", "name": "n", "definition": "d", "actor": "a", "action": "b",
              "action_target": "t", "temporality": "weekly", "dose": "1 h", "implementation_outcome": ["adoption"],
              "justification": "j", "cfir_construct": "III.A.1"}
    record.update(kw)
    return record


def test_validate_strategy_use_checks_cfir_keys_when_given():
    spec, eric = load_strategy_specification(), load_eric_strategies()
    keys = addressable_keys(load_cfir_constructs())
    validate_strategy_use(_record(), spec, eric, keys)
    validate_strategy_use(_record(cfir_construct=""), spec, eric, keys)  # optional
    validate_strategy_use(_record(cfir_construct="III.Z"), spec, eric)  # not checked without keys (old behaviour)
    with pytest.raises(StrategyRecordError) as info:
        validate_strategy_use(_record(cfir_construct="III.Z", eric_strategy="hope"), spec, eric, keys)
    assert info.value.errors == ["field 'eric_strategy': 'hope' is not an ERIC strategy key",
                                 "field 'cfir_construct': 'III.Z' is not a CFIR 2.0 construct key"]
    with pytest.raises(StrategyRecordError, match="'III' is not a CFIR 2.0 construct key"):
        validate_strategy_use(_record(cfir_construct="III"), spec, eric, keys)  # a domain is not a determinant
