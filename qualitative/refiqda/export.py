"""Write a :class:`QdaProject` as a REFI-QDA .qdpx archive and a codebook as a .qdc file.

Layout (REFI-QDA Project Exchange, QDA-XML 1.0): ``project.qde`` (namespace urn:QDA-XML:project:1.0) and
``sources/<guid>.txt`` (UTF-8, no BOM) referenced as ``plainTextPath="internal://<guid>.txt"``.  Children of
``<Project>`` follow the schema's fixed order: Users, CodeBook, Variables, Cases, Sources, Notes, (Links are
not produced), Sets, (Graphs are not produced), Description; empty optional blocks are omitted because each requires at
least one child.  Output is deterministic: same project in, same bytes out (fixed zip timestamps, document
order kept, coding GUIDs derived from selection and code GUIDs).
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from .model import (
    NS_CODEBOOK,
    NS_PROJECT,
    VARIABLE_TYPES,
    QdaCode,
    QdaProject,
    QdaSet,
    QdaUser,
    RefiQdaError,
    iter_codes,
    stable_guid,
)
from .positions import CODEPOINTS, READINGS, UTF16, from_codepoint
from .values import (
    check_xml_text,
    crlf_to_lf,
    format_datetime,
    format_variable_value,
    lf_to_crlf,
    map_from_crlf,
    map_to_crlf,
    normalise_colour,
    normalise_guid,
)

DEFAULT_ORIGIN = "MIO platform"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class _Writer:
    """Builds elements in one namespace and checks GUID uniqueness and references on the way."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.guids: set[str] = set()

    def el(self, parent: Element | None, tag: str, **attrs: str | None) -> Element:
        clean = {k: v for k, v in attrs.items() if v is not None}
        if parent is None:
            # The namespace is declared as the default on the root and tags stay unprefixed, because
            # ElementTree's default_namespace option rejects unqualified attribute names.
            return Element(tag, {"xmlns": self.ns, **clean})
        return SubElement(parent, tag, clean)

    def text(self, parent: Element, tag: str, value: str, where: str) -> None:
        if value:
            # XML parsers turn "\r\n" and "\r" in element content into "\n" (XML 1.0 section 2.11),
            # so write them that way to keep export -> import -> export byte-stable.
            self.el(parent, tag).text = check_xml_text(crlf_to_lf(value)[0], where)

    def guid(self, value: str, where: str) -> str:
        guid = normalise_guid(value, where)
        if guid in self.guids:
            raise RefiQdaError(f"{where}: GUID {guid} is used twice in the project")
        self.guids.add(guid)
        return guid

    def codes(self, parent: Element, codes: list[QdaCode], path: str = "code",
              note_guids: set[str] | None = None) -> dict[str, str]:
        """Write nested <Code> elements; return guid -> name of every code. ``note_guids`` (projects): the notes a
        code may refer to with <NoteRef>; a codebook (.qdc) has no notes, so none are written there."""
        known: dict[str, str] = {}
        container = self.el(parent, "Codes")
        stack: list[tuple[Element, QdaCode]] = [(container, code) for code in reversed(codes)]
        while stack:
            holder, code = stack.pop()
            where = f"{path} {code.name!r}"
            colour = normalise_colour(code.color) if code.color else None
            if code.color and colour is None:
                raise RefiQdaError(f"{where}: colour {code.color!r} is not #RRGGBB")
            element = self.el(holder, "Code", guid=self.guid(code.guid, where),
                              name=check_xml_text(code.name, where),
                              isCodable="true" if code.is_codable else "false", color=colour)
            self.text(element, "Description", code.description, where)
            if note_guids is not None:
                _note_refs(self, element, code.note_refs, note_guids, where)
            known[normalise_guid(code.guid, where)] = code.name
            stack.extend((element, child) for child in reversed(code.children))
        return known


def _when(value) -> str | None:
    return format_datetime(value) if value is not None else None


def _user(value: str | None, where: str) -> str | None:
    return normalise_guid(value, where) if value else None


def _serialise(root: Element) -> bytes:
    indent(root, space="  ")
    body = tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


UTF16_ORIGIN_SUFFIX = " (positions in UTF-16 code units)"


