"""WTForms for the delivery pages. Fields parse; the business rules (status/reason/arm, session number 1..12, not
before randomization, rating within the scheme's range) live in the pure modules and are applied by the services,
whose field-named errors the views attach back to these fields."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from implementation_outcomes.delivery.models import (
    ARM_LABELS,
    MODALITIES,
    SCREENING_STATUS_LABELS,
    SESSION_STATUSES,
)
from implementation_outcomes.delivery.screening_log import SUBSTANCES
from implementation_outcomes.fidelity import scale_levels


def _blank(choices: dict[str, str], label: str = "— none —") -> list[tuple[str, str]]:
    return [("", label), *choices.items()]


class ParticipantForm(FlaskForm):
    study_id = StringField("Study ID", validators=[DataRequired(), Length(max=40)],
                           description="The study ID only (e.g. SPR1-001), never a name.")
    screened_on = DateField("Screened on", validators=[InputRequired()])
    status = SelectField("Furthest point reached", choices=list(SCREENING_STATUS_LABELS.items()),
                         description="Choose “Randomized” to record an assignment made outside the platform; to "
                                     "randomize in the platform, save as “Consented” and use Randomize.")
    reason = StringField("Reason", validators=[Optional(), Length(max=255)],
                         description="Required for an exclusion or a decline (e.g. “No child aged 0-60 months”, "
                                     "“Too busy / scheduling”).")
    consented_on = DateField("Consented on", validators=[Optional()])
    randomized_on = DateField("Randomized on", validators=[Optional()])
    arm = SelectField("Arm", choices=_blank(ARM_LABELS, "— not randomized —"))
    counselor_id = SelectField("MIO counselor", coerce=int, validators=[Optional()], validate_choice=False,
                               description="For mothers in MIO + TAU.")
    mother_age = IntegerField("Mother's age (years)", validators=[Optional()])
    child_age_months = IntegerField("Child's age (months)", validators=[Optional()])
    primary_substance = SelectField("Primary substance", choices=_blank(SUBSTANCES, "— unknown —"))
    medication_treatment = SelectField("In medication treatment (e.g. MOUD)",
                                       choices=[("", "— unknown —"), ("yes", "Yes"), ("no", "No")])

    def raw(self) -> dict:
        """Values in the shape ``screening_log.normalise_entry`` expects."""
        return {
            "study_id": (self.study_id.data or "").strip(), "screened_on": self.screened_on.data,
            "status": self.status.data, "reason": self.reason.data, "consented_on": self.consented_on.data,
            "randomized_on": self.randomized_on.data, "arm": self.arm.data or None,
            "mother_age": self.mother_age.data, "child_age_months": self.child_age_months.data,
            "primary_substance": self.primary_substance.data or None,
            "medication_treatment": self.medication_treatment.data or None,
            "counselor_id": self.counselor_id.data or None,
        }


class RandomizeForm(FlaskForm):
    randomized_on = DateField("Randomization date", validators=[InputRequired()], default=date.today)


class CounselorForm(FlaskForm):
    """The step after randomization to MIO + TAU: who delivers her sessions."""

    counselor_id = SelectField("Counselor", coerce=int, validators=[InputRequired("Choose a counselor.")])


class ImportForm(FlaskForm):
    file = FileField("Screening-log CSV", validators=[FileRequired("Choose a CSV file to import.")],
                     description="UTF-8 CSV with a header row; download the template for the columns.")


class ConfirmForm(FlaskForm):
    """Only the CSRF token, for delete buttons."""


class _SessionFields(FlaskForm):
    # choices are offered for convenience; the services check the person or mother belongs to the clinic and say so
    counselor_id = SelectField("Counselor", coerce=int, validators=[InputRequired()], validate_choice=False)
    session_number = IntegerField("Session number (1-12)", validators=[InputRequired()])
    session_date = DateField("Date", validators=[InputRequired()])
    duration_minutes = IntegerField("Minutes", validators=[Optional(), NumberRange(min=0, max=600)],
                                    description="Sessions last 50-60 minutes by protocol.")
    modality = SelectField("Modality", choices=list(MODALITIES.items()))
    status = SelectField("Status", choices=list(SESSION_STATUSES.items()))
    audio_recorded = BooleanField("Audio recorded")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("counselor_id", "session_number", "session_date", "duration_minutes", "modality", "status",
                 "audio_recorded")}


class MioSessionForm(_SessionFields):
    participant_id = SelectField("Mother (study ID)", coerce=int, validators=[InputRequired()], validate_choice=False)

    def values(self) -> dict:
        return {**super().values(), "participant_id": self.participant_id.data}


class TrainingSessionForm(_SessionFields):
    training_case = SelectField("Training case", coerce=int, choices=[(1, "Training case 1"), (2, "Training case 2")])
    case_label = StringField("Training-case label", validators=[DataRequired(), Length(max=40)],
                             description="A label such as TC-A; never the client's name.")

    def values(self) -> dict:
        return {**super().values(), "training_case": self.training_case.data,
                "case_label": (self.case_label.data or "").strip()}


class CallForm(FlaskForm):
    counselor_id = SelectField("Counselor", coerce=int, validators=[InputRequired()], validate_choice=False)
    call_date = DateField("Call date", validators=[InputRequired()])
    attended = BooleanField("Attended", default=True)


class SettingsForm(FlaskForm):
    completion_threshold = IntegerField(
        "Completion threshold (sessions)", validators=[InputRequired(), NumberRange(min=1, max=12)],
        description="A mother has completed MIO with at least this many attended sessions (default 8 of 12).")
    double_coding_share = FloatField(
        "Share of recorded sessions double-coded", validators=[InputRequired(), NumberRange(min=0, max=1)],
        description="0 to 1; 0.2 = a fifth of each batch of sessions goes to a second coder.")
    study_id_pattern = StringField(
        "Study-ID pattern", validators=[Optional(), Length(max=200)], filters=[lambda v: (v or "").strip() or None],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
        description="A regular expression every study ID must match in full, e.g. ^SPR[0-9]-[0-9]{3}$. Empty = the "
                    "deployment's default. It may not accept a name such as Jane_Doe_1990-01-01.")


class SchemeJsonForm(FlaskForm):
    scheme_json = TextAreaField("Fidelity scheme (JSON)", validators=[DataRequired()],
                                render_kw={"rows": 30, "spellcheck": "false"},
                                description="Groups, the 10 scales with their group and range, and the adequacy rule.")
    note = StringField("What changed", validators=[Optional(), Length(max=255)])


def scale_fields(scheme: dict) -> list[dict]:
    """Per scale, for the rating form: key, label, group, min, max, the choices with their anchor text
    (``fidelity.scale_levels``; ``None`` = a number box) and the name of its note field."""
    rr = scheme["rating_range"]
    return [{"key": s["key"], "label": s["label"], "group": s["group"], "lo": s.get("min", rr["min"]),
             "hi": s.get("max", rr["max"]), "levels": scale_levels(scheme, s["key"]), "note": f"note_{s['key']}"}
            for s in scheme["scales"]]


def rating_form_values(scheme: dict, form) -> dict[str, str]:
    """The rating form's posted values: one per scale, its note, and the session note."""
    names = [n for f in scale_fields(scheme) for n in (f["key"], f["note"])] + ["session_note"]
    return {name: form.get(name, "") for name in names}


def rating_labels(scheme: dict) -> dict[str, str]:
    """What a rating form's error message starts with, by field: the scale's label, "Note on <label>", the session
    note's name, so a coder reads "Collaboration and shared agenda: choose a rating", never a key."""
    labels = {f["key"]: f["label"] for f in scale_fields(scheme)}
    labels.update({f["note"]: f"Note on {f['label']}" for f in scale_fields(scheme)})
    labels.update({"session_note": "Note on the session", "recording": "Recording"})
    return labels
