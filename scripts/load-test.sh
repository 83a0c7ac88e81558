#!/usr/bin/env bash
# Load test on loopback: gunicorn (gunicorn.conf.py, several workers) on PostgreSQL with the demo seeded and a
# survey wave of 50 unused links; 50 respondents complete a survey through /s/<token> while 10 directors browse
# overview pages for 60 s. Prints requests, errors (must be 0), retries and p50/p95 per kind; exits non-zero on
# errors, lost or duplicated responses. Stops by itself (bounded users and time); removes its database at the end.
# FAULT_AT=<seconds> (set by scripts/fault-test.sh) restarts PostgreSQL that long after the load starts.
# Environment: PGURL (default postgresql://postgres@127.0.0.1:5432), PORT (8765), WEB_CONCURRENCY (4),
# RESPONDENTS (50), DIRECTORS (10), DURATION (60), SCALE (unset; e.g. 0.25 adds `mio generate-scale --scale 0.25`,
# 25 agencies / 100 clinics of synthetic data, so the directors' pages cover that many clinics).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=/work/main/.venv/bin/python
BIN="$(dirname "$PY")"
PGURL="${PGURL:-postgresql://postgres@127.0.0.1:5432}"
DB="mio_load_$$"
export DATABASE_URL="$PGURL/$DB" SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_hex(32))')"
export HOST=127.0.0.1 PORT="${PORT:-8765}" WEB_CONCURRENCY="${WEB_CONCURRENCY:-4}" MIO_LOG_FORMAT=json LOG_LEVEL=warning
export PYTHONPATH="$ROOT"
WORK="$(mktemp -d)"
GUNICORN_PID=""
FAULT_PID=""

admin_sql() { "$PY" -c "import psycopg,sys; c=psycopg.connect('$PGURL/postgres', autocommit=True); c.execute(sys.argv[1])" "$1"; }
cleanup() {
  [ -n "$FAULT_PID" ] && kill "$FAULT_PID" 2>/dev/null || true
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  admin_sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

admin_sql "CREATE DATABASE $DB"
"$BIN/flask" --app app db upgrade >"$WORK/setup.log" 2>&1
"$BIN/flask" --app app seed-demo >>"$WORK/setup.log" 2>&1
if [ -n "${SCALE:-}" ]; then
  "$BIN/flask" --app app generate-scale --scale "$SCALE" >>"$WORK/setup.log" 2>&1
  "$BIN/flask" --app app outcomes refresh-fidelity-summaries >>"$WORK/setup.log" 2>&1  # the stored figures pages read
  echo "scale data: $(grep -m1 '^Done in' "$WORK/setup.log" || true)"
fi
"$PY" tests/load/driver.py setup --links "${RESPONDENTS:-50}" >"$WORK/tokens.txt" 2>>"$WORK/setup.log"
echo "database $DB: demo seeded, $(wc -l <"$WORK/tokens.txt") unused survey links"

"$BIN/gunicorn" -c gunicorn.conf.py wsgi:app >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null; then break; fi
  sleep 0.5
done
echo "gunicorn pid $GUNICORN_PID on 127.0.0.1:$PORT with $WEB_CONCURRENCY workers"

if [ -n "${FAULT_AT:-}" ]; then
  (
    sleep "$FAULT_AT"
    cluster="$(ls /etc/postgresql)"
    echo ">>> $(date +%T) restarting PostgreSQL $cluster/main during the load"
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main restart
    echo ">>> $(date +%T) PostgreSQL is back"
  ) &
  FAULT_PID=$!
fi

status=0
"$PY" tests/load/driver.py run --base-url "http://127.0.0.1:$PORT" --tokens "$WORK/tokens.txt" \
  --respondents "${RESPONDENTS:-50}" --directors "${DIRECTORS:-10}" --duration "${DURATION:-60}" \
  --think "${THINK:-3}" || status=$?
[ -n "$FAULT_PID" ] && wait "$FAULT_PID" 2>/dev/null || true
FAULT_PID=""
server_errors=$(grep -c '"status": 5' "$WORK/gunicorn.log" || true)
# (|| true: with pipefail, a log without any 5xx made grep's "no match" end the script with status 1)
by_code=$( (grep -o '"status": 5[0-9][0-9]' "$WORK/gunicorn.log" || true) | sort | uniq -c \
  | awk '{printf "%s%s x %s", sep, $1, $3; sep=", "}')
echo "gunicorn log: $(wc -l <"$WORK/gunicorn.log") lines, $server_errors with a 5xx status${by_code:+ ($by_code)}"
echo "(503 = database unreachable during a restart, answered with Retry-After; any 500 is a bug)"
if grep -q '"status": 500' "$WORK/gunicorn.log"; then
  echo "FAILED: the server answered 500 (see above)"; status=1
fi
exit $status
