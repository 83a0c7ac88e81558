"""Fidelity figures of a clinic (or of every clinic in scope) as plain data.

Definitions (all computed by the pure modules):
- coverage: ``fidelity.fidelity_coverage`` (recorded / attended, coded / recorded, double-coded / coded, backlog)
  for trial sessions, training-case sessions and both together; coder ratings only.
- session score: a session's *primary* coder rating (the primary assignment's coder, else the first rating), so a
  double-coded session counts once; adequacy by ``fidelity.adequacy_of_ratings`` (the rule of ``evaluate_adequacy``) under the rating's scheme version.
- reliability: ``icc.icc`` form ICC(2,1) = two-way random effects, absolute agreement, single rater (Shrout &
  Fleiss 1979; McGraw & Wong ICC(A,1)) over trial sessions rated by two coders, per group mean and per scale, with
  its 95 % CI (McGraw & Wong 1996) and the Koo & Li (2016) band the CI spans (``band_of_ci``); training-case
  sessions and both pooled are reported apart (``by_session_kind``), never in the headline.
- drift: ``runchart.run_charts_by_counselor`` of the adherence-group mean of each counselor's trial sessions by
  date (training cases come before delivery and are shown beside the self-reflection ratings instead).
- self vs coder: ``fidelity.compare_sources`` (never pooled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, Role
from app.security import scoped
from implementation_outcomes._values import proportion
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    TrainingCaseSession,
)
from implementation_outcomes.delivery.services.common import (
    clinic_or_404,
    current_scheme,
    in_period,
    schemes_by_version,
)
from implementation_outcomes.errors import ICCInputError, RatingError
from implementation_outcomes.metrics import (
    ICC_FORMS,
    adequacy_of_ratings,
    compare_sources,
    coverage_from_counts,
    fidelity_coverage,
    group_scores,
    icc,
    koo_li_ci_band,
    run_charts_by_counselor,
)

#: who reads fidelity figures (the fidelity pages, their exports, the overview's fidelity columns): the director;
#: coders see only their own assignments, trial and agency staff none (admins pass every gate)
FIDELITY_ROLES = (Role.DIRECTOR,)
ICC_FORM = "ICC(2,1)"
ICC_DESCRIPTION = ("ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss 1979; "
                   "McGraw & Wong 1996 ICC(A,1)), over double-coded trial sessions (training cases apart); 95% CI "
                   "McGraw & Wong 1996 (F-based, Satterthwaite df); Koo & Li (2016) bands (< .50 poor, .50-.75 "
                   "moderate, .75-.90 good, > .90 excellent) read from the 95% CI: the band is every band the CI "
                   "spans")


def headline_group(scheme: dict[str, Any]) -> str:
    """The MIO-specific (adherence) group: the scheme's group with role "adherence", else the first group."""
    return next((g["key"] for g in scheme["groups"] if g.get("role") == "adherence"), scheme["groups"][0]["key"])


def adequacy_lines(scheme: dict[str, Any]) -> list[tuple[float, str]]:
    """The adequacy rule's thresholds on the headline (adherence) group's mean, as run-chart reference lines."""
    from implementation_outcomes.fidelity import group_thresholds

    return [(value, f"adequacy line: mean {op.replace('>=', '≥').replace('<=', '≤')} {value:g}")
            for op, value in group_thresholds(scheme, headline_group(scheme))]


def _load(clinic: Clinic | None, user, date_from: date | None = None, date_to: date | None = None
          ) -> tuple[list, list[FidelityRating], list[CodingAssignment]]:
    """Sessions (trial and training), ratings and assignments; with a period, the sessions dated in it and only
    the ratings and assignments of those sessions."""
    sessions: list = []
    for model in (MioSession, TrainingCaseSession):
        stmt = sa.select(model)
        if model is MioSession:
            stmt = stmt.options(sa.orm.selectinload(MioSession.participant))
        stmt = stmt.options(sa.orm.selectinload(model.counselor))
        if clinic is not None:
            stmt = stmt.where(model.clinic_id == clinic.id)
        stmt = in_period(stmt, model.session_date, date_from, date_to)
        sessions.extend(db.session.execute(scoped(stmt, model, user)).scalars())
    stmt = sa.select(FidelityRating).order_by(FidelityRating.id)
    astmt = sa.select(CodingAssignment)
    if clinic is not None:
        stmt = stmt.where(FidelityRating.clinic_id == clinic.id)
        astmt = astmt.where(CodingAssignment.clinic_id == clinic.id)
    ratings = list(db.session.execute(scoped(stmt, FidelityRating, user)).scalars())
    assignments = list(db.session.execute(scoped(astmt, CodingAssignment, user)).scalars())
    if date_from is not None or date_to is not None:
        keys = {_key(s) for s in sessions}
        ratings = [r for r in ratings if r.session_key in keys]
        assignments = [a for a in assignments if a.session_key in keys]
    return sessions, ratings, assignments


