"""The delivery blueprint, shared by the route modules: roles and the error helper."""

from __future__ import annotations

import os

from flask import Blueprint, flash

from app.models import Role
from implementation_outcomes.delivery.services.fidelity_figures import (
    FIDELITY_ROLES as FIDELITY_ROLES,  # re-exported for the views
)

bp = Blueprint("delivery", __name__, url_prefix="/outcomes",
               template_folder=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates"))

#: mothers' data (screening log, sessions, feasibility): trial staff of the clinic's agency and the director
LOG_ROLES = (Role.TRIAL_STAFF, Role.DIRECTOR)
#: counselors' training cases, self-reflection ratings and consultation calls (no mother data)
TRAINING_ROLES = (Role.AGENCY_STAFF, Role.TRIAL_STAFF, Role.DIRECTOR)
CODER_ROLES = (Role.FIDELITY_CODER,)


def attach_errors(form, errors: dict[str, str]) -> None:
    """Put a service's field-named messages on the form's fields; the rest become error flashes."""
    for name, message in errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")

