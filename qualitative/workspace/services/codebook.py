"""A project's codebook: the CFIR 2.0 preload, custom codes and hierarchy, published versions, and CSV / REFI-QDA
.qdc exchange. Imports validate the whole file first (``qualitative.codebook_io`` names row and column) and then
write in one transaction, so nothing is half-imported. Codes are matched by ``key``: an imported row with a known
key updates that code, a new key adds one; codes missing from the file are left as they are."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa

from app.db import db
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.codebook import load_cfir_codebook
from qualitative.codebook_io import (
    CodebookImportError,
    check_hierarchy,
    dotted_hierarchy,
    is_taguette_csv,
    key_from_name,
    qda_codes_to_rows,
    read_codebook_csv,
    read_taguette_csv,
    rows_to_qda_codes,
    write_codebook_csv,
)
from qualitative.models import Code, CodebookVersion, CodeGroup, Coding, QualProject
from qualitative.refiqda import QdaSet, RefiQdaError, export_qdc, read_qdc, stable_guid

ROLE_SUBDOMAIN = "IV.ROLE"
#: colours offered to new custom codes in turn (Okabe-Ito palette, distinguishable with colour-vision deficiency)
CUSTOM_COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999")
_KEY = re.compile(r"^[^\W_][\w.\-]{0,39}$")  # letters and digits of any script (Café-émotions), . _ -
LIMITS = {"key": 40, "name": 255, "kind": 40}


class CodebookChangeError(ValueError):
    """A codebook change that cannot be made (cycle, code in use, key taken); the message says why."""


@functools.lru_cache(maxsize=1)
def _cfir() -> tuple[dict, ...]:
    return tuple(load_cfir_codebook())


def cfir_roles() -> list[tuple[str, str]]:
    """(key, "IV.A High-level Leaders") for the CFIR 2.0 Individuals: roles subdomain, in codebook order."""
    return [(c["key"], f"{c['label']} {c['name']}") for c in _cfir() if c["parent_key"] == ROLE_SUBDOMAIN]


def cfir_role_label(key: str | None) -> str:
    return dict(cfir_roles()).get(key or "", key or "")


def cfir_labels() -> dict[str, str]:
    """CFIR keys whose display label differs from the key ("IV.ROLE.A" -> "IV.A")."""
    return {c["key"]: c["label"] for c in _cfir() if c["label"] != c["key"]}


def load_cfir_into(project: QualProject) -> list[Code]:
    """Add the CFIR 2.0 codebook to an empty project: domains and subdomains as non-codable parents, then the
    constructs and subconstructs with definitions, inclusion/exclusion notes, lexicon and colour."""
    by_key: dict[str, Code] = {}
    for position, entry in enumerate(_cfir()):
        code = Code(
            project_id=project.id, key=entry["key"], name=entry["name"], kind=entry["kind"],
            label=entry["label"] if entry["label"] != entry["key"] else None,
            codable=entry["codable"], colour=entry["colour"], definition=entry["definition"],
            inclusion=entry["inclusion"], exclusion=entry["exclusion"], lexicon=list(entry["lexicon"]),
            position=position, parent=by_key.get(entry["parent_key"]) if entry["parent_key"] else None,
        )
        db.session.add(code)
        by_key[entry["key"]] = code
    db.session.flush()
    return list(by_key.values())


def codes(project: QualProject, *, active_only: bool = False) -> list[Code]:
    stmt = sa.select(Code).where(Code.project_id == project.id).order_by(Code.position, Code.id)
    if active_only:
        stmt = stmt.where(Code.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def tree(code_list: list[Code]) -> list[tuple[Code, int]]:
    """(code, depth) in depth-first order, siblings by position; orphans (parent missing) at the top."""
    ids = {c.id for c in code_list}
    children: dict[int | None, list[Code]] = {}
    for code in code_list:
        parent = code.parent_id if code.parent_id in ids else None
        children.setdefault(parent, []).append(code)
    out: list[tuple[Code, int]] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        code, depth = stack.pop()
        out.append((code, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(code.id, [])))
    return out


def rows(project: QualProject) -> list[dict]:
    """The active codebook as codebook-CSV rows (``qualitative.codebook_io``), parents before children."""
    code_list = codes(project, active_only=True)
    key_of = {c.id: c.key for c in code_list}
    return [
        {
            "key": c.key, "name": c.name, "parent_key": key_of.get(c.parent_id), "kind": c.kind,
            "codable": c.codable, "colour": c.colour, "definition": c.definition or "",
            "inclusion": c.inclusion or "", "exclusion": c.exclusion or "", "lexicon": list(c.lexicon or []),
        }
        for c, _depth in tree(code_list)
    ]


def publish_version(project: QualProject, user, note: str | None) -> CodebookVersion:
    """Freeze the current codebook as the next version number (caller commits)."""
    number = (db.session.execute(
        sa.select(sa.func.max(CodebookVersion.version)).where(CodebookVersion.project_id == project.id)
    ).scalar() or 0) + 1
    version = CodebookVersion(project_id=project.id, version=number, note=(note or "").strip() or None,
                              snapshot=rows(project), created_by_id=user.id if user else None)
    db.session.add(version)
    project.codebook_version = number
    db.session.flush()
    return version


def versions(project: QualProject) -> list[CodebookVersion]:
    return list(db.session.execute(
        sa.select(CodebookVersion).where(CodebookVersion.project_id == project.id)
        .order_by(CodebookVersion.version.desc())
    ).scalars())


def version_of(project: QualProject, number: int) -> CodebookVersion | None:
    return db.session.execute(
        sa.select(CodebookVersion).where(CodebookVersion.project_id == project.id, CodebookVersion.version == number)
    ).scalar_one_or_none()


def csv_text(code_rows: list[dict]) -> str:
    return write_codebook_csv(code_rows)


def groups(project: QualProject) -> list[CodeGroup]:
    """The project's code and document groups (REFI-QDA sets), by name."""
    return list(db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == project.id)
                                   .order_by(CodeGroup.name, CodeGroup.id)).scalars())


