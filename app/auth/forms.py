from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, message=f"Use at least {MIN_LENGTH} characters."),
            Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters. A few uncommon words make a strong password; passwords "
        "found in breaches and easily guessed ones (rated by the zxcvbn estimator) are refused.",
    )
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")])
    submit = SubmitField("Change password")


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=120)], description="For example: R analysis laptop")
    submit = SubmitField("Create token")
