"""The docs site as it is published: `_docs/` built by `nbdev_docs` (Quarto), served on 127.0.0.1, read by headless Chromium.

- Every notebook in nbs/ has its page, its entry in the sidebar, and its place in `search.json`.
- The sidebar is for learners: the home page, the lessons numbered 1-12 in order (each entry "N. " and the notebook's
  `# ` heading), then the course's own tools in a section of their own.
- Every page loads, with no console error and no uncaught exception from our code, and every request to the local
  server answers; every picture loads, as many as the notebook has; every formula is typeset by MathJax, without
  error; no output shows a stray `<Figure size ... with 0 Axes>` or raw widget JSON; each kernel-free FitPlot (class
  `nns-static`) redraws its canvas and shows a new MAE when a slider moves, and moving back gives Python's MAE again.
  A screenshot of each page is saved and its path printed.

The network: the pages load MathJax 3 from jsdelivr, and the test answers those requests from a local copy of the same
release (`bash tools/mathjax.sh` puts it in .mathjax/; or NNSCRATCH_MATHJAX=DIR). Every other request that leaves the
machine (the pages also ask cdnjs for a polyfill, require.js and jQuery, and Google for a web font) is refused, so
nothing passes by luck of a cache or a network; the only errors forgiven are those that such a refusal causes (see
`_ours`).

Which site: the repository's `_docs/` when it is newer than every file in nbs/, every module and settings.ini
(tools/test.sh builds it just before pytest); otherwise the test builds one with `nbdev_docs` in a temporary copy of
the repository, leaving the working tree alone. NNSCRATCH_DOCS=DIR tests a site built elsewhere.

Skipped, with the reason, when Chromium, Playwright, the MathJax copy, or Quarto (when a build is needed) is missing,
except under CI=true, where that is a failure.
"""
import functools, json, os, re, shutil, subprocess, sys, tempfile, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
import pytest

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / 'nbs'
NOTEBOOKS = sorted(p.name for p in NBS.glob('*.ipynb'))
LESSONS = [n for n in NOTEBOOKS if (m := re.match(r'(\d+)_', n)) and 1 <= int(m[1]) <= 12]
TOOLS = [n for n in NOTEBOOKS if n not in LESSONS and n != 'index.ipynb']  # 00a_checks, 00b_show, 00c_fitplot, 00d_lab, 00e_exercises
MUST_HAVE_STATIC = {'fitting.html', 'descent.html', 'relu.html'}
MATHJAX_CDN = 'https://cdn.jsdelivr.net/npm/mathjax@3/'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'

def page_of(nb):
    "The page nbdev gives notebook `nb`: its name without the number (and a letter after it), as .html (nbdev.doclinks)"
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb).stem.lower()) + '.html'

def heading(nb):
    "The notebook's title: its first `# ` heading"
    for c in json.loads((NBS / nb).read_text())['cells']:
        src = ''.join(c['source']).lstrip()
        if c['cell_type'] == 'markdown' and src.startswith('# '): return src.splitlines()[0][2:].strip()

def _unavailable(why):
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f"{why}; under CI=true the docs site must be tested")
    pytest.skip(why)

# ---- the site, a server for it (the browser is conftest.py's) -----------------------------------------------------
def _newest_source():
    files = [REPO / 'settings.ini', *(REPO / 'nnscratch').glob('*.py'),
             *(p for p in NBS.rglob('*') if p.is_file() and not any(s.startswith(('.', '_proc')) for s in p.relative_to(NBS).parts))]
    return max(p.stat().st_mtime for p in files)

