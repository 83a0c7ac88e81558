"""Implementation outcomes: pure science modules (reach, representativeness, randomization, adoption, feasibility,
fidelity, ICC, run charts, stages, strategies, overview) and the web parts built on them."""

from __future__ import annotations


def init_app(app) -> None:
    from implementation_outcomes import delivery

    delivery.init_app(app)
