"""The delivery blueprint, shared by the route modules, and the roles its pages admit."""

from __future__ import annotations

import os

from flask import Blueprint

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
