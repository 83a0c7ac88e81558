#!/usr/bin/env bash
# Install the platform, build the embedded SQLite database, load the demo and serve it on http://127.0.0.1:5000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-env.sh
mkdir -p instance
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s instance/secret_key ] || .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
  SECRET_KEY="$(cat instance/secret_key)"
  export SECRET_KEY
fi
.venv/bin/mio db upgrade
.venv/bin/mio seed-demo
echo "Serving on http://127.0.0.1:${PORT:-5000} (Ctrl+C to stop)"
exec .venv/bin/mio run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
