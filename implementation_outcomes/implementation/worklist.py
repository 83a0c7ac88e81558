"""Home-page queue of adoption (``app.worklist``): the director's contradictions between the adoption steps
recorded by hand and what the delivery data prove (``adoption.derive_steps`` flags: a step the data prove that nobody
recorded, a step recorded that the data contradict, a step recorded before the data allow), counted per counselor
by ``services.adoption.adoption_figures_by_clinic`` (a fixed number of grouped column queries, as the overview)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from app.db import db
from app.models import Clinic
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from implementation_outcomes.implementation.services.adoption import adoption_figures_by_clinic


def adoption_contradictions(user) -> WorkItem:
    clinics = db.session.execute(scoped(sa.select(Clinic.id, Clinic.code).order_by(Clinic.code), Clinic, user)).all()
    figures = adoption_figures_by_clinic([cid for cid, _code in clinics], user)
    flagged = [(cid, code, figures[cid]["flagged_counselors"]) for cid, code in clinics
               if figures[cid]["flagged_counselors"]]
    links = tuple(WorkLink(f"{code}: {n} counselor{'s' if n != 1 else ''}",
                           url_for("implementation.clinic_adoption", clinic_id=cid))
                  for cid, code, n in flagged[:FIRST_LINKS])
    return WorkItem("adoption_contradictions", "Counselors whose recorded adoption the data contradict",
                    sum(n for *_rest, n in flagged), url_for("implementation.overview"), "Adoption & activities",
                    "Steps recorded by hand that the delivery data contradict, or prove without a record.", links,
                    itemized=False)
