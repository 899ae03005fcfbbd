"""The lessons in a real browser: JupyterLab and Jupyter Notebook 7 in headless Chromium, and the docs pages rendered
offline.

For each numbered notebook in nbs/ (run on a byte-for-byte temporary copy, so that it opens as committed: one
without a kernelspec fails at once on Jupyter's "Select Kernel" dialog): open it in JupyterLab, run all cells, check
that no cell failed or wrote to stderr, press an arrow key on the first slider of every slider box (`@interact` and
`FitPlot`) and check that the slider moved by one step and its picture was redrawn, press every FitPlot's Step button
and check that the loss it shows goes down. The same in Notebook 7 (`jupyter notebook`) for the lessons in
`NB7_LESSONS`. A screenshot of each lesson is saved and its path printed, and so is each key press's effect.

The docs pages: the notebooks go through the docs preprocessing (`tools/proc_docs.py`, which is `nbdev_proc_nbs`
without Quarto, so with the `docs_still` processor), then `jupyter nbconvert --to html`; in the browser every picture
must have loaded, no output may be left as an empty widget, and every formula must be typeset by MathJax without
error. The CDN's MathJax cannot be reached offline, so the pages use the MathJax 2 that the `jupyter-server-mathjax`
package ships; all other network requests are refused, so nothing passes by luck of a cache.

Skipped, with the reason, when Chromium, Playwright or the local MathJax is missing, except under CI=true, where
that is a failure.
"""
import json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import pytest
import labkit

NBS = labkit.REPO / 'nbs'
LESSONS = sorted(p.name for p in NBS.glob('[0-9][0-9]_*.ipynb'))
# Notebook 7: the first lesson (both kinds of sliders; it tells learners to use the arrow keys) and FitPlot's own page
NB7_LESSONS = ['01_fitting.ipynb', '13_fitplot.ipynb']
MUST_HAVE_FITPLOT = {'01_fitting.ipynb', '02_descent.ipynb', '03_relu.ipynb', '13_fitplot.ipynb'}
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'

def _unavailable(why):
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f"{why}; under CI=true the browser tests must run")
    pytest.skip(why)

@pytest.fixture(scope='session')
def browser():
    if not Path(labkit.CHROMIUM).exists(): _unavailable(f"no Chromium at {labkit.CHROMIUM} (apt-get install chromium)")
    try: import playwright.sync_api  # noqa: F401
    except ImportError: _unavailable("the playwright Python package is not installed")
    with labkit.chromium() as b: yield b

@pytest.fixture(scope='session')
def artifacts():
    d = Path(os.environ.get('NNSCRATCH_ARTIFACTS') or tempfile.mkdtemp(prefix='nnscratch-browser-'))
    d.mkdir(parents=True, exist_ok=True)
    return d  # kept after the run: the screenshots are for people to look at

def _serve(app):
    with tempfile.TemporaryDirectory(prefix=f'nnscratch-{app}-') as d:
        labkit.copy_notebooks([NBS / n for n in LESSONS], d)
        with labkit.jupyter_server(d, app) as server: yield server

@pytest.fixture(scope='session')
def lab(browser): yield from _serve('lab')

@pytest.fixture(scope='session')
def nb7(browser): yield from _serve('notebook')

def _show(capsys, msg):
    with capsys.disabled(): print(f"\n{msg}", end='')

@pytest.mark.parametrize('name', LESSONS)
def test_lesson_in_jupyterlab(name, lab, browser, artifacts, capsys):
    _check_lesson(lab, name, browser, artifacts, capsys)

@pytest.mark.parametrize('name', NB7_LESSONS)
def test_lesson_in_notebook7(name, nb7, browser, artifacts, capsys):
    _check_lesson(nb7, name, browser, artifacts, capsys)

def _key_step(page, plot, kind, what):
    "Press an arrow key on the plot's first slider (ArrowRight, or ArrowLeft at the top): one step, and a new picture"
    st = labkit.slider_state(plot, kind)
    key, sign = ('ArrowLeft', -1) if st['value'] + st['step'] > st['max'] - 1e-6 * st['step'] else ('ArrowRight', 1)
    r = labkit.slider_step(page, plot, kind, key)
    assert r.after == pytest.approx(r.before + sign * r.step, rel=1e-9, abs=1e-9 * r.step), \
        f"{what}: {key} moved the slider from {r.before} to {r.after}, not by one step of {r.step}"
    return f"{what}: {key} {r.before:g} -> {r.after:g} (step {r.step:g}), new picture after {r.ms:.0f} ms"

def _key_step_default_cancelled(page, plot):
    "FitPlot moves its sliders on the keys itself: a page that cancels a key's default on the way down cannot stop it"
    page.evaluate("() => { window.__cancel = e => e.preventDefault(); document.addEventListener('keydown', window.__cancel, true); }")
    try: return _key_step(page, plot, 'fitplot', 'FitPlot 0, default cancelled')
    finally: page.evaluate("() => document.removeEventListener('keydown', window.__cancel, true)")

