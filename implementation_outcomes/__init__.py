"""Implementation outcomes: the pure science (reach, adoption, feasibility, fidelity, stages, strategies; see
``metrics``) and the web features built on it: ``delivery`` (screening and randomization, sessions, feasibility,
fidelity coding) and ``implementation`` (adoption, activities, strategies, adaptations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from implementation_outcomes import delivery, implementation, integration

    delivery.init_app(app)
    implementation.init_app(app)
    integration.init_app(app)
