"""Implementation outcomes: the pure science (reach, adoption, feasibility, fidelity, stages, strategies; see
``metrics``) and the web features built on it: ``delivery`` (screening and randomization, sessions, feasibility,
fidelity coding), ``implementation`` (adoption, activities, strategies, adaptations) and ``overview`` (the
director's outcomes overview across clinics, its drill-downs, ``mio outcomes`` and ``/api/v1/outcomes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from implementation_outcomes import delivery, effectiveness, implementation, integration, overview

    delivery.init_app(app)
    effectiveness.init_app(app)
    implementation.init_app(app)
    integration.init_app(app)
    overview.init_app(app)  # after delivery: its ``mio outcomes`` group takes the delivery subcommands
