"""The delivery blueprint (``/outcomes``): reach and the screening log (``reach``), sessions, training cases and
feasibility (``sessions``), fidelity coding and figures (``fidelity``), table downloads (``exports``).
Handlers stay thin: parse, authorize, call a service, render."""

from implementation_outcomes.delivery.views import exports, fidelity, reach, sessions  # noqa: F401  (routes)
from implementation_outcomes.delivery.views.common import bp

__all__ = ["bp"]
