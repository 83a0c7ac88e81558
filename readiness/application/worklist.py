"""Home-page queues of the application (``app.worklist``): the director's applications to review, agency staff's
applications to finish (draft, or returned for changes). Counts are one scoped COUNT each; first links LIMITed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from app.db import db
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from readiness.application import workflow
from readiness.application.models import Application

#: statuses waiting for the director
TO_REVIEW = (workflow.SUBMITTED, workflow.UNDER_REVIEW)


def _count_and_first(user, statuses) -> tuple[int, list[Application]]:
    where = Application.status.in_(statuses)
    count = db.session.execute(scoped(sa.select(sa.func.count(Application.id)).where(where), Application, user)
                               ).scalar_one()
    first = list(db.session.execute(scoped(
        sa.select(Application).where(where).options(joinedload(Application.agency),
                                                    joinedload(Application.cohort))
        .order_by(Application.updated_at, Application.id).limit(FIRST_LINKS), Application, user)).scalars())
    return count, first


def applications_to_review(user) -> WorkItem:
    count, first = _count_and_first(user, TO_REVIEW)
    links = tuple(WorkLink(f"{a.agency.name}, {a.cohort.name} ({a.status_label.lower()})",
                           url_for("application.view", application_id=a.id)) for a in first)
    return WorkItem("applications_to_review", "Applications to review", count, url_for("application.index"),
                    "All applications", "Submitted or under review, oldest first.", links)


def application_to_finish(user) -> WorkItem:
    count, first = _count_and_first(user, tuple(workflow.AGENCY_EDITABLE))
    links = tuple(WorkLink(f"{a.cohort.name}: {a.status_label.lower()}, continue",
                           url_for("application.step", application_id=a.id, step="organisation")) for a in first)
    return WorkItem("application_to_finish", "Applications to finish", count, url_for("application.mine"),
                    "Your applications", "Drafts and applications returned for changes, not yet submitted.", links)

