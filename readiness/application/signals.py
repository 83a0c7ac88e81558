"""Signals other packages may subscribe to (readiness imports nothing from them: dependencies point inward).

``counselors_eligible``: sent when a decision accepts an application and eligible clinicians are linked to counselor
``Person`` records; kwargs: ``application`` (the Application), ``linked`` (list of {person_id, clinician, created}),
``invited_on`` (date the application was submitted), ``decided_on`` (date of the decision), ``user`` (the director).
Receivers write in the same transaction (they must not commit)."""

from blinker import Namespace

_signals = Namespace()
counselors_eligible = _signals.signal("mio.readiness.counselors-eligible")
