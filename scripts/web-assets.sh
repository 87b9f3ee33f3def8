#!/usr/bin/env bash
# Fetch the web app's front-end assets (htmx, KaTeX, axe-core for the browser tests) from the
# npm registry at the versions pinned in webapp/assets/package-lock.json, and copy what the
# pages serve into webapp/static/vendor/ (git-ignored). A no-op when they are already there.
set -euo pipefail
cd "$(dirname "$0")/../webapp/assets"

VENDOR=../static/vendor
STAMP="$VENDOR/.stamp"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -f node_modules/axe-core/axe.min.js ]]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "[web-assets] npm is missing: apt-get install nodejs npm" >&2
  exit 1
fi
echo "[web-assets] installing htmx, KaTeX and axe-core from the npm registry"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
rm -rf "$VENDOR"
mkdir -p "$VENDOR/katex/contrib" "$VENDOR/htmx"
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$VENDOR/htmx/"
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css \
  node_modules/katex/LICENSE "$VENDOR/katex/"
cp node_modules/katex/dist/contrib/auto-render.min.js "$VENDOR/katex/contrib/"
cp -r node_modules/katex/dist/fonts "$VENDOR/katex/"
echo "$want" > "$STAMP"
echo "[web-assets] ready: webapp/static/vendor"
