"""From an instrument definition to the blocks a survey page renders (plain data in, plain data out).

One field-type registry (Indico's habit): each item type maps to a widget the template knows how to draw.
Blocks, in item order:

- ``{"kind": "section", "title"}`` when an item's ``section`` differs from the previous item's;
- ``{"kind": "likert_grid", "options", "items"}``: consecutive likert items on the same response scale, or
  consecutive radio items of one REDCap matrix group with the same choices, drawn as a grid on wide screens and
  stacked on phones (CSS only);
- ``{"kind": "item", "item"}`` for any other item.

Item views carry the widget, the options as ``{value (text), label, checked}`` (the don't-know option of a
likert item also ``dont_know: True``), the current value, the error
message and the branching expression (shown/hidden by ``branching.js``; the server decides with
:func:`readiness.branching.prune_hidden`). REDCap's record-id field is not asked (:func:`respondent_items`).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from readiness.redcap import record_id_field
from readiness.richtext import plain, sanitize

WIDGETS = {
    "likert": "radio", "radio": "radio", "yesno": "radio", "truefalse": "radio", "dropdown": "select",
    "checkbox": "checkbox", "text": "text", "integer": "integer", "number": "number", "date": "date",
    "email": "email", "notes": "textarea", "descriptive": "descriptive",
}
DATA_ONLY = "data"  # REDCap calc/file/sql/signature fields: kept as data, never asked
BOOLEAN_OPTIONS = {
    "yesno": [{"value": 1, "label": "Yes"}, {"value": 0, "label": "No"}],
    "truefalse": [{"value": 1, "label": "True"}, {"value": 0, "label": "False"}],
}


def respondent_items(definition: dict) -> list[dict]:
    """Items a respondent is asked: all but REDCap's record-id field and data-only fields."""
    skip = record_id_field(definition)
    return [item for item in definition["items"] if item["key"] != skip and item["type"] != DATA_ONLY]


def item_options(item: dict, definition: dict) -> list[dict]:
    """``[{value, label}]`` of an option item, with the don't-know option last on likert items."""
    kind = item["type"]
    if kind == "likert":
        options = list(definition["response_scales"][item["scale"]])
        if definition.get("dont_know_code") is not None:
            options.append({"value": definition["dont_know_code"],
                            "label": definition.get("dont_know_label") or "Don't know"})
        return options
    if kind in BOOLEAN_OPTIONS:
        return BOOLEAN_OPTIONS[kind]
    return list(item.get("choices", []))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def item_view(item: dict, definition: dict, value: Any = None, error: str | None = None) -> dict:
    """What the template needs to draw one item (see module docstring)."""
    ticked = {_text(v) for v in value} if isinstance(value, (list, tuple)) else {_text(value)}
    options = [{"value": _text(o["value"]), "label": sanitize(o["label"]), "checked": _text(o["value"]) in ticked}
               for o in item_options(item, definition)]
    if item["type"] == "likert" and definition.get("dont_know_code") is not None:
        options[-1]["dont_know"] = True  # drawn apart from the scale points
    notes = [sanitize(item["note"])] if item.get("note") else []
    if item.get("redcap_type") == "slider" and item.get("slider_labels"):
        labels = [part.strip() for part in item["slider_labels"].split("|")]
        where = (0, 50, 100) if len(labels) == 3 else (0, 100) if len(labels) == 2 else (0,)
        notes.append(Markup("; ").join(Markup("{} = {}").format(pos, sanitize(label))
                                       for pos, label in zip(where, labels, strict=False) if label))
    if item.get("format"):
        notes.append(Markup("Format: {}").format(item["format"]))
    return {
        # REDCap labels may hold HTML: drawn through the allow-list sanitiser (readiness.richtext)
        "key": item["key"], "number": item.get("number") or item.get("question_number"),
        "text": sanitize(item["text"]), "plain": plain(item["text"]),
        "type": item["type"], "widget": WIDGETS[item["type"]], "required": bool(item.get("required")),
        "note": Markup("<br>").join(notes) if notes else None, "branching": item.get("branching"),
        "options": options, "value": "" if isinstance(value, (list, tuple)) else _text(value), "error": error,
        "min": item.get("min"), "max": item.get("max"),
    }


def _grid_key(item: dict) -> tuple | None:
    if item["type"] == "likert":
        return ("scale", item["scale"])
    if item["type"] == "radio" and item.get("matrix_group"):
        return ("matrix", item["matrix_group"])
    return None


def form_blocks(definition: dict, answers: dict | None = None, errors: dict | None = None) -> list[dict]:
    """The page's blocks for ``definition`` with current ``answers`` and per-item ``errors``."""
    answers, errors = answers or {}, errors or {}
    blocks: list[dict] = []
    section = None
    for item in respondent_items(definition):
        if item.get("section") and item["section"] != section:
            section = item["section"]
            blocks.append({"kind": "section", "title": sanitize(section)})
        view = item_view(item, definition, answers.get(item["key"]), errors.get(item["key"]))
        previous = blocks[-1] if blocks else None
        grid = _grid_key(item)
        if grid is not None:
            options = [{"value": o["value"], "label": o["label"]} for o in view["options"]]
            if previous and previous["kind"] == "likert_grid" and previous["grid"] == grid \
                    and previous["options"] == options:
                previous["items"].append(view)
                continue
            blocks.append({"kind": "likert_grid", "grid": grid, "options": options, "items": [view]})
        else:
            blocks.append({"kind": "item", "item": view})
    return blocks


def raw_from_form(definition: dict, form: Any) -> dict[str, Any]:
    """Raw strings from a submitted form (a MultiDict): checkbox items as lists, others as one string.
    Only the definition's own respondent items are read; anything else in the form is ignored."""
    raw: dict[str, Any] = {}
    for item in respondent_items(definition):
        key = item["key"]
        if item["type"] == "descriptive":
            continue
        if item["type"] == "checkbox":
            raw[key] = form.getlist(key)
        elif key in form:
            raw[key] = form.get(key)
    return raw


def answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


NOT_ANSWERED = "Not answered"


def answer_summary(definition: dict, answers: dict) -> list[dict]:
    """What the review page lists before submit: each question the respondent was asked (branching-hidden and
    descriptive items left out), in order, with the answer as the respondent read it (an option's label, the ticked
    options' labels joined, the text typed) or ``NOT_ANSWERED``. ``{key, number, question, answer, answered}``;
    labels as plain text (REDCap HTML through ``readiness.richtext.plain``)."""
    from readiness.branching import visible_items

    shown = visible_items(definition, answers)
    rows: list[dict] = []
    for item in respondent_items(definition):
        if item["type"] == "descriptive" or item["key"] not in shown:
            continue
        value = answers.get(item["key"])
        labels = {_text(o["value"]): plain(o["label"]) for o in item_options(item, definition)}
        if not answered(value):
            text = NOT_ANSWERED
        elif isinstance(value, (list, tuple)):
            text = "; ".join(labels.get(_text(v), _text(v)) for v in value)
        else:
            text = labels.get(_text(value), _text(value))
        rows.append({"key": item["key"], "number": item.get("number") or item.get("question_number"),
                     "question": plain(item["text"]), "answer": text, "answered": answered(value)})
    return rows
