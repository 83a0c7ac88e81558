"""Codebook CSV import/export and conversion to REFI-QDA code trees.

CSV columns (header row required, names case-insensitive, order free; ``key`` and ``name`` required)::

    key, name, parent_key, kind, codable, colour, definition, inclusion, exclusion, lexicon

``parent_key`` is empty for top-level codes or the ``key`` of another row (any order); ``codable`` is
true/false/yes/no/1/0 (empty = true); ``colour`` is ``#RRGGBB`` (``#RGB`` and missing ``#`` accepted);
``lexicon`` is semicolon-separated terms.  Rows are numbered as a spreadsheet shows them: the header is
row 1, the first code row 2.  Every error is a :class:`CodebookImportError` naming the row and column, as
Taguette's codebook import does.

A parsed row is a dict with those keys: ``parent_key`` ``str | None``, ``codable`` ``bool``, ``colour``
``str | None``, ``lexicon`` ``list[str]``, the rest ``str``.

REFI-QDA codes carry only a name, colour, codability and one description, so :func:`rows_to_qda_codes`
writes definition, kind, inclusion, exclusion and lexicon into the description as labelled paragraphs
(``Kind:``, ``Inclusion:``, ``Exclusion:``, ``Lexicon:``) after the definition, and
:func:`qda_codes_to_rows` reads them back.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable

from app import csvinput
from qualitative.refiqda.model import QdaCode, stable_guid
from qualitative.refiqda.values import normalise_colour

CODEBOOK_COLUMNS = ("key", "name", "parent_key", "kind", "codable", "colour", "definition", "inclusion",
                    "exclusion", "lexicon")
REQUIRED_COLUMNS = ("key", "name")
_ALIASES = {"color": "colour", "parent": "parent_key", "code": "name"}
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
DEFAULT_KIND = "code"
_LABELS = (("kind", "Kind"), ("inclusion", "Inclusion"), ("exclusion", "Exclusion"), ("lexicon", "Lexicon"))

CodebookRow = dict[str, object]


class CodebookImportError(ValueError):
    """A codebook cannot be read; ``row`` (spreadsheet numbering) and ``column`` say where."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        where = ", ".join(part for part in (f"row {row}" if row else "", f"column {column!r}" if column else "")
                          if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.row = row
        self.column = column