def qdc_bytes(code_rows: list[dict], code_groups: list[CodeGroup] | None = None) -> bytes:
    """REFI-QDA .qdc; each code's GUID is ``stable_guid("code", key)`` so a re-import finds the same codes. Code
    groups with codes become ``<Sets>`` (their documents stay out: a codebook has none)."""
    sets = [QdaSet(stable_guid("group", g.id), g.name, g.description or "",
                   code_refs=[stable_guid("code", c.key) for c in g.codes]) for g in code_groups or []]
    return export_qdc(rows_to_qda_codes(code_rows), origin="MIO implementation platform", sets=sets)


# --- import ---------------------------------------------------------------------------------------------------
def read_csv_upload(data: bytes, dotted: bool = False, project: QualProject | None = None) -> list[dict]:
    """Rows of an uploaded codebook CSV, validated (CodebookImportError names row and column): this platform's
    columns, or a Taguette codebook CSV (``tag, [parent,] description, number of highlights``). ``dotted``
    makes dotted names a hierarchy (``barriers.space`` under ``barriers``)."""
    code_rows = read_taguette_csv(data) if is_taguette_csv(data) else read_codebook_csv(data)
    if dotted:
        code_rows = dotted_hierarchy(code_rows, {c.key for c in codes(project)} if project is not None else None)
    _check_limits(code_rows)
    return code_rows


def read_qdc_upload(project: QualProject, data: bytes, dotted: bool = False) -> tuple[list[dict], list[dict]]:
    """Rows of an uploaded .qdc (Taguette's too, with its empty ``<Sets/>``) and its sets as code groups
    (``{"name", "description", "keys"}``). A code whose GUID is ``stable_guid("code", key)`` of a code in this
    project (or of a CFIR key) keeps that key; other codes get a key made from their name, keeping its letters
    (``key_from_name``). ``dotted`` as in :func:`read_csv_upload`."""
    try:
        tree_codes, sets = read_qdc(data)
    except RefiQdaError as exc:
        raise CodebookImportError(f"not a readable REFI-QDA codebook: {exc}") from None
    project_codes = codes(project)
    known = {stable_guid("code", c.key): c.key for c in project_codes}
    known.update({stable_guid("code", c["key"]): c["key"] for c in _cfir()})
    used: set[str] = set(known.values())
    # A file from another tool has its own GUIDs: re-importing it (or a later export of the same codebook) must find
    # the codes it made the first time, by their place in the tree (the names from the root, case and spaces aside).
    by_id = {c.id: c for c in project_codes}

    def path_of(code: Code) -> tuple[str, ...]:
        names: list[str] = []
        seen: set[int] = set()
        while code is not None and code.id not in seen:
            seen.add(code.id)
            names.append(_fold(code.name))
            code = by_id.get(code.parent_id)
        return tuple(reversed(names))

    by_path: dict[tuple[str, ...], str] = {}
    for c in project_codes:
        by_path.setdefault(path_of(c), c.key)
    file_paths: dict[int, tuple[str, ...]] = {}
    stack = [(c, ()) for c in tree_codes]
    while stack:
        item, above = stack.pop()
        file_paths[id(item)] = (*above, _fold(item.name))
        stack.extend((child, file_paths[id(item)]) for child in item.children)

    def key_for(code) -> str:
        if code.guid not in known:
            known[code.guid] = by_path.get(file_paths[id(code)]) or key_from_name(code.name, used, upper=True)
        return known[code.guid]

    code_rows = qda_codes_to_rows(tree_codes, key_for)
    if dotted:
        code_rows = dotted_hierarchy(code_rows, used)
    for row in code_rows:
        if row["colour"]:
            row["colour"] = str(row["colour"]).lower()
    _check_limits(code_rows, numbering="code")
    groups = []
    for item in sets:
        name = item.name.strip()
        if not name or len(name) > 255:
            raise CodebookImportError(f"set {item.name[:60]!r}: a group name needs 1 to 255 characters")
        groups.append({"name": name, "description": item.description or None,
                       "keys": [known[g] for g in item.code_refs]})
    return code_rows, groups


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def import_groups(project: QualProject, groups: list[dict]) -> int:
    """Code groups of an imported codebook: a group of the same name gets these codes added (and the description,
    when it had none); others are created. Returns how many groups were touched. Caller commits."""
    by_key = {c.key: c for c in codes(project)}
    existing = {g.name: g for g in db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == project.id))
                .scalars()}
    for item in groups:
        group = existing.get(item["name"])
        if group is None:
            group = existing[item["name"]] = CodeGroup(project_id=project.id, name=item["name"],
                                                       description=item["description"], codes=[])
            db.session.add(group)
        elif not group.description:
            group.description = item["description"]
        for key in item["keys"]:
            if key in by_key and by_key[key] not in group.codes:
                group.codes.append(by_key[key])
    db.session.flush()
    return len(groups)


