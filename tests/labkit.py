"""Drive JupyterLab and Jupyter Notebook 7 in headless Chromium: start a server, open a notebook, run it, move sliders,
time redraws.

Used by tests/test_browser.py and bench/slider_latency.py. Needs Debian's chromium (`apt-get install chromium`) and
the Playwright Python package; Playwright's own browser download is not used (it cannot be fetched offline).
Both front ends are the same JupyterLab application code underneath, so once a notebook is open everything here
(`run_all`, `bad_outputs`, the sliders) works the same in either.
"""
import json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('NNSCRATCH_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run']
# what nbdev_clean leaves of Jupyter's python3 kernelspec: what the committed notebooks carry (for notebooks made here)
KERNELSPEC = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
APPS = {'lab': 'JupyterLab', 'notebook': 'Jupyter Notebook 7'}

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def copy_notebooks(paths, dest):
    "Copy notebooks to `dest` byte for byte, as committed (a missing kernelspec must show); returns the new paths"
    return [Path(shutil.copyfile(p, Path(dest) / Path(p).name)) for p in paths]

class Server(NamedTuple):
    base: str   # http://127.0.0.1:PORT
    token: str
    app: str    # 'lab' or 'notebook'
    root: Path  # the directory it serves

# Jupyter Server leaves Nagle's algorithm on for the kernel's websocket: a small message (a widget update) that follows
# another one (the kernel's "busy") can wait for the browser's delayed ACK, up to 40 ms. nnscratch's server extension
# `nnscratch.lab` sets TCP_NODELAY on that socket; `pip install nnscratch` enables it. `nodelay` turns it on or off
# explicitly, whatever the installed configuration says, so that the benchmark can measure both.
@contextmanager
def jupyter_server(root_dir, app='lab', timeout=90, nodelay=True):
    "JupyterLab (`app='lab'`) or Notebook 7 (`'notebook'`) on 127.0.0.1 (free port, random token) serving `root_dir`; yields a `Server`; always stopped"
    if app not in APPS: raise ValueError(f"app must be one of {list(APPS)}, got {app!r}")
    port, token = free_port(), secrets.token_hex(16)
    conf = Path(tempfile.mkdtemp(prefix='nnscratch-labconf-'))
    settings = conf / 'settings' / '@jupyterlab' / 'notebook-extension'
    settings.mkdir(parents=True)
    # every cell in the DOM (no virtual scrolling), so that the tests can find each widget
    (settings / 'tracker.jupyterlab-settings').write_text(json.dumps({'windowingMode': 'none'}))
    news = conf / 'settings' / '@jupyterlab' / 'apputils-extension'; news.mkdir(parents=True)
    (news / 'notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false', 'checkForUpdates': False}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep),
               JUPYTER_CONFIG_DIR=str(conf / 'config'), MPLBACKEND='module://matplotlib_inline.backend_inline')
    # both read the same settings files; Notebook 7's own app is JupyterNotebookApp (`jupyter notebook`)
    cls = 'LabApp' if app == 'lab' else 'JupyterNotebookApp'
    cmd = [sys.executable, '-m', 'jupyterlab' if app == 'lab' else 'notebook', f'--ServerApp.jpserver_extensions=nnscratch.lab={nodelay}',
           '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}', f'--IdentityProvider.token={token}',
           f'--ServerApp.root_dir={root_dir}', f'--{cls}.expose_app_in_browser=True', f'--{cls}.user_settings_dir={conf / "settings"}',
           f'--{cls}.workspaces_dir={conf / "workspaces"}', '--ServerApp.port_retries=0', '--allow-root', '--LabApp.news_url=',
           '--ServerApp.log_level=WARN']
    log = open(conf / 'server.log', 'w')
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f'http://127.0.0.1:{port}'
    try:
        t0 = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2): break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"{APPS[app]} did not start; its log:\n{(conf / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield Server(base, token, app, Path(root_dir))
    finally:
        try: os.killpg(proc.pid, signal.SIGTERM)   # the server and the kernels it started (same session)
        except ProcessLookupError: pass
        try: proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); proc.wait()
        log.close(); shutil.rmtree(conf, ignore_errors=True)

