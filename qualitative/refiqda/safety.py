"""Defensive reading of untrusted .qdpx archives and QDA-XML documents.

Nothing is extracted to disk: members are read into memory only after their names and declared sizes have
been checked, and reading itself is capped (a member may lie about its size).  XML is parsed with
defusedxml with DTDs forbidden, so entity expansion ("billion laughs") and external entities cannot run.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .model import RefiQdaError

MiB = 1024 * 1024
DEFAULT_MAX_TOTAL_UNCOMPRESSED = 200 * MiB
MAX_MEMBERS = 10_000
# Ratio of declared uncompressed to compressed size above which a member counts as a zip bomb.
# Deflate tops out near 1032:1; real transcripts compress 3-10:1.  Tiny members are exempt.
MAX_RATIO = 200
RATIO_EXEMPT_BELOW = 1 * MiB
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")

# Exceptions the zipfile/zlib stack raises on damaged archives.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
              struct.error, ValueError, OverflowError, KeyError, IndexError)


def check_member_name(name: str) -> str:
    """Refuse names that would escape an extraction folder: absolute, drive letters, backslashes, ``..``."""
    if not name:
        raise RefiQdaError("archive member with an empty name")
    if "\\" in name:
        raise RefiQdaError(f"archive member {name!r}: backslashes are not allowed in zip paths")
    if name.startswith("/") or _DRIVE.match(name):
        raise RefiQdaError(f"archive member {name!r}: absolute paths are not allowed")
    if any(part == ".." for part in name.split("/")):
        raise RefiQdaError(f"archive member {name!r}: path escapes the archive ('..')")
    if "\x00" in name:
        raise RefiQdaError(f"archive member {name!r}: NUL in name")
    return name


@dataclass
class SafeArchive:
    """The checked members of a .qdpx, looked up case-insensitively, read with a shared byte budget."""

    zf: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]  # lower-case name -> info
    budget: int

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(name.lower())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """Read one member, stopping as soon as it exceeds its declared size or the remaining budget."""
        limit = min(info.file_size, self.budget)
        out = io.BytesIO()
        try:
            with self.zf.open(info) as handle:
                while True:
                    chunk = handle.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    if out.tell() > limit:
                        raise RefiQdaError(f"archive member {info.filename!r} inflates beyond its declared "
                                           f"size or the {self.budget} bytes left of the import limit")
        except RefiQdaError:
            raise
        except ZIP_ERRORS as exc:
            raise RefiQdaError(f"archive member {info.filename!r} is corrupt: {exc}") from None
        self.budget -= out.tell()
        return out.getvalue()


def open_archive(data: bytes, max_total_uncompressed: int = DEFAULT_MAX_TOTAL_UNCOMPRESSED) -> SafeArchive:
    """Open ``data`` as a zip and check every member before anything is decompressed."""
    if not data:
        raise RefiQdaError("the file is empty (0 bytes); a .qdpx is a zip archive")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except ZIP_ERRORS as exc:
        raise RefiQdaError(f"not a readable .qdpx (zip) archive: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise RefiQdaError(f"archive has {len(infos)} members; at most {MAX_MEMBERS} are accepted")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        check_member_name(info.filename)
        if info.flag_bits & 0x1:
            raise RefiQdaError(f"archive member {info.filename!r} is encrypted")
        key = info.filename.lower()
        if key in members:
            raise RefiQdaError(f"archive member {info.filename!r} appears more than once")
        members[key] = info
        total += info.file_size
        if total > max_total_uncompressed:
            raise RefiQdaError(f"archive would inflate to more than {max_total_uncompressed} bytes "
                               f"(limit reached at member {info.filename!r})")
        if info.file_size >= RATIO_EXEMPT_BELOW and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise RefiQdaError(f"archive member {info.filename!r} declares {info.file_size} bytes from "
                               f"{info.compress_size} compressed (ratio above {MAX_RATIO}:1): refused as a "
                               "possible zip bomb")
    return SafeArchive(zf=zf, members=members, budget=max_total_uncompressed)


def parse_xml(data: bytes, what: str) -> Element:
    """Parse untrusted XML; DTDs and entities are refused; syntax errors name line and column."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).rsplit(": line ", 1)[0]
        raise RefiQdaError(f"{what} is not well-formed XML at line {line}, column {column}: {reason}") from None
    except DefusedXmlException as exc:
        raise RefiQdaError(f"{what} uses a DTD or entity declarations, which are refused for safety: "
                           f"{exc}") from None
    except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
        raise RefiQdaError(f"{what} cannot be parsed as XML: {exc}") from None