def read_codebook_csv(data: str | bytes) -> list[CodebookRow]:
    """Parse and validate a codebook CSV (UTF-8, BOM allowed); return its rows as dicts in file order."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CodebookImportError(f"the file is not UTF-8 text (byte {exc.start})") from None
    data = data.removeprefix("\ufeff")
    reader = csvinput.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise CodebookImportError("the file is empty; the first row must name the columns", row=1)
        columns = _header(header)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                raise CodebookImportError(f"{len(cells)} fields but the header has {len(columns)}", row=number)
            record = dict(zip(columns, [*cells, *[""] * (len(columns) - len(cells))], strict=True))
            rows.append(_row(record, number))
    except csv.Error as exc:
        raise CodebookImportError(f"malformed CSV: {exc}", row=reader.line_num) from None
    check_hierarchy(rows, [row["_row"] for row in rows])  # type: ignore[misc]
    for row in rows:
        del row["_row"]
    return rows


def _header(header: list[str]) -> list[str]:
    columns = []
    for cell in header:
        name = cell.strip().lower().replace(" ", "_")
        name = _ALIASES.get(name, name)
        if name not in CODEBOOK_COLUMNS:
            raise CodebookImportError(f"unknown column (expected some of: {', '.join(CODEBOOK_COLUMNS)})",
                                      row=1, column=cell)
        if name in columns:
            raise CodebookImportError("column appears twice", row=1, column=cell)
        columns.append(name)
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            raise CodebookImportError("required column is missing", row=1, column=name)
    return columns


def _row(record: dict[str, str], number: int) -> CodebookRow:
    get = {name: (record.get(name) or "").strip() for name in CODEBOOK_COLUMNS}
    for name in REQUIRED_COLUMNS:
        if not get[name]:
            raise CodebookImportError("must not be empty", row=number, column=name)
    codable_text = get["codable"].lower()
    if codable_text and codable_text not in _TRUE | _FALSE:
        raise CodebookImportError(f"{get['codable']!r} is not true/false", row=number, column="codable")
    colour = normalise_colour(get["colour"]) if get["colour"] else None
    if get["colour"] and colour is None:
        raise CodebookImportError(f"{get['colour']!r} is not a colour like #1F77B4", row=number, column="colour")
    return {
        "key": get["key"], "name": get["name"], "parent_key": get["parent_key"] or None,
        "kind": get["kind"].lower() or DEFAULT_KIND, "codable": codable_text not in _FALSE,
        "colour": colour, "definition": get["definition"], "inclusion": get["inclusion"],
        "exclusion": get["exclusion"], "lexicon": split_lexicon(get["lexicon"]), "_row": number,
    }


def split_lexicon(text: str) -> list[str]:
    """``"craving; using ;relapse"`` -> ``["craving", "using", "relapse"]`` (empty terms dropped)."""
    return [term.strip() for term in text.split(";") if term.strip()]


def check_hierarchy(rows: list[CodebookRow], numbers: list[int] | None = None) -> None:
    """Keys are unique; every parent_key names a row; following parents never loops back (no cycle)."""
    numbers = numbers or list(range(2, len(rows) + 2))
    where: dict[str, int] = {}
    for row, number in zip(rows, numbers, strict=True):
        key = str(row["key"])
        if key in where:
            raise CodebookImportError(f"key {key!r} is already used in row {where[key]}", row=number, column="key")
        where[key] = number
    parent_of = {str(r["key"]): r.get("parent_key") or None for r in rows}
    for row, number in zip(rows, numbers, strict=True):
        parent = row.get("parent_key") or None
        if parent is not None and parent not in parent_of:
            raise CodebookImportError(f"parent {parent!r} is not the key of any code", row=number,
                                      column="parent_key")
    for row, number in zip(rows, numbers, strict=True):
        seen = [str(row["key"])]
        parent = row.get("parent_key") or None
        while parent is not None:
            if parent in seen:
                loop = " -> ".join([*seen[seen.index(parent):], str(parent)])
                raise CodebookImportError(f"parent chain forms a cycle: {loop}", row=number, column="parent_key")
            seen.append(str(parent))
            parent = parent_of[str(parent)]


def write_codebook_csv(rows: Iterable[CodebookRow]) -> str:
    """Return CSV text with the header :data:`CODEBOOK_COLUMNS` (RFC 4180: CRLF, minimal quoting);
    lexicon terms are joined with ``"; "``.  Encode as UTF-8 (with BOM, ``utf-8-sig``, for Excel)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CODEBOOK_COLUMNS)
    for row in rows:
        writer.writerow([
            row.get("key", ""), row.get("name", ""), row.get("parent_key") or "", row.get("kind") or DEFAULT_KIND,
            "true" if row.get("codable", True) else "false", row.get("colour") or "", row.get("definition", ""),
            row.get("inclusion", ""), row.get("exclusion", ""), "; ".join(row.get("lexicon") or []),
        ])
    return out.getvalue()


def describe(row: CodebookRow) -> str:
    """The REFI-QDA description of a row: definition, then labelled paragraphs for the other fields."""
    parts = [str(row.get("definition") or "").strip()]
    for field, label in _LABELS:
        value = row.get(field)
        if field == "lexicon":
            value = "; ".join(value or [])  # type: ignore[arg-type]
        if field == "kind" and value == DEFAULT_KIND:
            continue
        if value:
            parts.append(f"{label}: {value}")
    return "\n\n".join(part for part in parts if part)


