"""Column values the generic factory cannot guess for the effectiveness models (check constraints)."""

from __future__ import annotations

import datetime as dt

from tests.factories import OVERRIDES

DAY = dt.date(2026, 3, 1)

OVERRIDES["AssessmentVisit"] = lambda f, agency, clinic, marker, cache: {
    "time_point": "baseline", "status": "completed", "assessed_on": DAY, "missed_reason": None,
}
OVERRIDES["OutcomeScore"] = lambda f, agency, clinic, marker, cache: {
    "measure": "bdi_ii", "coder_slot": "primary", "values": {"total": 12}, "definitions_version": "1.0.0",
    "source": "form",
}
OVERRIDES["Withdrawal"] = lambda f, agency, clinic, marker, cache: {"withdrawn_on": DAY, "data_use": "may_use"}
