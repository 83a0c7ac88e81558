"""The demo organisation, modelled on the hybrid trial: two community agencies in Massachusetts running four
outpatient SUD treatment clinics, 16 counselors, their supervisors, and one account per role.

Feature packages extend the demo through seeders registered in ``app.extensions["mio.demo_seeders"]``; each receives
a ``DemoContext`` and must be deterministic (seeded random generators, fixed dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask

from app.db import db
from app.models import Agency, Clinic, Person, Role, User
from app.security import hash_password

AGENCIES = [
    ("Springfield Recovery Partners", "SPR", "Springfield", [
        ("SPR-1", "Main Street Outpatient", "Springfield"), ("SPR-2", "Chicopee Family Recovery", "Chicopee")]),
    ("Hampden Family Recovery Services", "HFR", "Holyoke", [
        ("HFR-1", "Holyoke Outpatient Clinic", "Holyoke"), ("HFR-2", "Westfield Counseling Center", "Westfield")]),
]

STAFF_NAMES = [
    ("Dana Whitfield", "Rosa Delgado", "Kim Tran", "Marcus Bell", "Alicia Moreno"),
    ("Jordan Price", "Tamika Rhodes", "Erin O'Malley", "Luis Castillo", "Priya Shah"),
    ("Sam Kowalski", "Angela Ruiz", "Brianna Hughes", "Tom Nguyen", "Keisha Grant"),
    ("Morgan Ellis", "Daniel Ortiz", "Hannah Brooks", "Gabriela Santos", "Owen Fitzgerald"),
]

ACCOUNTS = [
    ("admin@mio.example", "Ada Admin", Role.ADMIN, None),
    ("director@mio.example", "Dr. Eliza Chambers", Role.DIRECTOR, None),
    ("staff.spr@mio.example", "Sandra Pike (SPR)", Role.AGENCY_STAFF, "SPR"),
    ("staff.hfr@mio.example", "Henry Fuller (HFR)", Role.AGENCY_STAFF, "HFR"),
    ("trial.spr@mio.example", "Tess Rivera (SPR trial)", Role.TRIAL_STAFF, "SPR"),
    ("trial.hfr@mio.example", "Theo Harris (HFR trial)", Role.TRIAL_STAFF, "HFR"),
    ("analyst@mio.example", "Quinn Analyst", Role.ANALYST, None),
    ("analyst2@mio.example", "Robin Second-Coder", Role.ANALYST, None),
    ("coder@mio.example", "Casey Coder", Role.FIDELITY_CODER, None),
    ("coder2@mio.example", "Jamie Coder", Role.FIDELITY_CODER, None),
    ("assessor@mio.example", "Avery Assessor (blinded)", Role.OUTCOME_ASSESSOR, None),
]
DEMO_PASSWORD_SUFFIX = "-demo-2026"
DEMO_START = date(2026, 2, 2)


@dataclass
class DemoContext:
    agencies: dict[str, Agency]
    clinics: dict[str, Clinic]
    users: dict[str, User]
    counselors: dict[str, list[Person]]
    supervisors: dict[str, Person]
    start: date = DEMO_START
    extras: dict = field(default_factory=dict)


def demo_password(email: str) -> str:
    return email.split("@")[0].replace(".", "-") + DEMO_PASSWORD_SUFFIX


def seed(app: Flask) -> list[tuple[str, str, str]]:
    """Create the demo once (idempotent: a second run only reprints the credentials)."""
    existing = db.session.execute(sa.select(Agency).where(Agency.code == "SPR")).scalar_one_or_none()
    if existing is None:
        context = _seed_organisation()
        db.session.commit()
        for seeder in app.extensions.get("mio.demo_seeders", []):
            seeder(context)
            db.session.commit()
    return [(email, Role.LABELS[role], demo_password(email)) for email, _n, role, _a in ACCOUNTS]


def _seed_organisation() -> DemoContext:
    agencies: dict[str, Agency] = {}
    clinics: dict[str, Clinic] = {}
    counselors: dict[str, list[Person]] = {}
    supervisors: dict[str, Person] = {}
    clinic_index = 0
    for name, code, city, clinic_rows in AGENCIES:
        agency = Agency(name=name, code=code, city=city, state="MA",
                        approached_on=datetime(2025, 9, 1, 12, tzinfo=UTC))
        db.session.add(agency)
        agencies[code] = agency
        for clinic_code, clinic_name, clinic_city in clinic_rows:
            clinic = Clinic(agency=agency, code=clinic_code, name=clinic_name, city=clinic_city,
                            setting="Outpatient SUD treatment")
            db.session.add(clinic)
            clinics[clinic_code] = clinic
            names = STAFF_NAMES[clinic_index]
            clinic_index += 1
            slug = clinic_code.lower()
            supervisors[clinic_code] = Person(clinic=clinic, kind="supervisor", display_name=names[0],
                                              email=f"{names[0].split()[0].lower()}.{slug}@agency.example")
            db.session.add(supervisors[clinic_code])
            counselors[clinic_code] = []
            for counselor_name in names[1:]:
                person = Person(clinic=clinic, kind="counselor", display_name=counselor_name,
                                email=f"{counselor_name.split()[0].lower()}.{slug}@agency.example")
                db.session.add(person)
                counselors[clinic_code].append(person)
    users: dict[str, User] = {}
    for email, display, role, agency_code in ACCOUNTS:
        user = User(email=email, name=display, role=role, agency=agencies.get(agency_code) if agency_code else None,
                    password_hash=hash_password(demo_password(email)))
        db.session.add(user)
        users[email] = user
    db.session.flush()
    return DemoContext(agencies, clinics, users, counselors, supervisors)
