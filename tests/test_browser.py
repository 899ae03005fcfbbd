"""The lessons in a real browser: JupyterLab in headless Chromium.

For each numbered notebook in nbs/ (run on a temporary copy): open it in JupyterLab, run all cells, check that no
cell failed or wrote to stderr, move every slider box (`@interact` and `FitPlot`) with the keyboard and check that
its picture is redrawn, press every FitPlot's Step button and check that the loss it shows goes down. A screenshot
of each lesson is saved and its path printed.

The docs site built by Quarto is tested in tests/test_docs_site.py.

Skipped, with the reason, when Chromium or Playwright is missing, except under CI=true, where that is a failure.
"""
import os, tempfile
from pathlib import Path
import pytest
import labkit

NBS = labkit.REPO / 'nbs'
LESSONS = sorted(p.name for p in NBS.glob('[0-9][0-9]_*.ipynb'))
MUST_HAVE_FITPLOT = {'01_fitting.ipynb', '02_descent.ipynb', '03_relu.ipynb', '13_fitplot.ipynb'}

@pytest.fixture(scope='session')
def artifacts():
    d = Path(os.environ.get('NNSCRATCH_ARTIFACTS') or tempfile.mkdtemp(prefix='nnscratch-browser-'))
    d.mkdir(parents=True, exist_ok=True)
    return d  # kept after the run: the screenshots are for people to look at

@pytest.fixture(scope='session')
def lab(browser):
    with tempfile.TemporaryDirectory(prefix='nnscratch-lab-') as d:
        labkit.copy_notebooks([NBS / n for n in LESSONS], d)
        with labkit.lab_server(d) as (base, token): yield base, token

def _show(capsys, msg):
    with capsys.disabled(): print(f"\n{msg}", end='')

@pytest.mark.parametrize('name', LESSONS)
def test_lesson_in_jupyterlab(name, lab, browser, artifacts, capsys):
    base, token = lab
    page = labkit.open_notebook(browser, base, token, name)
    try:
        labkit.run_all(page)
        assert labkit.bad_outputs(page) == []
        boxes, plots = labkit.interacts(page), labkit.fitplots(page)
        if name in MUST_HAVE_FITPLOT: assert plots.count() > 0, f"{name} should use FitPlot"
        assert page.locator('.nns-static').count() == 0, "JupyterLab should show the live widget, not its static HTML"
        for i in range(boxes.count()):  # the plain `@interact` sliders: a key press brings a new picture
            labkit.slider_step(page, boxes.nth(i), 'interact')
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
            labkit.slider_step(page, plot, 'fitplot')
            assert canvas.evaluate('c => c.toDataURL()') != before, f"FitPlot {i}: the canvas did not change"
        if name == '13_fitplot.ipynb': _run_and_blow_up(page, plots.first)
        (plots.first if plots.count() else page.locator('.jp-Notebook')).scroll_into_view_if_needed()
        shot = artifacts / f"lab_{Path(name).stem}.png"
        page.screenshot(path=str(shot))
        _show(capsys, f"screenshot: {shot}")
    finally:
        labkit.shutdown_kernel(page)
        page.close()

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
