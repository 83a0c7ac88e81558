"""Generic-factory overrides for the application tables (tests/factories.py imports this file).

Cohorts are not agency data: their names carry no marker (agency A's pages list every cohort). Notes and eligibility
inputs need an author account with a valid role and known kinds/keys."""

import itertools

from app.models import Role
from tests.factories import OVERRIDES

_numbers = itertools.count(1)


def _cohort(f, agency, clinic, marker, cache):
    return {"name": f"Cohort {agency.code} {next(_numbers)}"}


def _author(f, cache):
    if "author" not in cache:
        cache["author"] = f.user(Role.DIRECTOR)
    return cache["author"].id


OVERRIDES["TrainingCohort"] = _cohort
OVERRIDES["ApplicationNote"] = lambda f, agency, clinic, marker, cache: {
    "author_id": _author(f, cache), "kind": "return", "body": f"{marker} returned"}
OVERRIDES["EligibilityInput"] = lambda f, agency, clinic, marker, cache: {
    "entered_by_id": _author(f, cache), "input_key": "crfs_mean", "value": 5.5, "entered_by_role": "director",
    "entered_as": "rater"}
