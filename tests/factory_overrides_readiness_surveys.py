"""Generic-factory values the filler cannot guess for readiness survey models (check constraints)."""

from tests.factories import OVERRIDES

OVERRIDES["Instrument"] = lambda f, agency, clinic, marker, cache: {"source": "redcap"}
OVERRIDES["SurveyLink"] = lambda f, agency, clinic, marker, cache: {"respondent_role": "clinician"}
