"""The analysis blueprint object; the view modules register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analysis", __name__, url_prefix="/qualitative", template_folder="../templates",
               static_folder="../static", static_url_path="/analysis-static")
