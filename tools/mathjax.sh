#!/usr/bin/env bash
# Fetch a local copy of MathJax 3 (the npm package, 3.2.2) for the docs-site browser test: Quarto's pages load
# https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml-full.js, and the test (tests/test_docs_site.py) answers that
# request from this copy, since the test machine may have no network beyond the package registries.
#   bash tools/mathjax.sh [DEST]      default DEST=.mathjax (ignored by git); needs npm; idempotent
set -euo pipefail
cd "$(dirname "$0")/.."
V=3.2.2   # jsdelivr's mathjax@3 is the last 3.x release, 3.2.2
DEST="${1:-.mathjax}"
if [ -f "$DEST/es5/tex-chtml-full.js" ] && grep -q "\"version\": \"$V\"" "$DEST/package.json" 2>/dev/null; then
  echo "MathJax $V already in $DEST"; exit 0
fi
command -v npm >/dev/null || { echo "mathjax.sh: needs npm (Debian: apt-get install -y npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mathjax@$V" >/dev/null && tar -xzf "mathjax-$V.tgz")
rm -rf "$DEST"; mkdir -p "$(dirname "$DEST")"; mv "$tmp/package" "$DEST"
echo "MathJax $V in $DEST"
