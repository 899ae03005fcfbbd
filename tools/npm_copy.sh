#!/usr/bin/env bash
# A local copy of an npm package's files, for the browser tests that must not depend on a CDN:
#   bash tools/npm_copy.sh PACKAGE VERSION DEST FILE    (FILE: a path inside the package that must be there)
# Needs npm; idempotent (a copy of that version with FILE in DEST is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
P=$1 V=$2 DEST=$3 FILE=$4
if [ -f "$DEST/$FILE" ] && grep -q "\"version\": \"$V\"" "$DEST/package.json" 2>/dev/null; then
  echo "$P $V already in $DEST"; exit 0
fi
command -v npm >/dev/null || { echo "npm_copy.sh: needs npm (Debian: apt-get install -y npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$P@$V" >/dev/null && tar -xzf ./*.tgz)
rm -rf "$DEST"; mkdir -p "$(dirname "$DEST")"; mv "$tmp/package" "$DEST"
echo "$P $V in $DEST"