@pytest.fixture(scope='session')
def site(tmp_path_factory):
    if os.environ.get('NNSCRATCH_DOCS'):
        d = Path(os.environ['NNSCRATCH_DOCS'])
        assert (d / 'index.html').exists(), f"NNSCRATCH_DOCS={d} has no index.html"
        return d
    d = REPO / '_docs'
    if (d / 'search.json').exists() and (d / 'search.json').stat().st_mtime >= _newest_source(): return d
    if not shutil.which('quarto'):
        _unavailable("_docs/ is missing or older than the notebooks, and there is no `quarto` on PATH to build it "
                     "(https://quarto.org/docs/get-started/)")
    repo = tmp_path_factory.mktemp('site')
    shutil.copy(REPO / 'settings.ini', repo)
    for p in ['nbs', 'nnscratch']:
        shutil.copytree(REPO / p, repo / p, ignore=shutil.ignore_patterns('.ipynb_checkpoints', '__pycache__', '.quarto'))
    nbdev_docs = Path(sys.executable).parent / 'nbdev_docs'
    r = subprocess.run([str(nbdev_docs) if nbdev_docs.exists() else 'nbdev_docs'], cwd=repo, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(repo)))  # the `procs` in settings.ini import nnscratch from the copy
    assert r.returncode == 0, f"nbdev_docs failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return repo / '_docs'

@pytest.fixture(scope='session')
def server(site):
    "An HTTP server for the site on 127.0.0.1; yields its base URL"
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally: httpd.shutdown(); httpd.server_close()

@pytest.fixture(scope='session')
def mathjax():
    d = Path(os.environ.get('NNSCRATCH_MATHJAX') or REPO / '.mathjax')
    if not (d / 'es5' / 'tex-chtml-full.js').exists():
        _unavailable(f"no local MathJax 3 in {d} (run `bash tools/mathjax.sh`; the pages' CDN may be unreachable here)")
    return d

@pytest.fixture(scope='session')
def artifacts():
    d = Path(os.environ.get('NNSCRATCH_ARTIFACTS') or tempfile.mkdtemp(prefix='nnscratch-docs-'))
    d.mkdir(parents=True, exist_ok=True)
    return d  # kept after the run: the screenshots are for people to look at

def _show(capsys, msg):
    with capsys.disabled(): print(f"\n{msg}", end='')

# ---- without a browser -------------------------------------------------------------------------------------------
def test_every_notebook_has_a_page(site):
    missing = [f"{nb} -> {page_of(nb)}" for nb in NOTEBOOKS if not (site / page_of(nb)).is_file()]
    assert not missing, f"notebooks without a page in {site}: {missing}"

def test_search_lists_every_page(site):
    entries = json.loads((site / 'search.json').read_text())
    listed = {e['href'].split('#')[0] for e in entries}
    missing = [page_of(nb) for nb in NOTEBOOKS if page_of(nb) not in listed]
    assert not missing, f"search.json has no entry for {missing}"

def test_no_widget_left_for_the_page(site):
    "The widget views are gone before Quarto sees them (docs_still, static_html): no page needs the widget runtime"
    embeds = re.compile(r'<script[^>]+type="application/vnd\.jupyter\.widget-(view|state)\+json"|@jupyter-widgets/html-manager')
    bad = [p.name for p in sorted(site.glob('*.html')) if embeds.search(p.read_text())]
    assert not bad, f"pages that embed a Jupyter widget view (blank without a kernel): {bad}"

# ---- in the browser ----------------------------------------------------------------------------------------------
def _open(browser, server, mathjax, name, **device):
    """A page showing `name`, with its requests routed; returns it and the log of its errors and refused requests.
    `device`: Playwright's options for the page (viewport, has_touch, ...), by default a 1280 × 900 desktop"""
    page = browser.new_page(**(device or {'viewport': {'width': 1280, 'height': 900}}))
    page.set_default_timeout(30_000)
    log = {'aborted': [], 'errors': [], 'bad': []}
    def route(r):
        url = r.request.url
        if url.startswith(server): return r.continue_()
        if url.startswith(MATHJAX_CDN):
            f = mathjax / urlsplit(url).path[len(urlsplit(MATHJAX_CDN).path):]
            return r.fulfill(path=f) if f.is_file() else r.fulfill(status=404, body=f'{f} is not in the local MathJax copy')
        log['aborted'].append(url); r.abort()
    page.route('**/*', route)
    page.on('console', lambda m: m.type == 'error' and log['errors'].append(('console', m.text, m.location.get('url', ''))))
    page.on('pageerror', lambda e: log['errors'].append(('pageerror', f"{e.name}: {e.message}", '')))
    page.on('response', lambda r: r.status >= 400 and log['bad'].append(f"{r.status} {r.url}"))
    resp = page.goto(server + name, wait_until='load')
    assert resp is not None and resp.ok, f"{name}: {resp and resp.status}"
    return page, log

