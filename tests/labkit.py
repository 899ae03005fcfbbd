"""Drive JupyterLab in headless Chromium: start a server, open a notebook, run it, move sliders, time redraws.

Used by tests/test_browser.py and bench/slider_latency.py. Needs Debian's chromium (`apt-get install chromium`) and
the Playwright Python package; Playwright's own browser download is not used (it cannot be fetched offline).
"""
import json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('NNSCRATCH_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run']
KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3 (ipykernel)', 'language': 'python'}

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def copy_notebooks(paths, dest):
    "Copy notebooks to `dest` with a kernelspec (so Lab starts Python without asking); returns the new paths"
    out = []
    for p in map(Path, paths):
        nb = json.loads(p.read_text())
        nb.setdefault('metadata', {})['kernelspec'] = KERNELSPEC
        q = Path(dest) / p.name; q.write_text(json.dumps(nb)); out.append(q)
    return out

# Jupyter Server leaves Nagle's algorithm on for the kernel's websocket: a small message (a widget update) that follows
# another one (the kernel's "busy") can wait for the browser's delayed ACK, up to 40 ms. nnscratch's server extension
# `nnscratch.lab` sets TCP_NODELAY on that socket; `pip install nnscratch` enables it. `nodelay` turns it on or off
# explicitly, whatever the installed configuration says, so that the benchmark can measure both.
@contextmanager
def lab_server(root_dir, timeout=90, nodelay=True):
    "JupyterLab on 127.0.0.1 (free port, random token) serving `root_dir`; yields (base_url, token); always stopped"
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
    cmd = [sys.executable, '-m', 'jupyterlab', f'--ServerApp.jpserver_extensions=nnscratch.lab={nodelay}', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
           f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root_dir}', '--LabApp.expose_app_in_browser=True',
           f'--LabApp.user_settings_dir={conf / "settings"}', f'--LabApp.workspaces_dir={conf / "workspaces"}',
           '--ServerApp.port_retries=0', '--allow-root', '--LabApp.news_url=', '--ServerApp.log_level=WARN']
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
                    raise RuntimeError(f"JupyterLab did not start; its log:\n{(conf / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield base, token
    finally:
        try: os.killpg(proc.pid, signal.SIGTERM)   # the server and the kernels it started (same session)
        except ProcessLookupError: pass
        try: proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); proc.wait()
        log.close(); shutil.rmtree(conf, ignore_errors=True)

@contextmanager
def chromium():
    "A headless Debian Chromium driven by Playwright; yields the browser"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try: yield b
        finally: b.close()

def open_notebook(browser, base, token, name, timeout=60_000):
    "A new page with notebook `name` open in Lab and its kernel ready"
    page = browser.new_page(viewport={'width': 1300, 'height': 1000})
    page.set_default_timeout(timeout)
    page.goto(f'{base}/lab/tree/{name}?reset&token={token}')  # reset: no tabs restored from an earlier page
    page.wait_for_function("""name => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path.endsWith(name) && w.sessionContext && w.sessionContext.session
               && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'; }""", arg=name)
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
# has been redrawn (its root's data-frame attribute changes), for `@interact` a new <img> has been added and decoded.
_WATCH = """([root, kind]) => {
    window.__t0 = null; window.__t1 = null;
    if (!window.__keyStamp) { window.__keyStamp = true;
        document.addEventListener('keydown', () => { window.__t0 = performance.now(); window.__t1 = null; }, true); }
    const done = () => requestAnimationFrame(() => { if (window.__t1 == null) window.__t1 = performance.now(); });
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
    root.__obs.observe(root, kind === 'fitplot' ? {attributes: true, attributeFilter: ['data-frame']} : {childList: true, subtree: true});
}"""

def fitplots(page):
    return page.locator('.nns-fitplot')

def interacts(page):
    return page.locator('.widget-interact')

def slider_step(page, plot, kind, key='ArrowRight', timeout=10_000):
    "Press `key` on the first slider of `plot` (a FitPlot or an `@interact` box); ms from key press to new picture"
    slider = plot.locator('input[type=range]').first if kind == 'fitplot' else plot.locator('.noUi-handle').first
    page.evaluate(_WATCH, [plot.element_handle(), kind])
    slider.focus()
    page.keyboard.press(key)
    page.wait_for_function("() => window.__t0 != null && window.__t1 != null", timeout=timeout)
    return page.evaluate("() => window.__t1 - window.__t0")

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
