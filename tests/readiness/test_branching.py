"""REDCap-style branching logic: parse to an AST and evaluate without eval (readiness/branching.py)."""

import pytest

from readiness.branching import BranchingError, evaluate, parse_branching, referenced_fields


def test_ast_shape_and_precedence():
    ast = parse_branching("[a] = '1' or [b] = '2' and [c(3)] = '1'")
    # and binds tighter than or
    assert ast["type"] == "or"
    assert ast["args"][0] == {"type": "compare", "op": "=", "left": {"type": "field", "field": "a", "code": None},
                              "right": {"type": "literal", "value": "1"}}
    assert ast["args"][1]["type"] == "and"
    assert referenced_fields(ast) == [("a", None), ("b", None), ("c", "3")]


@pytest.mark.parametrize(("expr", "answers", "expected"), [
    ("[role] = '99'", {"role": 99}, True),
    ("[role] = '99'", {"role": 1}, False),
    ("[role] = \"1\"", {"role": 1.0}, True),  # numeric equality: '1' = 1.0
    ("[role] <> '1'", {"role": None}, True),  # blank is '' which differs from '1'
    ("[role] != '1'", {"role": 1}, False),
    ("[role] = ''", {}, True),
    ("[age] >= 21", {"age": 21}, True),
    ("[age] > 21", {"age": 21}, False),
    ("[age] < 21", {"age": None}, False),  # ordering with a blank is false
    ("[age] <= 21.5", {"age": "21.5"}, True),
    ("[cred(2)] = '1'", {"cred": [1, 2]}, True),
    ("[cred(2)] = '1'", {"cred": [1]}, False),
    ("[cred(2)] = '0'", {}, True),
    ("[x] = '1' and ([y] = '5' or [y] = '3')", {"x": 1, "y": 3}, True),
    ("[x] = '1' and ([y] = '5' or [y] = '3')", {"x": 1, "y": 4}, False),
    ("([x] = '1' AND [y] = '4') OR [z] = 'abc'", {"z": "abc"}, True),
    ("[name] = 'abc'", {"name": "ABC"}, False),
    ("[flag] = '1'", {"flag": True}, True),
])
def test_evaluate(expr, answers, expected):
    assert evaluate(parse_branching(expr), answers) is expected


@pytest.mark.parametrize(("expr", "message"), [
    ("", "empty"),
    ("[a] = ", "expected operand at the end"),
    ("([a] = '1'", r"expected \) at the end"),
    ("[a] = '1')", "unexpected"),
    ("[a] = '1' xor [b] = '2'", "unknown word 'xor'"),
    ("[a] = '1'; import os", "unexpected text at position 10"),
    ("[a] '1'", "expected op"),
])
def test_bad_expressions(expr, message):
    with pytest.raises(BranchingError, match=message):
        parse_branching(expr)
