"""The instrument library: shipped and imported instruments, REDCap dictionary import (upload) and export, a
preview that renders any instrument exactly as respondents see it, the scoring of an imported instrument (saved as
a new version) and moving waves onto that version."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.forms import FormRefused, attach_errors, edit_page
from app.models import Role
from app.security import roles_required
from readiness.instruments import InstrumentDefinitionError, scorable_items
from readiness.redcap import RedcapDictionaryError
from readiness.surveys import instrument_versions, library
from readiness.surveys.forms import (
    MAX_SUBSCALE_BLOCKS,
    AdoptVersionForm,
    ImportDictionaryForm,
    scoring_form,
)
from readiness.surveys.layout import form_blocks
from readiness.surveys.models import Instrument
from readiness.surveys.views import interchange_csv

bp = Blueprint("readiness_instruments", __name__, url_prefix="/readiness/instruments")
DIRECTOR = (Role.DIRECTOR,)


@bp.route("")
@roles_required(*DIRECTOR)
def index():
    return render_template("readiness/surveys/instruments.html", entries=library.library())


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*DIRECTOR)
def import_dictionary():
    form = ImportDictionaryForm()
    problems = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = library.decode_upload(upload.read())
            instrument = library.import_dictionary(text, key=form.key.data, title=form.title.data,
                                                   form=form.form_name.data, user=current_user,
                                                   filename=upload.filename)
        except RedcapDictionaryError as exc:
            problems = exc.problems
            form.file.errors.append(f"{len(exc.problems)} problem(s) in the file (all listed above); the first: "
                                    f"{exc.problems[0]}")
        except library.InstrumentImportError as exc:
            target = {"key": form.key, "title": form.title, "form": form.form_name}.get(exc.field, form.file)
            target.errors.append(str(exc))
        else:
            flash(f"Imported “{instrument.title}” (key {instrument.key}, version {instrument.version}) with "
                  f"{len(instrument.definition['items'])} fields.", "success")
            for warning in instrument.definition.get("import_warnings", []):
                flash(warning, "warning")
            return redirect(url_for(".preview", key=instrument.key, version=instrument.version))
    status = 400 if request.method == "POST" else 200
    return render_template("readiness/surveys/import.html", form=form, problems=problems), status


def _definition(key: str, version: str) -> tuple[dict, str]:
    found = library.find_definition(key, version)
    if found is None:
        abort(404)
    return found


@bp.route("/<key>/<version>")
@roles_required(*DIRECTOR)
def preview(key: str, version: str):
    definition, source = _definition(key, version)
    return render_template("readiness/surveys/preview.html", definition=definition, source=source,
                           blocks=form_blocks(definition))


@bp.route("/<key>/<version>/dictionary.csv")
@roles_required(*DIRECTOR)
def dictionary(key: str, version: str):
    definition, _source = _definition(key, version)
    return interchange_csv(f"{key}-{version}-data-dictionary.csv", library.dictionary_csv(definition))


def _stored(key: str, version: str) -> Instrument:
    """An imported instrument's stored row, or 404 (shipped instruments are scored by their data files)."""
    row = db.session.execute(
        sa.select(Instrument).where(Instrument.key == key, Instrument.version == version)).scalar_one_or_none()
    if row is None or row.source != "redcap":
        abort(404)
    return row


def _item_choices(definition: dict) -> list[tuple[str, str]]:
    """Every item a subscale may use, whatever the don't-know code (the validator applies the chosen one)."""
    choices = []
    for item in scorable_items({**definition, "dont_know_code": None}):
        codes = ", ".join(str(c["value"]) for c in item.get("choices", [])) or f"{item.get('min')}–{item.get('max')}"
        text = re.sub(r"<[^>]+>", "", item["text"])
        choices.append((item["key"], f"{item['key']}: {text[:90]}{'…' if len(text) > 90 else ''} ({codes})"))
    return choices


def _dont_know_choices(definition: dict) -> list[tuple[str, str]]:
    """Integer option codes of the choice items, each with the label it carries (``9 — Don't know``)."""
    labels: dict[int, str] = {}
    for item in definition["items"]:
        for choice in item.get("choices", []) if item["type"] in ("radio", "dropdown") else []:
            if isinstance(choice["value"], int):
                labels.setdefault(choice["value"], choice["label"])
    return [(str(code), f"{code} — {label}") for code, label in sorted(labels.items())]


def _block_count(definition: dict) -> int:
    wanted = request.args.get("blocks", "")
    default = max(len(definition["subscales"]) + 1, 2)
    if not wanted:
        return default
    if not wanted.isdigit() or not 1 <= int(wanted) <= MAX_SUBSCALE_BLOCKS:
        abort(400, f"blocks must be a whole number from 1 to {MAX_SUBSCALE_BLOCKS}")
    return max(int(wanted), len(definition["subscales"]))


