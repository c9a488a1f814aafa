#!/usr/bin/env bash
# Stops whatever up.sh started. Safe to run twice.
set -uo pipefail
source "$(dirname "$0")/common.sh"
for name in sim moto; do
  pidfile="$STATE/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # A stale pidfile's pid may belong to someone else by now.
  if kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= | grep -qE 'moto|genesys-sim'; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
rm -f "$STATE/env" "$STATE/sim.json"
echo "local stack down"
