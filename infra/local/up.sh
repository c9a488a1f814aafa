#!/usr/bin/env bash
# Starts the local AWS stack (moto server, IAM enforced) and, with --sim, the Genesys simulator.
# Writes .local/env (sourceable) with AWS_ENDPOINT_URL and, with --sim, the simulator URLs.
set -euo pipefail
source "$(dirname "$0")/common.sh"
with_sim=false
[ "${1:-}" = "--sim" ] && with_sim=true

"$ROOT/infra/local/down.sh" >/dev/null 2>&1 || true

port=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/moto.log" 2>&1 &
echo $! >"$STATE/moto.pid"
wait_http "http://127.0.0.1:$port/moto-api/" 30
# IAM enforced from here on; the env file carries the admin key it created.
admin=$("$VENV/bin/python" "$ROOT/infra/local/moto_iam.py" "http://127.0.0.1:$port")
cat >"$STATE/env" <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
$admin
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
ENV

if $with_sim; then
  sim="${CARGO_TARGET_DIR:-$ROOT/target}/debug/genesys-sim"
  [ -x "$sim" ] || { echo "build the simulator first (cargo build -p genesys-sim)" >&2; exit 1; }
  rm -f "$STATE/sim.json"
  "$sim" --ready-file "$STATE/sim.json" ${SIM_ARGS:-} >"$STATE/sim.log" 2>&1 &
  echo $! >"$STATE/sim.pid"
  for _ in $(seq 1 100); do [ -s "$STATE/sim.json" ] && break; sleep 0.1; done
  [ -s "$STATE/sim.json" ] || { echo "simulator did not start; see $STATE/sim.log" >&2; exit 1; }
  api=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["apiUrl"])' "$STATE/sim.json")
  login=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["loginUrl"])' "$STATE/sim.json")
  cat >>"$STATE/env" <<ENV
export GENESYS_API_BASE_URL=$api
export GENESYS_LOGIN_BASE_URL=$login
ENV
fi
echo "local stack up: moto on :$port$($with_sim && echo ", simulator at $api")"
