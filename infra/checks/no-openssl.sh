#!/usr/bin/env bash
# rustls only: openssl-sys (or native-tls) anywhere in the dependency tree is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The whole tree once: a cargo failure fails the check instead of passing for "not found".
tree=$(cargo tree --workspace --target all -e normal,build,dev --prefix none)
if found=$(grep -E '^(openssl-sys|native-tls) ' <<<"$tree"); then
  echo "lint: in the dependency tree:" >&2
  sort -u <<<"$found" >&2
  exit 1
fi
echo "lint: no openssl-sys / native-tls in the tree"
