"""Generic-factory values the filler cannot guess for readiness survey models (check constraints)."""

from tests.factories import OVERRIDES

OVERRIDES["Instrument"] = lambda f, agency, clinic, marker, cache: {
    "source": "redcap",
    # a definition the instrument engine can read: one free-text item (downloads and pages walk it)
    "definition": {"schema_version": 1, "key": "generic", "version": "1", "title": "Generic instrument",
                   "items": [{"key": "q1", "number": 1, "text": "Any comment?", "type": "text"}], "subscales": []},
}
OVERRIDES["SurveyLink"] = lambda f, agency, clinic, marker, cache: {"respondent_role": "clinician"}
