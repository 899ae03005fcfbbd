"""The docs site descends too (issue 18): Step and Run on the kernel-free FitPlots, in headless Chromium.

The site as tests/test_docs_site.py finds or builds it (its fixtures, its routing of requests). On each page whose
lesson FitPlot has descent in Jupyter (descent.html, relu.html; fitplot.html, the tool's own page, too):

- the plot shows Step, Run, the learning rate and the arrows; Step lowers the MAE; Run runs (the MAE keeps going down)
  and Stop stops it; the page logs no error;
- the keyboard reaches both buttons: Tab from the plot's first slider comes to Step, then Run; Enter on Step steps,
  Space on Run runs and Space again stops;
- on a phone-sized touch screen (390 × 844), a tap on Step steps, and the plot fits the screen: no sideways scrolling.

Lesson 1's plot (fitting.html) has no descent in Jupyter (`descent=False`), so none on the site either. And every
kernel-free plot in the notebooks' outputs carries the package's fitplot.js as it is now: the site shows what the
notebooks' outputs carry, so a change to fitplot.js reaches a page only once its notebook is executed again
(`bash tools/execute.sh nbs/NOTEBOOK.ipynb`).

Screenshots are saved (their paths printed). Skipped, with the reason, when Chromium, Playwright, the MathJax copy or
Quarto (when a build is needed) is missing, except under CI=true, where that is a failure.
"""
import json, re
import pytest
from tests.test_docs_site import NBS, NOTEBOOKS, _open, _ours, _show  # the site's fixtures, shared:
from tests.test_docs_site import artifacts, mathjax, server, site  # noqa: F401

JS = NBS.parent / 'nnscratch' / 'fitplot.js'
DESCENT_PAGES = ['descent.html', 'relu.html', 'fitplot.html']
RUN_STEPS = 100  # FitPlot's `run_steps`, which the lessons leave as it is
PHONE = dict(viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True)

def _statics(nb):
    "(embeds the current fitplot.js, state) of each kernel-free plot in notebook `nb`'s committed outputs"
    js, out = json.dumps(JS.read_text(encoding='utf-8')).replace('</', '<\\/'), []
    for c in json.loads((NBS / nb).read_text())['cells']:
        for o in c.get('outputs', []):
            html = ''.join(o.get('data', {}).get('text/html', ''))
            if 'nns-static' in html:
                out.append((js in html, json.loads(re.search(r'renderStatic\(host, (\{.*\})\)\);', html).group(1))))
    return out

@pytest.mark.parametrize('nb', [nb for nb in NOTEBOOKS if _statics(nb)])
def test_outputs_carry_the_current_fitplot_js(nb):
    stale = [i for i, (current, st) in enumerate(_statics(nb)) if not current or 'descent' not in st]
    assert not stale, (f"{nb}: the kernel-free plots {stale} of its outputs carry an older fitplot.js, which the site "
                       f"would show: run `bash tools/execute.sh nbs/{nb}` and commit its outputs")

def test_lesson_one_has_no_descent():
    sts = [st for _, st in _statics('01_fitting.ipynb')]
    assert sts and not any(st.get('descent') for st in sts), "lesson 1 fits by hand: its plot has no Step button"

# ---- in the browser -----------------------------------------------------------------------------------------------
def _plot(page, name):
    "The page's first kernel-free FitPlot, drawn, with its descent controls shown"
    plot = page.locator('.nns-static .nns-fitplot').first
    plot.wait_for(state='attached')
    plot.scroll_into_view_if_needed()
    for what in ['.nns-step', '.nns-run', '.nns-lr', '.nns-arrow']:
        assert plot.locator(what).first.is_visible(), (
            f"{name}: the kernel-free FitPlot shows no {what}; if the notebook's FitPlot has descent, its outputs "
            f"carry an older fitplot.js (see test_outputs_carry_the_current_fitplot_js)")
    return plot

