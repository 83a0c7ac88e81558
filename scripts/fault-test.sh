#!/usr/bin/env bash
# Fault test: the load test of scripts/load-test.sh with PostgreSQL restarted 15 s into the load
# (pg_ctlcluster --skip-systemctl-redirect <cluster> main restart). The app must recover (pool pre-ping) and no
# submitted response may be lost or duplicated: respondents retry failed requests; submits are idempotent.
# CAUTION: the restart interrupts every other PostgreSQL user on this machine for a few seconds.
set -euo pipefail
export FAULT_AT="${FAULT_AT:-15}" THINK="${THINK:-6}"
exec bash "$(dirname "${BASH_SOURCE[0]}")/load-test.sh" "$@"
