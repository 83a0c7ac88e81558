"""The director's overview: one row per clinic composed from the figures the delivery and implementation services
compute (set-based: a fixed number of grouped queries whatever the number of clinics), and the drill-downs to a
clinic and a counselor that call the clinic pages' own service functions.

No formula lives here: every number is taken from a service result that a pure module computed (reach % and its
sensitivity: ``reach``; adoption and penetration: ``adoption``; dose, completion, 50-60 minute share:
``feasibility``; adequacy and ICC(2,1): ``fidelity``/``icc``; current stage: ``stages``).

Who reads which figure is decided once, by :func:`hidden_fields`: the rows and drill-downs returned here leave out
the fields the user may not read (and their queries are not run), and ``tables`` drops the same columns, so the
page, its CSV/Excel downloads, ``/api/v1/outcomes`` and ``mio outcomes`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.db import db
from app.models import Agency, Clinic, Person, Role
from app.security import get_scoped_or_404, scoped
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.delivery.services import (
    clinic_feasibility,
    clinic_fidelity,
    clinic_reach,
    summaries,
)
from implementation_outcomes.delivery.services.by_clinic import (
    feasibility_by_clinic,
    fidelity_by_clinic,
    reach_by_clinic,
)
from implementation_outcomes.delivery.services.fidelity_figures import FIDELITY_ROLES, ICC_FORM
from implementation_outcomes.delivery.services.sessions import counselor_delivery
from implementation_outcomes.implementation import clinic_adoption, clinic_stages
from implementation_outcomes.implementation.services.activities import catalogue, stages_by_clinic
from implementation_outcomes.implementation.services.adoption import (
    SOURCE_LABELS,
    STEP_LABELS,
    adoption_figures_by_clinic,
    counselor_adoption,
)
from implementation_outcomes.reach import reach_pct_of_eligible

#: the overview's fidelity figures (columns of the rows, headline figures of a clinic)
FIDELITY_FIELDS = frozenset({"rated_sessions", "adequate_share", "icc", "icc_form", "icc_pairs", "icc_band",
                             "icc_ci_low", "icc_ci_high", "icc_training", "icc_training_pairs"})


def hidden_fields(user=None) -> frozenset[str]:
    """The overview fields ``user`` (default: the signed-in user) may not read. Least privilege: fidelity figures
    are for the roles that open the fidelity pages (``FIDELITY_ROLES``: the director; admins pass every gate);
    trial staff, who log screening and sessions, read reach, adoption, feasibility and stages of their agency's
    clinics but no fidelity figure."""
    user = current_user if user is None else user
    return frozenset() if user.role == Role.ADMIN or user.role in FIDELITY_ROLES else FIDELITY_FIELDS


def _without(figures: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key not in hidden}


class FilterError(ValueError):
    """A bad filter value; ``field`` names the parameter (agency, clinic, from, to)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Filters:
    """The overview's filters: an agency code, a clinic code, and a period (inclusive, either bound optional)."""

    agency: str | None = None
    clinic: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(cls, values) -> Filters:
        """From request arguments or CLI options (``agency``, ``clinic``, ``from``, ``to``; empty means none)."""
        dates = {}
        for key in ("from", "to"):
            text = (values.get(key) or "").strip()
            if text:
                try:
                    dates[key] = date.fromisoformat(text)
                except ValueError:
                    raise FilterError(key, f"{text!r} is not a date (YYYY-MM-DD)") from None
        if "from" in dates and "to" in dates and dates["from"] > dates["to"]:
            raise FilterError("to", f"{dates['to'].isoformat()} is before the start {dates['from'].isoformat()}")
        return cls((values.get("agency") or "").strip() or None, (values.get("clinic") or "").strip() or None,
                   dates.get("from"), dates.get("to"))

    @property
    def period(self) -> dict[str, date | None]:
        return {"date_from": self.date_from, "date_to": self.date_to}

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (for links and downloads that keep them)."""
        out = {"agency": self.agency, "clinic": self.clinic,
               "from": self.date_from.isoformat() if self.date_from else None,
               "to": self.date_to.isoformat() if self.date_to else None}
        return {k: v for k, v in out.items() if v}


def visible_agencies(user=None) -> list[Agency]:
    return list(db.session.execute(scoped(sa.select(Agency).order_by(Agency.code), Agency, user)).scalars())


def overview_clinics(filters: Filters, user=None) -> list[Clinic]:
    """The active clinics in scope matching the agency/clinic filters, by code (with their agency loaded).

    An agency or clinic code the user cannot see is a ``FilterError`` (the same message as an unknown one)."""
    stmt = (sa.select(Clinic).join(Clinic.agency).options(sa.orm.contains_eager(Clinic.agency))
            .where(Clinic.active.is_(True)).order_by(Clinic.code))
    if filters.agency:
        if not db.session.execute(scoped(sa.select(Agency.id).where(Agency.code == filters.agency), Agency, user)).first():
            raise FilterError("agency", f"no agency with code {filters.agency!r}")
        stmt = stmt.where(Agency.code == filters.agency)
    if filters.clinic:
        stmt = stmt.where(Clinic.code == filters.clinic)
    clinics = list(db.session.execute(scoped(stmt, Clinic, user)).scalars())
    if filters.clinic and not clinics:
        raise FilterError("clinic", f"no clinic with code {filters.clinic!r}"
                          + (f" in agency {filters.agency}" if filters.agency else ""))
    return clinics


def _stage_label(number: int | None) -> str | None:
    if number is None:
        return None
    stage = next((s for s in catalogue()["stages"] if s["number"] == number), None)
    return stage["label"] if stage else None


def stage_short_labels() -> dict[str, str]:
    """``{stage label: short label}`` from the activity catalogue: tables show the short one, the full one as its
    title, so a long stage name never wraps a row."""
    return {s["label"]: s.get("short_label", s["label"]) for s in catalogue()["stages"]}


def overview_rows(filters: Filters | None = None, user=None) -> list[dict[str, Any]]:
    """One plain row per clinic (keys = ``tables.OVERVIEW_COLUMNS`` plus ``clinic_id``), in clinic-code order.

    reach / reach_eligible / reach_sensitivity: enrolled / offered, enrolled / eligible (RE-AIM) and enrolled /
    (offered + lost); adoption: delivering / eligible
    counselors; penetration: delivering / trained; mean_dose, completion_share, share_50_60 over mothers randomized
    to MIO + TAU; adequate_share: share of sessions whose primary coder rating is adequate; icc: ICC(2,1) of the
    adherence group over double-coded sessions; current_stage: highest stage with a completed activity.
    Fields in :func:`hidden_fields` of ``user`` are left out.
    """
    filters = filters or Filters()
    hidden = hidden_fields(user)
    clinics = overview_clinics(filters, user)
    ids = [c.id for c in clinics]
    reach = reach_by_clinic(ids, user, **filters.period)
    feasibility = feasibility_by_clinic(ids, user, **filters.period)
    fidelity = None if FIDELITY_FIELDS <= hidden else _fidelity(ids, filters, user)
    adoption = adoption_figures_by_clinic(ids, user)
    stages = {entry["clinic"]["id"]: entry for entry in stages_by_clinic(clinics, user)}
    rows = []
    for clinic in clinics:
        cascade, r = reach[clinic.id]["cascade"], reach[clinic.id]["reach"]["enrolled"]
        staff, pen = adoption[clinic.id]["staff_adoption"], adoption[clinic.id]["penetration"]
        feas = feasibility[clinic.id]
        stage = stages[clinic.id]["current_stage"]
        rows.append(_without({
            "clinic_id": clinic.id, "clinic": clinic.code, "clinic_name": clinic.name, "agency": clinic.agency.code,
            "screened": cascade["screened"], "offered": cascade["offered"], "enrolled": cascade["enrolled"],
            "reach": r["main"], "reach_eligible": reach_pct_of_eligible(cascade),
            "reach_sensitivity": r["sensitivity"],
            "eligible": staff["eligible"], "delivering": staff["delivering"], "adoption": staff["adoption_of_eligible"],
            "trained": pen["trained"], "penetration": pen["penetration"],
            "adoption_flags": adoption[clinic.id]["flagged_counselors"],
            "mio_mothers": feas["n_mothers"], "mean_dose": feas["mean_dose"],
            "completion_share": feas["completion_share"], "share_50_60": feas["share_in_duration_window"],
            **(_fidelity_figures(fidelity[clinic.id]["adequacy"], fidelity[clinic.id]["icc"],
                                 fidelity[clinic.id]["icc_form"], fidelity[clinic.id]["icc_training"])
               if fidelity is not None else {}),
            "current_stage": stage, "current_stage_label": _stage_label(stage),
        }, hidden))
    return rows


def _fidelity(ids: list[int], filters: Filters, user) -> dict[int, dict[str, Any]]:
    """Every clinic's fidelity figures: live over a period; otherwise the stored rows that are still fresh (their
    inputs unchanged, ``delivery.services.summaries``) and live for the rest."""
    if filters.date_from is not None or filters.date_to is not None:
        return fidelity_by_clinic(ids, user, **filters.period)
    return summaries.clinic_figures(ids, user)[0]


def _fidelity_figures(adequacy: dict[str, Any], icc: dict[str, Any], icc_form: str, training: dict[str, Any]
                      ) -> dict[str, Any]:
    """The fidelity fields of a row: adequacy (rated, share); the ICC of trial sessions (value, 95 % CI, the Koo & Li
    band the CI spans, pairs ``n``, form); the ICC of training-case sessions, apart (value, pairs)."""
    return {"rated_sessions": adequacy["rated"], "adequate_share": adequacy["share"], "icc": icc["value"],
            "icc_ci_low": icc["ci_low"], "icc_ci_high": icc["ci_high"], "icc_band": icc["band_of_ci"],
            "icc_form": icc_form, "icc_pairs": icc["n"],
            "icc_training": training["value"], "icc_training_pairs": training["n"]}


def clinic_overview(clinic_id: int, filters: Filters | None = None, user=None) -> dict[str, Any]:
    """Drill-down to one clinic: the headline figures of its reach, feasibility, fidelity, adoption and stage pages
    (their own service functions, same period) and its counselors; 404 outside the user's scope. Fields in
    :func:`hidden_fields` of ``user`` are left out of the figures and the drill-down."""
    filters = filters or Filters()
    hidden = hidden_fields(user)
    clinic = get_scoped_or_404(Clinic, clinic_id, user)
    reach = clinic_reach(clinic.id, user, **filters.period)
    feasibility = clinic_feasibility(clinic.id, user, **filters.period)
    adoption = clinic_adoption(clinic.id, user)
    stages = clinic_stages(clinic.id, user)
    enrolled = reach["reach"]["enrolled"]
    summary = feasibility["summary"]
    staff, pen = adoption["staff_adoption"], adoption["penetration"]
    fidelity, headline = {}, {}
    if not FIDELITY_FIELDS <= hidden:
        figures = clinic_fidelity(clinic.id, user, **filters.period)
        headline = reliability_headline(figures)
        fidelity = _fidelity_figures(figures["adequacy"], headline, headline["form"],
                                     figures["reliability"]["by_session_kind"]["training"])
    return _without({
        "clinic": {"id": clinic.id, "code": clinic.code, "name": clinic.name, "agency": clinic.agency.code},
        "filters": filters,
        "figures": _without({
            "screened": reach["cascade"]["screened"], "offered": reach["cascade"]["offered"],
            "enrolled": reach["cascade"]["enrolled"], "reach": enrolled["main"],
            "reach_sensitivity": enrolled["sensitivity"], "reach_eligible": reach_pct_of_eligible(reach["cascade"]),
            "eligible": staff["eligible"], "delivering": staff["delivering"], "adoption": staff["adoption_of_eligible"],
            "trained": pen["trained"], "penetration": pen["penetration"],
            "adoption_flags": adoption["flagged_counselors"],
            "mio_mothers": summary["n_mothers"], "mean_dose": summary["mean_dose"],
            "completion_share": summary["completion_share"], "share_50_60": summary["share_in_duration_window"],
            **fidelity,
            "current_stage": stages["current_stage"], "current_stage_label": _stage_label(stages["current_stage"]),
        }, hidden),
        "completion_threshold": feasibility["completion_threshold"],
        "icc_band": headline.get("band_of_ci"),
        "funnel": adoption["funnel"],
        "stages": stages["stages"],
        "counselors": [{"id": c["id"], "name": c["name"], "furthest": c["furthest"],
                        "furthest_label": STEP_LABELS.get(c["furthest"]) if c["furthest"] else None,
                        "recorded_furthest_label": STEP_LABELS.get(c["recorded_furthest"]) if c["recorded_furthest"]
                        else None, "flags": [f["message"] for f in c["flags"]]}
                       for c in adoption["counselors"]],
    }, hidden)


def _data_date(value: Any) -> date | None:
    return value if isinstance(value, date) else None


def reliability_headline(fidelity: dict[str, Any]) -> dict[str, Any]:
    return {**fidelity["reliability"]["headline"], "form": fidelity["reliability"]["form"]}


def counselor_overview(person_id: int, filters: Filters | None = None, user=None) -> dict[str, Any]:
    """Drill-down to one counselor: dated adoption steps, MIO sessions delivered, fidelity (adequacy, the run chart
    of the adherence score with its points, self-reflection vs coder) and training-case progress, from the clinic
    services for the counselor's clinic; 404 outside the user's scope or for a person who is not a counselor."""
    filters = filters or Filters()
    person = get_scoped_or_404(Person, person_id, user)
    if person.kind != "counselor":
        abort(404)
    clinic = person.clinic
    adoption = counselor_adoption(person, user)
    fidelity = clinic_fidelity(clinic.id, user, **filters.period)
    feasibility = clinic_feasibility(clinic.id, user, **filters.period)
    adequacy = next((r for r in fidelity["adequacy"]["by_counselor"] if r["counselor_id"] == person.id),
                    {"rated": 0, "adequate": 0, "share": None})
    run_chart = next((c for c in fidelity["run_charts"] if c["counselor_id"] == person.id), None)
    return {
        "person": {"id": person.id, "name": person.display_name, "active": person.active},
        "clinic": {"id": clinic.id, "code": clinic.code, "name": clinic.name},
        "filters": filters,
        "steps": [{"step": s, "label": STEP_LABELS[s], "reached_on": adoption["steps"].get(s),
                   "counted_from": _data_date(adoption["derived_steps"].get(s)),
                   "source": SOURCE_LABELS.get(adoption["sources"].get(s), "not reached")}
                  for s in COUNSELOR_STEPS],
        "adoption_flags": [f["message"] for f in adoption["flags"]],
        "sessions": counselor_delivery(person, user, **filters.period),
        "adequacy": {"rated": adequacy["rated"], "adequate": adequacy["adequate"], "share": adequacy["share"]},
        "scheme": fidelity["scheme"],
        "run_chart": run_chart,
        "self_vs_coder": {
            "sessions": [r for r in fidelity["self_vs_coder"]["sessions"] if r["counselor_id"] == person.id],
            "summary": next((r["groups"] for r in fidelity["self_vs_coder"]["by_counselor"]
                             if r["counselor_id"] == person.id), {}),
        },
        "training_cases": next((r for r in feasibility["training_cases"] if r["counselor_id"] == person.id), None),
        "consultation": next((r for r in feasibility["consultation"] if r["counselor_id"] == person.id), None),
        "icc_form": ICC_FORM,
    }
