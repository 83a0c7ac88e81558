#!/usr/bin/env bash
# Create .venv (if missing) and install the platform with its dev tools. Sourced by demo.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python >= 3.11 is required (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
if ! "$ROOT/.venv/bin/python" -m uv --version >/dev/null 2>&1; then
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.4,<1"
fi
"$ROOT/.venv/bin/python" -m uv pip install --quiet --python "$ROOT/.venv/bin/python" -e "$ROOT[dev]"
# test-only JavaScript (axe-core for the accessibility scan), from the npm registry
if command -v npm >/dev/null 2>&1; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --silent)
else
  echo "warning: npm not found; the accessibility scan (tests/browser/test_accessibility.py) needs Node.js and npm" >&2
fi