def lab_server(root_dir, timeout=90, nodelay=True):
    "JupyterLab serving `root_dir`: `jupyter_server(root_dir, 'lab', ...)`"
    return jupyter_server(root_dir, 'lab', timeout=timeout, nodelay=nodelay)

@contextmanager
def chromium():
    "A headless Debian Chromium driven by Playwright; yields the browser"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try: yield b
        finally: b.close()

def open_notebook(browser, server, name, timeout=60_000):
    """A new page with notebook `name` open in `server`'s front end and its kernel ready. A notebook that opens with a
    dialog (a notebook without a kernelspec gets "Select Kernel") fails at once, with the dialog's text."""
    page = browser.new_page(viewport={'width': 1300, 'height': 1000})
    page.set_default_timeout(timeout)
    url = f'/lab/tree/{name}?reset&' if server.app == 'lab' else f'/notebooks/{name}?'  # reset: no tabs from an earlier page
    page.goto(f'{server.base}{url}token={server.token}')
    state = page.wait_for_function("""name => {
        const d = document.querySelector('.jp-Dialog');
        if (d) return 'dialog: ' + d.innerText.replace(/\\s+/g, ' ').trim();
        const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path.endsWith(name) && w.sessionContext && w.sessionContext.session
               && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle' && 'ready'; }""", arg=name).json_value()
    if state != 'ready':
        page.close()
        raise AssertionError(f"{name} opened in {APPS[server.app]} with a dialog instead of a running kernel ({state!r}); "
                             "a notebook without a python3 kernelspec in its metadata asks 'Select Kernel'")
    return page

