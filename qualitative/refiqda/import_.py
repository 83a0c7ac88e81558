"""Read REFI-QDA .qdpx archives and .qdc codebooks written by QualCoder, MAXQDA, NVivo, ATLAS.ti and others.

Leniency, where tools differ but meaning is clear: element names are matched without their namespace;
GUIDs may be upper case or in braces (stored lower case without braces); the sources folder may be
``sources/`` or ``Sources/``; ``plainTextPath`` may be ``internal://name``, ``relative://name`` or a bare
relative path; texts may start with a UTF-8 (or UTF-16) byte-order mark; ``creatingUser`` may be missing;
colours may lack ``#`` or be lower case; ``richTextPath`` is ignored.  CRLF or CR line ends are normalised
to ``"\\n"`` and every position is shifted back (``p' = p - #{"\\r\\n" pairs before p}``), so MAXQDA's CRLF
positions land on the same characters.  Whether positions count code points or UTF-16 code units (NVivo) is
decided per source from the file itself (``positions``); when the file does not settle it and the readings
differ, :class:`PositionsUndecided` asks for the analyst's choice.  A ``<Coding>``'s own ``creatingUser``
is kept (``QdaSelection.coding_users``): it wins over its selection's.

Strictness, where guessing would corrupt data: selections outside their text, codings of unknown codes,
references to unknown notes/sources/variables, duplicate GUIDs, missing source files and unsafe archives
raise :class:`RefiQdaError`.  Sets become :class:`QdaSet` (code and document groups).  Parts a text project
cannot hold (PDF/picture/audio/video sources, links, graphs) are listed in ``QdaProject.skipped``.  The result is built fully in memory: a complete
project is returned or nothing is.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from qualitative.offsets import Utf16Map

from .model import (
    VARIABLE_TYPES,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSet,
    QdaTextSource,
    QdaUser,
    QdaVariable,
    RefiQdaError,
    VariableValue,
    iter_codes,
)
from .positions import (
    CODEPOINTS,
    READING_LABELS,
    READINGS,
    UTF16,
    RawSelection,
    SourceReading,
    read_positions,
    settle_file,
    to_codepoint,
)
from .safety import (
    DEFAULT_MAX_TOTAL_UNCOMPRESSED,
    MiB,
    SafeArchive,
    check_member_name,
    open_archive,
    parse_xml,
)
from .values import (
    crlf_to_lf,
    map_from_crlf,
    normalise_colour,
    normalise_guid,
    parse_boolean,
    parse_datetime,
    parse_integer,
    parse_variable_value,
)

MAX_CODE_DEPTH = 200


class PositionsUndecided(RefiQdaError):
    """The file does not say how it counts positions and the two readings differ; ``sources`` lists the undecided
    sources (:class:`SourceReading`, with both readings of a few selections)."""

    def __init__(self, sources: list[SourceReading]) -> None:
        self.sources = sources
        names = ", ".join(repr(r.source_name) for r in sources)
        super().__init__(f"the file does not say whether its positions count Unicode code points or UTF-16 code "
                         f"units, and the two readings put selections on different text in {names}; choose the "
                         "reading (compare the quotes under each)")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "") if found is not None else ""


class _Reader:
    """Parses one project.qde, tracking GUIDs so duplicates and dangling references are caught."""

    def __init__(self, archive: SafeArchive | None) -> None:
        self.archive = archive
        self.guids: set[str] = set()
        self.skipped: list[str] = []
        self.raw_texts: dict[str, str] = {}

    def guid(self, element: Element, where: str, attr: str = "guid", unique: bool = True) -> str:
        guid = normalise_guid(element.get(attr), f"{where} ({attr})")
        if unique:
            if guid in self.guids:
                raise RefiQdaError(f"{where}: GUID {guid} appears more than once")
            self.guids.add(guid)
        return guid

    def optional_guid(self, element: Element, attr: str, where: str) -> str | None:
        value = element.get(attr)
        return normalise_guid(value, f"{where} ({attr})") if value else None

    def codes(self, container: Element | None, where: str, note_guids: set[str] | None = None) -> list[QdaCode]:
        """Nested <Code> elements, read without recursion (depth capped); with ``note_guids`` (a project) their
        <NoteRef>s too."""
        top: list[QdaCode] = []
        if container is None:
            return top
        stack: list[tuple[Element, list[QdaCode], int]] = [(e, top, 1) for e in reversed(_children(container,
                                                                                                  "Code"))]
        while stack:
            element, siblings, depth = stack.pop()
            if depth > MAX_CODE_DEPTH:
                raise RefiQdaError(f"{where}: codes nested deeper than {MAX_CODE_DEPTH} levels")
            name = element.get("name") or ""
            here = f"{where}, code {name!r}"
            code = QdaCode(guid=self.guid(element, here), name=name,
                           color=normalise_colour(element.get("color")),
                           is_codable=parse_boolean(element.get("isCodable"), f"{here} (isCodable)", True),
                           description=_text(element, "Description"),
                           note_refs=self.refs(element, "NoteRef", note_guids, "note", here)
                           if note_guids is not None else [])
            siblings.append(code)
            stack.extend((e, code.children, depth + 1) for e in reversed(_children(element, "Code")))
        return top

    def text_of(self, element: Element, where: str) -> str:
        """The plain text of a TextSource/Note: inline PlainTextContent or the file at plainTextPath."""
        inline = _child(element, "PlainTextContent")
        path = (element.get("plainTextPath") or "").strip()
        if not path:
            if inline is None:
                raise RefiQdaError(f"{where}: has neither PlainTextContent nor plainTextPath")
            return inline.text or ""
        return _decode(self.read_path(path, where), where)

    def read_path(self, path: str, where: str) -> bytes:
        scheme, sep, rest = path.partition("://")
        if not sep:
            scheme, rest = "", path
        scheme = scheme.lower()
        if scheme not in ("", "internal", "relative"):
            raise RefiQdaError(f"{where}: text file {path!r} is outside the archive ({scheme}://) and cannot be "
                               "imported; export the project with its sources embedded")
        try:
            check_member_name(rest)
        except RefiQdaError as exc:
            raise RefiQdaError(f"{where}: plainTextPath {path!r} is not allowed: {exc}") from None
        candidates = [f"sources/{rest}", rest] if scheme == "internal" else [rest, f"sources/{rest}"]
        for candidate in candidates:
            info = self.archive.find(candidate) if self.archive is not None else None
            if info is not None and not info.is_dir():
                return self.archive.read(info)  # type: ignore[union-attr]
        raise RefiQdaError(f"{where}: its text file {path!r} is missing from the archive "
                           f"(looked for {' and '.join(repr(c) for c in candidates)})")

    def values(self, element: Element, variables: dict[str, QdaVariable], where: str) -> dict[str, VariableValue]:
        out: dict[str, VariableValue] = {}
        for item in _children(element, "VariableValue"):
            ref = _child(item, "VariableRef")
            if ref is None:
                raise RefiQdaError(f"{where}: VariableValue without VariableRef")
            guid = self.guid(ref, f"{where}, VariableRef", "targetGUID", unique=False)
            if guid not in variables:
                raise RefiQdaError(f"{where}: value for unknown variable {guid}")
            var = variables[guid]
            value_el = next((c for c in item if _local(c.tag).endswith("Value")), None)
            if value_el is None:
                continue  # the schema's choice is optional: no value recorded
            vwhere = f"{where}, variable {var.name!r}"
            kind = _local(value_el.tag)[: -len("Value")]
            if kind not in VARIABLE_TYPES:
                raise RefiQdaError(f"{vwhere}: unknown value element <{_local(value_el.tag)}>")
            # A value written in another element than the variable's type is read by the declared type.
            out[guid] = parse_variable_value(var.type, value_el.text, vwhere)
        return out

    def refs(self, element: Element, tag: str, known: set[str], kind: str, where: str) -> list[str]:
        found = []
        for ref in _children(element, tag):
            guid = self.guid(ref, f"{where}, {tag}", "targetGUID", unique=False)
            if guid not in known:
                raise RefiQdaError(f"{where}: refers to unknown {kind} {guid}")
            found.append(guid)
        return found


def _decode(raw: bytes, where: str) -> str:
    encoding = "utf-8"
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raw, encoding = raw[len(bom):], name
            break
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise RefiQdaError(f"{where}: text is not valid {encoding.upper()} (byte {exc.start})") from None


def _project(root: Element, reader: _Reader) -> QdaProject:
    if _local(root.tag) != "Project":
        raise RefiQdaError(f"project.qde: root element is <{_local(root.tag)}>, expected <Project>")
    users = [QdaUser(guid=reader.guid(u, "user"), name=u.get("name") or u.get("id") or "")
             for block in _children(root, "Users") for u in _children(block, "User")]
    notes_el = [n for block in _children(root, "Notes") for n in _children(block, "Note")]
    note_guids = {normalise_guid(n.get("guid"), f"note {n.get('name')!r} (guid)") for n in notes_el}
    codebook = _child(root, "CodeBook")
    codes = reader.codes(_child(codebook, "Codes") if codebook is not None else None, "codebook", note_guids)
    code_guids = {c.guid for c in iter_codes(codes)}
    variables: dict[str, QdaVariable] = {}
    for block in _children(root, "Variables"):
        for v in _children(block, "Variable"):
            name = v.get("name") or ""
            kind = (v.get("typeOfVariable") or "").strip()
            if kind not in VARIABLE_TYPES:
                raise RefiQdaError(f"variable {name!r}: typeOfVariable {kind!r} is not one of "
                                   f"{', '.join(VARIABLE_TYPES)}")
            var = QdaVariable(guid=reader.guid(v, f"variable {name!r}"), name=name, type=kind,
                              description=_text(v, "Description"))
            variables[var.guid] = var
    sources: list[QdaTextSource] = []
    for block in _children(root, "Sources"):
        for element in block:
            kind = _local(element.tag)
            if kind != "TextSource":
                reader.skipped.append(f"{kind} {element.get('guid')} {element.get('name')!r}: only text "
                                      "sources are imported")
                continue
            sources.append(_source(element, reader, code_guids, note_guids, variables))
    source_guids = {s.guid for s in sources}
    cases = []
    for block in _children(root, "Cases"):
        for c in _children(block, "Case"):
            where = f"case {c.get('name')!r}"
            cases.append(QdaCase(guid=reader.guid(c, where), name=c.get("name") or "",
                                 description=_text(c, "Description"),
                                 variable_values=reader.values(c, variables, where),
                                 source_refs=reader.refs(c, "SourceRef", source_guids, "source", where)))
            if _children(c, "CodeRef") or _children(c, "SelectionRef"):
                reader.skipped.append(f"{where}: code and selection members of cases are not imported")
    notes = [QdaNote(guid=reader.guid(n, f"note {n.get('name')!r}"), name=n.get("name") or "",
                     text=crlf_to_lf(reader.text_of(n, f"note {n.get('name')!r}"))[0],
                     creating_user=reader.optional_guid(n, "creatingUser", "note"),
                     created=parse_datetime(n.get("creationDateTime"), f"note {n.get('name')!r}"))
             for n in notes_el]
    sets = _sets(root, reader, code_guids, source_guids, note_guids)
    for tag in ("Links", "Graphs"):
        if _child(root, tag) is not None:
            reader.skipped.append(f"{tag} are not imported")
    return QdaProject(name=root.get("name") or "", users=users, codes=codes, variables=list(variables.values()),
                      cases=cases, sources=sources, notes=notes, description=_text(root, "Description"), sets=sets,
                      origin=root.get("origin") or "",
                      creating_user=reader.optional_guid(root, "creatingUserGUID", "project"),
                      creation_datetime=parse_datetime(root.get("creationDateTime"), "project creationDateTime"),
                      skipped=reader.skipped)


def _sets(root: Element, reader: _Reader, code_guids: set[str], source_guids: set[str],
          note_guids: set[str]) -> list[QdaSet]:
    """``<Sets>``: members must exist; members that are sources this import leaves out (PDF, pictures...) are
    dropped and listed in ``skipped``. An empty ``<Sets/>`` (Taguette writes one, though the schema wants a Set) is
    accepted."""
    found: list[QdaSet] = []
    all_sources = {normalise_guid(e.get("guid"), "source") for block in _children(root, "Sources") for e in block
                   if e.get("guid")}
    for block in _children(root, "Sets"):
        for element in _children(block, "Set"):
            where = f"set {element.get('name')!r}"
            item = QdaSet(guid=reader.guid(element, where), name=element.get("name") or "",
                          description=_text(element, "Description"),
                          code_refs=reader.refs(element, "MemberCode", code_guids, "code", where),
                          note_refs=reader.refs(element, "MemberNote", note_guids, "note", where))
            for ref in _children(element, "MemberSource"):
                guid = reader.guid(ref, f"{where}, MemberSource", "targetGUID", unique=False)
                if guid in source_guids:
                    item.source_refs.append(guid)
                elif guid in all_sources:
                    reader.skipped.append(f"{where}: member source {guid} is not a text source")
                else:
                    raise RefiQdaError(f"{where}: refers to unknown source {guid}")
            found.append(item)
    return found


def _source(element: Element, reader: _Reader, code_guids: set[str], note_guids: set[str],
            variables: dict[str, QdaVariable]) -> QdaTextSource:
    """A text source with its selections' positions as the file states them (raw text, not yet converted:
    :func:`_convert_positions` does that once the file's reading is known)."""
    name = element.get("name") or ""
    where = f"source {name!r} ({element.get('guid')})"
    guid = reader.guid(element, where)
    raw = reader.text_of(element, where)
    selections = []
    for sel in _children(element, "PlainTextSelection"):
        swhere = f"{where}, selection {sel.get('guid')}"
        start = parse_integer(sel.get("startPosition"), f"{swhere} (startPosition)")
        end = parse_integer(sel.get("endPosition"), f"{swhere} (endPosition)")
        if not 0 <= start <= end:
            raise RefiQdaError(f"{swhere}: positions {start}-{end} lie outside the text (start after end, or "
                               "negative)")
        codings: list[str] = []
        coding_users: dict[str, str] = {}
        for coding in _children(sel, "Coding"):
            ref = _child(coding, "CodeRef")
            if ref is None:
                raise RefiQdaError(f"{swhere}: Coding without CodeRef")
            code = reader.guid(ref, f"{swhere}, CodeRef", "targetGUID", unique=False)
            if code not in code_guids:
                raise RefiQdaError(f"{swhere}: coded with unknown code {code}")
            user = reader.optional_guid(coding, "creatingUser", f"{swhere}, Coding")
            if _children(coding, "NoteRef"):
                reader.skipped.append(f"{swhere}: the notes of a single coding are not attached to it (they become "
                                      "project memos)")
            if code not in codings:
                codings.append(code)
                if user:
                    coding_users[code] = user
        selection_user = reader.optional_guid(sel, "creatingUser", swhere)
        coding_users = {code: user for code, user in coding_users.items() if user != selection_user}
        selections.append(QdaSelection(
            guid=reader.guid(sel, swhere), start=start, end=end,
            creating_user=selection_user,
            creation_datetime=parse_datetime(sel.get("creationDateTime"), f"{swhere} (creationDateTime)"),
            codings=codings, note_refs=reader.refs(sel, "NoteRef", note_guids, "note", swhere),
            name=sel.get("name") or "", description=_text(sel, "Description"), coding_users=coding_users))
    if _children(element, "Coding"):
        reader.skipped.append(f"{where}: codings of the whole source are not imported")
    described = sum(1 for sel in selections if sel.description.strip())
    if described:
        reader.skipped.append(f"{where}: the descriptions of {described} selection(s) are not imported")
    reader.raw_texts[guid] = raw
    return QdaTextSource(guid=guid, name=name, text=raw,
                         variable_values=reader.values(element, variables, where), selections=selections,
                         description=_text(element, "Description"),
                         creating_user=reader.optional_guid(element, "creatingUser", where),
                         creation_datetime=parse_datetime(element.get("creationDateTime"), where),
                         note_refs=reader.refs(element, "NoteRef", note_guids, "note", where))


