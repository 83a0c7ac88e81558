"""Views of the implementation pages, one module per topic; importing this package registers their routes on
``blueprint.bp``."""

from implementation_outcomes.implementation.views import (  # noqa: F401
    activities,
    adoption,
    exports,
    strategies,
)
