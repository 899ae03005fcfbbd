"""Accessibility of what the course puts into JupyterLab: the learner's lesson 1 (and lesson 2, for Step), as committed.

- axe-core (WCAG 2.1 A and AA) on lesson 1 after a run, limited to the output areas: the widgets and pictures are
  ours, JupyterLab's own interface is not. One rule is left out there: `image-alt` on matplotlib's PNG outputs, since
  JupyterLab gives a PNG output no alt text from anything a notebook can say (its renderer sets none; the proposal to
  take it from the output's `alt` metadata, jupyter/enhancement-proposals#120, is still open). The same pictures
  carry alt text on the docs site (`#| fig-alt`), where tests/test_a11y.py holds them to it;
- a keyboard-only walk: from the FitPlot's picture, Tab reaches each slider in turn and the arrow keys move it (the
  loss changes); on lesson 2's FitPlot, which descends, Tab reaches Step, Enter presses it and the loss falls;
- the FitPlot's canvas is a described image (role=img) whose description and live loss follow the sliders.

Skipped, with the reason, without Chromium, Playwright or the axe copy (`bash tools/axe.sh`), except under CI=true.
"""
import os, tempfile
from pathlib import Path
import pytest
from tests import labkit
from tests.conftest import unavailable

COURSE = labkit.REPO / 'course'

@pytest.fixture(scope='module')
def axe():
    d = Path(os.environ.get('NNSCRATCH_AXE') or labkit.REPO / '.axe')
    if not (d / 'axe.min.js').exists(): unavailable(f"no axe-core in {d} (run `bash tools/axe.sh`)")
    return (d / 'axe.min.js').read_text()

@pytest.fixture(scope='module')
def lab(browser):
    with tempfile.TemporaryDirectory(prefix='nnscratch-a11y-') as d:
        labkit.copy_notebooks([COURSE / '01_fitting.ipynb', COURSE / '02_descent.ipynb'], d)
        with labkit.jupyter_server(d, 'lab') as server: yield server

def _run(browser, lab, name):
    page = labkit.open_notebook(browser, lab, name)
    labkit.run_all(page)
    assert labkit.bad_outputs(page) == []
    return page

def _focused(page):
    return page.evaluate("() => { const e = document.activeElement; return e && (e.getAttribute('aria-label') || e.textContent || e.tagName); }")

def _tab_to(page, label, limit=40):
    "Press Tab until the element named `label` has the focus; returns how many presses it took"
    for n in range(1, limit + 1):
        page.keyboard.press('Tab')
        if _focused(page) == label: return n
    raise AssertionError(f"{limit} Tabs did not reach {label!r} (focus on {_focused(page)!r})")

def test_axe_on_lesson_1_outputs(browser, lab, axe, capsys):
    from tests.test_a11y import audit
    page = _run(browser, lab, '01_fitting.ipynb')
    try:
        page.wait_for_timeout(500)
        found = [f for f in audit(page, axe, '.jp-OutputArea-output')
                 if not (f[0] == 'image-alt' and 'jp-RenderedImage' in f[2] and 'image/png' in f[2])]
        n = page.locator('.jp-OutputArea-output').count()
    finally:
        labkit.shutdown_kernel(page); page.close()
    with capsys.disabled(): print(f"\naxe on lesson 1 in JupyterLab, {n} output areas: {len(found)} violations")
    assert n > 10 and not found, '\n'.join(f"{r} ({i}) at {t}: {s.splitlines()[-1] if s else ''}" for r, i, t, s in found[:20])

def test_keyboard_walk(browser, lab, capsys):
    walk = []
    page = _run(browser, lab, '01_fitting.ipynb')
    try:  # lesson 1: the FitPlot's sliders, by Tab and the arrow keys alone
        plot = labkit.fitplots(page).first
        plot.scroll_into_view_if_needed()
        plot.locator('canvas').click()
        for name in ('a', 'b', 'c'):
            n = _tab_to(page, f'parameter {name}')
            loss0, desc0 = labkit.fitplot_loss(plot), plot.locator('canvas').get_attribute('aria-label')
            page.keyboard.press('ArrowRight')
            page.wait_for_function("([el, l]) => +el.querySelector('.nns-loss').dataset.loss !== l", arg=[plot.element_handle(), loss0])
            page.wait_for_timeout(400)  # the description follows within SAY_MS
            desc1 = plot.locator('canvas').get_attribute('aria-label')
            assert desc1 != desc0 and 'MAE' in desc1 and 'parabola' in desc1, (desc0, desc1)
            live = plot.locator('.nns-live').text_content()
            assert live.startswith('MAE') and plot.locator('.nns-live').get_attribute('aria-live') == 'polite'
            walk.append(f"lesson 1: Tab x{n} -> slider {name}, ArrowRight: MAE {loss0:.4f} -> {labkit.fitplot_loss(plot):.4f}; canvas says {desc1!r}")
    finally:
        labkit.shutdown_kernel(page); page.close()
    page = _run(browser, lab, '02_descent.ipynb')
    try:  # lesson 2: Tab on to Step, and Enter
        plot = next(p for p in (labkit.fitplots(page).nth(i) for i in range(labkit.fitplots(page).count()))
                    if p.locator('.nns-step').is_visible())
        plot.scroll_into_view_if_needed()
        plot.locator('canvas').click()
        n = _tab_to(page, 'Step: one step of gradient descent')
        loss0, f0 = labkit.fitplot_loss(plot), labkit.fitplot_frame(plot)
        page.keyboard.press('Enter')
        page.wait_for_function("([el, f0]) => +el.dataset.frame > f0", arg=[plot.element_handle(), f0])
        loss1 = labkit.fitplot_loss(plot)
        assert loss1 < loss0, (loss0, loss1)
        walk.append(f"lesson 2: Tab x{n} -> Step, Enter: MAE {loss0:.4f} -> {loss1:.4f}")
    finally:
        labkit.shutdown_kernel(page); page.close()
    with capsys.disabled(): print('\n' + '\n'.join(walk))
