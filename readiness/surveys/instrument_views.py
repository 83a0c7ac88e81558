"""The instrument library: shipped and imported instruments, REDCap dictionary import (upload) and export, and a
preview that renders any instrument exactly as respondents see it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import Role
from app.security import roles_required
from readiness.redcap import RedcapDictionaryError
from readiness.surveys import library
from readiness.surveys.forms import ImportDictionaryForm
from readiness.surveys.layout import form_blocks
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
    problem = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = library.decode_upload(upload.read())
            instrument = library.import_dictionary(text, key=form.key.data, title=form.title.data,
                                                   form=form.form_name.data, user=current_user,
                                                   filename=upload.filename)
        except RedcapDictionaryError as exc:
            problem = {"row": exc.row, "column": exc.column, "message": str(exc)}
            form.file.errors.append(str(exc))
        except library.InstrumentImportError as exc:
            target = {"key": form.key, "title": form.title, "form": form.form_name}.get(exc.field, form.file)
            target.errors.append(str(exc))
        else:
            flash(f"Imported “{instrument.title}” (key {instrument.key}, version {instrument.version}) with "
                  f"{len(instrument.definition['items'])} fields.", "success")
            return redirect(url_for(".preview", key=instrument.key, version=instrument.version))
    status = 400 if request.method == "POST" else 200
    return render_template("readiness/surveys/import.html", form=form, problem=problem), status


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
