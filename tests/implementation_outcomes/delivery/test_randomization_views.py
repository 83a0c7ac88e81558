"""In-platform randomization through the client: 2:1 in every completed permuted block, the clinic's own sequence,
concealment (no page depends on the seed or reveals the next arm), audit, and the trial record kept unchanged."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

import openpyxl
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from implementation_outcomes.delivery.models import ClinicAllocation, TrialParticipant
from implementation_outcomes.randomization import generate_allocation_sequence

N = 24


def _consented(add_participant, clinic, n: int, prefix: str = "SPR1") -> list[TrialParticipant]:
    return [add_participant(clinic, f"{prefix}-{i:03d}", "consented") for i in range(1, n + 1)]


def _randomize(client, participant, when: str = "2026-03-09"):
    return client.post(f"/outcomes/participants/{participant.id}/randomize", data={"randomized_on": when})


def test_each_completed_block_is_two_to_one_and_follows_the_clinic_sequence(world, client_for, add_participant):
    mothers = _consented(add_participant, world.clinic_a, N)
    client = client_for(world.trial_a)
    flashes = []
    for mother in mothers:
        response = _randomize(client, mother)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        flashes.append(re.search(rf"{mother.study_id} was randomized to ([^.<]+)\.", page).group(1))
    db.session.expire_all()
    assigned = db.session.execute(sa.select(TrialParticipant).order_by(TrialParticipant.allocation_index)).scalars().all()
    assert [p.allocation_index for p in assigned] == list(range(N))
    assert all(p.status == "randomized" and p.allocation_source == "platform" for p in assigned)
    assert all(p.randomized_on == date(2026, 3, 9) for p in assigned)
    allocation = db.session.execute(sa.select(ClinicAllocation)).scalar_one()
    assert allocation.assigned_count == N and len(allocation.seed) == 64
    sequence = generate_allocation_sequence(world.clinic_a.code, allocation.seed, N)
    assert [p.arm for p in assigned] == [e["arm"] for e in sequence]
    assert flashes == [{"mio_tau": "MIO + TAU", "tau": "TAU"}[p.arm] for p in assigned]
    blocks: dict[int, list[str]] = {}
    for entry, p in zip(sequence, assigned, strict=True):
        blocks.setdefault(entry["block"], []).append(p.arm)
    sizes = {e["block"]: e["block_size"] for e in sequence}
    completed = [arms for block, arms in blocks.items() if len(arms) == sizes[block]]
    assert len(completed) >= 3
    for arms in completed:
        counts = Counter(arms)
        assert counts["mio_tau"] == 2 * counts["tau"]


def test_clinics_have_their_own_seed_and_sequence(world, client_for, add_participant):
    a = _consented(add_participant, world.clinic_a, 3)
    b = _consented(add_participant, world.clinic_b, 3, prefix="HFR1")
    director = client_for(world.director)
    for mother in a + b:
        assert _randomize(director, mother).status_code == 302
    seeds = db.session.execute(sa.select(ClinicAllocation.clinic_id, ClinicAllocation.seed)).all()
    assert len(seeds) == 2 and seeds[0][1] != seeds[1][1]
    db.session.expire_all()
    assert [db.session.get(TrialParticipant, m.id).allocation_index for m in b] == [0, 1, 2]


def _pages(client, world, mother) -> str:
    urls = ["/outcomes/", f"/outcomes/clinics/{world.clinic_a.id}/reach",
            f"/outcomes/clinics/{world.clinic_a.id}/screening-log",
            f"/outcomes/participants/{mother.id}/edit", f"/outcomes/participants/{mother.id}/randomize",
            f"/outcomes/clinics/{world.clinic_a.id}/sessions", f"/outcomes/clinics/{world.clinic_a.id}/feasibility",
            f"/outcomes/clinics/{world.clinic_a.id}/tables/screening-log/screening-log.csv",
            f"/outcomes/clinics/{world.clinic_a.id}/tables/reach.xlsx"]
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):  # the file carries a creation time; compare the cells
            book = openpyxl.load_workbook(io.BytesIO(response.data))
            body = repr([list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets])
        else:
            body = response.get_data(as_text=True)
        out.append(f"{url}\n{body}")
    return "\n".join(out)


def test_the_next_assignment_is_concealed(world, client_for, add_participant):
    """Before a consented mother is assigned, no page differs with the seed: two seeds that disagree on her arm
    render byte-identical pages, and the seed itself is on no page and in no audit event."""
    first = _consented(add_participant, world.clinic_a, 2)
    client = client_for(world.trial_a)
    client.get(_randomize(client, first[0]).headers["Location"])  # read the flash with the first arm
    waiting = first[1]
    allocation = db.session.execute(sa.select(ClinicAllocation)).scalar_one()
    original = allocation.seed

    def arms(seed: str) -> list[str]:
        return [e["arm"] for e in generate_allocation_sequence(world.clinic_a.code, seed, 2)]

    # another seed that agrees on the first mother's arm and disagrees on the waiting mother's
    other = next(seed for seed in (f"{i:064x}" for i in range(1, 10_000))
                 if arms(seed)[0] == arms(original)[0] and arms(seed)[1] != arms(original)[1])
    with_original = _pages(client, world, waiting)
    allocation.seed = other
    db.session.commit()
    with_other = _pages(client, world, waiting)
    assert with_original == with_other
    assert original not in with_original and other not in with_other
    changes = " ".join(str(e.changes) for e in db.session.execute(sa.select(AuditEvent)).scalars())
    assert original not in changes and other not in changes and "seed" not in changes
    # and the assignment, once made, follows the seed in force
    _randomize(client, waiting)
    db.session.expire_all()
    assert db.session.get(TrialParticipant, waiting.id).arm == arms(other)[1]


def test_randomization_is_audited_and_final(world, client_for, add_participant):
    mother = add_participant(world.clinic_a, "SPR1-001", "consented")
    client = client_for(world.trial_a)
    assert client.get(f"/outcomes/participants/{mother.id}/randomize").status_code == 200
    too_early = _randomize(client, mother, "2026-03-01")  # consented 2026-03-03
    assert too_early.status_code == 400 and "2026-03-01 is before consent (2026-03-03)" in too_early.get_data(as_text=True)
    assert _randomize(client, mother).status_code == 302
    db.session.expire_all()
    arm = db.session.get(TrialParticipant, mother.id).arm
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "trial_participant", AuditEvent.action == "update")
                               ).scalars().all()[-1]
    assert event.changes["arm"] == {"old": None, "new": arm}
    assert event.changes["allocation_source"] == {"old": None, "new": "platform"}
    assert event.actor == world.trial_a.email
    # a second attempt is refused, and the edit form cannot change the trial record
    _randomize(client, mother)
    other_arm = "tau" if arm == "mio_tau" else "mio_tau"
    response = client.post(f"/outcomes/participants/{mother.id}/edit", data={
        "study_id": "SPR1-001", "screened_on": "2026-03-02", "status": "consented", "arm": other_arm,
        "randomized_on": "2026-04-01", "counselor_id": "0", "reason": "", "consented_on": "2026-03-03",
        "mother_age": "30", "child_age_months": "", "primary_substance": "", "medication_treatment": ""})
    assert response.status_code == 302  # the record fields are not editable; other fields are saved
    db.session.expire_all()
    p = db.session.get(TrialParticipant, mother.id)
    assert (p.arm, p.status, p.randomized_on, p.allocation_index, p.mother_age) == (arm, "randomized",
                                                                                      date(2026, 3, 9), 0, 30)
    assert db.session.execute(sa.select(ClinicAllocation.assigned_count)).scalar() == 1


def test_only_consented_mothers_are_randomized(world, client_for, add_participant):
    declined = add_participant(world.clinic_a, "SPR1-001", "declined", reason="busy")
    client = client_for(world.trial_a)
    response = _randomize(client, declined)
    assert response.status_code == 302
    assert "SPR1-001 is not awaiting randomization." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.execute(sa.select(ClinicAllocation)).first() is None