def _check_lesson(server, name, browser, artifacts, capsys):
    app = labkit.APPS[server.app]
    page = labkit.open_notebook(browser, server, name)
    try:
        labkit.run_all(page)
        assert labkit.bad_outputs(page) == []
        boxes, plots = labkit.interacts(page), labkit.fitplots(page)
        if name in MUST_HAVE_FITPLOT: assert plots.count() > 0, f"{name} should use FitPlot"
        assert page.locator('.nns-static').count() == 0, f"{app} should show the live widget, not its static HTML"
        keys = []
        for i in range(boxes.count()):  # the plain `@interact` sliders (ipywidgets' own)
            keys.append(_key_step(page, boxes.nth(i), 'interact', f"@interact {i}"))
        for i in range(plots.count()):
            plot = plots.nth(i)
            plot.scroll_into_view_if_needed()
            if plot.locator('.nns-step').is_visible():  # not with descent=False
                loss0 = labkit.fitplot_loss(plot)
                loss1 = labkit.click_step(page, plot)
                assert loss1 < loss0, f"FitPlot {i}: Step should lower the loss, went {loss0} -> {loss1}"
                assert plot.locator('.nns-msg').text_content() == ''
            canvas = plot.locator('canvas')
            before = canvas.evaluate('c => c.toDataURL()')
            keys.append(_key_step(page, plot, 'fitplot', f"FitPlot {i}"))
            assert canvas.evaluate('c => c.toDataURL()') != before, f"FitPlot {i}: the canvas did not change"
        if name == '13_fitplot.ipynb':
            keys.append(_key_step_default_cancelled(page, plots.first))
            _run_and_blow_up(page, plots.first)
        (plots.first if plots.count() else page.locator('.jp-Notebook')).scroll_into_view_if_needed()
        shot = artifacts / f"{'lab' if server.app == 'lab' else 'nb7'}_{Path(name).stem}.png"
        page.screenshot(path=str(shot))
        _show(capsys, f"{app}, {name}: screenshot {shot}" + ''.join(f"\n  {k}" for k in keys))
    finally:
        labkit.shutdown_kernel(page)
        page.close()

@pytest.mark.parametrize('app', ['lab', 'notebook'])
def test_missing_kernelspec_fails_at_once(app, browser, request):
    "The harness opens notebooks as they are: one without a kernelspec fails on the 'Select Kernel' dialog, quickly"
    server = request.getfixturevalue('lab' if app == 'lab' else 'nb7')
    nb = json.loads((NBS / LESSONS[0]).read_bytes())
    del nb['metadata']['kernelspec']
    (server.root / 'no_kernelspec.ipynb').write_text(json.dumps(nb))
    t0 = time.monotonic()
    with pytest.raises(AssertionError, match=r"(?i)dialog: Select kernel") as e:
        labkit.open_notebook(browser, server, 'no_kernelspec.ipynb')
    assert time.monotonic() - t0 < 30, f"open_notebook took {time.monotonic() - t0:.0f} s to notice the dialog"
    assert 'kernelspec' in str(e.value)

def _run_and_blow_up(page, plot):
    "Run moves the sliders by itself until stopped; a far too large lr stops with a message, not a NaN"
    loss0, f0 = labkit.fitplot_loss(plot), labkit.fitplot_frame(plot)
    run = plot.locator('.nns-run')
    run.click()
    page.wait_for_function("([el, f0]) => +el.dataset.frame >= f0 + 5", arg=[plot.element_handle(), f0])
    run.click()  # Stop
    assert run.text_content() == 'Run'
    assert labkit.fitplot_loss(plot) < loss0
    lr = plot.locator('.nns-lr')
    lr.fill('1e308'); lr.press('Enter')  # the new lr and then the Step request go over the same channel, in order
    values = plot.locator('input[type=range]').evaluate_all('xs => xs.map(x => x.value)')
    loss1 = labkit.fitplot_loss(plot)
    labkit.click_step(page, plot)
    msg = plot.locator('.nns-msg').text_content()
    assert 'learning rate is too large' in msg, msg
    assert labkit.fitplot_loss(plot) == loss1
    assert plot.locator('input[type=range]').evaluate_all('xs => xs.map(x => x.value)') == values
    assert 'nan' not in plot.locator('.nns-loss').text_content().lower()

def _static_plot_works(page, plot):
    "On a page without a kernel: a slider step redraws the canvas and changes the loss; back again gives Python's loss"
    canvas, loss = plot.locator('canvas'), lambda: float(plot.locator('.nns-loss').get_attribute('data-loss'))
    if canvas.count() != 1: return ['no canvas (did its script run?)']
    plot.scroll_into_view_if_needed()
    loss0, pic0, out = loss(), canvas.evaluate('c => c.toDataURL()'), []
    slider = plot.locator('input[type=range]').first
    slider.focus(); page.keyboard.press('ArrowRight')
    if canvas.evaluate('c => c.toDataURL()') == pic0: out.append('the canvas did not change')
    if loss() == loss0: out.append('the loss did not change')
    page.keyboard.press('ArrowLeft')
    if abs(loss() - loss0) > 1e-6 * max(1, abs(loss0)): out.append(f"JavaScript's loss {loss()} differs from Python's {loss0}")
    return out

