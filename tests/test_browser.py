"""The lessons in a real browser: JupyterLab and Jupyter Notebook 7 in headless Chromium.

For each learner's notebook in course/ (the lessons as the README's links open them) and each of the course's tool
notebooks in nbs/ (00*), run on a byte-for-byte temporary copy, so that it opens as committed (one without a
kernelspec fails at once on Jupyter's "Select Kernel" dialog): open it in JupyterLab, check that a lesson's
solutions open folded, one per exercise, and its first cells show none of the workshop, run all cells, check
that no cell failed or wrote to stderr, press an arrow key on the first slider of every slider box (`@interact` and
`FitPlot`) and check that the slider moved by one step and its picture was redrawn, press every FitPlot's Step button
and check that the loss it shows goes down. The same in Notebook 7 (`jupyter notebook`) for the lessons in
`NB7_LESSONS`. A screenshot of each lesson is saved and its path printed, and so is each key press's effect.

The docs site built by Quarto is tested in tests/test_docs_site.py.

Skipped, with the reason, when Chromium or Playwright is missing, except under CI=true, where that is a failure.
"""
import json, os, re, tempfile, time
from pathlib import Path
import pytest
from tests import labkit

NBS, COURSE = labkit.REPO / 'nbs', labkit.REPO / 'course'
SOURCES = {p.name: p for p in [*sorted(NBS.glob('00*_*.ipynb')), *sorted(COURSE.glob('[0-9][0-9]_*.ipynb'))]}
LESSONS = sorted(SOURCES)  # the course's tools (nbs/00*), then the learner's lessons (course/)
# Notebook 7: the first lesson (both kinds of sliders; it tells learners to use the arrow keys) and FitPlot's own page
NB7_LESSONS = ['01_fitting.ipynb', '00c_fitplot.ipynb']
MUST_HAVE_FITPLOT = {'01_fitting.ipynb', '02_descent.ipynb', '03_relu.ipynb', '00c_fitplot.ipynb'}

@pytest.fixture(scope='session')
def artifacts():
    d = Path(os.environ.get('NNSCRATCH_ARTIFACTS') or tempfile.mkdtemp(prefix='nnscratch-browser-'))
    d.mkdir(parents=True, exist_ok=True)
    return d  # kept after the run: the screenshots are for people to look at

def _serve(app):
    with tempfile.TemporaryDirectory(prefix=f'nnscratch-{app}-') as d:
        labkit.copy_notebooks(list(SOURCES.values()), d)
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
        if name[:2] != '00':  # a lesson: its solutions open collapsed (jupyter.source_hidden), one per exercise
            cells = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
                .map(c => [c.model.type, c.model.sharedModel.getSource(), c.inputHidden])""")
            sol = next(i for i, (t, s, _) in enumerate(cells) if t == 'markdown' and s.startswith('## Solutions'))
            folded = [h for t, s, h in cells[sol + 1:] if t == 'code']
            exercises = sum(t == 'markdown' and s.startswith('### Exercise') for t, s, _ in cells)
            assert len(folded) == exercises >= 2 and all(folded), \
                f"{name}: {exercises} exercises; the solution cells should open collapsed, one each, got {folded}"
            shown = [s for t, s, _ in cells[:sol] if t == 'code']
            assert not [s for s in shown if re.search(r'^#\||\btest_(eq|close|fail)\(|^def check_', s, re.M)], \
                f"{name}: the learner sees nbdev directives, tests or checkers above the solutions"
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
        if name == '00c_fitplot.ipynb':
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
    nb = json.loads(SOURCES['01_fitting.ipynb'].read_bytes())
    del nb['metadata']['kernelspec']
    nb['metadata'].pop('language_info', None)  # with it, JupyterLab picks the language's default kernel without asking
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
