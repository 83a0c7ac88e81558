"""Reach (RE-AIM) from a screening log: cascade, reach %, CONSORT flow.

A screening-log row is a dict with
  ``status``  one of ``SCREENING_STATUSES`` (the furthest point the person reached),
  ``reason``  required for ``excluded`` (exclusion reason) and ``declined`` (decline reason),
  ``arm``     ``"mio_tau"`` or ``"tau"``; required for ``randomized`` and ``started``
              (``started`` = attended a first MIO session, so only ``mio_tau``),
  ``clinic``  optional clinic code (used by the per-clinic functions).

The cascade follows RE-AIM "Calculating and reporting on Reach" (re-aim.org): target population ->
screened -> excluded (reason) -> eligible -> offered -> declined (reason) -> enrolled (consented) ->
randomized -> started, with "lost/undetermined" (lost to contact before eligibility or the offer was
settled) kept apart so it can be added to the denominator in a sensitivity analysis.
Representativeness (standardized mean differences) lives in ``representativeness.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from implementation_outcomes._values import proportion
from implementation_outcomes.errors import ScreeningLogError

SCREENING_STATUSES: tuple[str, ...] = (
    "excluded",  # screened, not eligible (reason required)
    "lost",  # screened, lost to contact / eligibility or offer undetermined
    "not_offered",  # eligible, not offered (e.g. counselor caseload full)
    "declined",  # eligible, offered, declined (reason required)
    "consented",  # enrolled, not randomized (yet)
    "randomized",  # randomized (arm required)
    "started",  # randomized to MIO+TAU and attended a first MIO session
)
ARMS: tuple[str, ...] = ("mio_tau", "tau")
ARM_LABELS: dict[str, str] = {"mio_tau": "MIO + treatment as usual", "tau": "Treatment as usual"}
REACH_NUMERATORS: tuple[str, ...] = ("enrolled", "randomized", "started_mio")


def _check_row(i: int, row: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    status = row.get("status")
    if status not in SCREENING_STATUSES:
        raise ScreeningLogError(
            f"row {i}, field 'status': {status!r} is not one of {', '.join(SCREENING_STATUSES)}"
        )
    reason = row.get("reason")
    if status in ("excluded", "declined") and not (isinstance(reason, str) and reason.strip()):
        raise ScreeningLogError(f"row {i}, field 'reason': a {status} row needs a reason")
    arm = row.get("arm")
    if status in ("randomized", "started"):
        if arm not in ARMS:
            raise ScreeningLogError(f"row {i}, field 'arm': {arm!r} is not one of {', '.join(ARMS)}")
        if status == "started" and arm != "mio_tau":
            raise ScreeningLogError(f"row {i}, field 'arm': only mothers randomized to mio_tau can start MIO")
    elif arm is not None:
        raise ScreeningLogError(f"row {i}, field 'arm': a {status} row cannot have an arm")
    return status, (reason.strip() if isinstance(reason, str) else None), arm


def validate_screening_row(i: int, row: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """Check one screening-log row as ``reach_cascade`` does; return ``(status, reason, arm)``.

    Raises ``ScreeningLogError`` naming ``row {i}`` and the field: unknown status, excluded/declined without a
    reason, randomized/started without an arm (or started outside MIO + TAU), an arm on a row not randomized.
    Callers pass their own row number (e.g. the spreadsheet line) as ``i``.
    """
    return _check_row(i, row)


def reach_cascade(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Count a screening log at each CONSORT/RE-AIM stage.

    Stages are cumulative from the status each person reached:
      screened = all rows; eligible = not_offered + declined + consented + randomized + started;
      offered = declined + enrolled; enrolled (consented) = consented + randomized + started;
      randomized = randomized + started; started_mio = started.
    ``lost_undetermined`` is outside both ``excluded`` and ``eligible``.
    Reasons are tallied as given (stripped), sorted by count then name.
    Sources: RE-AIM "Calculating and reporting on Reach"; Moher et al. 2010, CONSORT 2010 flow diagram.
    """
    status_counts: Counter[str] = Counter()
    excluded_by: Counter[str] = Counter()
    declined_by: Counter[str] = Counter()
    arms: Counter[str] = Counter()
    for i, row in enumerate(rows):
        status, reason, arm = _check_row(i, row)
        status_counts[status] += 1
        if status == "excluded":
            excluded_by[reason or ""] += 1
        elif status == "declined":
            declined_by[reason or ""] += 1
        if arm is not None:
            arms[arm] += 1
    return _cascade(status_counts, excluded_by, declined_by, arms)


