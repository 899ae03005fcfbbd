"""Accessibility: axe-core (WCAG 2.1 A and AA rules) on every page of the docs site, in headless Chromium.

The site is the one tests/test_docs_site.py tests (its fixtures: `site`, `server`, `mathjax`); axe-core is a local
copy of the npm package (`bash tools/axe.sh` puts it in .axe/; or NNSCRATCH_AXE=DIR). Each page is loaded, given a
moment for MathJax and the kernel-free plots, then audited whole; the test prints the violations per rule and fails
on any. Skipped, with the reason, when Chromium, Playwright or the axe copy is missing, except under CI=true.
"""
import os
from collections import Counter
from pathlib import Path
import pytest
from tests.test_docs_site import NOTEBOOKS, REPO, _open, _unavailable, mathjax, page_of, server, site  # noqa: F401

TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

@pytest.fixture(scope='session')
def axe():
    d = Path(os.environ.get('NNSCRATCH_AXE') or REPO / '.axe')
    if not (d / 'axe.min.js').exists(): _unavailable(f"no axe-core in {d} (run `bash tools/axe.sh`)")
    return (d / 'axe.min.js').read_text()

def audit(page, axe, include=None):
    "axe-core's violations on `page` (within the selector `include`, if given): [(rule, impact, target, summary)]"
    page.add_script_tag(content=axe)
    res = page.evaluate("""async ([tags, include]) => {
        const r = await axe.run(include ? {include: [[include]]} : document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => v.nodes.map(n => [v.id, v.impact, n.target.join(' '), n.failureSummary]));
    }""", [TAGS, include])
    return [tuple(n) for v in res for n in v]

@pytest.fixture(scope='session')
def results():
    return {}

@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_page_passes_axe(nb, site, server, browser, mathjax, axe, results, capsys):
    page, _ = _open(browser, server, mathjax, page_of(nb))
    try:
        page.wait_for_timeout(500)  # MathJax and the kernel-free plots draw after `load`
        found = audit(page, axe)
    finally: page.close()
    results[nb] = found
    with capsys.disabled():
        print(f"\n{page_of(nb)}: {len(found)} violations" + ''.join(
            f"\n  {rule} ({impact}): {n}" for (rule, impact), n in Counter((r, i) for r, i, _, _ in found).most_common()))
    assert not found, '\n'.join(f"{r} ({i}) at {t}: {s.splitlines()[-1] if s else ''}" for r, i, t, s in found[:20])

def test_summary(results, capsys):
    "The counts per rule over all pages tested above (run with the page tests)"
    if not results: pytest.skip("run with the page tests")
    c = Counter(r for found in results.values() for r, _, _, _ in found)
    with capsys.disabled():
        print(f"\naxe: {sum(c.values())} violations on {len(results)} pages" + ''.join(f"\n  {r}: {n}" for r, n in c.most_common()))
