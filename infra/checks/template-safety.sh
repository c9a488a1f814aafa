#!/usr/bin/env bash
# Settings that exist for local development only must never reach the deployed template.
set -euo pipefail
cd "$(dirname "$0")/../.."
for var in LOCAL_CALLER_IDENTITY AWS_ENDPOINT_URL; do
  if grep -n "$var" template.yaml; then
    echo "template: $var is for local development only and must not be set in template.yaml" >&2
    exit 1
  fi
done
echo "template: no local-only settings"
