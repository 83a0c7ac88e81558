"""Media files (session audio, transcript media): the one place an upload is checked and a stored file is played.

Two pieces, both free of any feature's rules (the caller scopes, authorises and audits):

- ``check_upload(file, kinds, max_bytes)`` refuses what the platform will not keep, naming the limit: an empty
  file, a file over ``max_bytes`` (config ``MEDIA_MAX_BYTES``, environment ``MIO_MEDIA_MAX_MB``, default 100 MB;
  a view marked ``@upload_view`` accepts requests that large instead of the site-wide ``MAX_CONTENT_LENGTH``, so
  the limit is the one named), a declared type outside the accepted ones, or
  content whose first bytes are not those of an accepted format (the declared type is the browser's guess from
  the file name; the signature is what the file is). It returns the stored content type (the one the signature
  proves), so a player is never handed a type the bytes contradict.
- ``store_upload(key, file, ...)`` checks and writes through ``app.storage`` (joining the caller's transaction);
  ``play(key_or_info)`` streams it inline with HTTP Range (``app.storage.send_stored``: 206 Partial Content,
  ``Accept-Ranges: bytes``, ``Content-Range``; 416 on an unsatisfiable range) and ``Cache-Control: no-store``.

Signatures: MP3 (ID3v2 tag ``ID3`` or an MPEG audio frame sync, 11 set bits), MP4/M4A (ISO base media ``ftyp``
box at offset 4), WAV (RIFF ``WAVE``), Ogg (``OggS``), WebM (EBML header 1A 45 DF A3). Sources: ISO/IEC 11172-3
§2.4.1.3 (frame sync), ISO/IEC 14496-12 §4.3 (ftyp), the RIFF/WAVE specification (IBM/Microsoft 1991),
RFC 3533 §6 (Ogg capture pattern), the Matroska/WebM EBML specification (RFC 8794 §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from flask import Response, current_app, request

from app.storage import FileInfo, send_stored, storage

#: a 60-minute session recorded at 192 kbit/s is 86 MB; MIO_MEDIA_MAX_MB sets another limit
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
#: what a media upload's request may carry besides the file (the form's other fields and multipart framing)
FORM_MARGIN = 1024 * 1024


@dataclass(frozen=True)
class MediaKind:
    content_type: str  # what is stored and sent
    label: str  # what a user reads in a refusal
    declared: frozenset[str]  # the types browsers and recorders declare for it

    def matches(self, head: bytes) -> bool:
        return _SIGNATURES[self.content_type](head)


def _mp3(head: bytes) -> bool:
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


_SIGNATURES = {
    "audio/mpeg": _mp3,
    "audio/mp4": lambda head: head[4:8] == b"ftyp",
    "audio/wav": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WAVE",
    "audio/ogg": lambda head: head[:4] == b"OggS",
    "audio/webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
}

AUDIO_KINDS: tuple[MediaKind, ...] = (
    MediaKind("audio/mpeg", "MP3", frozenset({"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"})),
    MediaKind("audio/mp4", "M4A/MP4", frozenset({"audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac",
                                                 "video/mp4"})),
    MediaKind("audio/wav", "WAV", frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})),
    MediaKind("audio/ogg", "Ogg", frozenset({"audio/ogg", "application/ogg", "audio/opus", "audio/vorbis"})),
    MediaKind("audio/webm", "WebM", frozenset({"audio/webm", "video/webm"})),
)
#: types a browser sends when it does not know (the signature decides then)
UNKNOWN_TYPES = frozenset({"", "application/octet-stream"})
HEAD_BYTES = 16


class MediaRefused(ValueError):
    """An upload the platform will not keep; the message names the file and the rule, for a 400/413 page."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def max_bytes() -> int:
    return int(current_app.config.get("MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_view(view):
    """Mark a view that takes a media upload: its POST may be as large as ``max_bytes()`` (plus the form), not only
    the site-wide ``MAX_CONTENT_LENGTH``. Put it right under the route decorator."""
    view.mio_media_upload = True
    return view


def _raise_limit_for_uploads(endpoint: str | None, values: dict | None) -> None:
    """A URL value preprocessor: it runs before every ``before_request`` hook, so before the CSRF check reads the
    form, which is when the request body is read and its size enforced."""
    view = current_app.view_functions.get(endpoint or "")
    if request.method == "POST" and getattr(view, "mio_media_upload", False):
        request.max_content_length = max(current_app.config.get("MAX_CONTENT_LENGTH") or 0, max_bytes() + FORM_MARGIN)


def init_app(app) -> None:
    app.url_value_preprocessor(_raise_limit_for_uploads)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def human_size(n: int) -> str:
    """A file's size as a user reads it: "32 KB", "4.6 MB"."""
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def accepted_labels(kinds: tuple[MediaKind, ...] = AUDIO_KINDS) -> str:
    return ", ".join(k.label for k in kinds)


def accept_attribute(kinds: tuple[MediaKind, ...] = AUDIO_KINDS) -> str:
    """The file input's ``accept`` list (a hint to the browser's picker; the server decides)."""
    return ",".join(sorted({t for k in kinds for t in k.declared} | {".mp3", ".m4a", ".mp4", ".wav", ".ogg",
                                                                     ".opus", ".webm"}))


def _size(stream: BinaryIO) -> int:
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def check_upload(stream: BinaryIO, *, filename: str | None, declared_type: str | None,
                 kinds: tuple[MediaKind, ...] = AUDIO_KINDS, limit: int | None = None) -> str:
    """The content type to store ``stream`` under, or ``MediaRefused`` naming why not (see the module doc)."""
    name = filename or "the file"
    limit = max_bytes() if limit is None else limit
    size = _size(stream)
    if size == 0:
        raise MediaRefused(f"{name} is empty")
    if size > limit:
        raise MediaRefused(f"{name} is {_megabytes(size)}; the largest recording accepted is {_megabytes(limit)} "
                           f"(MIO_MEDIA_MAX_MB)", status=413)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in UNKNOWN_TYPES and not any(declared in k.declared for k in kinds):
        raise MediaRefused(f"{name} is {declared}; accepted: {accepted_labels(kinds)}")
    position = stream.tell()
    head = stream.read(HEAD_BYTES)
    stream.seek(position)
    for kind in kinds:
        if kind.matches(head) and (declared in UNKNOWN_TYPES or declared in kind.declared):
            return kind.content_type
    raise MediaRefused(f"{name} is not a recording in an accepted format ({accepted_labels(kinds)}): its content "
                       f"does not start as one does")


def store_upload(key: str, stream: BinaryIO, *, filename: str | None, declared_type: str | None,
                 kinds: tuple[MediaKind, ...] = AUDIO_KINDS, limit: int | None = None,
                 expires_in: timedelta | None = None) -> FileInfo:
    """Check (``check_upload``) and store under ``key``, replacing any file of that key; the caller commits."""
    content_type = check_upload(stream, filename=filename, declared_type=declared_type, kinds=kinds, limit=limit)
    stream.seek(0)
    return storage().put(key, stream, content_type=content_type, filename=filename, expires_in=expires_in)


def play(file: str | FileInfo) -> Response:
    """Stream a stored media file inline for a player (Range requests, ETag); never cached by browser or proxy.
    The caller has scoped, authorised and (through ``app.audit_reads``) audits the read."""
    response = send_stored(file, as_attachment=False, download_name="")
    response.headers["Cache-Control"] = "no-store"
    return response