def _state(plot):
    return plot.evaluate("""root => ({frame: +root.dataset.frame, loss: +root.querySelector('.nns-loss').dataset.loss,
        run: root.querySelector('.nns-run').textContent, msg: root.querySelector('.nns-msg').textContent,
        arrows: [...root.querySelectorAll('.nns-arrow')].map(a => a.textContent).join('')})""")

def _after(page, plot, st0, frames=1):
    "Wait for `frames` more pictures than state `st0` had; return the state then"
    page.wait_for_function("([root, f]) => +root.dataset.frame >= f",
                           arg=[plot.element_handle(), st0['frame'] + frames])
    return _state(plot)

def _settled(page, plot):
    "The state once no step is left to come: after Stop, at most the step already asked for arrives"
    st = _state(plot)
    while True:
        page.wait_for_timeout(400)  # ten of the stand-in's steps: nothing here is timed, only waited for
        st1 = _state(plot)
        if st1['frame'] == st['frame']: return st1
        st = st1

def _stop(page, plot, name, how, press, started):
    "Press Stop with `press()`: the button says Run again, and the run, begun at state `started`, ends before RUN_STEPS"
    st0 = _state(plot)
    assert st0['run'] == 'Stop', f"{name}: Run ended by itself before Stop ({how}): {st0}"
    press()
    st = _settled(page, plot)
    assert st['run'] == 'Run', f"{name}: after Stop ({how}) the button says {st['run']!r}"
    assert st['frame'] - started['frame'] < RUN_STEPS, f"{name}: Run went on to its end after Stop ({how})"
    return st

@pytest.mark.parametrize('name', DESCENT_PAGES)
def test_step_and_run(name, site, server, browser, mathjax, artifacts, capsys):
    page, log = _open(browser, server, mathjax, name)
    try:
        plot = _plot(page, name)
        st0 = _state(plot)
        arrows = set(st0['arrows'])
        assert arrows <= set('◀▶·') and arrows & set('◀▶'), f"{name}: arrows {st0['arrows']!r}"
        plot.locator('.nns-step').click()
        st1 = _after(page, plot, st0)
        assert st1['loss'] < st0['loss'], f"{name}: Step did not lower the MAE: {st0['loss']} -> {st1['loss']}"
        assert st1['msg'] == '', f"{name}: {st1['msg']}"
        plot.locator('.nns-run').click()
        st2 = _after(page, plot, st1, 5)
        assert st2['run'] == 'Stop', f"{name}: running, the button says {st2['run']!r}"
        assert st2['loss'] < st1['loss'], f"{name}: five steps of Run did not lower the MAE: {st1['loss']} -> {st2}"
        st3 = _stop(page, plot, name, 'a click', plot.locator('.nns-run').click, st1)
        shot = artifacts / f"site_descent_{name[:-5]}.png"; plot.screenshot(path=str(shot))
        assert _ours(log) == [] and log['bad'] == [], f"{name}: {_ours(log)} {log['bad']}"
        _show(capsys, f"{name}: Step lowered the MAE {st0['loss']:.6f} -> {st1['loss']:.6f}; Run took "
                      f"{st3['frame'] - st1['frame']} steps to {st3['loss']:.6f} and stopped on Stop; {shot}")
    finally: page.close()

@pytest.mark.parametrize('name', DESCENT_PAGES)
def test_keyboard_reaches_the_buttons(name, site, server, browser, mathjax, capsys):
    page, log = _open(browser, server, mathjax, name)
    try:
        plot = _plot(page, name)
        plot.locator('input[type=range]').first.focus()
        focused = lambda: page.evaluate("() => document.activeElement.className")
        tabs = 0
        while focused() != 'nns-step' and tabs < 20: page.keyboard.press('Tab'); tabs += 1
        assert focused() == 'nns-step', f"{name}: {tabs} presses of Tab from the first slider did not reach Step"
        st0 = _state(plot)
        page.keyboard.press('Enter')
        st1 = _after(page, plot, st0)
        assert st1['loss'] < st0['loss'], f"{name}: Enter on Step did not lower the MAE: {st0['loss']} -> {st1['loss']}"
        page.keyboard.press('Tab')
        assert focused() == 'nns-run', f"{name}: Tab after Step went to {focused()!r}, not Run"
        page.keyboard.press('Space')
        st2 = _after(page, plot, st1, 3)
        assert st2['run'] == 'Stop' and st2['loss'] < st1['loss'], f"{name}: Space on Run: {st2}"
        _stop(page, plot, name, 'Space', lambda: page.keyboard.press('Space'), st1)
        assert _ours(log) == [], f"{name}: {_ours(log)}"
        _show(capsys, f"{name}: Tab ×{tabs} from the first slider reaches Step (Enter steps), one more reaches Run "
                      f"(Space runs, Space stops)")
    finally: page.close()