def parse_description(description: str) -> dict[str, object]:
    """Inverse of :func:`describe`: split the labelled paragraphs back into fields."""
    fields: dict[str, object] = {"definition": "", "kind": DEFAULT_KIND, "inclusion": "", "exclusion": "",
                                 "lexicon": []}
    current = "definition"
    chunks: dict[str, list[str]] = {"definition": []}
    for line in description.splitlines():
        label = next((f for f, name in _LABELS if line.startswith(f"{name}: ")), None)
        if label is not None:
            current = label
            chunks[current] = [line.split(": ", 1)[1]]
        else:
            chunks.setdefault(current, []).append(line)
    for field, lines in chunks.items():
        text = "\n".join(lines).strip()
        fields[field] = split_lexicon(text) if field == "lexicon" else (text or fields[field])
    fields["kind"] = str(fields["kind"]).lower()
    return fields


def rows_to_qda_codes(rows: list[CodebookRow],
                      guid_for: Callable[[str], str] | None = None) -> list[QdaCode]:
    """Build the nested code tree; siblings keep row order.  GUIDs default to ``stable_guid("code", key)``."""
    check_hierarchy(rows)
    guid_for = guid_for or (lambda key: stable_guid("code", key))
    made = {str(r["key"]): QdaCode(guid=guid_for(str(r["key"])), name=str(r["name"]),
                                   color=r.get("colour") or None, is_codable=bool(r.get("codable", True)),
                                   description=describe(r)) for r in rows}  # type: ignore[arg-type]
    top = []
    for row in rows:
        code = made[str(row["key"])]
        parent = row.get("parent_key")
        (made[str(parent)].children if parent else top).append(code)
    return top


def qda_codes_to_rows(codes: list[QdaCode],
                      key_for: Callable[[QdaCode], str] | None = None) -> list[CodebookRow]:
    """Flatten a code tree to rows, parents before children.  Keys default to the code GUID."""
    key_for = key_for or (lambda code: code.guid)
    rows: list[CodebookRow] = []
    stack: list[tuple[QdaCode, str | None]] = [(c, None) for c in reversed(codes)]
    while stack:
        code, parent = stack.pop()
        key = key_for(code)
        rows.append({"key": key, "name": code.name, "parent_key": parent, "codable": code.is_codable,
                     "colour": normalise_colour(code.color) if code.color else None,
                     **parse_description(code.description)})
        stack.extend((child, key) for child in reversed(code.children))
    return [{column: row[column] for column in CODEBOOK_COLUMNS} for row in rows]


# --- keys made from names, Taguette codebooks, dotted names as a hierarchy ---------------------------------------
KEY_LENGTH = 40
_NOT_KEY = re.compile(r"[^\w.]+")  # \w: letters and digits of every script, and "_"


def key_from_name(name: str, used: set[str], upper: bool = False) -> str:
    """A unique key for a code called ``name``: its letters and digits (of any script, so ``Café émotions`` gives
    ``Café-émotions``), runs of anything else as one ``-``, at most 34 characters, then ``-2``, ``-3``... until it
    is not in ``used``; ``used`` gains it. Keys stay safe in a URL, a CSV and a file name (no spaces, quotes,
    slashes or angle brackets)."""
    base = _NOT_KEY.sub("-", unicodedata.normalize("NFC", name)).strip("-._")[:34].strip("-._") or "code"
    if upper:
        base = base.upper()
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


TAGUETTE_COLUMNS = ("tag", "description", "number of highlights")


def is_taguette_csv(data: str | bytes) -> bool:
    """A Taguette codebook CSV starts with ``tag,description,number of highlights`` (``tag,parent,...`` from
    Taguette 1.4 on)."""
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    return [c.strip().lower() for c in first][:1] == ["tag"] and "number of highlights" in [c.strip().lower()
                                                                                           for c in first]


