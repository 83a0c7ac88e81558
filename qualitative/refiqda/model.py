"""Plain data model of a REFI-QDA (QDA-XML 1.0) project, independent of any database.

The classes mirror the elements of ``Project.xsd`` (REFI, www.qdasoftware.org, 18 March 2019) that a
text-based qualitative project needs: users, a nested codebook, variables, cases, plain-text sources with
coded selections, and notes.

Positions: ``QdaSelection.start``/``end`` are zero-based, end-exclusive offsets counted in Unicode code
points (Python ``str`` indices) into ``QdaTextSource.text``, whose line endings are always ``"\\n"``
(import converts files that count UTF-16 code units, see ``positions``).
So ``source.text[sel.start:sel.end]`` is the coded quote. QDA-XML itself says "character" positions;
export can shift them to a CRLF text for MAXQDA (``export_qdpx(..., crlf=True)``) and import maps CRLF
texts back to ``"\\n"``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"

VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")

# uuid5(NAMESPACE_URL, "urn:mio-platform:refi-qda"), written out so nothing is computed at import time.
MIO_GUID_NAMESPACE = uuid.UUID("092ce0b1-8ea4-58f2-8705-b6e6c618f898")

VariableValue = str | bool | int | float | date | datetime


class RefiQdaError(ValueError):
    """A REFI-QDA file cannot be read or a project cannot be written; the message says what and where."""


def stable_guid(namespace: str, internal_id: object) -> str:
    """Return a GUID that is the same every time for the same (namespace, internal_id).

    Rule: ``uuid5(MIO_GUID_NAMESPACE, f"{namespace}:{internal_id}")`` (RFC 4122 name-based UUID, SHA-1),
    so re-exporting a project gives every code, source and selection the GUID it had before and other
    tools can merge the exports.  Example: ``stable_guid("code", 12)``.
    """
    return str(uuid.uuid5(MIO_GUID_NAMESPACE, f"{namespace}:{internal_id}"))


@dataclass
class QdaUser:
    guid: str
    name: str = ""


@dataclass
class QdaCode:
    """A code; ``children`` nest for hierarchy.  ``is_codable=False`` marks a domain/category heading."""

    guid: str
    name: str
    color: str | None = None  # "#RRGGBB"
    is_codable: bool = True
    description: str = ""
    children: list[QdaCode] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)  # notes on the code (projects only; a .qdc has none)


@dataclass
class QdaVariable:
    guid: str
    name: str
    type: str = "Text"  # one of VARIABLE_TYPES
    description: str = ""


@dataclass
class QdaCase:
    guid: str
    name: str = ""
    description: str = ""
    variable_values: dict[str, VariableValue] = field(default_factory=dict)  # variable guid -> value
    source_refs: list[str] = field(default_factory=list)


@dataclass
class QdaSelection:
    """A PlainTextSelection: ``text[start:end]`` (code points, end-exclusive) coded with ``codings``."""

    guid: str
    start: int
    end: int
    creating_user: str | None = None
    creation_datetime: datetime | None = None
    codings: list[str] = field(default_factory=list)  # code guids
    note_refs: list[str] = field(default_factory=list)
    name: str = ""
    description: str = ""
    # code guid -> the <Coding>'s own creatingUser, where it names one (it wins over the selection's)
    coding_users: dict[str, str] = field(default_factory=dict)

    def coder_of(self, code_guid: str) -> str | None:
        """Who applied ``code_guid`` here: the coding's creatingUser, else the selection's."""
        return self.coding_users.get(code_guid) or self.creating_user


@dataclass
class QdaTextSource:
    guid: str
    name: str
    text: str
    variable_values: dict[str, VariableValue] = field(default_factory=dict)
    selections: list[QdaSelection] = field(default_factory=list)
    description: str = ""
    creating_user: str | None = None
    creation_datetime: datetime | None = None
    note_refs: list[str] = field(default_factory=list)


@dataclass
class QdaNote:
    guid: str
    name: str = ""
    text: str = ""
    creating_user: str | None = None
    created: datetime | None = None


@dataclass
class QdaSet:
    """A ``<Set>``: a named group of codes, sources and notes (code groups, document groups)."""

    guid: str
    name: str
    description: str = ""
    code_refs: list[str] = field(default_factory=list)
    source_refs: list[str] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)


@dataclass
class QdaProject:
    """A whole project.  ``skipped`` lists, in words, what an import could not carry over (e.g. PDF
    sources, graphs); it is never written on export."""

    name: str
    users: list[QdaUser] = field(default_factory=list)
    codes: list[QdaCode] = field(default_factory=list)
    variables: list[QdaVariable] = field(default_factory=list)
    cases: list[QdaCase] = field(default_factory=list)
    sources: list[QdaTextSource] = field(default_factory=list)
    notes: list[QdaNote] = field(default_factory=list)
    description: str = ""
    origin: str = ""
    sets: list[QdaSet] = field(default_factory=list)
    creating_user: str | None = None
    creation_datetime: datetime | None = None
    skipped: list[str] = field(default_factory=list)
    # how each source's positions were read (import only; see ``positions``)
    position_readings: list = field(default_factory=list)


def iter_codes(codes: list[QdaCode]):
    """Yield every code of a nested tree, parents before children (depth-first, document order)."""
    stack = list(reversed(codes))
    while stack:
        code = stack.pop()
        yield code
        stack.extend(reversed(code.children))