def run_all(page, timeout=180_000):
    "Run every cell of the open notebook and wait for the kernel to finish"
    page.evaluate("() => { window.__ran = false; window.jupyterapp.commands.execute('notebook:run-all-cells')"
                  ".then(() => { window.__ran = true; }); }")
    page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        return window.__ran && w.sessionContext.session.kernel.status === 'idle'; }""", timeout=timeout)

def bad_outputs(page):
    "Error and stderr outputs, and code cells that did not run, in the open notebook"
    return page.evaluate("""() => {
        const bad = [], nb = window.jupyterapp.shell.currentWidget.content;
        nb.widgets.forEach((cell, i) => {
            if (cell.model.type !== 'code') return;
            if (cell.model.executionCount == null) bad.push(`cell ${i}: not run`);
            const outs = cell.model.outputs;
            for (let j = 0; j < outs.length; j++) {
                const o = outs.get(j).toJSON();
                if (o.output_type === 'error') bad.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
                if (o.output_type === 'stream' && o.name === 'stderr') bad.push(`cell ${i}: stderr: ${[].concat(o.text).join('').slice(0, 300)}`);
            }
        });
        return bad; }""")

def shutdown_kernel(page):
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")

# ---- moving sliders and waiting for the picture -------------------------------------------------------------------
# Both kinds of plot are watched the same way: a keydown listener (capture phase) stamps the key press, and a
# MutationObserver stamps the first animation frame after the new picture is in the page: for FitPlot the canvas
# has been redrawn (its root's data-drawn attribute changes: a draw by the browser or by Python; a FitPlot without
# data-drawn, from before the browser drew curves itself, is watched on data-frame, Python's pictures), for
# `@interact` a new <img> has been added and decoded.
_WATCH = """([root, kind]) => {
    window.__t0 = null; window.__t1 = null;
    if (!window.__keyStamp) { window.__keyStamp = true;
        document.addEventListener('keydown', () => { window.__t0 = performance.now(); window.__t1 = null; }, true); }
    const done = () => requestAnimationFrame(() => { if (window.__t0 != null && window.__t1 == null) window.__t1 = performance.now(); });
    if (root.__obs) root.__obs.disconnect();
    root.__obs = new MutationObserver(muts => {
        for (const m of muts) {
            if (kind === 'fitplot' && m.type === 'attributes') { done(); return; }
            if (kind === 'interact') for (const n of m.addedNodes) {
                const img = n.tagName === 'IMG' ? n : (n.querySelector && n.querySelector('img'));
                if (img) { img.decode().then(done, done); return; }
            }
        }
    });
    const attr = root.hasAttribute('data-drawn') ? 'data-drawn' : 'data-frame';
    root.__obs.observe(root, kind === 'fitplot' ? {attributes: true, attributeFilter: [attr]} : {childList: true, subtree: true});
}"""

def fitplots(page):
    return page.locator('.nns-fitplot')

def interacts(page):
    return page.locator('.widget-interact')

# The first slider of a FitPlot is an <input type=range>; of an `@interact` box, ipywidgets' noUiSlider, whose handle
# takes the focus and the keys, and whose element carries the slider's API (`noUiSlider`) with its options.
_SLIDER = """(plot, kind) => {
    if (kind === 'fitplot') { const s = plot.querySelector('input[type=range]');
        return {value: +s.value, step: +s.step, min: +s.min, max: +s.max}; }
    const t = plot.querySelector('.noUi-target'), o = t.noUiSlider.options;
    return {value: +t.querySelector('.noUi-handle').getAttribute('aria-valuenow'), step: +o.step, min: +o.range.min, max: +o.range.max};
}"""

def slider_state(plot, kind):
    "{'value', 'step', 'min', 'max'} of the first slider of `plot` (a FitPlot or an `@interact` box), as the page has it"
    return plot.evaluate(_SLIDER, kind)

class Step(NamedTuple):
    before: float  # the slider's value before the key press
    after: float   # and after it
    step: float    # the slider's step
    ms: float      # from key press to the new picture on screen

def slider_step(page, plot, kind, key='ArrowRight', timeout=10_000):
    """Focus the first slider of `plot` (a FitPlot or an `@interact` box), press `key` on the keyboard, wait for the new
    picture; returns a `Step`. Fails, saying where the focus was, if the key does not move the slider."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    slider = plot.locator('input[type=range]').first if kind == 'fitplot' else plot.locator('.noUi-handle').first
    if kind == 'fitplot': wait_confirmed(page, plot, timeout)  # an earlier move's picture from Python still on its way would count
    page.evaluate(_WATCH, [plot.element_handle(), kind])
    st = slider_state(plot, kind)
    slider.focus()
    page.keyboard.press(key)
    try: page.wait_for_function("() => window.__t0 != null && window.__t1 != null", timeout=timeout)
    except PlaywrightTimeout as e:
        where = page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null")
        raise AssertionError(f"{kind} slider: no new picture {timeout} ms after pressing {key} (value {st['value']} -> "
                             f"{slider_state(plot, kind)['value']}, focus on {where})") from e
    return Step(st['value'], slider_state(plot, kind)['value'], st['step'], page.evaluate("() => window.__t1 - window.__t0"))

def fitplot_loss(plot):
    return float(plot.locator('.nns-loss').get_attribute('data-loss'))

def fitplot_frame(plot):
    return int(plot.get_attribute('data-frame'))

def click_step(page, plot, timeout=10_000):
    "Press the plot's Step button and wait for the new picture; returns the loss shown after it"
    f0 = fitplot_frame(plot)
    plot.locator('.nns-step').click()
    page.wait_for_function("([el, f0]) => +el.dataset.frame > f0", arg=[plot.element_handle(), f0], timeout=timeout)
    return fitplot_loss(plot)

# ---- FitPlot drawing curves in the browser (issue 11) --------------------------------------------------------------
# The live widget's root says what is on screen: data-drawn (canvas draws, by the browser or by Python), data-source
# ('browser' or 'python': who drew the picture shown), data-received (slider updates that reached the kernel, counted
# by Python), data-confirmed ('1': the picture is Python's for the sliders' current values, nothing pending).
def fitplot_state(plot):
    "What a FitPlot's root and boxes say: frame, drawn, received (ints; None if absent), source, confirmed, loss, msg, values"
    return plot.evaluate("""el => { const d = el.dataset, int = v => v == null ? null : +v;
        return {frame: int(d.frame), drawn: int(d.drawn), received: int(d.received), source: d.source || null,
                confirmed: d.confirmed || null, loss: +el.querySelector('.nns-loss').dataset.loss,
                msg: el.querySelector('.nns-msg').textContent,
                values: [...el.querySelectorAll('input[type=range]')].map(s => +s.value)}; }""")