@dataclass(frozen=True)
class SessionRow:
    """What adequacy reads of a session (its key and counselor), without an ORM object."""

    kind: str
    id: int
    counselor_id: int
    counselor_name: str


def _load_rows(clinic: Clinic | None, user, date_from: date | None = None, date_to: date | None = None
               ) -> tuple[list[SessionRow], list[RatingRow], list[RatingRow]]:
    """:func:`_load` as plain rows (same scope, clinic, period and rating order): sessions with their counselor's
    name, coder and self ratings with their scores, and assignments."""
    from app.models import Person

    sessions: list[SessionRow] = []
    for model in (MioSession, TrainingCaseSession):
        stmt = (sa.select(model.id, model.counselor_id, Person.display_name)
                .join(Person, Person.id == model.counselor_id))
        if clinic is not None:
            stmt = stmt.where(model.clinic_id == clinic.id)
        stmt = in_period(stmt, model.session_date, date_from, date_to)
        sessions.extend(SessionRow(model.kind, *row) for row in db.session.execute(scoped(stmt, model, user)))
    columns = (FidelityRating.clinic_id, FidelityRating.coder_id, FidelityRating.mio_session_id,
               FidelityRating.training_case_session_id, FidelityRating.source)
    stmt = sa.select(*columns, FidelityRating.scheme_version, FidelityRating.scores).order_by(FidelityRating.id)
    astmt = sa.select(CodingAssignment.clinic_id, CodingAssignment.coder_id, CodingAssignment.mio_session_id,
                      CodingAssignment.training_case_session_id, CodingAssignment.role)
    if clinic is not None:
        stmt = stmt.where(FidelityRating.clinic_id == clinic.id)
        astmt = astmt.where(CodingAssignment.clinic_id == clinic.id)
    ratings = [RatingRow(*row[:5], scheme_version=row[5], scores=row[6])
               for row in db.session.execute(scoped(stmt, FidelityRating, user))]
    assignments = [RatingRow(*row[:4], role=row[4]) for row in db.session.execute(scoped(astmt, CodingAssignment, user))]
    if date_from is not None or date_to is not None:
        keys = {_key(s) for s in sessions}
        ratings = [r for r in ratings if r.session_key in keys]
        assignments = [a for a in assignments if a.session_key in keys]
    return sessions, ratings, assignments


def _counselor_name(session) -> str:
    return session.counselor_name if isinstance(session, SessionRow) else session.counselor.display_name


@dataclass(frozen=True)
class RatingRow:
    """The columns of a rating or coding assignment that coverage, adequacy and reliability read, without an ORM
    object (figures over every clinic read tens of thousands of them)."""

    clinic_id: int
    coder_id: int | None
    mio_session_id: int | None
    training_case_session_id: int | None
    source: str = "coder"
    role: str = "primary"
    scheme_version: int = 0
    scores: Any = None

    @property
    def session_key(self) -> str:
        return f"mio:{self.mio_session_id}" if self.mio_session_id else f"training:{self.training_case_session_id}"


