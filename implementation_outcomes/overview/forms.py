"""The director's targets form: each target a whole percentage 0-100, or empty for no target."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import NumberRange, Optional

from implementation_outcomes.delivery.services.common import TARGETS


class TargetsForm(FlaskForm):
    """One optional percentage field per ``TARGETS`` entry (field name = the settings column)."""

    @classmethod
    def build(cls, current: dict[str, float | None], formdata=None):
        fields = {column: DecimalField(
            f"{label} target (%)", places=None, validators=[Optional(), NumberRange(min=0, max=100)],
            description="0 to 100; empty = no target (the column is not coloured).")
            for column, _key, label in TARGETS}
        form_class = type("BoundTargetsForm", (cls,), fields)
        data = {column: None if value is None else round(100 * value, 1) for column, value in current.items()}
        return form_class(data=data) if formdata is None else form_class()

    def shares(self) -> dict[str, float | None]:
        return {column: None if self[column].data is None else float(self[column].data) / 100
                for column, _key, _label in TARGETS}