def _local_mathjax():
    try: import jupyter_server_mathjax
    except ImportError: return None
    p = Path(jupyter_server_mathjax.__file__).parent / 'static' / 'MathJax.js'
    return p if p.exists() else None

_MATH = re.compile(r'\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$', re.S)

def _expected(nb):
    "Formulas in the markdown, pictures and kernel-free plots in the outputs, and outputs that would show nothing"
    n_math = n_img = n_static = 0; blank = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] == 'markdown':
            src = re.sub(r'```.*?```|`[^`]*`', '', ''.join(c['source']), flags=re.S)
            n_math += len(_MATH.findall(src))
        for o in c.get('outputs', []):
            d = o.get('data', {})
            if 'nns-static' in ''.join(d.get('text/html', '')): n_static += 1  # nbconvert prefers the HTML to the PNG
            elif any(k.startswith('image/') for k in d): n_img += 1
            elif WIDGET_VIEW in d and 'text/html' not in d: blank.append(i)
    return n_math, n_img, n_static, blank

def test_docs_pages(browser, artifacts, tmp_path, capsys):
    mathjax = _local_mathjax()
    if mathjax is None: _unavailable("no local MathJax: pip install jupyter-server-mathjax (the CDN is unreachable offline)")
    repo = tmp_path / 'repo'; repo.mkdir()
    for p in ['settings.ini', 'nnscratch', 'nbs', 'tools']:
        src = labkit.REPO / p
        (shutil.copytree(src, repo / p, ignore=shutil.ignore_patterns('.ipynb_checkpoints', '__pycache__', '_proc'))
         if src.is_dir() else shutil.copy(src, repo / p))
    env = dict(os.environ, PYTHONPATH=str(repo))
    r = subprocess.run([sys.executable, 'tools/proc_docs.py'], cwd=repo, env=env, capture_output=True, text=True)
    assert r.returncode == 0, f"docs preprocessing failed:\n{r.stderr[-3000:]}"
    pages = sorted((repo / '_proc').glob('*.ipynb'))
    assert {p.name for p in pages} >= set(LESSONS) | {'index.ipynb'}
    out = tmp_path / 'html'
    r = subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'html', '--output-dir', str(out), '--log-level=ERROR',
                    f'--HTMLExporter.mathjax_url={mathjax.as_uri()}?config=TeX-AMS-MML_HTMLorMML-full',
                    *map(str, pages)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, f"nbconvert failed:\n{r.stderr[-3000:]}"
    page = browser.new_page(viewport={'width': 1100, 'height': 900})
    page.route('**/*', lambda route: route.continue_() if route.request.url.startswith('file:') else route.abort())
    problems = []
    try:
        for nbp in pages:
            n_math, n_img, n_static, blank = _expected(json.loads(nbp.read_text()))
            page.goto((out / f'{nbp.stem}.html').as_uri())
            page.wait_for_function('() => window.MathJax && window.MathJax.isReady', timeout=30_000)
            page.evaluate('() => new Promise(r => MathJax.Hub.Queue(r))')  # wait until everything is typeset
            got = page.evaluate("""() => ({
                imgs: [...document.images].length,
                broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 60)),
                math: document.querySelectorAll('script[type^="math/tex"]').length,
                shown: [...document.querySelectorAll('[id^="MathJax-Element-"][id$="-Frame"]')].filter(e => e.getBoundingClientRect().width > 0).length,
                errors: document.querySelectorAll('.MathJax_Error, merror, .mjx-merror').length })""")
            where = nbp.name
            if got['broken']: problems.append(f"{where}: pictures that did not load: {got['broken']}")
            if got['imgs'] < n_img: problems.append(f"{where}: {n_img} pictures in the outputs, {got['imgs']} on the page")
            if blank: problems.append(f"{where}: cells {blank} show only a widget, which is blank without a kernel")
            if got['math'] < n_math: problems.append(f"{where}: {n_math} formulas in the markdown, MathJax found {got['math']}")
            if got['shown'] < got['math']: problems.append(f"{where}: {got['math']} formulas, {got['shown']} typeset and visible")
            if got['errors']: problems.append(f"{where}: {got['errors']} MathJax errors")
            statics = page.locator('.nns-static')
            if statics.count() != n_static: problems.append(f"{where}: {n_static} kernel-free plots expected, {statics.count()} on the page")
            for i in range(statics.count()): problems += [f"{where}: kernel-free plot {i}: {p}" for p in _static_plot_works(page, statics.nth(i))]
            if nbp.stem in {Path(n).stem for n in LESSONS}:
                shot = artifacts / f"docs_{nbp.stem}.png"; page.screenshot(path=str(shot), full_page=False)
                _show(capsys, f"docs page: {shot} ({got['imgs']} pictures, {got['math']} formulas, {statics.count()} kernel-free plots)")
                if statics.count():
                    shot = artifacts / f"docs_{nbp.stem}_plot.png"; statics.first.screenshot(path=str(shot))
                    _show(capsys, f"docs page, first kernel-free plot after moving a slider: {shot}")
    finally: page.close()
    assert problems == []
