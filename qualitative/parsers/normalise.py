"""Bytes to one normalised text: decode, strip the BOM, NFC, ``"\\n"`` line ends, no control characters.

Decoding order: a UTF-32/UTF-16/UTF-8 byte-order mark decides; otherwise strict UTF-8; otherwise
charset-normalizer's best guess (recorded in the warnings, because a guessed code page can get accents wrong).
Unicode normalisation form C (UAX #15) so that "e" + combining acute and the precomposed "é" compare and count
the same.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from qualitative.parsers.model import TranscriptFormatError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Share of control characters above which a "text" file is judged to be binary.
_MAX_CONTROL_SHARE = 0.01
# Unicode general category Cc is exactly U+0000-U+001F and U+007F-U+009F; newline and tab are kept.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def line_of(text: str, index: int) -> int:
    """1-based line number of code point ``index`` in ``text``."""
    return text.count("\n", 0, index) + 1


def _decode_with_bom(data: bytes, bom: bytes, encoding: str, filename: str) -> str:
    body = data[len(bom) :]
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1 if encoding == "utf-8" else None
        where = f"line {line}, " if line is not None else ""
        raise TranscriptFormatError(
            f"{filename}: starts with a {encoding} byte-order mark but is not valid {encoding} "
            f"({where}byte {exc.start + len(bom)})"
        ) from None


def _decode_utf16_without_bom(data: bytes, filename: str, warnings: list[str]) -> tuple[str, str, list[str]]:
    """NUL bytes in text mean UTF-16 without a BOM (mostly-Latin text: every other byte is 0) or a binary file."""
    if len(data) % 2 == 0:
        half = len(data) // 2
        for encoding, zero_bytes in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
            if zero_bytes.count(0) >= 0.3 * half:
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    break
                warnings.append(f"{filename} has no byte-order mark; decoded as {encoding} (detected).")
                return text, encoding, warnings
    raise TranscriptFormatError(
        f"{filename}: looks like a binary file, not text (NUL byte at offset {data.index(0)})"
    )


def decode_text(data: bytes, filename: str) -> tuple[str, str, list[str]]:
    """Decode transcript bytes; return (text, encoding name, warnings). BOM removed, nothing else changed."""
    warnings: list[str] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            label = "utf-8-sig" if encoding == "utf-8" else encoding
            return _decode_with_bom(data, bom, encoding, filename), label, warnings
    if b"\x00" in data:
        return _decode_utf16_without_bom(data, filename, warnings)
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception as exc:  # charset-normalizer is a heuristic; any failure means "undetectable"
        raise TranscriptFormatError(f"{filename}: could not detect the text encoding ({exc})") from None
    if best is None or best.encoding is None:
        raise TranscriptFormatError(
            f"{filename}: is not UTF-8 and its text encoding could not be detected; save it as UTF-8 text"
        )
    text = str(best)
    if text.startswith("\ufeff"):
        text = text[1:]
    warnings.append(
        f"{filename} is not UTF-8; decoded as {best.encoding} (detected). Check accented characters."
    )
    return text, best.encoding, warnings


def normalise_text(text: str, filename: str, warnings: list[str]) -> str:
    """Line ends to ``"\\n"``, NFC, and control characters other than newline and tab removed.

    Raises TranscriptFormatError when the text holds a NUL or more than 1% control characters (a binary file).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        raise TranscriptFormatError(
            f"{filename}: looks like a binary file, not text (NUL character on line {line_of(text, nul)})"
        )
    first = _CONTROL.search(text)
    if first is not None:
        count = len(_CONTROL.findall(text))
        line = line_of(text, first.start())
        if count > _MAX_CONTROL_SHARE * len(text):
            raise TranscriptFormatError(
                f"{filename}: looks like a binary file, not text ({count} control characters, "
                f"the first on line {line})"
            )
        warnings.append(f"Removed {count} control character(s), the first on line {line}.")
        text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)
