"""The blueprint of the application pages; views.py, review_views.py and eligibility_views.py add their routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("application", __name__, url_prefix="/readiness/applications", template_folder="templates",
               static_folder="static", static_url_path="/static")
