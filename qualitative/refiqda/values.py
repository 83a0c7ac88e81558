"""Lexical forms of QDA-XML values (GUIDs, colours, xsd:dateTime, variable values) and newline mapping.

Rules follow XML Schema Part 2 datatypes as used by ``Project.xsd``: xsd:integer is an optional sign and
ASCII digits, xsd:boolean is ``true|false|1|0``, xsd:decimal has no exponent, xsd:dateTime is
``YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]``.
"""

from __future__ import annotations

import bisect
import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from .model import RefiQdaError, VariableValue

_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?",
                   re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII)
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", re.ASCII)
# Characters XML 1.0 cannot carry (section 2.2, production [2] Char).
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def normalise_guid(value: str | None, where: str) -> str:
    """Lower-case GUID without braces; tools differ in case (NVivo upper) and braces (GUIDType allows both)."""
    match = _GUID.fullmatch((value or "").strip())
    if match is None:
        raise RefiQdaError(f"{where}: {value!r} is not a GUID")
    return match.group(1).lower()


def normalise_colour(value: str | None) -> str | None:
    """``#RRGGBB`` upper case from ``#rrggbb``, ``rrggbb`` or ``#rgb``; anything else is dropped (None)."""
    match = _HEX_COLOUR.fullmatch((value or "").strip())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return "#" + digits.upper()


def parse_integer(value: str | None, where: str) -> int:
    text = (value or "").strip()
    if not _INTEGER.fullmatch(text):
        raise RefiQdaError(f"{where}: {value!r} is not an integer")
    return int(text)


def parse_boolean(value: str | None, where: str, default: bool | None = None) -> bool:
    text = (value or "").strip()
    if not text and default is not None:
        return default
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise RefiQdaError(f"{where}: {value!r} is not a boolean (true/false)")


def parse_datetime(value: str | None, where: str) -> datetime | None:
    """xsd:dateTime -> datetime (aware when the text has a zone, naive otherwise); empty -> None."""
    text = (value or "").strip()
    if not text:
        return None
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise RefiQdaError(f"{where}: {value!r} is not an xsd:dateTime")
    fraction = (match.group(2) or "")[1:7].ljust(6, "0") if match.group(2) else ""
    iso = match.group(1) + (f".{fraction}" if fraction else "") + (match.group(3) or "").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(iso)
    except ValueError as exc:
        raise RefiQdaError(f"{where}: {value!r} is not a valid date and time ({exc})") from None


def format_datetime(value: datetime) -> str:
    """Aware datetimes are written in UTC with ``Z``; naive ones without a zone."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
        suffix = "Z"
    else:
        suffix = ""
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds") + suffix


def parse_variable_value(kind: str, text: str | None, where: str) -> VariableValue:
    """Parse the text of a ``<TextValue>``/``<IntegerValue>``/... element (``kind`` = Text, Integer ...)."""
    raw = text or ""
    if kind == "Text":
        return raw
    if kind == "Boolean":
        return parse_boolean(raw, where)
    if kind == "Integer":
        return parse_integer(raw, where)
    if kind == "Float":
        if not _DECIMAL.fullmatch(raw.strip()):
            raise RefiQdaError(f"{where}: {text!r} is not a decimal number")
        return float(raw.strip())
    if kind == "Date":
        if not _DATE.fullmatch(raw.strip()):
            raise RefiQdaError(f"{where}: {text!r} is not an xsd:date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise RefiQdaError(f"{where}: {text!r} is not a valid date") from None
    if kind == "DateTime":
        parsed = parse_datetime(raw, where)
        if parsed is None:
            raise RefiQdaError(f"{where}: empty DateTimeValue")
        return parsed
    raise RefiQdaError(f"{where}: unknown variable type {kind!r}")


def format_variable_value(kind: str, value: object, where: str) -> str:
    """Lexical form of a value for a variable of type ``kind``; a value of the wrong Python type is an error."""
    ok = {
        "Text": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "Date": isinstance(value, date) and not isinstance(value, datetime),
        "DateTime": isinstance(value, datetime),
    }.get(kind)
    if not ok:
        raise RefiQdaError(f"{where}: value {value!r} does not fit variable type {kind!r}")
    if kind == "Text":
        return check_xml_text(crlf_to_lf(str(value))[0], where)
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Integer":
        return str(value)
    if kind == "Float":
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise RefiQdaError(f"{where}: {number!r} cannot be written as xsd:decimal")
        try:
            return format(Decimal(repr(number)), "f")
        except InvalidOperation:  # pragma: no cover - repr of a finite float is always a Decimal
            raise RefiQdaError(f"{where}: {number!r} cannot be written as xsd:decimal") from None
    if kind == "Date":
        return value.isoformat()  # type: ignore[union-attr]
    return format_datetime(value)  # type: ignore[arg-type]


def check_xml_text(value: str, where: str) -> str:
    """Refuse characters XML 1.0 cannot represent (NUL, most C0 controls, lone surrogates)."""
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise RefiQdaError(f"{where}: character U+{ord(bad.group()):04X} at position {bad.start()} "
                           "cannot be written to XML")
    return value


def crlf_to_lf(text: str) -> tuple[str, list[int]]:
    """Normalise ``\\r\\n`` and lone ``\\r`` to ``\\n``; return the text and the sorted old indices of the
    removed ``\\r`` characters, so old positions map to new ones with :func:`map_from_crlf`."""
    removed = [m.start() for m in re.finditer("\r\n", text)]
    return text.replace("\r\n", "\n").replace("\r", "\n"), removed


def map_from_crlf(position: int, removed: list[int]) -> int:
    """New position = old position minus the removed ``\\r`` characters that stood before it."""
    return position - bisect.bisect_left(removed, position)


def lf_to_crlf(text: str) -> tuple[str, list[int]]:
    """Return the text with ``\\r\\n`` line ends and the sorted indices of its ``\\n`` in the LF text."""
    return text.replace("\n", "\r\n"), [m.start() for m in re.finditer("\n", text)]


def map_to_crlf(position: int, newlines: list[int]) -> int:
    """New position = old position plus one for each ``\\n`` before it (each gains a ``\\r``)."""
    return position + bisect.bisect_left(newlines, position)
