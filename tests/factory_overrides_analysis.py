from tests.factories import OVERRIDES

OVERRIDES["ConstructRating"] = lambda f, agency, clinic, marker, cache: {"rating": 1, "mixed": False}
OVERRIDES["ConsensusRating"] = lambda f, agency, clinic, marker, cache: {"rating": -1, "mixed": False}
OVERRIDES["ClinicGroup"] = lambda f, agency, clinic, marker, cache: {"implementation": "high"}
OVERRIDES["Suggestion"] = lambda f, agency, clinic, marker, cache: {
    "start": 0, "end": 5, "valence": "neutral", "status": "pending", "matched_terms": [marker], "term_spans": []}
