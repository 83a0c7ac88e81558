"""WTForms for the director's pages and the respondent's role question. Instrument pages themselves are built
from the definition at run time (``layout.form_blocks``), not from a WTForms class."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from readiness.surveys.models import RESPONDENT_ROLES
from readiness.surveys.services import MAX_LINKS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WaveForm(FlaskForm):
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired(message="Choose a clinic.")])
    title = StringField("Title", default="Readiness survey", validators=[DataRequired(), Length(max=255)],
                        description="Shown to respondents, e.g. “Readiness survey, spring 2026”.")
    instruments = MultiCheckboxField("Instruments", validators=[DataRequired(message="Choose at least one instrument.")])
    opens_on = DateField("Opens on", validators=[DataRequired(message="Give an opening date (YYYY-MM-DD).")])
    closes_on = DateField("Closes on", validators=[DataRequired(message="Give a closing date (YYYY-MM-DD).")],
                          description="Links work until the end of this day (clinic time).")
    n_links = IntegerField("Number of respondent links", default=10,
                           validators=[InputRequired(message="Give the number of links."),
                                       NumberRange(1, MAX_LINKS, message=f"Issue between 1 and {MAX_LINKS} links.")],
                           description="One link per staff member invited; each can be used to submit once.")
    submit = SubmitField("Open wave and create links")

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("The closing date must be on or after the opening date.")


class ImportDictionaryForm(FlaskForm):
    file = FileField("REDCap data dictionary (CSV)", validators=[FileRequired(message="Choose a CSV file.")],
                     description="The data dictionary CSV downloaded from REDCap (Project Setup → Data Dictionary).")
    key = StringField("Instrument key (optional)", validators=[
        Optional(), Length(max=120), Regexp(r"^[a-z][a-z0-9_]*$", message="Use a-z, 0-9 and _, starting with a letter.")],
        description="Defaults to the REDCap form name.")
    title = StringField("Title (optional)", validators=[Optional(), Length(max=255)])
    form_name = StringField("REDCap form (only if the dictionary holds several)", validators=[Optional(), Length(max=120)])
    submit = SubmitField("Import instrument")


class RoleForm(FlaskForm):
    role = RadioField("Which best describes your role at this clinic?", choices=list(RESPONDENT_ROLES.items()),
                      validators=[InputRequired(message="Choose the role that fits best.")])
    submit = SubmitField("Start the survey")


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for POST buttons."""
