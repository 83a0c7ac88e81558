"""Forms of the analysis pages. Choices are filled by the views from the project's rows."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qualitative.analysis.services.ratings import RATING_CHOICES


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes instead of a multi-select list (easier on phones and screen readers)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A POST button: only the CSRF token."""


class BulkDecisionForm(FlaskForm):
    action = SelectField("Decision", choices=[("accept", "Accept"), ("reject", "Reject")])
    code_id = HiddenField()
    document_id = HiddenField()
    valence = HiddenField()


class BlindSampleForm(FlaskForm):
    name = StringField("Sample name", validators=[DataRequired(), Length(max=120)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)],
                         description="What the sample is for, e.g. 'Round 1 double coding, 3 interviews'.")
    document_ids = MultiCheckboxField("Documents", coerce=int)
    coder_ids = MultiCheckboxField("Coders", coerce=int,
                                   description="Two or more; while blind they see only their own codings here.")


class RatingForm(FlaskForm):
    value = SelectField("Rating", choices=RATING_CHOICES, validate_choice=False,
                        description="+2/-2 need concrete examples from at least two interviewees; "
                                    "+1/-1 general statements; 0 neutral; X mixed; leave empty if not discussed.")
    rationale = TextAreaField("Rationale", validators=[Optional(), Length(max=5000)])
    evidence = MultiCheckboxField("Coded evidence", coerce=int, validate_choice=False)


class ExportForm(FlaskForm):
    crlf = BooleanField("Write CRLF line ends (for MAXQDA)")
    positions = SelectField("Count positions in", choices=[
        ("codepoints", "Unicode code points (the REFI-QDA standard; QualCoder, MAXQDA, ATLAS.ti)"),
        ("utf16", "UTF-16 code units (NVivo)")], default="codepoints")
    include_unreviewed = BooleanField("Include transcripts whose de-identification has not been applied",
                                      description="They are left out otherwise. Including them is recorded in the "
                                                  "audit trail.")


class ImportUploadForm(FlaskForm):
    file = FileField("REFI-QDA project (.qdpx)", validators=[FileRequired("Choose a .qdpx file.")])
    target = RadioField("Import into", choices=[("new", "A new project"), ("existing", "An existing empty project")],
                        default="new")
    project_name = StringField("New project name", validators=[Optional(), Length(max=120)])
    project_id = SelectField("Existing empty project", coerce=int, validate_choice=False)
    clinic_id = SelectField("Clinic of the documents", coerce=int, validate_choice=False,
                            description="Used for sources whose clinic the file does not name "
                                        "(a 'Clinic' variable or case).")
