#!/usr/bin/env bash
# Install the Debian packages the test suite starts as real servers (idempotent; fast when present).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; } || need+=(postgresql)
for extra in "$@"; do
  case "$extra" in
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver) ;;
    promtool) command -v promtool >/dev/null 2>&1 || need+=(prometheus) ;;
    *) dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra") ;;
  esac
done
if ((${#need[@]})); then
  echo "[system-deps] installing: ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
  # Debian starts services on install; the tests start their own instances on free ports.
  for svc in redis-server postgresql prometheus; do $SUDO service "$svc" stop >/dev/null 2>&1 || true; done
fi