def overview_figures(user=None) -> dict[str, Any]:
    """What the all-clinics fidelity page shows of :func:`fidelity_figures` (scheme, coverage, reliability): coverage
    counted in the database (sessions attended and recorded, and how many sessions have 1, 2, ... distinct coders:
    ``coverage_from_counts``), and the statewide reliability from its stored row when fresh
    (``summaries.statewide_reliability``), else computed from the double-coded sessions' ratings read as plain
    rows. Building every clinic's sessions as ORM objects (480,000 at statewide scale) made the page time out under
    load. Run charts, adequacy by counselor and self-reflection stay on each clinic's page."""
    from implementation_outcomes.delivery.services.summaries import statewide_reliability

    version, scheme = current_scheme()
    coder = FidelityRating.source == "coder"
    coverage: dict[str, Any] = {}
    totals = [0, 0]
    every_kind: list[int] = []
    for model, column in ((MioSession, FidelityRating.mio_session_id),
                          (TrainingCaseSession, FidelityRating.training_case_session_id)):
        attended = model.status == "attended"
        recorded = sa.and_(attended, model.audio_recorded.is_(True))
        counts = sa.select(sa.func.count(sa.case((attended, 1))), sa.func.count(sa.case((recorded, 1))))
        n_attended, n_recorded = db.session.execute(scoped(counts, model, user)).one()
        stray = (sa.select(sa.func.count()).select_from(FidelityRating).join(model, model.id == column)
                 .where(FidelityRating.source == "coder", ~recorded))
        if db.session.execute(scoped(stray, FidelityRating, user)).scalar_one():
            raise RatingError(f"coder ratings of {model.kind} sessions that are not recorded, attended sessions")
        # distinct coders per coded session, counted per number of coders (a handful of rows)
        per_session = scoped(sa.select(sa.func.count(sa.distinct(FidelityRating.coder_id)).label("coders"))
                             .where(coder, column.is_not(None)).group_by(column), FidelityRating, user).subquery()
        histogram = db.session.execute(sa.select(per_session.c.coders, sa.func.count())
                                       .group_by(per_session.c.coders).order_by(per_session.c.coders)).all()
        coders_per_session = [n for n, sessions in histogram for _ in range(sessions)]
        coverage[model.kind] = coverage_from_counts(n_attended, n_recorded, coders_per_session)
        every_kind += coders_per_session
        totals = [totals[0] + n_attended, totals[1] + n_recorded]
    coverage["all"] = coverage_from_counts(*totals, every_kind)
    figures, freshness = statewide_reliability(lambda: statewide_reliability_live(user), user)
    return {"scheme": _scheme_summary(version, scheme), "coverage": coverage, "reliability": figures,
            "freshness": freshness}


def statewide_reliability_live(user=None) -> dict[str, Any]:
    """:func:`reliability` over every double-coded session in scope (scores read only for those sessions)."""
    _version, scheme = current_scheme()
    schemes = schemes_by_version()
    columns = (FidelityRating.clinic_id, FidelityRating.coder_id, FidelityRating.mio_session_id,
               FidelityRating.training_case_session_id, FidelityRating.source)
    coder = FidelityRating.source == "coder"
    double = [sa.select(column).where(coder, column.is_not(None)).group_by(column)
              .having(sa.func.count(sa.distinct(FidelityRating.coder_id)) >= 2)
              for column in (FidelityRating.mio_session_id, FidelityRating.training_case_session_id)]
    stmt = scoped(sa.select(*columns, FidelityRating.scheme_version, FidelityRating.scores)
                  .where(coder, sa.or_(FidelityRating.mio_session_id.in_(double[0]),
                                       FidelityRating.training_case_session_id.in_(double[1])))
                  .order_by(FidelityRating.id), FidelityRating, user)
    ratings = [RatingRow(*row[:5], scheme_version=row[5], scores=row[6]) for row in db.session.execute(stmt)]
    astmt = scoped(sa.select(CodingAssignment.clinic_id, CodingAssignment.coder_id, CodingAssignment.mio_session_id,
                             CodingAssignment.training_case_session_id).where(CodingAssignment.role == "primary"),
                   CodingAssignment, user)
    assignments = [RatingRow(*row) for row in db.session.execute(astmt)]
    return reliability(ratings, assignments, scheme, schemes)


def _scheme_summary(version: int, scheme: dict[str, Any]) -> dict[str, Any]:
    return {"version": version, "title": scheme.get("title"), "adherence_group": headline_group(scheme),
            "groups": [{"key": g["key"], "label": g["label"]} for g in scheme["groups"]],
            "rating_range": scheme["rating_range"]}


def _key(session) -> str:
    return f"{session.kind}:{session.id}"


def _coverage(sessions: list, ratings: list[FidelityRating]) -> dict[str, Any]:
    rows = [{"session_id": _key(s), "attended": s.attended, "recorded": s.audio_recorded} for s in sessions]
    keys = {r["session_id"] for r in rows}
    rating_rows = [{"session_id": r.session_key, "coder_id": r.coder_id, "source": r.source}
                   for r in ratings if r.source == "coder" and r.session_key in keys]
    return fidelity_coverage(rows, rating_rows)


