# Shared paths for the local-stack scripts. Sourced, not executed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
mkdir -p "$STATE"

# A free TCP port on loopback (the kernel picks one; tiny race accepted for local use).
free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Wait until an HTTP URL answers (any status), or fail after $2 seconds.
# (python, not curl: a fresh machine may not have curl)
wait_http() {
  "$VENV/bin/python" - "$1" "${2:-20}" <<'PY'
import sys, time, urllib.request, urllib.error
url, secs = sys.argv[1], float(sys.argv[2])
end = time.time() + secs
while time.time() < end:
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # any HTTP answer means it is listening
    except Exception:
        time.sleep(0.1)
sys.exit(f"timed out waiting for {url}")
PY
}
