"""The workspace blueprint (pages under /qualitative) with its templates and static JavaScript."""

from flask import Blueprint

bp = Blueprint(
    "qualitative", __name__, url_prefix="/qualitative", template_folder="templates", static_folder="static",
    static_url_path="/static",
)
