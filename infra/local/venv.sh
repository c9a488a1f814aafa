#!/usr/bin/env bash
# Creates a venv with pinned tools, once per change of its requirements file.
#   venv.sh                 -> ./.venv      from infra/requirements.txt (moto, cargo-lambda, cfn-lint, SAM)
#   venv.sh scan            -> ./.venv-scan from infra/requirements-scan.txt (checkov)
set -euo pipefail
source "$(dirname "$0")/common.sh"
REQ="$ROOT/infra/requirements.txt"
if [ "${1:-}" = "scan" ]; then
  VENV="$ROOT/.venv-scan"
  REQ="$ROOT/infra/requirements-scan.txt"
fi
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required (3.11 tested)"'
echo "setup: creating $VENV from ${REQ#$ROOT/} (about a minute on a fresh machine)"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/pip" check
echo "$want" > "$STAMP"