def _prefill(form, definition: dict) -> None:
    dk = definition.get("dont_know_code")
    form.dont_know_code.data = "" if dk is None else str(dk)
    for n, sub in enumerate(definition["subscales"], start=1):
        values = {"key": sub["key"], "label": sub["label"], "items": list(sub["items"]),
                  "reverse_items": list(sub.get("reverse_items", [])), "method": sub["score"]["method"],
                  "min_answered_share": sub["score"]["min_answered_share"],
                  "profile_component": sub.get("profile_component") or ""}
        for name, value in values.items():
            form[f"sub{n}_{name}"].data = value


def _subscales_from(form, n_blocks: int) -> tuple[list[dict], list[int]]:
    """The filled-in blocks as subscale definitions, and the block number of each (for naming fields)."""
    subscales, blocks = [], []
    for n in range(1, n_blocks + 1):
        field = lambda name, n=n: form[f"sub{n}_{name}"].data  # noqa: E731
        if not (field("key") or "").strip() and not (field("label") or "").strip() and not field("items"):
            continue
        sub = {"key": (field("key") or "").strip(), "label": (field("label") or "").strip(),
               "items": list(field("items") or []), "reverse_items": list(field("reverse_items") or []),
               "score": {"method": field("method") or "", "min_answered_share": field("min_answered_share")}}
        if field("profile_component"):
            sub["profile_component"] = field("profile_component")
        subscales.append(sub)
        blocks.append(n)
    return subscales, blocks


def _field_of(path: str, blocks: list[int]) -> str:
    """The form field a validator path names: ``subscales[1].score.method`` -> ``sub<block>_method``."""
    match = re.match(r"subscales\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?", path)
    if match and int(match[1]) < len(blocks):
        part = match[2] or "key"
        if part == "score":
            part = match[3] or "method"
        return f"sub{blocks[int(match[1])]}_{part}"
    return "dont_know_code" if path.startswith("dont_know_code") else ""


def _dont_know_value(text: str | None):
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d+", text) else text  # anything else: the validator names the field


@bp.route("/<key>/<version>/scoring", methods=["GET", "POST"])
@roles_required(*DIRECTOR)
def scoring(key: str, version: str):
    """Define the subscales of an imported instrument; saving stores a new version (the one shown is kept)."""
    base = _stored(key, version)
    definition = base.definition
    latest = instrument_versions.latest_version(base)
    n_blocks = _block_count(definition)
    form = scoring_form(n_blocks, _item_choices(definition), _dont_know_choices(definition))()
    if request.method == "GET":
        _prefill(form, definition)

    def save() -> tuple[str, str]:
        subscales, blocks = _subscales_from(form, n_blocks)
        try:
            row = instrument_versions.define_scoring(
                base, subscales, _dont_know_value(form.dont_know_code.data), user=current_user,
                changes=form.changes.data)
        except InstrumentDefinitionError as exc:
            raise FormRefused({_field_of(exc.path, blocks): f"{exc}. Nothing was saved."}) from None
        except library.InstrumentImportError as exc:
            field = "sub1_key" if exc.field == "subscales" else exc.field
            raise FormRefused({field: f"{exc}. Nothing was saved."}) from None
        return (f"Saved the scoring of {row.title} as version {row.version} ({len(subscales)} subscales); version "
                f"{base.version} is kept as it was.", url_for(".versions", key=row.key, version=row.version))

    return edit_page(form, save, "readiness/surveys/scoring.html", definition=definition, base=base, latest=latest,
                     next_version=instrument_versions.next_minor_version(base.version),
                     n_blocks=n_blocks, max_blocks=MAX_SUBSCALE_BLOCKS)


@bp.route("/<key>/<version>/waves", methods=["GET", "POST"])
@roles_required(*DIRECTOR)
def versions(key: str, version: str):
    """The waves that asked other versions of this instrument; those with the same items can move onto this
    version and have their submitted responses re-scored under it (the others are listed with the reason)."""
    target = _stored(key, version)
    form = AdoptVersionForm()
    entries = instrument_versions.waves_of_key(target)
    form.waves.choices = [(e.wave.id, str(e.wave.id)) for e in entries if e.movable]
    if request.method == "GET":
        form.waves.data = [e.wave.id for e in entries if e.movable]
    if form.validate_on_submit():
        try:
            counts = instrument_versions.adopt_version(target, form.waves.data or [])
        except library.InstrumentImportError as exc:
            attach_errors(form, {exc.field: f"{exc}. Nothing was changed."})
        else:
            flash(f"Moved {counts['waves']} waves onto version {target.version} and re-scored {counts['responses']} "
                  f"submitted responses: {counts['new']} new scores, {counts['changed']} changed, "
                  f"{counts['identical']} identical.", "success")
            return redirect(url_for(".versions", key=key, version=version))
    status = 400 if request.method == "POST" else 200
    return render_template("readiness/surveys/versions.html", form=form, target=target, entries=entries,
                           latest=instrument_versions.latest_version(target)), status