@pytest.mark.parametrize('name', DESCENT_PAGES)
def test_phone_tap_and_fit(name, site, server, browser, mathjax, artifacts, capsys):
    page, log = _open(browser, server, mathjax, name, **PHONE)
    try:
        plot = _plot(page, name)
        st0 = _state(plot)
        plot.locator('.nns-step').tap()
        st1 = _after(page, plot, st0)
        assert st1['loss'] < st0['loss'], f"{name}: a tap on Step did not lower the MAE: {st0['loss']} -> {st1['loss']}"
        fit = plot.evaluate("""(root, width) => {
            const r = root.getBoundingClientRect(), c = root.querySelector('canvas').getBoundingClientRect();
            const scrollers = [];  // the plot and every box around it: none may scroll sideways
            for (let e = root; e && e !== document.documentElement; e = e.parentElement)
                if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
                    scrollers.push(`${e.tagName.toLowerCase()}.${e.className}`.slice(0, 60));
            return {width, left: r.left, right: r.right, canvas: [c.left, c.right, c.height], scrollers}; }""",
            PHONE["viewport"]["width"])  # the screen's width: a page too wide for it widens window.innerWidth
        assert 0 <= fit['left'] and fit['right'] <= fit['width'], f"{name}: the plot is wider than the screen: {fit}"
        c0, c1, height = fit['canvas']
        assert 0 <= c0 and c1 <= fit['width'] and height > 100, f"{name}: the canvas does not fit: {fit}"
        assert fit['scrollers'] == [], f"{name}: boxes around the plot scroll sideways: {fit}"
        shot = artifacts / f"site_descent_{name[:-5]}_phone.png"; plot.screenshot(path=str(shot))
        assert _ours(log) == [], f"{name}: {_ours(log)}"
        _show(capsys, f"{name} on a 390 × 844 touch screen: a tap on Step lowered the MAE {st0['loss']:.6f} -> "
                      f"{st1['loss']:.6f}; plot {fit['left']:.0f}-{fit['right']:.0f} px of {fit['width']}, canvas "
                      f"{c1 - c0:.0f} × {height:.0f} px, nothing around it scrolls; {shot}")
    finally: page.close()

@pytest.mark.parametrize('name', DESCENT_PAGES)
def test_phone_page_does_not_scroll_sideways(name, site, server, browser, mathjax):
    "The page with the plot, on the phone: no sideways scrolling (else the message names what is too wide)"
    page, log = _open(browser, server, mathjax, name, **PHONE)
    try:
        _plot(page, name)
        got = page.evaluate("""width => { const wide = [];
            const clips = s => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(s).overflowX);
            for (const e of document.querySelectorAll('main *')) {  // too wide, and not inside a box that scrolls itself
                if (e.getBoundingClientRect().right <= width + 1 || e.closest('pre, .sourceCode, mjx-container')) continue;
                let s = e.parentElement; while (s && !clips(s)) s = s.parentElement;
                if (!s) wide.push(`<${e.tagName.toLowerCase()}> ${e.textContent.slice(0, 50)}`); }
            return {page: document.scrollingElement.scrollWidth, wide: wide.slice(-3)}; }""",
            PHONE['viewport']['width'])
        assert got['page'] <= PHONE['viewport']['width'], (
            f"{name}: on a {PHONE['viewport']['width']} px wide phone the page is {got['page']} px wide (it scrolls "
            f"sideways, or the browser zooms out), because of: {got['wide']}")
    finally: page.close()
