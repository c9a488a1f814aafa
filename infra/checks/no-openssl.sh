#!/usr/bin/env bash
# rustls only: openssl-sys (or native-tls) anywhere in the dependency tree is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
for crate in openssl-sys native-tls; do
  if cargo tree --workspace --target all -e normal,build,dev -i "$crate" >/dev/null 2>&1; then
    echo "lint: $crate is in the dependency tree:" >&2
    cargo tree --workspace --target all -e normal,build,dev -i "$crate" >&2
    exit 1
  fi
done
echo "lint: no openssl-sys / native-tls in the tree"
