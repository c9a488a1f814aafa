#!/usr/bin/env bash
# Builds each function as an arm64 `bootstrap` zip (what Lambda runs) and prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup target list --installed | grep -q aarch64-unknown-linux-gnu; then
  echo "package: adding the aarch64-unknown-linux-gnu target (rustup target add)"
  rustup target add aarch64-unknown-linux-gnu || {
    echo "package: rustup could not add aarch64-unknown-linux-gnu; run it yourself with network access to static.rust-lang.org, or build x86_64 zips with: cargo lambda build --release --output-format zip" >&2
    exit 1
  }
fi
args=()
for p in "$@"; do args+=(-p "$p"); done
start=$(date +%s)
cargo lambda build --release --arm64 --output-format zip "${args[@]}"
echo "package: built in $(( $(date +%s) - start )) s"
python3 - <<'PY'
import glob, os, zipfile
for z in sorted(glob.glob("target/lambda/*/bootstrap.zip")):
    unzipped = sum(i.file_size for i in zipfile.ZipFile(z).infolist())
    print(f"  {z:<42} {os.path.getsize(z) / 2**20:6.2f} MB zipped  {unzipped / 2**20:6.2f} MB unzipped")
PY