def _ours(log):
    "The errors on the page, less those caused by a request to another machine that the test refused"
    out = []
    for kind, text, url in log['errors']:
        # Chromium reports each refused request as a console error at that request's URL
        if kind == 'console' and text.startswith('Failed to load resource') and url in log['aborted']: continue
        # Quarto puts `define('jquery', ...)` right after its <script> for require.js from cdnjs; refused here, so
        # `define` does not exist (on the web it does)
        if (kind == 'pageerror' and text == 'ReferenceError: define is not defined'
                and any(u.endswith('/require.min.js') for u in log['aborted'])): continue
        out.append(f"{kind}: {text}" + (f" ({url})" if url else ''))
    return out

def test_sidebar_order(site, server, browser, mathjax):
    page, log = _open(browser, server, mathjax, 'index.html')
    try:
        items = page.evaluate("""() => [...document.querySelectorAll('#quarto-sidebar .sidebar-item-container > a.sidebar-item-text')]
            .map(a => ({href: a.hasAttribute('href') && new URL(a.href).pathname, text: a.textContent.trim(),
                         shown: a.getBoundingClientRect().width > 0}))""")  # Quarto's script makes the home link '/'
    finally: page.close()
    got = [(i['href'] and (i['href'].lstrip('/') or 'index.html') or 'section') + ': ' + i['text'] for i in items]
    want = ['index.html: ' + heading('index.ipynb'), 'section: Lessons',
            *(f"{page_of(nb)}: {int(nb[:2])}. {heading(nb)}" for nb in LESSONS),
            'section: Course tools', *(f"{page_of(nb)}: {heading(nb)}" for nb in TOOLS)]
    assert got == want
    assert [i['text'] for i in items if not i['shown']] == [], "sidebar entries not shown on a 1280 px wide page"

_MATH = re.compile(r'\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$', re.S)

def _hidden(src):
    return any(re.match(r'#\|\s*(hide|include:\s*false|output:\s*false)\s*$', l) for l in src.splitlines())

