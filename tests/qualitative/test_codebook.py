"""The CFIR 2.0 codebook for MIO: validated against the published construct list (cfir2-constructs.csv)."""

import copy
import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import spacy

from qualitative.codebook import CodebookError, load_cfir_codebook, validate_codebook

CSV = Path(__file__).parent / "data" / "cfir2-constructs.csv"  # copy of shared/reference/cfir2-constructs.csv


@pytest.fixture(scope="module")
def codebook():
    return load_cfir_codebook()


def test_counts(codebook):
    kinds = Counter(c["kind"] for c in codebook)
    # CFIR 2.0: 5 domains, 48 constructs, 19 subconstructs; Individuals has two subdomains (Roles, Characteristics)
    assert kinds == {"domain": 5, "subdomain": 2, "construct": 48, "subconstruct": 19}
    assert sum(c["codable"] for c in codebook) == 67


def test_matches_published_csv(codebook):
    with CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [c["key"] for c in codebook] == [r["key"] for r in rows]
    for c, r in zip(codebook, rows, strict=True):
        assert (c["label"], c["name"], c["kind"], c["parent_key"] or "") == (
            r["published_label"], r["name"], r["kind"], r["parent_key"]
        ), c["key"]


def test_lexicons_and_colours(codebook):
    family_colours: dict[str, set[str]] = {}
    for c in codebook:
        family_colours.setdefault(c["key"].split(".")[0], set()).add(c["colour"])
        if c["codable"]:
            assert 5 <= len(c["lexicon"]) <= 15, c["key"]
            assert c["definition"] != c["inclusion"]
        else:
            assert c["lexicon"] == []
    families = list(family_colours.values())
    for i, a in enumerate(families):
        for b in families[i + 1:]:
            assert not a & b  # no colour shared between domain families


def test_lexicon_terms_are_lemma_level(codebook):
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    for c in codebook:
        for term in c["lexicon"]:
            lemmas = "".join(t.lemma_ + t.whitespace_ for t in nlp(term)).strip()
            assert lemmas == term, (c["key"], term, lemmas)


def test_mio_examples_in_lexicon(codebook):
    by_key = {c["key"]: c for c in codebook}
    assert {"reimbursement", "bill", "fee", "grant", "insurance"} <= set(by_key["II.F"]["lexicon"])
    assert {"room", "office", "private space"} <= set(by_key["III.J.2"]["lexicon"])


def _doc(codebook):
    return {"codes": copy.deepcopy(codebook)}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["codes"][1].pop("lexicon"), r"codes\[1\] \(key 'I.A'\): missing field 'lexicon'"),
        (lambda d: d["codes"][1].update(parent_key="X"), r"codes\[1\] \(key 'I.A'\): field 'parent_key' 'X'"),
        (lambda d: d["codes"][2].update(key="I.A"), r"codes\[2\] \(key 'I.A'\): duplicate key"),
        (lambda d: d["codes"][0].update(codable=True), r"codes\[0\] \(key 'I'\): field 'codable' must be False"),
        (lambda d: d["codes"][1].update(lexicon=[]), r"field 'lexicon' is empty"),
        (lambda d: d["codes"][1].update(lexicon=["Grant"]), r"lexicon term 'Grant' must be lowercase"),
        (lambda d: d["codes"][1].update(colour="blue"), r"field 'colour' must look like"),
        (lambda d: d["codes"][1].update(kind="theme"), r"field 'kind' must be one of"),
        (lambda d: d["codes"][1].update(definition=" "), r"field 'definition' must be a non-empty string"),
    ],
)
def test_validation_errors(codebook, mutate, message):
    doc = _doc(codebook)
    mutate(doc)
    with pytest.raises(CodebookError, match=message):
        validate_codebook(doc)


def test_load_bad_json(tmp_path):
    p = tmp_path / "cb.json"
    p.write_text('{"codes": [\n  {,}\n]}', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"line 2, column 4"):
        load_cfir_codebook(p)
    p.write_text(json.dumps({"codes": "x"}), encoding="utf-8")
    with pytest.raises(CodebookError, match="'codes' list"):
        load_cfir_codebook(p)
