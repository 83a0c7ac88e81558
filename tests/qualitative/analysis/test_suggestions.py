"""Auto-coding suggestions: the project run (as a job with progress), re-runs without duplicates, accepting and
rejecting one by one and in bulk, precision and recall per construct, blind documents left out."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from app.db import db
from app.jobs import Job, JobStatus
from qualitative.analysis.models import Suggestion, SuggestionStatus
from qualitative.analysis.services import blind
from qualitative.analysis.services import suggestions as service
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.analysis.views import suggestions as views
from qualitative.autocode import RULE_VERSION
from qualitative.models import Coding

TURNS = [
    ("Interviewer", "To start, how was the culture and the staffing?"),  # 0: the interviewer's: never suggested
    ("Supervisor", "Staffing was thin."),  # 1: III.J (staff), neutral
    ("Counselor", "We never had time for the sessions."),  # 2: III.J (time), barrier cue "never"
    ("Counselor", "The culture here is supportive and helpful."),  # 3: III.D (culture), facilitator cues
    ("Interviewer", "Anything else?"),  # 4: nothing
]


def _doc(world, name="Interview 1", clinic="SPR-1"):
    return world.document(name, world.clinics[clinic], TURNS)


def _rows(world):
    return db.session.execute(sa.select(Suggestion).where(Suggestion.project_id == world.project.id)
                              .order_by(Suggestion.start, Suggestion.code_id)).scalars().all()


def test_project_run_suggests_per_turn_with_terms_valence_and_rule(world):
    doc = _doc(world)
    totals = service.autocode_project(world.project.id, world.users["ana"].id)
    assert totals["documents"] == 1 and totals["added"] == 3
    rows = _rows(world)
    assert not [r for r in rows if r.start < doc.turns[1].start]  # the interviewer's "culture and staffing"
    spans = [(r.code.key, r.start, r.end, r.matched_terms, r.valence) for r in rows]
    t = doc.turns
    assert spans == [("III.J", t[1].start, t[1].end, ["staff"], "neutral"),
                     ("III.J", t[2].start, t[2].end, ["time"], "barrier"),
                     ("III.D", t[3].start, t[3].end, ["culture"], "facilitator")]
    # each term in one of the three interviewee turns: idf 1, E = 1, score 1 - e^-1 (qualitative.autocode)
    assert [r.score for r in rows] == [0.632121] * 3
    assert all(r.rule_version == RULE_VERSION and r.status == SuggestionStatus.PENDING for r in rows)
    assert all(r.requested_by_id == world.users["ana"].id for r in rows)
    assert not db.session.execute(sa.select(Coding.id)).first()  # suggestions are not codings


def test_rerun_replaces_pending_and_never_duplicates_decided(world):
    _doc(world)
    service.autocode_project(world.project.id, None)
    first = {r.id: (r.code_id, r.start) for r in _rows(world)}
    again = service.autocode_project(world.project.id, None)
    assert again["added"] == 0 and again["unchanged"] == 3
    assert {r.id: (r.code_id, r.start) for r in _rows(world)} == first  # same rows, same ids
    decided = _rows(world)[0]
    service.decide(decided, world.users["ana"], "accept")
    world.codes["III.D"].lexicon = ["trust"]  # the codebook changes: the culture suggestion no longer fires
    db.session.commit()
    third = service.autocode_project(world.project.id, None)
    assert third["removed"] == 1 and third["decided"] == 1
    rows = _rows(world)
    assert len(rows) == 2 and rows[0].status == SuggestionStatus.ACCEPTED


def test_documents_awaiting_deidentification_are_skipped(world):
    doc = _doc(world)
    doc.deidentification = "pending"
    db.session.commit()
    totals = service.autocode_project(world.project.id, None)
    assert totals["skipped"] == 1 and _rows(world) == []


def test_project_without_lexicons_is_refused(world):
    for code in world.codes.values():
        code.lexicon = []
    db.session.commit()
    try:
        service.autocode_project(world.project.id, None)
    except AnalysisInputError as exc:
        assert "lexicon" in str(exc)
    else:
        raise AssertionError("expected AnalysisInputError")


def test_accept_creates_the_analysts_coding_once(world):
    _doc(world)
    service.autocode_project(world.project.id, None)
    row = _rows(world)[1]
    ben = world.users["ben"]
    assert service.decide(row, ben, "accept") is True
    coding = db.session.get(Coding, row.coding_id)
    assert (coding.coder_id, coding.source, coding.start, coding.end) == (ben.id, "suggestion", row.start, row.end)
    assert row.decided_by_id == ben.id and row.decided_at is not None
    assert service.decide(row, ben, "accept") is False  # idempotent
    assert db.session.execute(sa.select(sa.func.count(Coding.id))).scalar() == 1
    try:
        service.decide(row, ben, "reject")
    except AnalysisInputError as exc:
        assert "already accepted" in str(exc)
    else:
        raise AssertionError("rejecting an accepted suggestion must be refused")


def test_reject_then_change_of_mind(world):
    _doc(world)
    service.autocode_project(world.project.id, None)
    row = _rows(world)[0]
    assert service.decide(row, world.users["ana"], "reject") is True
    assert service.decide(row, world.users["ana"], "reject") is False
    assert service.decide(row, world.users["ana"], "accept") is True and row.status == SuggestionStatus.ACCEPTED


def test_bulk_decisions_follow_the_filters(world):
    _doc(world, "Interview 1")
    _doc(world, "Interview 2", "HFR-1")
    service.autocode_project(world.project.id, None)
    ana = world.users["ana"]
    n = service.decide_many(world.project, ana, "accept", code_id=world.codes["III.J"].id, valence="barrier")
    assert n == 2  # the "time" turn of both interviews
    assert service.decide_many(world.project, ana, "accept", code_id=world.codes["III.J"].id,
                               valence="barrier") == 0  # idempotent
    rejected = service.decide_many(world.project, ana, "reject", document_id=_rows(world)[0].document_id)
    assert rejected == 2  # the rest of that document's pending suggestions
    counts = service.status_counts(world.project.id, ana)
    assert counts == {"pending": 2, "accepted": 2, "rejected": 2}
    codings = db.session.execute(sa.select(Coding)).scalars().all()
    assert len(codings) == 2 and {c.coder_id for c in codings} == {ana.id}


def test_quality_per_construct_by_hand(world):
    doc = _doc(world)
    ana = world.users["ana"]
    service.autocode_project(world.project.id, None)
    world.code_turn(doc, 2, world.codes["III.J"], ana)  # agrees with the "time" suggestion
    world.code_turn(doc, 4, world.codes["III.D"], ana)  # a culture turn the auto-coder missed
    accepted = _rows(world)[2]
    service.decide(accepted, world.users["ben"], "accept")  # accepted codings are not the yardstick
    report = service.quality(world.project, ana)
    figures = {r["code"].key: r for r in report["rows"]}
    # III.J: suggested turns {1, 2}, coded {2} -> tp 1, fp 1, fn 0 -> precision 1/2, recall 1/1
    assert (figures["III.J"]["tp"], figures["III.J"]["fp"], figures["III.J"]["fn"]) == (1, 1, 0)
    assert figures["III.J"]["precision"] == 0.5 and figures["III.J"]["recall"] == 1.0
    # III.D: suggested {3}, coded {4} -> tp 0, fp 1, fn 1 -> precision 0, recall 0, f1 0
    assert (figures["III.D"]["precision"], figures["III.D"]["recall"], figures["III.D"]["f1"]) == (0.0, 0.0, 0.0)
    assert report["documents"] == 1
    # pooled (micro-average): tp 1, fp 2, fn 1 -> precision 1/3, recall 1/2
    assert report["overall"] == {"tp": 1, "fp": 2, "fn": 1, "precision": 1 / 3, "recall": 0.5}
    # only the top of the ranked list: every suggestion here scores 0.632121, so a floor of 0.7 keeps none
    assert service.quality(world.project, ana, min_score=0.7)["overall"] == {
        "tp": 0, "fp": 0, "fn": 2, "precision": None, "recall": 0.0}


def test_blind_coders_do_not_see_suggestions_on_their_blind_documents(world):
    doc = _doc(world)
    other = _doc(world, "Interview 2")
    service.autocode_project(world.project.id, None)
    ana, ben = world.users["ana"], world.users["ben"]
    blind.create_sample(world.project, "R1", [doc.id], [ana.id, ben.id], None, world.users["manager"].id)
    seen = db.session.execute(service.suggestion_query(world.project.id, ana)).scalars().all()
    assert {s.document_id for s in seen} == {other.id}
    managers = db.session.execute(service.suggestion_query(world.project.id, world.users["manager"])).scalars().all()
    assert {s.document_id for s in managers} == {doc.id, other.id}


def test_pages_run_the_job_and_decide(world, client, login):
    doc = _doc(world)
    pid = world.project.id
    login(world.users["ana"])
    response = client.post(f"/qualitative/projects/{pid}/suggestions/run")
    assert response.status_code == 302 and "/jobs/" in response.location
    job = db.session.execute(sa.select(Job).where(Job.kind == "qual.autocode")).scalar_one()
    assert job.status == JobStatus.DONE and job.progress == job.total == 1
    assert job.result["added"] == 3 and job.result_url.endswith(f"/projects/{pid}/suggestions")
    page = client.get(f"/qualitative/projects/{pid}/suggestions")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "We never had <mark>time</mark> for the sessions." in body and "barrier" in body
    row = _rows(world)[1]
    accepted = client.post(f"/qualitative/projects/{pid}/suggestions/{row.id}/accept")
    assert accepted.status_code == 302
    db.session.refresh(row)
    assert row.status == SuggestionStatus.ACCEPTED
    bulk = client.post(f"/qualitative/projects/{pid}/suggestions/bulk", data={"action": "reject"})
    assert bulk.status_code == 302
    assert service.status_counts(pid, world.users["ana"]) == {"pending": 0, "accepted": 1, "rejected": 2}
    redo = client.post(f"/qualitative/projects/{pid}/suggestions/{row.id}/reject", follow_redirects=True)
    assert "already accepted" in redo.get_data(as_text=True)
    assert client.get(f"/qualitative/projects/{pid}/suggestions?valence=sad").status_code == 400
    assert client.get(f"/qualitative/projects/{pid}/suggestions?status=maybe").status_code == 400
    assert client.get(f"/qualitative/projects/{pid}/suggestions?code_id=abc").status_code == 400
    assert client.post(f"/qualitative/projects/{pid}/suggestions/bulk", data={"action": "delete"}).status_code == 400
    quality = client.get(f"/qualitative/projects/{pid}/suggestions/quality")
    assert quality.status_code == 200 and "Precision and recall per construct" in quality.get_data(as_text=True)
    assert doc.id


def test_readers_cannot_run_or_decide(world, client, login):
    _doc(world)
    service.autocode_project(world.project.id, None)
    row = _rows(world)[0]
    login(world.users["rita"])
    pid = world.project.id
    assert client.get(f"/qualitative/projects/{pid}/suggestions").status_code == 200
    assert client.post(f"/qualitative/projects/{pid}/suggestions/run").status_code == 403
    assert client.post(f"/qualitative/projects/{pid}/suggestions/{row.id}/accept").status_code == 403
    assert client.post(f"/qualitative/projects/{pid}/suggestions/bulk", data={"action": "accept"}).status_code == 403


def _pager_links(body: str) -> dict[str, dict[str, list[str]]]:
    """The pager's links by label ("First", "Previous", "Next", "Last"), each as its parsed query string."""
    nav = re.search(r'<nav class="pager".*?</nav>', body, re.S)
    links = re.findall(r'<a href="([^"]+)"[^>]*>(\w+)<span', nav.group(0)) if nav else []
    return {label: parse_qs(urlsplit(html.unescape(href)).query) for href, label in links}