def reach_cascade_counted(rows: Iterable[tuple[Mapping[str, Any], int]]) -> dict[str, Any]:
    """:func:`reach_cascade` of a log given as distinct rows with how many times each occurs (``(row, count)``, as
    a ``GROUP BY status, reason, arm`` returns it): the same figures as ``reach_cascade`` over the expanded log,
    each distinct row checked once. ``i`` in an error is the position of the distinct row."""
    status_counts: Counter[str] = Counter()
    excluded_by: Counter[str] = Counter()
    declined_by: Counter[str] = Counter()
    arms: Counter[str] = Counter()
    for i, (row, count) in enumerate(rows):
        if count <= 0:
            continue
        status, reason, arm = _check_row(i, row)
        status_counts[status] += count
        if status == "excluded":
            excluded_by[reason or ""] += count
        elif status == "declined":
            declined_by[reason or ""] += count
        if arm is not None:
            arms[arm] += count
    return _cascade(status_counts, excluded_by, declined_by, arms)


def _cascade(c: Counter[str], excluded_by: Counter[str], declined_by: Counter[str], arms: Counter[str]
             ) -> dict[str, Any]:
    enrolled = c["consented"] + c["randomized"] + c["started"]
    return {
        "screened": sum(c.values()),
        "excluded": c["excluded"],
        "excluded_by_reason": _sorted_counts(excluded_by),
        "lost_undetermined": c["lost"],
        "eligible": c["not_offered"] + c["declined"] + enrolled,
        "not_offered": c["not_offered"],
        "offered": c["declined"] + enrolled,
        "declined": c["declined"],
        "declined_by_reason": _sorted_counts(declined_by),
        "enrolled": enrolled,
        "consented_not_randomized": c["consented"],
        "randomized": c["randomized"] + c["started"],
        "randomized_by_arm": {arm: arms[arm] for arm in ARMS},
        "started_mio": c["started"],
    }


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def reach_cascade_by_clinic(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``reach_cascade`` per value of the rows' ``clinic`` field (rows without one go under ``""``)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get("clinic") or ""), []).append(row)
    return {clinic: reach_cascade(group) for clinic, group in sorted(groups.items())}


def reach_pct(cascade: Mapping[str, Any], numerator: str = "enrolled") -> float | None:
    """Reach % = numerator / eligible-and-offered (``offered``), as a proportion 0..1; None if undefined.

    ``numerator`` is ``"enrolled"`` (consented, the RE-AIM default for a trial), ``"randomized"`` or
    ``"started_mio"`` (mothers who attended a first MIO session; only the MIO+TAU arm can start, so in a
    2:1 trial this is at most about two thirds of the randomized).
    Source: RE-AIM "Calculating and reporting on Reach" (participants / eligible and offered).
    """
    if numerator not in REACH_NUMERATORS:
        raise ScreeningLogError(f"numerator {numerator!r} is not one of {', '.join(REACH_NUMERATORS)}")
    return proportion(cascade[numerator], cascade["offered"])


def reach_pct_sensitivity(cascade: Mapping[str, Any], numerator: str = "enrolled") -> float | None:
    """Sensitivity reach % = numerator / (eligible-and-offered + lost/undetermined); None if undefined.

    Counting everyone whose eligibility or decision is unknown as a non-participant gives the lower bound.
    Source: RE-AIM "Calculating and reporting on Reach".
    """
    if numerator not in REACH_NUMERATORS:
        raise ScreeningLogError(f"numerator {numerator!r} is not one of {', '.join(REACH_NUMERATORS)}")
    return proportion(cascade[numerator], cascade["offered"] + cascade["lost_undetermined"])


def reach_pct_of_eligible(cascade: Mapping[str, Any], numerator: str = "enrolled") -> float | None:
    """RE-AIM reach over everyone eligible = numerator / eligible (offered or not); None if undefined.

    Shown beside the platform's headline reach (numerator / eligible and offered): the two differ by the eligible
    mothers who were never offered the study. Source: RE-AIM "Calculating and reporting on Reach" (participants /
    eligible target population).
    """
    if numerator not in REACH_NUMERATORS:
        raise ScreeningLogError(f"numerator {numerator!r} is not one of {', '.join(REACH_NUMERATORS)}")
    return proportion(cascade[numerator], cascade["eligible"])


#: what "Reach" means wherever it is shown (overview column, CSV, API)
REACH_DEFINITIONS: dict[str, str] = {
    "reach": "enrolled / eligible and offered",
    "reach_sensitivity": "enrolled / (eligible and offered + lost or eligibility undetermined)",
    "reach_eligible": "enrolled / eligible (RE-AIM: offered or not)",
}


_FLOW_NODES: tuple[tuple[str, str, str, str | None], ...] = (
    # (id, label, CONSORT section, parent)
    ("screened", "Screened (assessed for eligibility)", "enrollment", None),
    ("excluded", "Excluded (not eligible)", "enrollment", "screened"),
    ("lost_undetermined", "Lost / eligibility undetermined", "enrollment", "screened"),
    ("eligible", "Eligible", "enrollment", "screened"),
    ("not_offered", "Eligible, not offered", "enrollment", "eligible"),
    ("offered", "Offered participation", "enrollment", "eligible"),
    ("declined", "Declined", "enrollment", "offered"),
    ("enrolled", "Consented (enrolled)", "enrollment", "offered"),
    ("consented_not_randomized", "Consented, not randomized", "enrollment", "enrolled"),
    ("randomized", "Randomized 2:1", "allocation", "enrolled"),
    ("arm_mio_tau", "Allocated to MIO + TAU", "allocation", "randomized"),
    ("arm_tau", "Allocated to TAU", "allocation", "randomized"),
    ("started_mio", "Started MIO (attended session 1)", "allocation", "arm_mio_tau"),
)


def _flow(cascade: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    counts = dict(cascade)
    counts["arm_mio_tau"] = cascade["randomized_by_arm"]["mio_tau"]
    counts["arm_tau"] = cascade["randomized_by_arm"]["tau"]
    details = {"excluded": cascade["excluded_by_reason"], "declined": cascade["declined_by_reason"]}
    nodes = [
        {
            "id": node_id,
            "label": label,
            "section": section,
            "count": counts[node_id],
            "reasons": [{"reason": r, "count": n} for r, n in details.get(node_id, {}).items()],
        }
        for node_id, label, section, _ in _FLOW_NODES
    ]
    edges = [
        {"source": parent, "target": node_id, "count": counts[node_id]}
        for node_id, _, _, parent in _FLOW_NODES
        if parent is not None
    ]
    return {"nodes": nodes, "edges": edges}


def consort_flow(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Nodes and edges for a CONSORT-style flow diagram, per clinic and overall.

    Returns ``{"clinics": {clinic: {"nodes": [...], "edges": [...]}}, "overall": {...}}``. A node is
    ``{id, label, section ("enrollment"|"allocation"), count, reasons: [{reason, count}]}``; an edge is
    ``{source, target, count}`` (count = the target node's count). Children of a node add up to it except
    ``started_mio`` (a subset of its arm).
    Source: Moher et al. 2010, CONSORT 2010 flow diagram; RE-AIM reach cascade.
    """
    rows = list(rows)
    return {
        "clinics": {clinic: _flow(c) for clinic, c in reach_cascade_by_clinic(rows).items()},
        "overall": _flow(reach_cascade(rows)),
    }
