#!/usr/bin/env bash
# Refresh the committed outputs of notebooks (all of nbs/ by default): run each top to bottom in a fresh kernel,
# save it in place, then nbdev_clean. Outputs are what the docs site shows, so commit them after this.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- nbs/*.ipynb
for nb in "$@"; do
  echo "executing $nb"
  (cd "$(dirname "$nb")" && jupyter nbconvert --to notebook --execute --inplace --log-level=WARN \
     --ExecutePreprocessor.timeout=600 "$(basename "$nb")")
done
nbdev_clean
# a learner must see no warning and no traceback in a committed output
if grep -l -E '"name": "stderr"|"output_type": "error"' "$@"; then echo "^ these notebooks have stderr or error outputs" >&2; exit 1; fi