def _primary_ratings(ratings: list[FidelityRating], assignments: list[CodingAssignment]) -> dict[str, FidelityRating]:
    primary_coder = {a.session_key: a.coder_id for a in assignments if a.role == "primary"}
    out: dict[str, FidelityRating] = {}
    for r in ratings:
        if r.source != "coder":
            continue
        current = out.get(r.session_key)
        if current is None or (r.coder_id == primary_coder.get(r.session_key) != current.coder_id):
            out[r.session_key] = r
    return out


def _icc_entry(label: str, key: str, pairs: list[tuple[float, float]]) -> dict[str, Any]:
    entry = {"label": label, "key": key, "n": len(pairs), "form": ICC_FORM, **ICC_FORMS[ICC_FORM]}
    try:
        result = icc([list(p) for p in pairs], ICC_FORM)
    except ICCInputError as exc:
        entry.update(value=None, ci_low=None, ci_high=None, band=None, band_ci_low=None, band_ci_high=None,
                     band_of_ci=None, F=None, p=None, note=str(exc))
        return entry
    entry.update({k: result[k] for k in ("value", "ci_low", "ci_high", "band", "band_ci_low", "band_ci_high", "F",
                                          "df1", "df2", "p")})
    entry["band_of_ci"] = koo_li_ci_band(result["ci_low"], result["ci_high"])
    entry["note"] = None if result["value"] is not None else "undefined (no spread between sessions)"
    return entry


def _ordered_pairs(double: dict[str, dict[int, Any]], primary_coder: dict[str, int | None]
                   ) -> tuple[list[tuple[Any, Any]], bool]:
    """The two ratings of each double-coded session, as columns: the two coders when the whole subset was rated by
    the same two coders (the two-way model's fixed rater set), else "primary" and "second" coder."""
    coders = sorted({c for v in double.values() for c in v})
    same_two = len(coders) == 2
    ordered: list[tuple[Any, Any]] = []
    for key, by_coder in sorted(double.items()):
        if same_two:
            ordered.append((by_coder[coders[0]], by_coder[coders[1]]))
        else:
            first_id = primary_coder.get(key, min(by_coder))
            first = by_coder.get(first_id, by_coder[min(by_coder)])
            second = next(r for c, r in sorted(by_coder.items()) if r is not first)
            ordered.append((first, second))
    return ordered, same_two


#: the session kinds reliability is reported for: trial sessions are the headline, training cases apart
SESSION_KINDS: dict[str, str] = {"mio": "Trial sessions (headline)", "training": "Training-case sessions",
                                 "all": "Trial and training-case sessions pooled"}