def _convert_positions(project: QdaProject, positions: str | None) -> None:
    """Decide each source's reading (``positions`` module), then turn every selection into code points of the
    ``"\\n"`` text. Undecided sources need ``positions`` (the analyst's choice); without it
    :class:`PositionsUndecided` is raised with both readings of a few selections."""
    if positions is not None and positions not in READINGS:
        raise RefiQdaError(f"positions must be one of {', '.join(READINGS)}, not {positions!r}")
    readings = settle_file([
        read_positions(source.text, [RawSelection(s.guid, s.start, s.end, (s.name, s.description))
                                     for s in source.selections], project.origin, source.guid, source.name)
        for source in project.sources])
    undecided = [r for r in readings if r.reading is None]
    if undecided and positions is None:
        raise PositionsUndecided(undecided)
    for r in readings:
        if positions is not None and r.reading in READINGS and r.reading != positions:
            if r.conclusive:
                raise RefiQdaError(f"source {r.source_name!r}: positions were chosen as {READING_LABELS[positions]}"
                                   f" but the file proves {READING_LABELS[r.reading]} ({r.reason})")
            r.reading, r.reason = positions, f"chosen by the analyst (the file suggested {r.label}: {r.reason})"
        elif r.reading is None:
            r.reading, r.reason = positions, f"chosen by the analyst ({r.reason})"
    for source, r in zip(project.sources, readings, strict=True):
        raw = source.text
        text, removed = crlf_to_lf(raw)
        umap = Utf16Map(raw) if r.reading == UTF16 else None
        for sel in source.selections:
            start, end = (map_from_crlf(to_codepoint(raw, p, r.reading or CODEPOINTS, umap), removed)
                          for p in (sel.start, sel.end))
            if not 0 <= start <= end <= len(text):
                raise RefiQdaError(f"source {source.name!r}, selection {sel.guid}: positions {sel.start}-{sel.end} "
                                   f"lie outside the text (length {len(raw)})")
            sel.start, sel.end = start, end
        source.text = text
    project.position_readings = readings


