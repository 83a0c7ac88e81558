"""Integration of quantitative and qualitative findings (Aims 2 and 3): joint displays per clinic and the
determinants page (high/low groups, construct and readiness differences, crisp-set truth table, R export)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from implementation_outcomes.integration.views import bp

    app.register_blueprint(bp)
    add_nav(app, "Joint displays", "integration.index", (Role.DIRECTOR, Role.ANALYST), order=70)