def reliability(ratings: list[FidelityRating], assignments: list[CodingAssignment],
                scheme: dict[str, Any], schemes: dict[int, dict[str, Any]], headline_only: bool = False
                ) -> dict[str, Any]:
    """ICC(2,1) over double-coded *trial* sessions, per group mean and per scale of the current scheme, and the
    adherence group's ICC of training-case sessions and of both pooled, shown apart (``by_session_kind``):
    training cases are rated before delivery, by other rules of engagement, and would lift or lower the trial
    figure if pooled.

    ``headline_only`` computes the adherence group alone (``by_group`` holds just it, ``by_scale`` is empty): the
    director's overview shows only that figure for every clinic.

    Each double-coded session contributes its two coder ratings. Columns are the two coders when the whole subset
    was rated by the same two coders (the two-way model's fixed rater set); otherwise the columns are "primary" and
    "second" coder and ``same_two_coders`` is False (ICC(1,1), one-way, is then the stricter reading; also given).
    """
    by_session: dict[str, dict[int, FidelityRating]] = {}
    for r in ratings:
        if r.source == "coder":
            by_session.setdefault(r.session_key, {})[r.coder_id] = r
    primary_coder = {a.session_key: a.coder_id for a in assignments if a.role == "primary"}
    double = {k: v for k, v in by_session.items() if len(v) >= 2}
    subsets = {"mio": {k: v for k, v in double.items() if k.startswith("mio:")},
               "training": {k: v for k, v in double.items() if k.startswith("training:")}, "all": double}
    headline_key = headline_group(scheme)
    headline_label = next(g["label"] for g in scheme["groups"] if g["key"] == headline_key)

    def means_of(ordered):
        return [(group_scores(schemes.get(a.scheme_version, scheme), a.scores),
                 group_scores(schemes.get(b.scheme_version, scheme), b.scores)) for a, b in ordered]

    def group_pairs(means, key):
        return [(ma[key], mb[key]) for ma, mb in means if ma.get(key) is not None and mb.get(key) is not None]

    ordered, same_two = _ordered_pairs(subsets["mio"], primary_coder)
    means = means_of(ordered)
    group_rows, scale_rows = [], []
    for g in scheme["groups"]:
        if headline_only and g["key"] != headline_key:
            continue
        group_rows.append(_icc_entry(g["label"], g["key"], group_pairs(means, g["key"])))
    for s in [] if headline_only else scheme["scales"]:
        pairs = [(a.scores[s["key"]], b.scores[s["key"]]) for a, b in ordered
                 if a.scores.get(s["key"]) is not None and b.scores.get(s["key"]) is not None]
        scale_rows.append(_icc_entry(s["label"], s["key"], pairs))
    headline = next(r for r in group_rows if r["key"] == headline_key)
    by_kind = {"mio": {**headline, "session_kind": SESSION_KINDS["mio"], "same_two_coders": same_two}}
    for kind in ("training", "all"):
        kind_ordered, kind_same_two = _ordered_pairs(subsets[kind], primary_coder)
        entry = _icc_entry(headline_label, headline_key, group_pairs(means_of(kind_ordered), headline_key))
        by_kind[kind] = {**entry, "session_kind": SESSION_KINDS[kind], "same_two_coders": kind_same_two}
    oneway = None
    if not same_two and headline["n"] >= 2:
        try:
            oneway = icc([list(p) for p in group_pairs(means, headline_key)], "ICC(1,1)")
        except ICCInputError:
            oneway = None
    return {"form": ICC_FORM, "description": ICC_DESCRIPTION, "n_double_coded": len(ordered),
            "n_double_coded_training": len(subsets["training"]),
            "same_two_coders": same_two, "headline": headline, "by_group": group_rows, "by_scale": scale_rows,
            "by_session_kind": by_kind, "one_way_headline": oneway}


def fidelity_figures(clinic: Clinic | None, user=None, date_from: date | None = None, date_to: date | None = None,
                     *, adequacy_only: bool = False) -> dict[str, Any]:
    """Every figure of the fidelity page; ``adequacy_only``: the scheme and ``adequacy`` alone (computed by the
    same lines), for pages that show only that (the joint display and determinants: four clinics' coverage,
    reliability, run charts and self-ratings were most of their time and were thrown away)."""
    if adequacy_only:
        sessions, ratings, assignments = _load_rows(clinic, user, date_from, date_to)
    else:
        sessions, ratings, assignments = _load(clinic, user, date_from, date_to)
    version, scheme = current_scheme()
    schemes = schemes_by_version()
    adherence = headline_group(scheme)
    session_by_key = {_key(s): s for s in sessions}
    primary = _primary_ratings(ratings, assignments)
    adequacy_rows: list[dict[str, Any]] = []
    chart_rows: list[dict[str, Any]] = []
    counselor_names: dict[str, str] = {}
    rated = [(key, rating, session_by_key[key]) for key, rating in primary.items() if key in session_by_key]
    verdicts = _adequacy(rated, schemes, scheme)
    for (key, rating, session), adequate in zip(rated, verdicts, strict=True):
        counselor_names[str(session.counselor_id)] = _counselor_name(session)
        adequacy_rows.append({"counselor_id": session.counselor_id, "adequate": adequate})
        if adequacy_only:
            continue
        score = group_scores(schemes.get(rating.scheme_version, scheme), rating.scores).get(adherence)
        if score is not None and session.kind == "mio":  # drift is watched over trial delivery
            chart_rows.append({"counselor_id": session.counselor_id, "score": score, "session_id": key,
                               "order": (session.session_date, session.kind, session.id)})
    rows_of: dict[str, list[dict[str, Any]]] = {}
    for row in adequacy_rows:
        rows_of.setdefault(str(row["counselor_id"]), []).append(row)
    by_counselor = []
    for cid, name in sorted(counselor_names.items(), key=lambda kv: kv[1]):
        own = rows_of.get(cid, [])
        adequate = sum(r["adequate"] for r in own)
        by_counselor.append({"counselor_id": int(cid), "counselor": name, "rated": len(own), "adequate": adequate,
                             "share": proportion(adequate, len(own))})
    adequate_total = sum(r["adequate"] for r in adequacy_rows)
    adequacy = {"rated": len(adequacy_rows), "adequate": adequate_total,
                "share": proportion(adequate_total, len(adequacy_rows)), "by_counselor": by_counselor}
    clinic_summary = {"id": clinic.id, "code": clinic.code, "name": clinic.name} if clinic else None
    if adequacy_only:
        return {"clinic": clinic_summary, "scheme": _scheme_summary(version, scheme), "adequacy": adequacy}
    charts = run_charts_by_counselor(chart_rows)
    run_charts = []
    for cid, chart in charts.items():
        points = []
        for point in chart["points"]:
            s = session_by_key[point["session_id"]]
            points.append({**point, "session_date": s.session_date, "label": _label(s)})
        run_charts.append({"counselor_id": int(cid), "counselor": counselor_names[cid], "chart": chart,
                           "points": points})
    run_charts.sort(key=lambda c: c["counselor"])
    return {
        "clinic": clinic_summary,
        "scheme": _scheme_summary(version, scheme),
        "coverage": {
            "mio": _coverage([s for s in sessions if s.kind == "mio"], ratings),
            "training": _coverage([s for s in sessions if s.kind == "training"], ratings),
            "all": _coverage(sessions, ratings),
        },
        "adequacy": adequacy,
        "reliability": reliability(ratings, assignments, scheme, schemes),
        "run_charts": run_charts,
        "self_vs_coder": _self_vs_coder(sessions, ratings, primary, scheme, schemes),
    }