def import_qdpx(data: bytes, max_total_uncompressed: int = DEFAULT_MAX_TOTAL_UNCOMPRESSED,
                positions: str | None = None) -> QdaProject:
    """Read a .qdpx archive (bytes) into a :class:`QdaProject`; raise :class:`RefiQdaError` if it cannot be
    read safely and completely.  ``max_total_uncompressed`` caps the bytes inflated from the archive.
    ``positions`` ("codepoints" or "utf16") is the analyst's choice for sources whose reading the file does not
    settle; without it such a file raises :class:`PositionsUndecided` (``project.position_readings`` tells how
    every source was read)."""
    archive = open_archive(data, max_total_uncompressed)
    roots = [info for key, info in archive.members.items() if key == "project.qde"]
    if not roots:
        raise RefiQdaError("archive has no project.qde at its top level; is this a REFI-QDA .qdpx file?")
    root = parse_xml(archive.read(roots[0]), "project.qde")
    project = _project(root, _Reader(archive))
    _convert_positions(project, positions)
    return project


def import_qdc(data: bytes, max_bytes: int = 50 * MiB) -> list[QdaCode]:
    """Read a stand-alone codebook (.qdc, urn:QDA-XML:codebook:1.0) into a list of nested :class:`QdaCode`."""
    return read_qdc(data, max_bytes)[0]


