"""REFI-QDA (QDA-XML 1.0) exchange: plain dataclasses, .qdpx/.qdc export and safe import.

See ``model`` for positions (code points, ``"\\n"`` line ends), ``export`` for the archive layout,
``import_`` for what is accepted from other tools and ``safety`` for the limits on untrusted archives.
"""

from pathlib import Path

from .export import DEFAULT_ORIGIN, export_qdc, export_qdpx
from .import_ import PositionsUndecided, import_qdc, import_qdpx, read_qdc
from .model import (
    NS_CODEBOOK,
    NS_PROJECT,
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
    iter_codes,
    stable_guid,
)
from .positions import CODEPOINTS, READING_LABELS, READINGS, UTF16, SourceReading
from .safety import DEFAULT_MAX_TOTAL_UNCOMPRESSED

#: QDA-XML 1.0 schemas (REFI, MIT licence; see schemas/NOTICE), for validating exports
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

__all__ = [
    "SCHEMA_DIR",
    "CODEPOINTS",
    "READING_LABELS",
    "READINGS",
    "UTF16",
    "PositionsUndecided",
    "SourceReading",
    "DEFAULT_MAX_TOTAL_UNCOMPRESSED",
    "DEFAULT_ORIGIN",
    "NS_CODEBOOK",
    "NS_PROJECT",
    "VARIABLE_TYPES",
    "QdaCase",
    "QdaCode",
    "QdaNote",
    "QdaProject",
    "QdaSelection",
    "QdaSet",
    "QdaTextSource",
    "QdaUser",
    "QdaVariable",
    "RefiQdaError",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdpx",
    "iter_codes",
    "read_qdc",
    "stable_guid",
]
