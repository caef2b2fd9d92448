#!/usr/bin/env bash
# Fails when the committed templ code or built CSS differ from what the sources produce.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/views" "$tmp/dist"
cp views/*_templ.go "$tmp/views/" 2>/dev/null || true
cp static/dist/* "$tmp/dist/"
make -s generate >/dev/null
stale=0
for f in views/*_templ.go; do
  if ! cmp -s "$f" "$tmp/views/$(basename "$f")"; then echo "stale: $f"; stale=1; fi
done
for f in static/dist/*; do
  if ! cmp -s "$f" "$tmp/dist/$(basename "$f")"; then echo "stale: $f"; stale=1; fi
done
if [ "$stale" = 1 ]; then
  echo "Generated files were out of date (now regenerated): commit them." >&2
  exit 1
fi
echo "generated files are current"
