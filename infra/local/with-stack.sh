#!/usr/bin/env bash
# Runs a command with the local stack up, and always takes the stack down afterwards.
#   infra/local/with-stack.sh [--sim] -- cmd args...
set -euo pipefail
source "$(dirname "$0")/common.sh"
up_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do up_args+=("$1"); shift; done
shift || true
# Down on exit only; a signal first ends the script (and so the command) through exit.
trap '"$ROOT/infra/local/down.sh" >/dev/null' EXIT
trap 'exit 130' INT TERM
"$ROOT/infra/local/up.sh" "${up_args[@]}"
# shellcheck disable=SC1091
source "$STATE/env"
"$@"
