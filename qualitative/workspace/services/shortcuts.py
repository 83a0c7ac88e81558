"""Per-code keyboard shortcuts: each coder gives the digits 1–9 to the codes they use most, in each project
(``CodeShortcut``: one code per digit and one digit per code, per coder and project). In the workspace, a digit
pressed with text selected codes it with that digit's code."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from qualitative.models import Code, CodeShortcut, QualProject

DIGITS = range(1, 10)


class ShortcutError(ValueError):
    """A shortcut that cannot be set (digit out of range, code not codable here): HTTP 400 naming the field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def shortcuts(project_id: int, user_id: int) -> dict[int, int]:
    """digit -> code id of this coder's shortcuts in this project."""
    return dict(db.session.execute(
        sa.select(CodeShortcut.digit, CodeShortcut.code_id)
        .where(CodeShortcut.project_id == project_id, CodeShortcut.user_id == user_id)).all())


def set_shortcut(project: QualProject, user, digit, code_id) -> dict[int, int]:
    """Give ``digit`` to ``code_id`` (None: free the digit). The code loses any other digit it had, and the digit
    any other code. Commits; returns the coder's shortcuts."""
    try:
        digit = int(digit)
    except (TypeError, ValueError):
        raise ShortcutError("digit must be a whole number from 1 to 9.", "digit") from None
    if digit not in DIGITS:
        raise ShortcutError(f"digit must be from 1 to 9, not {digit}.", "digit")
    code = None
    if code_id is not None:
        try:
            code = db.session.get(Code, int(code_id))
        except (TypeError, ValueError):
            raise ShortcutError("code_id must be a whole number (or null to free the digit).", "code_id") from None
        if code is None or code.project_id != project.id:
            raise ShortcutError(f"Code {code_id} is not in this project's codebook.", "code_id")
        if not code.codable or not code.active:
            raise ShortcutError(f"{code} is a heading or inactive; give the shortcut to one of its codes.", "code_id")
    mine = sa.and_(CodeShortcut.project_id == project.id, CodeShortcut.user_id == user.id)
    for row in db.session.execute(sa.select(CodeShortcut).where(
            mine, sa.or_(CodeShortcut.digit == digit, CodeShortcut.code_id == (code.id if code else -1)))).scalars():
        db.session.delete(row)
    db.session.flush()
    if code is not None:
        db.session.add(CodeShortcut(project_id=project.id, user_id=user.id, code_id=code.id, digit=digit))
    db.session.commit()
    return shortcuts(project.id, user.id)
