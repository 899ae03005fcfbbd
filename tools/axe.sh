#!/usr/bin/env bash
# Fetch a local copy of axe-core (the npm package) for the accessibility tests (tests/test_a11y.py, test_a11y_lab.py).
#   bash tools/axe.sh [DEST]      default DEST=.axe (ignored by git); needs npm; idempotent
exec bash "$(dirname "$0")/npm_copy.sh" axe-core 4.14.1 "${1:-.axe}" axe.min.js