def build_project_xml(project: QdaProject, crlf: bool = False, origin: str = DEFAULT_ORIGIN,
                      positions: str = CODEPOINTS) -> tuple[bytes, dict[str, bytes]]:
    """Return ``project.qde`` bytes and ``{archive path: text bytes}`` of the sources."""
    if positions not in READINGS:
        raise RefiQdaError(f"positions must be one of {', '.join(READINGS)}, not {positions!r}")
    if positions == UTF16 and "utf-16" not in origin.lower():
        origin += UTF16_ORIGIN_SUFFIX  # so an importer (this one included) knows how to read them
    w = _Writer(NS_PROJECT)
    root = w.el(None, "Project", name=check_xml_text(project.name, "project name"),
                origin=check_xml_text(origin, "origin"),
                creatingUserGUID=_user(project.creating_user, "project creatingUser"),
                creationDateTime=_when(project.creation_datetime))
    if project.users:
        users = w.el(root, "Users")
        for user in project.users:
            w.el(users, "User", guid=w.guid(user.guid, f"user {user.name!r}"),
                 name=check_xml_text(user.name, f"user {user.name!r}") or None)
    code_names: dict[str, str] = {}
    note_guids = {normalise_guid(n.guid, f"note {n.name!r}") for n in project.notes}
    if project.codes:
        code_names = w.codes(w.el(root, "CodeBook"), project.codes, note_guids=note_guids)
    variable_types: dict[str, str] = {}
    if project.variables:
        block = w.el(root, "Variables")
        for var in project.variables:
            where = f"variable {var.name!r}"
            if var.type not in VARIABLE_TYPES:
                raise RefiQdaError(f"{where}: type {var.type!r} is not one of {', '.join(VARIABLE_TYPES)}")
            element = w.el(block, "Variable", guid=w.guid(var.guid, where),
                           name=check_xml_text(var.name, where), typeOfVariable=var.type)
            w.text(element, "Description", var.description, where)
            variable_types[normalise_guid(var.guid, where)] = var.type

    def values(parent: Element, mapping: dict, where: str) -> None:
        for var_guid, value in mapping.items():
            guid = normalise_guid(var_guid, where)
            if guid not in variable_types:
                raise RefiQdaError(f"{where}: value for unknown variable {var_guid}")
            kind = variable_types[guid]
            element = w.el(parent, "VariableValue")
            w.el(element, "VariableRef", targetGUID=guid)
            w.el(element, f"{kind}Value").text = format_variable_value(kind, value, f"{where}, variable {guid}")

    source_guids = {normalise_guid(s.guid, f"source {s.name!r}") for s in project.sources}
    if project.cases:
        block = w.el(root, "Cases")
        for case in project.cases:
            where = f"case {case.name!r}"
            element = w.el(block, "Case", guid=w.guid(case.guid, where),
                           name=check_xml_text(case.name, where) or None)
            w.text(element, "Description", case.description, where)
            values(element, case.variable_values, where)
            for ref in case.source_refs:
                if normalise_guid(ref, where) not in source_guids:
                    raise RefiQdaError(f"{where}: refers to unknown source {ref}")
                w.el(element, "SourceRef", targetGUID=normalise_guid(ref, where))
    files: dict[str, bytes] = {}
    if project.sources:
        block = w.el(root, "Sources")
        for source in project.sources:
            where = f"source {source.name!r}"
            guid = w.guid(source.guid, where)
            text, removed = crlf_to_lf(source.text)
            written, newlines = lf_to_crlf(text) if crlf else (text, [])
            if source.text.startswith("\ufeff"):
                # every reader strips a leading U+FEFF as a byte-order mark, so positions would shift on import
                raise RefiQdaError(f"{where}: text starts with U+FEFF (a byte-order mark); remove it before export")
            try:
                files[f"sources/{guid}.txt"] = written.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RefiQdaError(f"{where}: text cannot be encoded as UTF-8 ({exc.reason} at "
                                   f"position {exc.start})") from None
            element = w.el(block, "TextSource", guid=guid, name=check_xml_text(source.name, where),
                           plainTextPath=f"internal://{guid}.txt",
                           creatingUser=_user(source.creating_user, where),
                           creationDateTime=_when(source.creation_datetime))
            w.text(element, "Description", source.description, where)
            for sel in source.selections:
                swhere = f"{where}, selection {sel.guid}"
                if not (0 <= sel.start <= sel.end <= len(source.text)):
                    raise RefiQdaError(f"{swhere}: positions {sel.start}-{sel.end} lie outside the text "
                                       f"(length {len(source.text)})")
                start, end = (map_from_crlf(p, removed) for p in (sel.start, sel.end))
                if crlf:
                    start, end = (map_to_crlf(p, newlines) for p in (start, end))
                start, end = (from_codepoint(written, p, positions) for p in (start, end))
                sguid = w.guid(sel.guid, swhere)
                user = _user(sel.creating_user, swhere)
                when = _when(sel.creation_datetime)
                selection = w.el(element, "PlainTextSelection", guid=sguid,
                                 name=check_xml_text(sel.name, swhere) or None, startPosition=str(start),
                                 endPosition=str(end), creatingUser=user, creationDateTime=when)
                w.text(selection, "Description", sel.description, swhere)
                for code_guid in sel.codings:
                    cguid = normalise_guid(code_guid, swhere)
                    if cguid not in code_names:
                        raise RefiQdaError(f"{swhere}: coded with unknown code {code_guid}")
                    coding = w.el(selection, "Coding", guid=w.guid(stable_guid("coding", f"{sguid}/{cguid}"),
                                                                   swhere),
                                  creatingUser=_user(sel.coder_of(code_guid), swhere), creationDateTime=when)
                    w.el(coding, "CodeRef", targetGUID=cguid)
                _note_refs(w, selection, sel.note_refs, note_guids, swhere)
            _note_refs(w, element, source.note_refs, note_guids, where)
            values(element, source.variable_values, where)
    if project.notes:
        block = w.el(root, "Notes")
        for note in project.notes:
            where = f"note {note.name!r}"
            element = w.el(block, "Note", guid=w.guid(note.guid, where),
                           name=check_xml_text(note.name, where) or None,
                           creatingUser=_user(note.creating_user, where), creationDateTime=_when(note.created))
            w.el(element, "PlainTextContent").text = check_xml_text(crlf_to_lf(note.text)[0], where)
    if project.sets:
        block = w.el(root, "Sets")
        code_guids = set(code_names)
        for item in project.sets:
            where = f"set {item.name!r}"
            element = w.el(block, "Set", guid=w.guid(item.guid, where), name=check_xml_text(item.name, where))
            w.text(element, "Description", item.description, where)
            for tag, refs, known, kind in (("MemberCode", item.code_refs, code_guids, "code"),
                                           ("MemberSource", item.source_refs, source_guids, "source"),
                                           ("MemberNote", item.note_refs, note_guids, "note")):
                for ref in refs:
                    guid = normalise_guid(ref, where)
                    if guid not in known:
                        raise RefiQdaError(f"{where}: refers to unknown {kind} {ref}")
                    w.el(element, tag, targetGUID=guid)
    if project.description:
        w.text(root, "Description", project.description, "project description")
    return _serialise(root), files