def _check_limits(code_rows: list[dict], numbering: str = "row") -> None:
    for index, row in enumerate(code_rows):
        where = index + 2 if numbering == "row" else None
        label = f"code {index + 1} ({row['name']!r})" if numbering != "row" else None
        for column, limit in LIMITS.items():
            if len(str(row.get(column) or "")) > limit:
                message = f"longer than {limit} characters"
                raise CodebookImportError(f"{label}: {message}" if label else message, row=where, column=column)
        if not _KEY.match(str(row["key"])):
            message = "use letters, digits, dots, hyphens or underscores (at most 40), starting with a letter or digit"
            raise CodebookImportError(f"{label}: {message}" if label else message, row=where, column="key")


def import_rows(project: QualProject, code_rows: list[dict]) -> tuple[int, int]:
    """Merge validated rows into the project's codebook by key; returns (added, updated). Caller commits."""
    check_hierarchy(code_rows)
    existing = {c.key: c for c in codes(project)}
    labels = cfir_labels()
    next_position = max([c.position for c in existing.values()] + [-1]) + 1
    added = updated = 0
    touched: dict[str, Code] = {}
    for row in code_rows:
        code = existing.get(row["key"])
        if code is None:
            code = Code(project_id=project.id, key=row["key"], position=next_position, label=labels.get(row["key"]))
            next_position += 1
            db.session.add(code)
            added += 1
        else:
            updated += 1
        code.name = row["name"]
        code.kind = row["kind"] or "code"
        code.codable = bool(row["codable"])
        code.colour = (row["colour"] or "").lower() or code.colour
        code.definition = row["definition"] or None
        code.inclusion = row["inclusion"] or None
        code.exclusion = row["exclusion"] or None
        code.lexicon = list(row["lexicon"] or [])
        code.active = True
        touched[row["key"]] = code
    for row in code_rows:
        touched[row["key"]].parent = touched[row["parent_key"]] if row["parent_key"] else None
    db.session.flush()
    return added, updated