def read_qdc(data: bytes, max_bytes: int = 50 * MiB) -> tuple[list[QdaCode], list[QdaSet]]:
    """A stand-alone codebook's codes and its ``<Sets>`` (code groups: Codebook.xsd's ``<MemberCode guid=...>``;
    ``targetGUID``, as in a project, is accepted too). An empty ``<Sets/>`` (Taguette) gives no set; a member that
    is not a code of the file is an error naming the set."""
    if not data:
        raise RefiQdaError("the codebook file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise RefiQdaError(f"the codebook file has {len(data)} bytes; at most {max_bytes} are accepted")
    root = parse_xml(data, "codebook")
    if _local(root.tag) != "CodeBook":
        raise RefiQdaError(f"codebook: root element is <{_local(root.tag)}>, expected <CodeBook>")
    codes_el = _child(root, "Codes")
    if codes_el is None:
        raise RefiQdaError("codebook: <CodeBook> has no <Codes> element")
    reader = _Reader(None)
    codes = reader.codes(codes_el, "codebook")
    code_guids = {c.guid for c in iter_codes(codes)}
    sets = []
    for block in _children(root, "Sets"):
        for element in _children(block, "Set"):
            where = f"codebook, set {element.get('name')!r}"
            members = []
            for ref in _children(element, "MemberCode"):
                attr = "guid" if ref.get("guid") else "targetGUID"
                guid = reader.guid(ref, f"{where}, MemberCode", attr, unique=False)
                if guid not in code_guids:
                    raise RefiQdaError(f"{where}: member {guid} is not a code of this codebook")
                members.append(guid)
            sets.append(QdaSet(guid=reader.guid(element, where), name=element.get("name") or "",
                               description=_text(element, "Description"), code_refs=members))
    return codes, sets
