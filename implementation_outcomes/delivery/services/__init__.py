"""Database work of the delivery pages. The director's overview calls ``clinic_reach``, ``clinic_feasibility`` and
``clinic_fidelity`` (each takes a clinic id and an optional user for scoping, and returns plain dicts)."""

from implementation_outcomes.delivery.services.feasibility import clinic_feasibility
from implementation_outcomes.delivery.services.fidelity_figures import clinic_fidelity
from implementation_outcomes.delivery.services.screening import clinic_reach

__all__ = ["clinic_feasibility", "clinic_fidelity", "clinic_reach"]