# --- single codes ---------------------------------------------------------------------------------------------
def key_taken(project: QualProject, key: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Code.id).where(Code.project_id == project.id, sa.func.lower(Code.key) == key.strip().lower())
    if exclude_id:
        stmt = stmt.where(Code.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def next_colour(project: QualProject) -> str:
    count = db.session.execute(
        sa.select(sa.func.count(Code.id)).where(Code.project_id == project.id, Code.kind.not_in(
            ("domain", "subdomain", "construct", "subconstruct")))
    ).scalar_one()
    return CUSTOM_COLOURS[count % len(CUSTOM_COLOURS)]


def save_code(project: QualProject, code: Code | None, data: dict) -> Code:
    """Create or update a code from form data (key, name, parent_id, colour, codable, definition, inclusion,
    exclusion, lexicon as text). Refuses a parent that would make a cycle. Commits."""
    parent_id = data.get("parent_id") or None
    if parent_id is not None:
        parent = db.session.get(Code, parent_id)
        if parent is None or parent.project_id != project.id:
            raise CodebookChangeError("The parent code is not in this project.")
        walker: Code | None = parent
        while walker is not None:
            if code is not None and walker.id == code.id:
                raise CodebookChangeError("A code cannot be placed under itself or one of its own sub-codes.")
            walker = walker.parent
    if code is None:
        position = (db.session.execute(
            sa.select(sa.func.max(Code.position)).where(Code.project_id == project.id)).scalar() or 0) + 1
        code = Code(project_id=project.id, kind="custom", position=position)
        db.session.add(code)
    code.key = data["key"].strip()
    code.name = data["name"].strip()
    code.parent_id = parent_id
    code.colour = (data.get("colour") or "").lower() or None
    code.codable = bool(data.get("codable"))
    code.active = bool(data.get("active", True))
    for field in ("definition", "inclusion", "exclusion"):
        code.__setattr__(field, (data.get(field) or "").strip() or None)
    code.lexicon = [t.strip().lower() for t in (data.get("lexicon") or "").split(";") if t.strip()]
    db.session.commit()
    return code


def delete_code(code: Code) -> None:
    """Delete a code that has no codings and no sub-codes; otherwise refuse (deactivate it instead)."""
    used = db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.code_id == code.id)).scalar_one()
    if used:
        raise CodebookChangeError(
            f"{code} is used by {used} coding{'s' if used != 1 else ''}; mark it inactive instead of deleting it.")
    children = db.session.execute(sa.select(sa.func.count(Code.id)).where(Code.parent_id == code.id)).scalar_one()
    if children:
        raise CodebookChangeError(f"{code} has {children} sub-code{'s' if children != 1 else ''}; move or delete them first.")
    db.session.delete(code)
    db.session.commit()


IN_VIVO_NAME_LIMIT = 80


def in_vivo_name(words: str) -> str:
    """A code name from selected words: whitespace collapsed, outer quotes and punctuation dropped, at most
    ``IN_VIVO_NAME_LIMIT`` characters (cut at a word, ending with …)."""
    name = " ".join((words or "").split()).strip(" \"'“”‘’.,;:!?…-–—")
    if len(name) > IN_VIVO_NAME_LIMIT:
        cut = name[:IN_VIVO_NAME_LIMIT - 1]
        name = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"
    if not name:
        raise CodebookChangeError("Select some words to name the in-vivo code after.")
    return name


def in_vivo_code(project: QualProject, words: str, parent_id, document_name: str) -> tuple[Code, bool]:
    """The custom code named from the selected words (``in_vivo_name``) under ``parent_id`` (a code of this
    project, or None for the top level): an existing active code of that name under that parent is reused,
    otherwise a new codable code (kind ``in-vivo``) is added after its siblings. Returns (code, created).
    Flushes; the caller commits."""
    name = in_vivo_name(words)
    parent = None
    if parent_id not in (None, "", 0, "0"):
        try:
            parent = db.session.get(Code, int(parent_id))
        except (TypeError, ValueError):
            parent = None
        if parent is None or parent.project_id != project.id:
            raise CodebookChangeError("The parent code is not in this project's codebook.")
    same = db.session.execute(sa.select(Code).where(
        Code.project_id == project.id, Code.parent_id == (parent.id if parent else None),
        sa.func.lower(Code.name) == name.lower(), Code.active.is_(True))).scalars().first()
    if same is not None:
        if not same.codable:
            raise CodebookChangeError(f"{same} is a heading; choose another parent or other words.")
        return same, False
    used = set(db.session.execute(sa.select(Code.key).where(Code.project_id == project.id)).scalars())
    position = (db.session.execute(
        sa.select(sa.func.max(Code.position)).where(Code.project_id == project.id)).scalar() or 0) + 1
    code = Code(project_id=project.id, key=key_from_name(name, used, upper=True), name=name, kind="in-vivo",
                codable=True, colour=next_colour(project), parent_id=parent.id if parent else None,
                definition=f"In-vivo code: the participants' own words, first coded in {document_name}.",
                lexicon=[], position=position)
    db.session.add(code)
    db.session.flush()
    return code, True


def usage(project: QualProject, viewer) -> dict[int, int]:
    """Codings per code (all coders), less those a blind sample hides from ``viewer`` (``visible_codings_clause``)."""
    return dict(db.session.execute(
        sa.select(Coding.code_id, sa.func.count(Coding.id)).join(Code, Code.id == Coding.code_id)
        .where(Code.project_id == project.id, visible_codings_clause(viewer, project.id)).group_by(Coding.code_id)
    ).all())


def version_authors(project: QualProject) -> dict[int, str]:
    from app.models import User

    ids = {v.created_by_id for v in versions(project) if v.created_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())