def _adequacy(rated: list, schemes: dict[int, dict[str, Any]], scheme: dict[str, Any]) -> list[bool]:
    """``fidelity.adequacy_of_ratings`` per scheme version (each rating is judged by the version it was made with)."""
    verdicts: list[bool | None] = [None] * len(rated)
    by_version: dict[int, list[int]] = {}
    for i, (_key, rating, _session) in enumerate(rated):
        by_version.setdefault(rating.scheme_version, []).append(i)
    for version, indexes in by_version.items():
        results = adequacy_of_ratings(schemes.get(version, scheme), [rated[i][1].scores for i in indexes])
        for i, verdict in zip(indexes, results, strict=True):
            verdicts[i] = verdict
    return [bool(v) for v in verdicts]


def _label(session) -> str:
    if session.kind == "mio":
        return f"{session.participant.study_id} #{session.session_number}"
    return f"{session.case_label} #{session.session_number} (training)"


def _self_vs_coder(sessions, ratings, primary, scheme, schemes) -> dict[str, Any]:
    groups = [g["key"] for g in scheme["groups"]]
    self_ratings = {r.session_key: r for r in ratings if r.source == "self"}
    rows, compare = [], []
    for s in sorted((s for s in sessions if s.kind == "training"),
                    key=lambda s: (s.counselor.display_name, s.training_case, s.session_number)):
        key = _key(s)
        own, coded = self_ratings.get(key), primary.get(key)
        if own is None and coded is None:
            continue
        own_means = group_scores(schemes.get(own.scheme_version, scheme), own.scores) if own else {}
        coded_means = group_scores(schemes.get(coded.scheme_version, scheme), coded.scores) if coded else {}
        rows.append({"counselor_id": s.counselor_id, "counselor": s.counselor.display_name, "case_label": s.case_label,
                     "training_case": s.training_case, "session_number": s.session_number,
                     "session_date": s.session_date, "self": own_means, "coder": coded_means})
        if own:
            compare.append({"counselor_id": s.counselor_id, "session_id": key, "source": "self",
                            "group_means": own_means})
        if coded:
            compare.append({"counselor_id": s.counselor_id, "session_id": key, "source": "coder",
                            "group_means": coded_means})
    names = {str(s.counselor_id): s.counselor.display_name for s in sessions}
    summary = [{"counselor_id": int(cid), "counselor": names[cid], "groups": by_group}
               for cid, by_group in compare_sources(compare, groups).items()]
    return {"sessions": rows, "by_counselor": sorted(summary, key=lambda r: r["counselor"])}


def clinic_fidelity(clinic_id: int, user=None, date_from: date | None = None, date_to: date | None = None,
                    *, adequacy_only: bool = False) -> dict[str, Any]:
    """Fidelity of one clinic as plain data (page and director's overview); see the module docstring. With a period
    (either bound optional) only sessions dated in it and their ratings count."""
    return fidelity_figures(clinic_or_404(clinic_id, user), user, date_from, date_to, adequacy_only=adequacy_only)