def wait_confirmed(page, plot, timeout=10_000):
    "Wait until the FitPlot shows Python's picture for its sliders' values (no-op for a FitPlot without data-confirmed)"
    page.wait_for_function("el => el.dataset.confirmed !== '0'", arg=plot.element_handle(), timeout=timeout)

def kernel_execute(page, code, wait=True, timeout=60_000):
    """Run `code` in the open notebook's kernel, outside any cell; with `wait`, return what it printed (stdout), else
    return at once (the kernel stays busy with it)"""
    page.evaluate("""([code, wait]) => {
        const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const f = k.requestExecute({code, silent: false, store_history: false});
        window.__execOut = ''; window.__execDone = false;
        f.onIOPub = m => { if (m.header.msg_type === 'stream' && m.content.name === 'stdout') window.__execOut += m.content.text;
                           if (m.header.msg_type === 'error') window.__execOut += `ERROR ${m.content.ename}: ${m.content.evalue}`; };
        f.done.then(() => { window.__execDone = true; }, () => { window.__execDone = true; });
    }""", [code, wait])
    if not wait: return None
    page.wait_for_function("() => window.__execDone", timeout=timeout)
    out = page.evaluate("() => window.__execOut")
    if out.startswith('ERROR') or '\nERROR ' in out: raise AssertionError(f"the kernel failed on {code!r}: {out}")
    return out

# A fast drag: keys pressed one after the other without waiting for pictures. The page stamps each key press and each
# change of data-confirmed ('0' -> '1'), so that release -> Python's final picture is measured in the page's clock.
_DRAG_WATCH = """root => {
    window.__keys = []; window.__confirms = [];
    if (!window.__dragKey) { window.__dragKey = true;
        document.addEventListener('keydown', () => { if (window.__keys) window.__keys.push(performance.now()); }, true); }
    if (root.__dragObs) root.__dragObs.disconnect();
    root.__dragObs = new MutationObserver(() => {
        if (root.dataset.confirmed === '1') requestAnimationFrame(() => window.__confirms.push(performance.now()));
    });
    root.__dragObs.observe(root, {attributes: true, attributeFilter: ['data-confirmed']});
}"""

class Drag(NamedTuple):
    keys: int          # keys pressed
    before: float      # the slider's value before
    after: float       # and after the drag
    received: int      # slider updates that reached the kernel during the drag (data-received's increase)
    press_ms: float    # from the first key press to the last
    release_ms: float  # from the last key press to Python's picture for the final values on screen

def drag(page, plot, n=100, key='ArrowRight', timeout=30_000):
    "Press `key` `n` times on the first slider of a FitPlot, as fast as the browser takes them; wait for Python's final picture"
    slider = plot.locator('input[type=range]').first
    wait_confirmed(page, plot, timeout)
    st0 = fitplot_state(plot)
    page.evaluate(_DRAG_WATCH, plot.element_handle())
    slider.focus()
    for _ in range(n): page.keyboard.press(key)
    page.wait_for_function("""el => el.dataset.confirmed === '1' && window.__confirms.length > 0
        && window.__confirms[window.__confirms.length - 1] > window.__keys[window.__keys.length - 1]""",
        arg=plot.element_handle(), timeout=timeout)
    # Python's `received` comes with its picture; the last picture carries the last count
    keys, confirms = page.evaluate("() => [window.__keys, window.__confirms]")
    st1 = fitplot_state(plot)
    last = keys[-1]
    return Drag(len(keys), st0['values'][0], st1['values'][0], st1['received'] - st0['received'], last - keys[0],
                min(t for t in confirms if t > last) - last)
