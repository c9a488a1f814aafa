#!/usr/bin/env bash
# Creates ./.venv with the pinned tools, once per change of infra/requirements.txt.
set -euo pipefail
source "$(dirname "$0")/common.sh"
REQ="$ROOT/infra/requirements.txt"
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required (3.11 tested)"'
echo "setup: creating $VENV from infra/requirements.txt (about a minute on a fresh machine)"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/pip" check
echo "$want" > "$STAMP"
