"""The shared create/edit page flow (``app.forms.edit_page``): save and redirect, or the form again with the
refusal's messages on their fields (400), and nothing saved on invalid input."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from app.forms import FormRefused, edit_page


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired()])


@pytest.fixture
def page(app):
    """Run ``edit_page`` on a request; returns (response, status, saved names, flashes, form)."""
    from flask import get_flashed_messages

    def run(method: str, data: dict | None, refuse: dict | str | None = None):
        saved: list[str] = []
        with app.test_request_context("/x", method=method, data=data):
            form = NameForm()

            def save():
                if refuse is not None:
                    raise FormRefused(refuse)
                saved.append(form.name.data)
                return f"Saved {form.name.data}.", "/done"

            result = edit_page(form, save, "admin/form.html", title="Thing", obj=None, back="admin.agencies")
            response, status = result if isinstance(result, tuple) else (result, result.status_code)
            return response, status, saved, get_flashed_messages(with_categories=True), form

    return run


def test_valid_post_saves_flashes_and_redirects(app_ctx, page):
    response, status, saved, flashes, _form = page("POST", {"name": "Ada"})
    assert status == 302 and response.headers["Location"] == "/done"
    assert saved == ["Ada"] and flashes == [("success", "Saved Ada.")]


def test_get_shows_the_form_and_invalid_post_is_400(app_ctx, page):
    assert page("GET", None)[1] == 200
    _response, status, saved, _flashes, form = page("POST", {"name": ""})
    assert status == 400 and saved == [] and form.name.errors


def test_refusal_goes_on_the_field_or_flashes(app_ctx, page):
    _response, status, saved, flashes, form = page("POST", {"name": "Ada"}, refuse={"name": "Taken.", "": "Also."})
    assert status == 400 and saved == []
    assert form.name.errors == ["Taken."] and flashes == [("error", "Also.")]
    assert FormRefused("Whole form.").errors == {"": "Whole form."}
