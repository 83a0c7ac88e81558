"""Shipped instrument files and the definition schema (readiness/instruments.py)."""

import copy

import pytest

from readiness.instruments import (
    InstrumentDefinitionError,
    list_instruments,
    load_instrument,
    validate_definition,
)

SHIPPED = ["aim", "fim", "iam", "oric"]


def test_every_shipped_file_validates_and_is_listed():
    listed = list_instruments()
    assert [row["key"] for row in listed] == SHIPPED
    for row in listed:
        d = load_instrument(row["key"])
        assert validate_definition(d) is d
        assert d["version"] == row["version"]
        assert d["citation"] and d["doi"] and d["license"].startswith("CC BY")
        assert d["history"][-1]["version"] == d["version"]


def test_oric_items_and_subscales_match_shea_2014():
    d = load_instrument("oric")
    texts = {item["key"]: item["text"] for item in d["items"]}
    assert len(texts) == 12
    # item 12 is the one a public third-party build replaced: check it exactly
    assert texts["oric_12"] == ("People who work here feel confident that they can manage the politics of "
                                "implementing this change.")
    assert texts["oric_01"].startswith("People who work here feel confident that the organization can get people")
    subscales = {s["key"]: s for s in d["subscales"]}
    assert subscales["change_commitment"]["items"] == [f"oric_{i:02d}" for i in (2, 4, 6, 9, 11)]
    assert subscales["change_efficacy"]["items"] == [f"oric_{i:02d}" for i in (1, 3, 5, 7, 8, 10, 12)]
    assert all(s["reverse_items"] == [] for s in d["subscales"])
    assert subscales["change_commitment"]["profile_component"] == "motivation"
    assert [o["label"] for o in d["response_scales"]["agreement_oric_5"]] == [
        "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree"]
    assert "Mothering from the Inside Out (MIO)" in d["instructions"]
    assert d["doi"] == "10.1186/1748-5908-9-7"


@pytest.mark.parametrize(("key", "first", "fourth"), [
    ("aim", "MIO meets my approval.", "I welcome MIO."),
    ("iam", "MIO seems fitting.", "MIO seems like a good match."),
    ("fim", "MIO seems implementable.", "MIO seems easy to use."),
])
def test_weiner_measures(key, first, fourth):
    d = load_instrument(key)
    assert [i["text"] for i in d["items"]][0::3] == [first, fourth]
    assert d["subscales"][0]["items"] == [f"{key}_0{i}" for i in range(1, 5)]
    assert d["response_scales"]["agreement_weiner_5"][0]["label"] == "Completely disagree"
    assert d["dont_know_code"] == 99 and d["license"] == "CC BY 4.0"


def test_load_unknown_instrument_or_version():
    with pytest.raises(InstrumentDefinitionError, match="no shipped instrument 'ils'"):
        load_instrument("ils")
    with pytest.raises(InstrumentDefinitionError, match="version '9.9.9'"):
        load_instrument("oric", "9.9.9")
    assert load_instrument("oric", "1.0.0")["version"] == "1.0.0"


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d.pop("citation"), "citation"),
    (lambda d: d.update(version="1.0"), "version"),
    (lambda d: d["items"][3].update(type="slider"), "items[3].type"),
    (lambda d: d["items"][11].update(scale="nope"), "items[11].scale"),
    (lambda d: d["items"][2].update(key="oric_01"), "items[2].key"),
    (lambda d: d["items"][0].update(required="yes"), "items[0].required"),
    (lambda d: d["subscales"][1]["items"].append("oric_99"), "subscales[1].items[7]"),
    (lambda d: d["subscales"][0]["reverse_items"].append("oric_01"), "subscales[0].reverse_items[0]"),
    (lambda d: d["subscales"][0]["score"].update(method="median"), "subscales[0].score.method"),
    (lambda d: d["subscales"][0]["score"].update(min_answered_share=1.5), "subscales[0].score.min_answered_share"),
    (lambda d: d["subscales"][0].update(profile_component="capacity"), "subscales[0].profile_component"),
    (lambda d: d["response_scales"]["agreement_oric_5"][1].update(value=1), "response_scales.agreement_oric_5[1].value"),
    (lambda d: d["items"][0].update(min=1), "items[0].min"),
])
def test_validate_definition_names_the_bad_field(mutate, path):
    d = copy.deepcopy(load_instrument("oric"))
    mutate(d)
    with pytest.raises(InstrumentDefinitionError) as info:
        validate_definition(d)
    assert info.value.path == path
    assert str(info.value).startswith(path + ":")


def test_subscale_items_need_numeric_options():
    d = copy.deepcopy(load_instrument("aim"))
    d["items"][0] = {"key": "aim_01", "text": "t", "type": "radio", "required": False,
                     "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}
    with pytest.raises(InstrumentDefinitionError, match=r"subscales\[0\].items\[0\]: item 'aim_01' has non-numeric"):
        validate_definition(d)