def _expected(nb):
    "Formulas in the markdown; pictures and kernel-free plots in the outputs Quarto will show"
    n_math = n_img = n_static = 0
    for c in json.loads((NBS / nb).read_text())['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            text = re.sub(r'```.*?```|`[^`]*`', '', src, flags=re.S)
            n_math += len(_MATH.findall(text)); n_img += len(re.findall(r'!\[[^\]]*\]\(', text))
        if c['cell_type'] != 'code' or _hidden(src): continue
        for o in c.get('outputs', []):
            d = o.get('data', {})
            if 'nns-static' in ''.join(d.get('text/html', '')): n_static += 1  # Quarto prefers the HTML to the PNG
            elif any(k.startswith('image/') for k in d): n_img += 1
    return n_math, n_img, n_static

_STRAY_FIGURE = re.compile(r'<Figure size [\d.]+x[\d.]+ with \d+ Axes>')

@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_page(nb, site, server, browser, mathjax, artifacts, capsys):
    name, problems = page_of(nb), []
    n_math, n_img, n_static = _expected(nb)
    page, log = _open(browser, server, mathjax, name)
    try:
        if page.locator('span.math').count():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")  # resolved once the page is typeset
        got = page.evaluate("""() => {
            const main = document.querySelector('main') || document.body, math = [...main.querySelectorAll('span.math')];
            return {
              imgs: [...document.images].filter(i => !i.closest('.nns-static')).length,
              broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
              math: math.length,
              untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
              merrors: [...main.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent),
              // MathJax shows a macro it does not know as its name in red (the `noundefined` extension), not as an error
              undefined: math.filter(m => m.querySelector('mjx-mtext[style*="color: red"]')).map(m => m.textContent.slice(0, 60)),
              text: main.innerText,
              outputs: [...main.querySelectorAll('.cell-output')].map(o => o.innerText) }; }""")
        if got['broken']: problems.append(f"pictures that did not load: {got['broken']}")
        if got['imgs'] != n_img: problems.append(f"{n_img} pictures in the notebook, {got['imgs']} on the page")
        if got['math'] != n_math: problems.append(f"{n_math} formulas in the markdown, {got['math']} on the page")
        if got['untypeset']: problems.append(f"formulas not typeset: {got['untypeset'][:5]}")
        if got['merrors']: problems.append(f"MathJax errors: {got['merrors'][:5]}")
        if got['undefined']: problems.append(f"formulas with a TeX macro MathJax does not know: {got['undefined'][:5]}")
        if m := _STRAY_FIGURE.search(got['text']): problems.append(f"a figure shown as text: {m.group()}")
        raw = [o[:100] for o in got['outputs'] if WIDGET_VIEW in o or '"model_id"' in o or 'version_major' in o]
        if raw: problems.append(f"outputs showing widget JSON: {raw}")
        shot = artifacts / f"docs_{Path(nb).stem}.png"; page.screenshot(path=str(shot))
        statics = page.locator('.nns-static')
        if statics.count() != n_static: problems.append(f"{n_static} kernel-free plots in the notebook, {statics.count()} on the page")
        if name in MUST_HAVE_STATIC and statics.count() == 0: problems.append("no kernel-free FitPlot")
        for i in range(statics.count()):
            problems += [f"kernel-free plot {i}: {p}" for p in _static_plot_works(page, statics.nth(i))]
        problems += [f"error: {e}" for e in _ours(log)]  # on loading, typesetting or moving the sliders
        problems += [f"local request failed: {b}" for b in log['bad']]
        _show(capsys, f"{name}: {shot} ({got['imgs']} pictures, {got['math']} formulas, {statics.count()} kernel-free plots)")
        if statics.count() and statics.first.is_visible():
            shot = artifacts / f"docs_{Path(nb).stem}_plot.png"; statics.first.screenshot(path=str(shot))
            _show(capsys, f"{name}: first kernel-free plot after moving a slider: {shot}")
    finally: page.close()
    assert problems == [], f"{name}:\n" + '\n'.join(problems)

def _static_plot_works(page, plot):
    "A slider step redraws the canvas and changes the MAE shown; stepping back gives Python's MAE again"
    canvas = plot.locator('canvas')
    if canvas.count() != 1: return ['no canvas (did its script run?)']
    if plot.locator('img').count(): return ['its still picture is still there (did its script run?)']
    loss = lambda: float(plot.locator('.nns-loss').get_attribute('data-loss'))
    shown = lambda: plot.locator('.nns-loss').text_content()
    plot.scroll_into_view_if_needed()
    loss0, text0, pic0, out = loss(), shown(), canvas.evaluate('c => c.toDataURL()'), []
    slider = plot.locator('input[type=range]').first
    slider.focus(); page.keyboard.press('ArrowRight')
    if canvas.evaluate('c => c.toDataURL()') == pic0: out.append('the canvas did not change')
    if loss() == loss0: out.append('the MAE did not change')
    if shown() == text0: out.append(f'the MAE shown did not change: {text0!r}')
    page.keyboard.press('ArrowLeft')
    if abs(loss() - loss0) > 1e-6 * max(1, abs(loss0)): out.append(f"JavaScript's MAE {loss()} differs from Python's {loss0}")
    page.keyboard.press('ArrowRight')  # the screenshot shows the plot moved
    return out
