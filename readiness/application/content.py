"""What the MIO Training & Learning Collaborative application asks, as data, and the rules a value must meet.

Source: the program description's "Pre-Implementation Materials" (``context/mio-program-description.txt``; project
reference ``instruments.md``, "MIO Training & Learning Collaborative application"): an organizational assessment of
the agency, the supervisor(s), the clinicians (a repeating block) and an acknowledgement of the training requirements
(16 h didactic training, about 20 weekly clinical supervision/consultation calls, audio-recorded sessions, fidelity
assessment). Forms take their labels and rules from here; :func:`missing_items` uses the same rules to list what
blocks submission, so a rule exists once.

A value is checked with :func:`field_error` (``None`` = fine); blank values are allowed in a draft and reported as
missing only at submission when the field is ``required``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{7,25}$")
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text, textarea, email, phone, int, choice, choices, bool, date, clinic, supervisor
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    extra: dict = field(default_factory=dict)


SERVICE_TYPES = (
    ("outpatient", "Outpatient counseling"),
    ("intensive_outpatient", "Intensive outpatient"),
    ("partial_hospital", "Partial hospitalization / day treatment"),
    ("residential", "Residential treatment"),
    ("moud", "Medication for opioid use disorder"),
    ("recovery_support", "Recovery support and peer services"),
    ("family_parenting", "Family and parenting services"),
    ("case_management", "Case management"),
    ("mental_health", "Mental health services"),
)
VISIT_FREQUENCIES = (
    ("more_than_weekly", "More than once a week"),
    ("weekly", "Weekly"),
    ("every_two_weeks", "Every two weeks"),
    ("monthly", "Monthly"),
    ("varies", "Varies with the level of care"),
)
COMFORT_LEVELS = (
    ("very", "Very comfortable: already supervises with this focus"),
    ("comfortable", "Comfortable"),
    ("somewhat", "Somewhat comfortable: would welcome support"),
    ("not_yet", "Not yet comfortable"),
)
KNOWLEDGE_LEVELS = (
    ("none", "None yet"),
    ("introductory", "Introductory"),
    ("working", "Working knowledge"),
    ("advanced", "Advanced"),
)
EXPERIENCE_HELP = "Experience bringing child-parent services to parents in recovery from substance use disorders."

ORGANISATION: tuple[Field, ...] = (
    Field("contact_name", "Contact person for this application", "text", max_length=120),
    Field("contact_email", "Contact email", "email", max_length=255),
    Field("contact_phone", "Contact phone", "phone", required=False, max_length=40),
    Field("clinical_staff_total", "Number of clinical staff (total)", "int", minimum=1, maximum=2000),
    Field("number_being_trained", "Number of clinicians being trained", "int", minimum=1, maximum=200,
          help="Cannot be more than the clinical staff total."),
    Field("client_population", "Client population served", "textarea", max_length=4000,
          help="Who the agency serves: ages, substances, referral sources, languages, insurance."),
    Field("parents_young_children_pct", "Clients who are parents of young children (approximate %)", "int",
          minimum=0, maximum=100, help="Share of current clients who parent a child aged 0 to 5."),
    Field("parents_young_children", "Population of parents with young children", "textarea", required=False,
          max_length=4000, help="For example: pregnant and postpartum women, custody and child-welfare involvement."),
    Field("service_types", "Types of services the agency typically provides", "choices", choices=SERVICE_TYPES),
    Field("service_types_other", "Other services", "text", required=False, max_length=255),
    Field("cases_per_clinician", "Number of cases per full-time clinician", "int", minimum=1, maximum=500),
    Field("visit_frequency", "Typical frequency of client visits", "choice", choices=VISIT_FREQUENCIES),
    Field("visit_length_minutes", "Typical length of a client visit (minutes)", "int", minimum=10, maximum=480),
    Field("supervision_model", "Model used for clinical supervision", "textarea", max_length=4000,
          help="For example: weekly individual reflective supervision, group supervision, frequency and length."),
    Field("financial_sustainment", "Financial sustainment", "textarea", max_length=4000,
          help="Clinician fees or a reimbursement structure that may affect MIO training or delivery."),
    Field("service_fit", "How MIO sessions will be supported and fit the existing service structure", "textarea",
          max_length=4000, help="Twelve weekly individual sessions: scheduling, rooms, billing, child care."),
)

SUPERVISOR: tuple[Field, ...] = (
    Field("name", "Supervisor's name", "text", max_length=120),
    Field("clinic_id", "Clinic", "clinic", required=False, help="Leave as “all clinics” when supervising across them."),
    Field("title", "Position or title", "text", required=False, max_length=120),
    Field("email", "Email", "email", max_length=255),
    Field("phone", "Phone", "phone", required=False, max_length=40),
    Field("experience", "Experience with parents in SUD recovery", "textarea", max_length=4000, help=EXPERIENCE_HELP),
    Field("comfort_attachment", "Comfort supervising with attention to attachment, the parent-child relationship and "
          "parenting capacities", "choice", choices=COMFORT_LEVELS),
    Field("comfort_notes", "Notes on supervision comfort", "textarea", required=False, max_length=4000),
)

CLINICIAN: tuple[Field, ...] = (
    Field("name", "Clinician's name", "text", max_length=120),
    Field("clinic_id", "Clinic where they work", "clinic"),
    Field("title", "Position or credential", "text", required=False, max_length=120,
          help="For example: LADC I, LICSW, CADC."),
    Field("email", "Email", "email", max_length=255),
    Field("phone", "Phone", "phone", required=False, max_length=40),
    Field("supervisor_id", "MIO supervisor", "supervisor", required=False),
    Field("experience", "Experience with parents in SUD recovery", "textarea", max_length=4000, help=EXPERIENCE_HELP),
    Field("knowledge_reflective_practice", "Knowledge of reflective practice", "choice", choices=KNOWLEDGE_LEVELS),
    Field("knowledge_child_development", "Knowledge of child development", "choice", choices=KNOWLEDGE_LEVELS),
    Field("knowledge_parent_needs", "Knowledge of the social and emotional needs of parents", "choice",
          choices=KNOWLEDGE_LEVELS),
    Field("knowledge_notes", "Notes on knowledge of MIO's key components", "textarea", required=False,
          max_length=4000),
)

#: the training requirements each agency acknowledges (program description, "Training Information")
REQUIREMENTS: tuple[Field, ...] = (
    Field("ack_didactic", "Supervisors and clinicians attend 16 hours of didactic training (in person or virtual).",
          "bool"),
    Field("ack_supervision", "Clinicians take part in about 20 weekly clinical supervision and consultation calls "
          "(virtual) while delivering MIO to a training case.", "bool"),
    Field("ack_recording", "MIO sessions are audio-recorded, stored safely and shared for supervision.", "bool"),
    Field("ack_fidelity", "Recorded sessions are assessed for fidelity to the MIO model.", "bool"),
)
ACKNOWLEDGEMENT: tuple[Field, ...] = (
    *REQUIREMENTS,
    Field("signature_name", "Signature: type your full name", "text", max_length=120),
    Field("signature_title", "Your position at the agency", "text", max_length=120),
    Field("signed_on", "Date signed", "date"),
)

STEPS: tuple[tuple[str, str], ...] = (
    ("organisation", "Organisation"),
    ("supervisors", "Supervisors"),
    ("clinicians", "Clinicians"),
    ("acknowledgement", "Acknowledgement"),
    ("review", "Review and submit"),
)
STEP_LABELS = dict(STEPS)
FIELDS_BY_KEY = {f.key: f for f in (*ORGANISATION, *ACKNOWLEDGEMENT)}


def choice_label(spec: Field, value: Any) -> str:
    return dict(spec.choices).get(value, "" if value is None else str(value))


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def field_error(spec: Field, value: Any) -> str | None:
    """Why a non-blank ``value`` is not acceptable for ``spec`` (``None`` when it is)."""
    if is_blank(value):
        return None
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return "Enter a whole number."
        if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
            return f"Enter a whole number from {spec.minimum} to {spec.maximum}."
    elif spec.kind == "email":
        if not EMAIL_RE.match(str(value).strip()):
            return "Enter an email address like name@agency.org."
    elif spec.kind == "phone":
        text = str(value).strip()
        if not PHONE_RE.match(text) or sum(c.isdigit() for c in text) < MIN_PHONE_DIGITS:
            return "Enter a phone number of digits, spaces, +, -, ( ) only, e.g. (413) 555-0100."
    elif spec.kind == "choice":
        if value not in dict(spec.choices):
            return "Choose one of the options."
    elif spec.kind == "choices":
        unknown = [v for v in value if v not in dict(spec.choices)]
        if unknown:
            return f"Unknown option(s): {', '.join(map(str, unknown))}."
    if spec.max_length and isinstance(value, str) and len(value) > spec.max_length:
        return f"Keep this under {spec.max_length} characters (now {len(value)})."
    return None


def trained_exceeds_total(values: dict[str, Any]) -> str | None:
    """The cross-field rule of the organizational assessment: trained <= clinical staff total."""
    total, trained = values.get("clinical_staff_total"), values.get("number_being_trained")
    if isinstance(total, int) and isinstance(trained, int) and trained > total:
        return (f"The number being trained ({trained}) cannot be more than the clinical staff total ({total}).")
    return None


def _check(step: str, specs, values: dict, row: str | None = None) -> list[dict[str, str]]:
    out = []
    for spec in specs:
        value = values.get(spec.key)
        if spec.kind == "bool":
            message = None if value is True or not spec.required else "Tick to acknowledge this requirement."
        elif is_blank(value):
            message = "Required before submitting." if spec.required else None
        else:
            message = field_error(spec, value)
        if message:
            out.append({"step": step, "step_label": STEP_LABELS[step], "field": spec.key, "label": spec.label,
                        "row": row, "message": message})
    return out


def missing_items(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything that blocks submission, in step order: ``[{step, step_label, field, label, row, message}]``.

    ``snapshot``: ``{"organisation": {key: value}, "supervisors": [{"id", "name", ...}], "clinicians": [...],
    "acknowledgement": {key: value}}``. At least one supervisor and one clinician are required."""
    items = _check("organisation", ORGANISATION, snapshot.get("organisation", {}))
    cross = trained_exceeds_total(snapshot.get("organisation", {}))
    if cross:
        items.append({"step": "organisation", "step_label": STEP_LABELS["organisation"],
                      "field": "number_being_trained", "label": FIELDS_BY_KEY["number_being_trained"].label,
                      "row": None, "message": cross})
    for step, specs, noun in (("supervisors", SUPERVISOR, "supervisor"), ("clinicians", CLINICIAN, "clinician")):
        rows = snapshot.get(step, [])
        if not rows:
            items.append({"step": step, "step_label": STEP_LABELS[step], "field": None, "label": f"At least one {noun}",
                          "row": None, "message": f"Add at least one {noun}."})
        for number, row in enumerate(rows, start=1):
            name = row.get("name") or "(no name yet)"
            found = _check(step, specs, row, row=f"{noun.capitalize()} {number}: {name}")
            for item in found:
                item["row_id"] = row.get("id")
            items.extend(found)
    items.extend(_check("acknowledgement", ACKNOWLEDGEMENT, snapshot.get("acknowledgement", {})))
    return items


def acknowledgement_signed(values: dict[str, Any]) -> bool:
    """Every requirement ticked, a typed name, a position and a date."""
    return not _check("acknowledgement", ACKNOWLEDGEMENT, values)


def training_count_note(snapshot: dict[str, Any]) -> str | None:
    """A non-blocking note when the clinicians listed differ from the number the agency says it will train."""
    trained = snapshot.get("organisation", {}).get("number_being_trained")
    listed = len(snapshot.get("clinicians", []))
    if isinstance(trained, int) and listed and listed != trained:
        return (f"The organizational assessment says {trained} clinician{'s' if trained != 1 else ''} will be "
                f"trained; {listed} {'is' if listed == 1 else 'are'} listed.")
    return None
