"""The director's outcomes overview: one row per clinic (reach, adoption, penetration, feasibility, fidelity,
stage), drill-down to a clinic and a counselor, CSV/Excel, the ``mio outcomes`` command and ``/api/v1/outcomes``.

Nothing here computes a metric: ``services`` composes the figures the delivery and implementation services
compute with the pure modules. ``frame`` is the vectorised pure overview over pandas frames (``overview_frame``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from implementation_outcomes.overview.frame import overview_frame

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["init_app", "overview_frame"]


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from implementation_outcomes.overview import api
    from implementation_outcomes.overview.cli import with_delivery_commands
    from implementation_outcomes.overview.views import VIEW_ROLES, bp

    app.register_blueprint(bp)
    api.register(app)
    add_nav(app, "Outcomes overview", "overview.index", VIEW_ROLES, order=5)
    app.cli.add_command(with_delivery_commands(app.cli.commands.get("outcomes")))
