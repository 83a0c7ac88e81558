import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.models import Person, Role

CODE_RE = r"^[A-Z0-9][A-Z0-9-]{0,19}$"
CODE_MESSAGE = "Use capital letters, digits and hyphens, e.g. SPR or SPR-1."
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{7,20}$")


def phone_check(form, field):
    if field.data and not PHONE_RE.match(field.data.strip()):
        raise ValidationError("Enter a phone number of digits, spaces, +, -, ( ) only, e.g. (413) 555-0100.")


class AgencyForm(FlaskForm):
    name = StringField("Agency name", validators=[DataRequired(), Length(max=120)])
    code = StringField("Short code", validators=[DataRequired(), Regexp(CODE_RE, message=CODE_MESSAGE)])
    city = StringField("City", validators=[Optional(), Length(max=120)])
    state = StringField("State", validators=[Optional(), Length(max=40)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class ClinicForm(FlaskForm):
    agency_id = SelectField("Agency", coerce=int, validators=[DataRequired()])
    name = StringField("Clinic name", validators=[DataRequired(), Length(max=120)])
    code = StringField("Clinic code", validators=[DataRequired(), Regexp(CODE_RE, message=CODE_MESSAGE)],
                       description="Agency code and a number, e.g. SPR-1.")
    city = StringField("City", validators=[Optional(), Length(max=120)])
    setting = StringField("Setting", validators=[Optional(), Length(max=120)], description="e.g. outpatient SUD treatment")
    taking_part = BooleanField("Taking part in MIO", default=True)
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=255)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=list(Role.LABELS.items()), validators=[DataRequired()])
    agency_id = SelectField("Agency", coerce=int, description="Required for agency staff and trial staff; empty for others.")
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")

    def validate_agency_id(self, field):
        if self.role.data in Role.AGENCY_BOUND and not field.data:
            raise ValidationError(f"{Role.LABELS[self.role.data]} must belong to an agency.")
        if self.role.data not in Role.AGENCY_BOUND and field.data:
            raise ValidationError(f"{Role.LABELS.get(self.role.data, 'This role')} is not bound to an agency: leave it empty.")


class PersonForm(FlaskForm):
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired()])
    kind = SelectField("Kind", choices=list(Person.KINDS.items()), validators=[DataRequired()])
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False), Length(max=255)])
    phone = StringField("Phone", validators=[Optional(), phone_check])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    """An empty form whose only job is the CSRF token on delete/reset buttons."""

    submit = SubmitField("Confirm")


class ResetPasswordForm(FlaskForm):
    keep_api_tokens = BooleanField(
        "Keep their API tokens working",
        description="Left unticked, every API token of this account is revoked: a reset usually means the account "
        "may be in the wrong hands. Tick it only when you know the tokens are safe (a forgotten password).",
    )
    submit = SubmitField("Reset password")
