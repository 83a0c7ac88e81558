"""Paging and list filters read from the query string: the one way every long list page (people, a clinic's
sessions, survey waves, the audit trail, auto-coding suggestions, coded segments) pages and filters.

Page and filters travel in the query string of a GET form, so a filtered page is bookmarkable and its links keep the
filters. A bad value is refused with a 400 naming the parameter (``refuse``), never a 500 and never silently
ignored; a page number past the end shows the last page. ``paginate`` runs a select as one COUNT and one page of
rows (LIMIT/OFFSET), whatever the number of rows; ``paginate_list`` pages a list already built in Python (rows a
query cannot filter alone) with the same ``Page`` and the same clamping. Options of a filter that names a record (an agency or clinic code)
come from the caller's *scoped* list, so a code the user may not see gets the same answer as one that does not exist.

The ``pager`` macro in ``templates/macros.html`` draws "Rows x–y of N" and the first/previous/next/last links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, NoReturn, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.audit_reads import note_listed
from app.db import db
from app.models import Agency, Clinic
from app.security import scoped, visible_agency_ids

T = TypeVar("T")

#: a longer page number is past any last page (and int() of a huge string is slow)
_MAX_PAGE_DIGITS = 9


def refuse(name: str, message: str) -> NoReturn:
    """A 400 whose message names the query parameter at fault."""
    abort(400, description=f"The “{name}” filter: {message}")


def _raw(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()


def page_number(args: Mapping[str, str], name: str = "page") -> int:
    """The page asked for (1 when absent): a whole number from 1; past the last page is clamped by ``paginate``."""
    raw = _raw(args, name)
    if not raw:
        return 1
    digits = raw.lstrip("0") if raw.isascii() and raw.isdigit() else ""
    if not digits:
        refuse(name, f"“{raw}” is not a page number (1, 2, 3, …).")
    return int(digits) if len(digits) <= _MAX_PAGE_DIGITS else 10**_MAX_PAGE_DIGITS


def choice(args: Mapping[str, str], name: str, options: Mapping[str, T], *, noun: str | None = None) -> T | None:
    """The option ``args[name]`` names, None when the filter is empty.

    Without ``noun`` the options are a fixed list and the refusal lists them; with a ``noun`` ("clinic code") they
    are records the user may see, and the refusal says only that the value is not a known one (the same words for
    a record that does not exist and for one the user may not see)."""
    raw = _raw(args, name)
    if not raw:
        return None
    if raw not in options:
        if noun is None:
            refuse(name, f"“{raw}” is not one of {', '.join(options)}.")
        refuse(name, f"“{raw}” is not a known {noun}.")
    return options[raw]


def date_arg(args: Mapping[str, str], name: str) -> date | None:
    raw = _raw(args, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        refuse(name, f"“{raw}” is not a date (YYYY-MM-DD).")


def date_range(args: Mapping[str, str], start: str = "from", stop: str = "to") -> tuple[date | None, date | None]:
    """Both ends optional and inclusive; an end before the start is refused."""
    first, last = date_arg(args, start), date_arg(args, stop)
    if first and last and last < first:
        refuse(stop, f"{last.isoformat()} is before the “{start}” date {first.isoformat()}.")
    return first, last


def text_arg(args: Mapping[str, str], name: str, max_length: int = 100) -> str:
    raw = _raw(args, name)
    if len(raw) > max_length:
        refuse(name, f"at most {max_length} characters.")
    return raw


def contains(column, text: str):
    """``column`` contains ``text``, case-insensitively; ``%`` and ``_`` in ``text`` are literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


@dataclass(frozen=True)
class Organisation:
    """The agency and clinic filters of a list: the chosen ones (None: all) and the options the form offers."""

    agency: Agency | None
    clinic: Clinic | None
    #: offered only to users who see several agencies (directors, admins, central research roles)
    agencies: list[Agency]
    #: the chosen agency's clinics (every visible clinic without one), and the chosen clinic whatever its agency
    clinics: list[Clinic]

    @property
    def shown(self) -> dict[str, str]:
        return {"agency": self.agency.code if self.agency else "", "clinic": self.clinic.code if self.clinic else ""}


def organisation(args: Mapping[str, str], user=None) -> Organisation:
    """``agency`` and ``clinic`` filters by code among the agencies and clinics the user may see (``scoped``): a
    code of another agency is refused with the same words as a code that does not exist. Two queries."""
    agencies = list(db.session.execute(scoped(sa.select(Agency).order_by(Agency.code), Agency, user)).scalars())
    clinics = list(db.session.execute(scoped(sa.select(Clinic).order_by(Clinic.code), Clinic, user)).scalars())
    agency = choice(args, "agency", {a.code: a for a in agencies}, noun="agency code")
    clinic = choice(args, "clinic", {c.code: c for c in clinics}, noun="clinic code")
    several = visible_agency_ids(user if user is not None else current_user) is None
    return Organisation(agency, clinic, agencies if several else [],
                        [c for c in clinics if agency is None or c.agency_id == agency.id or c == clinic])


def query_args(values: Mapping[str, Any]) -> dict[str, Any]:
    """The filters worth keeping in a link: the non-empty ones."""
    return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows and where it lies (``page`` is 1-based and within 1..``pages``)."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return max(1, self.page - 1)

    @property
    def next_num(self) -> int:
        return min(self.pages, self.page + 1)

    def __iter__(self):
        return iter(self.items)


def paginate(stmt: sa.Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    """Page ``page`` of ``stmt`` (which must be ordered to a total order, so pages neither overlap nor skip rows):
    a COUNT of every matching row, then LIMIT/OFFSET; a page past the end is the last page. ``scalars=False``
    keeps whole rows (a select of several columns)."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    page = _clamp(page, total, per_page)
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items: Iterable = result.scalars() if scalars else result
    found = Page(list(items), page, per_page, total)
    note_listed(len(found.items), total)
    return found


def paginate_list(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """Page ``page`` of a list already built (and ordered) in Python, clamped like ``paginate``: for lists a query
    cannot produce alone (a filter computed per row), not for paging a query's rows in memory."""
    page = _clamp(page, len(items), per_page)
    found = Page(list(items[(page - 1) * per_page: page * per_page]), page, per_page, len(items))
    note_listed(len(found.items), len(items))
    return found


def _clamp(page: int, total: int, per_page: int) -> int:
    """``page`` within 1..the last page of ``total`` rows (an empty list has one, empty, page)."""
    return min(max(1, page), max(1, -(-total // per_page)))