def _note_refs(w: _Writer, parent: Element, refs: list[str], known: set[str], where: str) -> None:
    for ref in refs:
        guid = normalise_guid(ref, where)
        if guid not in known:
            raise RefiQdaError(f"{where}: refers to unknown note {ref}")
        w.el(parent, "NoteRef", targetGUID=guid)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, payload)
    return buffer.getvalue()


def export_qdpx(project: QdaProject, crlf: bool = False, origin: str = DEFAULT_ORIGIN,
                positions: str = CODEPOINTS) -> bytes:
    """Return the bytes of a .qdpx archive for ``project``.

    ``crlf=True`` writes source texts with ``\\r\\n`` line ends and shifts every position by the number of
    line breaks before it (``p' = p + #{"\\n" before p}``), which MAXQDA expects; positions are otherwise
    code-point offsets into the ``\\n`` text.  ``positions="utf16"`` writes them in UTF-16 code units (NVivo's
    count) and says so in ``origin``.  Raises :class:`RefiQdaError` for invalid GUIDs, duplicate
    GUIDs, selections outside their text, codings of unknown codes and values that do not fit their
    variable.
    """
    qde, files = build_project_xml(project, crlf=crlf, origin=origin, positions=positions)
    return _zip([("project.qde", qde), *files.items()])


def export_qdc(codes: list[QdaCode], origin: str = DEFAULT_ORIGIN, users: list[QdaUser] | None = None,
               sets: list[QdaSet] | None = None) -> bytes:
    """Return a stand-alone codebook (.qdc, namespace urn:QDA-XML:codebook:1.0, Codebook.xsd), with ``sets`` (code
    groups; their code members only, as ``<MemberCode guid=...>``) when given.

    ``users`` is accepted for symmetry with :func:`export_qdpx` but Codebook.xsd has no place for users,
    so it is not written.
    """
    del users
    if not codes:
        raise RefiQdaError("a .qdc codebook needs at least one code (Codebook.xsd: Codes has 1..n Code)")
    w = _Writer(NS_CODEBOOK)
    root = w.el(None, "CodeBook", origin=check_xml_text(origin, "origin"))
    w.codes(root, codes)
    known = {c.guid for c in iter_codes(codes)}
    with_codes = [s for s in sets or [] if any(g in known for g in s.code_refs)]
    if with_codes:
        block = w.el(root, "Sets")
        for item in with_codes:
            element = w.el(block, "Set", guid=item.guid, name=check_xml_text(item.name, "set name"))
            if item.description:
                w.el(element, "Description").text = check_xml_text(item.description, "set description")
            for guid in item.code_refs:
                if guid in known:
                    w.el(element, "MemberCode", guid=guid)
    return _serialise(root)
