#!/usr/bin/env bash
# Fetch a local copy of MathJax 3 (the npm package, 3.2.2) for the docs-site browser test: Quarto's pages load
# https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml-full.js, and the test (tests/test_docs_site.py) answers that
# request from this copy, since the test machine may have no network beyond the package registries.
#   bash tools/mathjax.sh [DEST]      default DEST=.mathjax (ignored by git); needs npm; idempotent
# (jsdelivr's mathjax@3 is the last 3.x release, 3.2.2)
exec bash "$(dirname "$0")/npm_copy.sh" mathjax 3.2.2 "${1:-.mathjax}" es5/tex-chtml-full.js
