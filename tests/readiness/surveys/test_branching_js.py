"""The browser's branching evaluator (static/branching.js) agrees with readiness/branching.py on the same cases,
run through Node (skipped when Node is not installed)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from readiness.branching import BranchingError, evaluate, parse_branching
from readiness.redcap import parse_data_dictionary
from tests.readiness.surveys.support import FIXTURE

SCRIPT = Path(__file__).parents[3] / "readiness" / "surveys" / "static" / "branching.js"
NODE = shutil.which("node")

EXPRESSIONS = [
    "[a] = '1'", "[a] = 1", "[a] <> '1'", "[a] != 1", "[a] == '1'", "[a] > 2", "[a] >= 2", "[a] < 2.5",
    "[a] <= '2'", "[t] = 'yes'", "[t] <> ''", "[t] = ''", "[t] > 'a'", "[c(1)] = '1'", "[c(2)] = '0'",
    "[a] = '1' and [t] = 'yes' or [c(1)] = '1'", "[a] = '1' and ([t] = 'yes' or [c(1)] = '1')",
    "([a] = 3 or [a] = 2) and [c(3)] <> '1'", "[a] = [b]", "[a] < [b]", "[t] = \"yes\"", "[a] = '01'",
    "[x] = 1.0", "[x] = '1.5'", "[a] = '-2'", "[n] > 3", "[a] = ' 2 '",
]
ANSWERS = [
    {}, {"a": 1}, {"a": 2, "b": 3, "t": "yes", "c": [1, 3]}, {"a": "2", "t": "no", "c": ["2"]},
    {"a": 3, "b": 3, "t": "", "c": []}, {"x": 1.0, "a": -2}, {"x": 1.5, "n": "abc"}, {"a": "1", "b": "01"},
]


def _node(cases: list[dict]) -> list:
    harness = ("const b = require(process.argv[1]); const cases = JSON.parse(require('fs').readFileSync(0));"
               "console.log(JSON.stringify(cases.map(c => { try { return b.evaluate(b.parse(c.expr), c.answers); }"
               " catch (e) { return 'error'; } })));")
    done = subprocess.run([NODE, "-e", harness, str(SCRIPT)], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def _python(expr: str, answers: dict):
    try:
        return evaluate(parse_branching(expr), answers)
    except BranchingError:
        return "error"


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_js_evaluator_matches_python():
    fixture = parse_data_dictionary(FIXTURE.read_text(encoding="utf-8"))
    expressions = EXPRESSIONS + [i["branching"] for i in fixture["items"] if i.get("branching")]
    bad = ["", "[a] = ", "[a] = = '1'", "[a] like 1", "([a] = 1", "[a] = 1)", "[1a] = 1"]
    cases = [{"expr": e, "answers": a} for e in expressions for a in ANSWERS]
    cases += [{"expr": e, "answers": {}} for e in bad]
    cases += [{"expr": i["branching"], "answers": {"role": 99, "credentials": [1], "supervises": 1, "barrier_any": 1,
                                                   "barrier_type": 3, "contact_ok": 1}}
              for i in fixture["items"] if i.get("branching")]
    expected = [_python(c["expr"], c["answers"]) for c in cases]
    assert _node(cases) == expected
    assert expected.count("error") == len(bad) and True in expected and False in expected
