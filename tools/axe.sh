#!/usr/bin/env bash
# Fetch a local copy of axe-core (the npm package) for the accessibility test of the docs site (tests/test_a11y.py).
#   bash tools/axe.sh [DEST]      default DEST=.axe (ignored by git); needs npm; idempotent
set -euo pipefail
cd "$(dirname "$0")/.."
V=4.14.1
DEST="${1:-.axe}"
if [ -f "$DEST/axe.min.js" ] && grep -q "\"version\": \"$V\"" "$DEST/package.json" 2>/dev/null; then
  echo "axe-core $V already in $DEST"; exit 0
fi
command -v npm >/dev/null || { echo "axe.sh: needs npm (Debian: apt-get install -y npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$V" >/dev/null && tar -xzf "axe-core-$V.tgz")
rm -rf "$DEST"; mkdir -p "$(dirname "$DEST")"; mv "$tmp/package" "$DEST"
echo "axe-core $V in $DEST"
