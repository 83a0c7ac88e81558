"""Forms of the qualitative workspace (WTForms; every POST form carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import ColorField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from qualitative.models import Document, Privilege

PRIVILEGE_CHOICES = [(Privilege.MANAGE, "Manage (members, codebook, skip de-identification)"),
                     (Privilege.CODE, "Code (import, de-identify, code, write memos)"),
                     (Privilege.READ, "Read only")]
KIND_CHOICES = list(Document.KINDS.items())


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ProjectForm(FlaskForm):
    name = StringField("Project name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)],
                                description="Aims, sampling, who is interviewed; shown on the project page.")


class MemberAddForm(FlaskForm):
    user_id = SelectField("User", coerce=int, validators=[DataRequired(message="Choose a user.")])
    privilege = SelectField("Privilege", choices=PRIVILEGE_CHOICES, default=Privilege.CODE)


class MemberPrivilegeForm(FlaskForm):
    privilege = SelectField("Privilege", choices=PRIVILEGE_CHOICES)


class UploadForm(FlaskForm):
    files = MultipleFileField(
        "Transcript files", validators=[FileRequired(message="Choose one or more files.")],
        description="Plain text .txt (“Speaker: text”), Word .docx, Zoom or Teams .vtt, SubRip .srt, or an Otter.ai "
                    ".txt export. Select several files at once to import a batch; each file becomes one transcript.")
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired(message="Choose the clinic.")])
    kind = SelectField("Kind", choices=KIND_CHOICES, default="interview")
    interview_date = DateField("Date of the interview", validators=[Optional()])
    interviewer = StringField("Interviewer", validators=[Optional(), Length(max=120)],
                              description="Initials or a role; not a participant's name.")


class DocumentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    kind = SelectField("Kind", choices=KIND_CHOICES)
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired()])
    interview_date = DateField("Date", validators=[Optional()])
    interviewer = StringField("Interviewer", validators=[Optional(), Length(max=120)])


class ParticipantForm(FlaskForm):
    pseudonym = StringField("Pseudonym", validators=[DataRequired(), Length(max=120)],
                            description="Never a real name, e.g. “SPR-1 supervisor” or “HFR-2 counselor 3”.")
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired()])
    cfir_role = SelectField("CFIR 2.0 role", validators=[Optional()],
                            description="Individuals domain, roles subdomain (CFIR 2.0, Damschroder et al. 2022).")
    description = TextAreaField("Notes", validators=[Optional(), Length(max=2000)],
                                description="Role details without identifying information.")


class ProposeForm(FlaskForm):
    extra_names = TextAreaField(
        "Other names to look for", validators=[Optional(), Length(max=5000)],
        description="One per line: people or places the transcript may mention. Used to find them now, never stored. "
                    "The staff recorded at the transcript's clinic are always looked for.")


class ManualRedactionForm(FlaskForm):
    quote = StringField("Exact text to redact", validators=[DataRequired(), Length(max=500)])
    replacement = StringField("Replace with", validators=[Optional(), Length(max=120)], default="[REDACTED]")
    every = BooleanField("Every occurrence in the transcript", default=True)


KEY_RULE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$",
                  message="Use letters, digits, dots, hyphens or underscores, starting with a letter or digit.")


class CodeForm(FlaskForm):
    key = StringField("Key", validators=[DataRequired(), Length(max=40), KEY_RULE],
                      description="Short and unique in the codebook, e.g. MIO.REC for a custom code.")
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    parent_id = SelectField("Parent", coerce=int, validators=[Optional()])
    colour = ColorField("Colour", validators=[Regexp(r"^#[0-9a-fA-F]{6}$", message="Pick a colour.")])
    codable = BooleanField("Codable (uncheck for a heading that only groups codes)", default=True)
    active = BooleanField("Active (offered in the code picker)", default=True)
    definition = TextAreaField("Definition", validators=[Optional(), Length(max=5000)])
    inclusion = TextAreaField("Include when", validators=[Optional(), Length(max=5000)])
    exclusion = TextAreaField("Exclude when", validators=[Optional(), Length(max=5000)])
    lexicon = TextAreaField("Keyword lexicon", validators=[Optional(), Length(max=5000)],
                            description="Terms separated by semicolons; used by auto-coding suggestions.")


class PublishForm(FlaskForm):
    note = TextAreaField("What changed", validators=[Optional(), Length(max=2000)])


class CodebookImportForm(FlaskForm):
    file = FileField("Codebook file (.csv or .qdc)", validators=[FileRequired(message="Choose a .csv or .qdc file.")],
                     description="CSV columns: key, name, parent_key, kind, codable, colour, definition, inclusion, "
                                 "exclusion, lexicon (only key and name required), or a Taguette codebook CSV (tag, "
                                 "description, number of highlights). Codes are matched by key: known keys are "
                                 "updated, new keys added; nothing is deleted.")
    dotted = BooleanField("Names with dots make a hierarchy",
                          description="Taguette writes sub-tags as barriers.space: make “space” a child of "
                                      "“barriers” (added as a heading when the file has no such code).")


class CodingForm(FlaskForm):
    """Code text without JavaScript: by exact quote, or by code-point offsets."""

    code_ids = SelectMultipleField("Codes", coerce=int, validators=[DataRequired(message="Choose at least one code.")])
    mode = RadioField("Say which text by", choices=[("quote", "its exact words"), ("offsets", "code-point offsets")],
                      default="quote")
    quote = TextAreaField("Exact text", validators=[Optional(), Length(max=20000)])
    turn_id = SelectField("In turn", coerce=int, validators=[Optional()])
    occurrence = IntegerField("Occurrence", default=1, validators=[Optional(), NumberRange(min=1)],
                              description="When the words occur more than once: 1 for the first, 2 for the second…")
    start = IntegerField("Start (code point)", validators=[Optional(), NumberRange(min=0)])
    end = IntegerField("End (code point, exclusive)", validators=[Optional(), NumberRange(min=1)])

    def validate_quote(self, field):
        if self.mode.data == "quote" and not (field.data or "").strip():
            raise ValidationError("Type the exact words to code.")

    def validate_start(self, field):
        if self.mode.data == "offsets" and (field.data is None or self.end.data is None):
            raise ValidationError("Give both start and end.")


class CodingEditForm(FlaskForm):
    code_id = SelectField("Code", coerce=int, validators=[DataRequired()])
    start = IntegerField("Start (code point)", validators=[InputRequired(), NumberRange(min=0)])
    end = IntegerField("End (code point, exclusive)", validators=[InputRequired(), NumberRange(min=1)])
    version = HiddenField(validators=[DataRequired()])


class VersionForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])


class MemoForm(FlaskForm):
    target_type = HiddenField(default="project")
    target_id = HiddenField()
    title = StringField("Title", validators=[Optional(), Length(max=255)])
    text = TextAreaField("Memo", validators=[DataRequired(message="Write the memo text."), Length(max=20000)])
    next = HiddenField()
