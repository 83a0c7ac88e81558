#!/usr/bin/env bash
# Install the platform and run every test but the benchmarks, browser journeys included.
# SQLite by default; set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test for PostgreSQL.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-env.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: browser tests need Debian's chromium at /usr/bin/chromium (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi
exec .venv/bin/pytest -m "not benchmark" "$@"
