"""The create/edit page flow every blueprint shares, and how a refused save reaches the form.

``edit_page(form, save, template, **context)``: on a valid submission ``save()`` runs; it returns the success
message and where to go, which the page flashes and redirects to. A service that refuses the values raises
``FormRefused`` (field name -> message): the messages go on the form's fields (``attach_errors``) and the form is
shown again. A ``save()`` whose result must be shown once and never travel in a cookie (a one-time password)
returns the page itself, which is sent as it is. The page is 200 on GET and 400 after any POST that did not save, so a refused save is never a 200.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, render_template, request


class FormRefused(ValueError):
    """Values refused by a rule; ``errors`` maps a field name (or ``""``, the whole form) to a message."""

    def __init__(self, errors: dict[str, str] | str):
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in self.errors.items()))


def attach_errors(form, errors: dict[str, str]) -> None:
    """Put field-named messages on the form's fields; the rest become error flashes."""
    for name, message in errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


def edit_page(form, save: Callable[[], tuple[str, str] | Response], template: str, **context):
    """Validate ``form``; if valid, ``save()`` -> (success message, URL to go to): flash it and redirect. A
    ``FormRefused`` from ``save`` puts its messages on the form. Otherwise render ``template`` with ``form`` and
    ``context`` (400 after a POST, 200 on GET)."""
    if form.validate_on_submit():
        try:
            result = save()
        except FormRefused as exc:
            attach_errors(form, exc.errors)
        else:
            if isinstance(result, Response):
                return result
            message, target = result
            flash(message, "success")
            return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status