def test_suggestions_page_through_the_shared_pager(world, client, login, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    _doc(world)
    service.autocode_project(world.project.id, None)  # 3 suggestions: staff (turn 1), time (2), culture (3)
    login(world.users["ana"])
    url = f"/qualitative/projects/{world.project.id}/suggestions"
    first = client.get(url).get_data(as_text=True)
    assert "Rows 1–2 of 3, page 1 of 2" in first and "<mark>Staffing</mark>" in first and "<mark>culture</mark>" not in first
    assert _pager_links(first)["Next"] == {"page": ["2"], "status": ["pending"], "sort": ["score"]}
    last = client.get(f"{url}?page=2").get_data(as_text=True)
    assert "Rows 3–3 of 3, page 2 of 2" in last and "<mark>culture</mark>" in last and "<mark>Staffing</mark>" not in last
    assert client.get(f"{url}?page=99").get_data(as_text=True).count("Rows 3–3 of 3") == 1  # past the end: the last
    # the filters travel in the pager's links
    code = world.codes["III.J"].id
    filtered = client.get(f"{url}?code_id={code}&status=all&page=1").get_data(as_text=True)
    assert "Rows 1–2 of 2" in filtered and 'class="pager-links"' not in filtered  # one page: no links
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    second = client.get(f"{url}?code_id={code}&status=all&page=2").get_data(as_text=True)
    assert "Rows 2–2 of 2" in second and "<mark>time</mark>" in second
    assert _pager_links(second)["First"] == {"page": ["1"], "code_id": [str(code)], "status": ["all"],
                                             "sort": ["score"]}
    for query, name in (("page=abc", "page"), ("page=0", "page"), ("valence=sad", "valence"),
                        ("status=maybe", "status"), ("code_id=x", "code_id")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400 and f"The “{name}” filter" in response.get_data(as_text=True), query


def test_hub_and_list_read_one_count(world, client, login):
    """The hub once counted every pending row (old rule versions, blind documents); the list only what it shows."""
    doc = _doc(world)
    other = _doc(world, "Interview 2")
    service.autocode_project(world.project.id, None)
    ana, ben = world.users["ana"], world.users["ben"]
    blind.create_sample(world.project, "R1", [doc.id], [ana.id, ben.id], None, world.users["manager"].id)
    stale = _rows(world)[0]
    db.session.add(Suggestion(project_id=world.project.id, document_id=other.id, code_id=stale.code_id,
                              start=stale.start, end=stale.end, rule_version="cfir-lexicon-2025.1",
                              status=SuggestionStatus.PENDING, matched_terms=[], term_spans=[]))
    db.session.commit()
    login(ana)
    pid = world.project.id
    # 7 pending rows: 3 + 3 of this rule, 1 of an older rule; Ana codes Interview 1 blind -> she sees 3
    hub = client.get(f"/qualitative/projects/{pid}/analysis").get_data(as_text=True)
    listing = client.get(f"/qualitative/projects/{pid}/suggestions").get_data(as_text=True)
    assert service.status_counts(pid, ana)["pending"] == 3
    assert re.search(r">\s*3\s*</[^>]+>\s*pending|3 pending", hub), hub
    assert '<span data-count="pending">3</span> pending' in listing and "3 suggestions (pending)" in listing


def test_decide_in_place_answers_json_with_the_counts(world, client, login):
    _doc(world)
    service.autocode_project(world.project.id, None)
    rows = _rows(world)
    login(world.users["ana"])
    pid = world.project.id
    json_headers = {"Accept": "application/json"}
    accepted = client.post(f"/qualitative/projects/{pid}/suggestions/{rows[0].id}/accept", headers=json_headers)
    assert accepted.status_code == 200
    data = accepted.get_json()
    db.session.refresh(rows[0])
    assert data["status"] == "accepted" and data["changed"] is True and data["coding_id"] == rows[0].coding_id
    assert data["counts"] == {"pending": 2, "accepted": 1, "rejected": 0}
    rejected = client.post(f"/qualitative/projects/{pid}/suggestions/{rows[1].id}/reject", headers=json_headers)
    assert rejected.get_json()["counts"] == {"pending": 1, "accepted": 1, "rejected": 1}
    refused = client.post(f"/qualitative/projects/{pid}/suggestions/{rows[0].id}/reject", headers=json_headers)
    assert refused.status_code == 409 and "already accepted" in refused.get_json()["error"]
    db.session.refresh(rows[0])
    assert rows[0].status == SuggestionStatus.ACCEPTED  # nothing half-saved


def test_list_ranks_strongest_first(world, client, login):
    doc = world.document("Interview 3", world.clinics["SPR-1"], [
        ("Counselor", "Staffing was thin."),
        ("Counselor", "Staffing and time, time and staffing."),  # two terms of III.J close together: bonus
        ("Counselor", "The culture is fine."),
    ])
    service.autocode_project(world.project.id, None)
    login(world.users["ana"])
    body = client.get(f"/qualitative/projects/{world.project.id}/suggestions").get_data(as_text=True)
    scores = [float(x) for x in re.findall(r'<td class="num">([0-9.]+)</td>', body)]
    # by hand (N = 3 turns): turn 2 "staff" idf ln(1 + 3/2)/ln 4 = 0.660964 + "time" 1 + context 0.5 -> E 2.160964,
    # score 0.885; turn 3 "culture" E 1 -> 0.632; turn 1 "staff" alone 1 - e^-0.660964 = 0.484 < 0.5: not made
    assert scores == [0.88, 0.63]
    assert "Staffing was thin" not in body
    reading = client.get(f"/qualitative/projects/{world.project.id}/suggestions?sort=position")
    text = reading.get_data(as_text=True)
    assert text.index("The <mark>culture</mark>") > text.index("and <mark>time</mark>")
    assert [float(x) for x in re.findall(r'<td class="num">([0-9.]+)</td>', text)] == [0.88, 0.63]
    assert doc.id


def test_suggestion_quality_command(world, app):
    doc = _doc(world)
    service.autocode_project(world.project.id, None)
    world.code_turn(doc, 2, world.codes["III.J"], world.users["ana"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["suggestion-quality", "--project", world.project.name, "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "construct,tp,fp,fn,precision,recall"
    # III.J: suggested turns {1, 2}, coded {2}: tp 1, fp 1 -> 0.50, recall 1.00; III.D: fp 1; pooled 1/3, 1/1
    assert "Inner Setting > Available Resources,1,1,0,0.50,1.00" in lines
    assert lines[-1] == "All constructs (pooled),1,2,0,0.33,1.00"
    text = runner.invoke(args=["suggestion-quality", "--project", world.project.name])
    assert "unit = speaker turn" in text.output
    missing = runner.invoke(args=["suggestion-quality", "--project", "nope"])
    assert missing.exit_code != 0 and "no project named 'nope'" in missing.output
