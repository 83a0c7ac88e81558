from tests.factories import OVERRIDES

OVERRIDES["Coding"] = lambda f, agency, clinic, marker, cache: {"start": 0, "end": 5}
OVERRIDES["Document"] = lambda f, agency, clinic, marker, cache: {"kind": "interview", "deidentification": "applied"}
OVERRIDES["Code"] = lambda f, agency, clinic, marker, cache: {"colour": "#336699"}