def read_taguette_csv(data: str | bytes) -> list[CodebookRow]:
    """Rows of a Taguette codebook CSV (columns ``tag``, optional ``parent``, ``description``, ``number of
    highlights``): the tag path is the name, the description the definition, ``parent`` (a tag path) the parent;
    keys are made from the names (:func:`key_from_name`). Errors name the spreadsheet row (header = row 1)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CodebookImportError(f"the file is not UTF-8 text (byte {exc.start})") from None
    reader = csvinput.dict_reader(io.StringIO(data.removeprefix("\ufeff"), newline=""))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
    except csv.Error as exc:
        raise CodebookImportError(f"malformed CSV: {exc}", row=1) from None
    if "tag" not in fields:
        raise CodebookImportError("a Taguette codebook needs a 'tag' column", row=1, column="tag")
    used: set[str] = set()
    rows: list[CodebookRow] = []
    key_of: dict[str, str] = {}
    parents: list[tuple[int, str, str]] = []
    try:
        for number, record in enumerate(reader, start=2):
            cells = {str(k).strip().lower(): (v or "").strip() for k, v in record.items() if k is not None}
            tag = cells.get("tag", "")
            if not tag:
                if any(cells.values()):
                    raise CodebookImportError("must not be empty", row=number, column="tag")
                continue
            if tag in key_of:
                raise CodebookImportError(f"tag {tag!r} appears twice", row=number, column="tag")
            key_of[tag] = key_from_name(tag, used)
            rows.append({"key": key_of[tag], "name": tag, "parent_key": None, "kind": DEFAULT_KIND, "codable": True,
                         "colour": None, "definition": cells.get("description", ""), "inclusion": "",
                         "exclusion": "", "lexicon": []})
            if cells.get("parent"):
                parents.append((len(rows) - 1, cells["parent"], str(number)))
    except csv.Error as exc:
        raise CodebookImportError(f"malformed CSV: {exc}", row=reader.line_num) from None
    for index, parent, number in parents:
        if parent not in key_of:
            raise CodebookImportError(f"parent {parent!r} is not a tag of this file", row=int(number),
                                      column="parent")
        rows[index]["parent_key"] = key_of[parent]
    check_hierarchy(rows)
    return [{column: row[column] for column in CODEBOOK_COLUMNS} for row in rows]


def dotted_hierarchy(rows: list[CodebookRow], used: set[str] | None = None) -> list[CodebookRow]:
    """Turn dotted names into a tree (Taguette's convention, ``barriers.space``): a top-level row whose name has
    dots goes under the row named by the part before its last dot, which is added (as a heading that cannot be
    coded) when the file lacks it; the row keeps the last part as its name. Rows that already have a parent, and
    names without dots, stay as they are. Parents come before children in the result."""
    used = set(used or ()) | {str(r["key"]) for r in rows}
    by_path: dict[str, CodebookRow] = {}
    out: list[CodebookRow] = []

    def node(path: str) -> CodebookRow:
        if path in by_path:
            return by_path[path]
        head, dot, tail = path.rpartition(".")
        parent = node(head) if dot and head and tail else None
        row = {"key": key_from_name(path, used), "name": tail if parent else path,
               "parent_key": parent["key"] if parent else None, "kind": DEFAULT_KIND, "codable": False,
               "colour": None, "definition": "", "inclusion": "", "exclusion": "", "lexicon": []}
        by_path[path] = row
        out.append(row)
        return row

    for original in rows:
        if not original.get("parent_key"):
            by_path.setdefault(str(original["name"]), dict(original))
    for original in rows:
        name = str(original["name"])
        if original.get("parent_key"):
            out.append(dict(original))
            continue
        row = by_path[name]
        head, dot, tail = name.rpartition(".")
        if dot and head and tail:
            parent = node(head)
            row["name"], row["parent_key"] = tail, parent["key"]
        if row not in out:
            out.append(row)
    ordered, placed = [], set()
    pending = list(out)
    while pending:  # parents before children (the headings were added after the rows that needed them)
        progressed = False
        for row in list(pending):
            if not row.get("parent_key") or row["parent_key"] in placed:
                ordered.append(row)
                placed.add(row["key"])
                pending.remove(row)
                progressed = True
        if not progressed:  # pragma: no cover - check_hierarchy refuses cycles before this
            raise CodebookImportError("parent chain forms a cycle")
    check_hierarchy(ordered)
    return ordered
