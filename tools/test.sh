#!/usr/bin/env bash
# Every check of the course, in the order CI runs them; ends with one line "total: N passed, N failed".
# Run it from the repository root after `pip install -e ".[dev]"`.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; failures=()
# pytest's report: a file of this run's own (a fixed name in /tmp is shared by runs from other clones at the same time)
junit=$(mktemp -t nnscratch-pytest.XXXXXX.xml); rm -f "$junit"
check() {  # check NAME COMMAND...: run COMMAND, count it
  local name=$1; shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed+1)); echo "--- ok: $name ($((SECONDS-t0)) s)"
  else failed=$((failed+1)); failures+=("$name"); echo "--- FAILED: $name ($((SECONDS-t0)) s)"; fi
}
unchanged() {  # the working tree under PATHS is as committed (no change, no new file)
  local d; d=$(git status --porcelain -- "$@")
  [ -z "$d" ] || { echo "changed by the step above:"; echo "$d"; git --no-pager diff --stat -- "$@"; return 1; }
}
export_sync() { nbdev_export && unchanged nnscratch; }
clean_sync()  { nbdev_clean && unchanged nbs; }
need_quarto() { command -v quarto >/dev/null || { echo "needs Quarto on PATH: https://quarto.org/docs/get-started/"; return 1; }; }
readme_sync() { need_quarto && nbdev_readme && unchanged README.md; }
docs_build()  {  # the site as published: nbdev_docs (nbdev's processors, then Quarto) into _docs/, which tests/test_docs_site.py reads
  need_quarto || return 1
  # pandoc warns once per formula that the CommonMark copy of each page (nbdev's `commonmark` format) keeps it as TeX: count those
  nbdev_docs 2>&1 | awk '/^\[WARNING\] Could not convert TeX math/ { n++; skip = !/rendering as TeX$/; next }
    skip { skip = !/rendering as TeX$/; next } { print } END { if (n) print n " formulas kept as TeX in the CommonMark copies (pandoc warnings, not shown)" }'
  [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
  local n; n=$(ls _docs/*.html | wc -l); echo "_docs/: $n pages"
  [ -f _docs/index.html ] && [ -f _docs/search.json ] && unchanged nbs README.md
}
pytest_run()  {
  python -m pytest -q -p no:cacheprovider --junitxml="$junit" tests; local rc=$?
  [ $rc -eq 5 ] && { echo "pytest collected no test"; return 1; }
  return $rc
}

check "nbdev_export leaves the package unchanged" export_sync
check "nbdev_clean leaves the notebooks unchanged" clean_sync
check "the learner's notebooks (course/) are what tools/learner.py makes from nbs/" python tools/learner.py sync
check "the learner's notebooks show none of the workshop" python tools/learner.py check
check "nbdev_readme leaves README.md unchanged" readme_sync
check "nbdev_test: every notebook runs top to bottom" nbdev_test
check "nbdev_docs builds the docs site" docs_build
check "pytest tests/" pytest_run
# the planted bugs of tools/mutants.py still find their lines (running them all takes ten minutes: not here)
check "every mutant of tools/mutants.py still applies" python tools/mutants.py --list
# a learner's first run: a fresh venv with only what the notebooks' install cell installs (slow: two venvs with torch)
check "fresh environment: every learner's notebook runs with only what its install cell installs" python tools/fresh_env.py
check "fresh environment with Colab's ipywidgets 7.7.1 preinstalled" python tools/fresh_env.py --preinstall ipywidgets==7.7.1

# a learner's fresh environment on the oldest and the newest Python that settings.ini claims, where pyenv has them
fresh_on() {  # fresh_on KEY: python tools/fresh_env.py under the Python settings.ini names in KEY (min_python, max_python)
  local v py; v=$(sed -n "s/^$1 *= *//p" settings.ini)
  py=$(command -v pyenv >/dev/null && PYENV_VERSION=$(pyenv versions --bare 2>/dev/null | grep -E "^${v//./\\.}(\\.|$)" | sort -V | tail -1) pyenv which python 2>/dev/null)
  [ -n "$py" ] || py=$(command -v "python$v" || true)
  if [ -z "$py" ]; then echo "skipped: no Python $v here (neither pyenv nor python$v on PATH has it)"; return 0; fi
  "$py" tools/fresh_env.py
}
check "fresh environment on the oldest Python claimed (settings.ini min_python)" fresh_on min_python
check "fresh environment on the newest Python claimed (settings.ini max_python)" fresh_on max_python

# pytest's own cases count one by one; the other checks count one each
if [ -f "$junit" ]; then
  read -r pt pf < <(python - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == 'testsuite' else r.find('testsuite')
t, f, e, sk = (int(s.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped'))
print(t - f - e - sk, f + e)
PY
)
  rm -f "$junit"
  # the pytest check itself was counted once above: replace it by its cases
  if [[ " ${failures[*]-} " == *"pytest tests/"* ]]; then failed=$((failed-1)); else passed=$((passed-1)); fi
  passed=$((passed+pt)); failed=$((failed+pf))
fi
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "total: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]
