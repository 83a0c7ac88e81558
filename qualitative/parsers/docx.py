"""Word .docx transcripts: paragraphs (and two-column speaker tables) read with python-docx.

The zip is inspected before anything is decompressed (a .docx is an Office Open XML zip, ECMA-376 Part 2):
too many members, a declared uncompressed total above ``MAX_UNCOMPRESSED_FACTOR * max_bytes`` or a member whose
compression ratio exceeds ``MAX_COMPRESSION_RATIO`` is refused as a probable zip bomb. zipfile never returns more
than a member's declared size, so the declared sizes bound what is read.
"""

from __future__ import annotations

import io
import zipfile

from qualitative.parsers.model import TranscriptFormatError
from qualitative.parsers.plain import is_speaker_label

MAX_UNCOMPRESSED_FACTOR = 10
MAX_COMPRESSION_RATIO = 200
MAX_MEMBERS = 2000
_RATIO_CHECK_MIN_BYTES = 1 << 20  # small members can have any ratio; only big ones can bomb
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_docx_zip(data: bytes, filename: str, max_bytes: int) -> None:
    """Raise TranscriptFormatError unless ``data`` is a sane .docx zip (see the module docstring)."""
    if data.startswith(_OLE_MAGIC):
        raise TranscriptFormatError(
            f"{filename}: is an old Word 97-2003 (.doc) file, not .docx; open it in Word and save as .docx"
        )
    if not data.startswith(b"PK"):
        raise TranscriptFormatError(f"{filename}: is not a Word .docx file (not a zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise TranscriptFormatError(
            f"{filename}: is a corrupt zip archive, not a readable .docx ({exc})"
        ) from None
    if len(infos) > MAX_MEMBERS:
        raise TranscriptFormatError(f"{filename}: has {len(infos)} zip members; a .docx has far fewer")
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        raise TranscriptFormatError(
            f"{filename}: is a zip archive but not a Word document (no word/document.xml)"
        )
    limit = MAX_UNCOMPRESSED_FACTOR * max_bytes
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise TranscriptFormatError(
            f"{filename}: would uncompress to {total:,} bytes, over the {limit:,}-byte limit (possible zip bomb)"
        )
    for info in infos:
        if info.file_size >= _RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise TranscriptFormatError(
                f"{filename}: member {info.filename!r} is compressed {info.file_size // max(info.compress_size, 1)}:1"
                f" (possible zip bomb)"
            )


def read_docx_lines(data: bytes, filename: str, max_bytes: int) -> list[str]:
    """Body paragraphs and table rows, in document order, one line each.

    A table row of two or more cells whose first cell looks like a speaker becomes ``"Speaker: rest"``; other rows
    join their cells with a space.
    """
    check_docx_zip(data, filename, max_bytes)
    try:
        from docx import Document
        from docx.table import Table

        document = Document(io.BytesIO(data))
        lines: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = [" ".join(cell.text.split()) for cell in row.cells]
                    cells = [
                        c for i, c in enumerate(cells) if c and c not in cells[:i]
                    ]  # merged cells repeat
                    if len(cells) >= 2 and is_speaker_label(cells[0]):
                        lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
                    elif cells:
                        lines.append(" ".join(cells))
                    lines.append("")
            else:
                lines.extend(item.text.split("\n"))
    except TranscriptFormatError:
        raise
    except Exception as exc:  # python-docx / lxml / zipfile raise many types on damaged files
        raise TranscriptFormatError(
            f"{filename}: could not be read as a Word document ({type(exc).__name__}: {exc})"
        ) from None
    return lines
