"""Slider latency in JupyterLab, in headless Chromium: key press on a slider -> the new picture on screen.

Measures, in one run and one notebook, on lesson 1's data and quadratic, side by side:
- the seed's way: `@interact` around a function that replots with matplotlib's inline backend;
- the floor of any round trip: a bare anywidget whose JavaScript sends the slider's value to the kernel and draws when
  the kernel echoes a counter back (nothing computed, nothing but a rectangle drawn);
- `FitPlot(..., instant=False)`: the round trip only (Python computes the curve, the browser draws it on a canvas);
- `FitPlot(...)`, instant: the browser computes the curve of the course's families itself and draws it in the same
  frame; Python's curve, loss and gradient follow and replace it.
Key steps: median and p90 over STEPS steps (after WARMUP unrecorded ones) of key press -> first new pixels (for the
widgets, the first canvas draw after the key press, data-drawn, stamped at the next animation frame; for `@interact`
the new image, decoded). Drags: 100 key presses as fast as the browser takes them on a FitPlot's slider (DRAGS times,
alternately right and left), for the round-trip and the instant FitPlot: how many slider updates reached the kernel
(FitPlot's `received`), and the time from the last key press to Python's picture for the final values (data-confirmed).
Then the ratios and the targets of issue 11: instant median <= 0.5x the floor and <= 20 ms, <= 0.15x the seed's.

With nnscratch's server extension `nnscratch.lab` (TCP_NODELAY on the kernel's websocket, see nbs/00d_lab.ipynb) on,
as `pip install nnscratch` sets it up for learners; `--lab off` measures stock Jupyter Server (Nagle's algorithm
waiting on a delayed ACK), `--lab both` the two in turn.

    python -m bench.slider_latency [STEPS] [--lab on|off|both] [--drags N]
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path

from tests import labkit  # run from the repository root: python -m bench.slider_latency

WARMUP, DRAG_KEYS = 3, 100

# The floor: a slider whose value goes to the kernel, which answers with a counter; the browser draws on the answer.
# Its keys are handled the way FitPlot handles them (a notebook front end may cancel a key's default).
_ECHO_JS = r"""
const KEY_STEPS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };
function render({ model, el }) {
  const root = document.createElement('div'), input = document.createElement('input'), canvas = document.createElement('canvas');
  root.className = 'nns-floor';
  input.type = 'range'; input.min = 0; input.max = 100; input.step = 1; input.value = model.get('value');
  canvas.width = 440; canvas.height = 30;
  for (const e of [root, input]) e.setAttribute('data-lm-suppress-shortcuts', 'true');
  root.addEventListener('keydown', e => e.stopPropagation());
  input.addEventListener('keydown', e => {
    if (!(e.key in KEY_STEPS) || e.ctrlKey || e.altKey || e.metaKey) return;
    const n = KEY_STEPS[e.key]; if (n > 0) input.stepUp(n); else input.stepDown(-n);
    e.preventDefault(); input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  input.addEventListener('input', () => { model.set('value', +input.value); model.save_changes(); });
  let drawn = 0;
  const draw = () => {
    const c = canvas.getContext('2d'); c.clearRect(0, 0, 440, 30);
    c.fillStyle = '#d62728'; c.fillRect(0, 0, 4.4 * model.get('value'), 30);
    root.dataset.drawn = ++drawn;
  };
  model.on('change:count', draw);
  root.append(canvas, input); el.append(root); draw();
  return () => model.off('change:count', draw);
}
export default { render };
"""

CELLS = [
    "import matplotlib.pyplot as plt\nfrom ipywidgets import interact\n"
    "from nnscratch.fitting import mk_quad, mae, noisy_quadratic, plot_function\nfrom nnscratch.fitplot import FitPlot\n"
    "x, y = noisy_quadratic()",
    # the seed's cell, as lesson 1 first writes it
    "@interact(a=1.1, b=1.1, c=1.1)\ndef plot_quad(a, b, c):\n    plt.scatter(x, y)\n"
    "    plot_function(mk_quad(a, b, c), ylim=(-3, 13))",
    "import anywidget, traitlets\n"
    "class Echo(anywidget.AnyWidget):\n"
    f"    _esm = {_ECHO_JS!r}\n"
    "    value = traitlets.Float(50.).tag(sync=True, echo_update=False)\n"
    "    count = traitlets.Int(0).tag(sync=True)\n"
    "    @traitlets.observe('value')\n"
    "    def _echo(self, change): self.count += 1\n"
    "Echo()",
    # FitPlots 0 and 1: key steps; 2 and 3: drags (`a` starts at the low end of its slider, 100 steps below its top)
    "FitPlot(mk_quad, x, y, mae, a=1.1, b=1.1, c=1.1, ylim=(-3, 13), instant=False)",
    "FitPlot(mk_quad, x, y, mae, a=1.1, b=1.1, c=1.1, ylim=(-3, 13))",
    "FitPlot(mk_quad, x, y, mae, a=(-2., 4., -2.), b=1.1, c=1.1, ylim=(-3, 13), instant=False)",
    "FitPlot(mk_quad, x, y, mae, a=(-2., 4., -2.), b=1.1, c=1.1, ylim=(-3, 13))",
]

def notebook():
    cells = [{'cell_type': 'code', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': s} for s in CELLS]
    return {'cells': cells, 'metadata': {'kernelspec': labkit.KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}

def measure(page, plot, kind, steps):
    plot.scroll_into_view_if_needed()
    times = []
    for i in range(WARMUP + steps):
        # alternate right and left so that the value stays inside the slider's range
        t = labkit.slider_step(page, plot, kind, 'ArrowRight' if i % 2 == 0 else 'ArrowLeft').ms
        if i >= WARMUP: times.append(t)
        if kind == 'fitplot': labkit.wait_confirmed(page, plot)  # Python's picture in, before the next key
        time.sleep(0.05)
    return times

def drags(page, plot, n):
    plot.scroll_into_view_if_needed()
    out = []
    for i in range(n):
        out.append(labkit.drag(page, plot, DRAG_KEYS, 'ArrowRight' if i % 2 == 0 else 'ArrowLeft'))
        time.sleep(0.2)
    return out

def run(nodelay, steps, ndrags):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / 'latency.ipynb').write_text(json.dumps(notebook()))
        with labkit.lab_server(d, nodelay=nodelay) as server, labkit.chromium() as browser:
            page = labkit.open_notebook(browser, server, 'latency.ipynb')
            labkit.run_all(page)
            assert not labkit.bad_outputs(page), labkit.bad_outputs(page)
            plots = labkit.fitplots(page)
            for i in range(plots.count()): labkit.wait_confirmed(page, plots.nth(i))
            r = dict(seed=measure(page, labkit.interacts(page).first, 'interact', steps),
                     floor=measure(page, page.locator('.nns-floor').first, 'fitplot', steps),
                     roundtrip=measure(page, plots.nth(0), 'fitplot', steps),
                     instant=measure(page, plots.nth(1), 'fitplot', steps),
                     drag_roundtrip=drags(page, plots.nth(2), ndrags),
                     drag_instant=drags(page, plots.nth(3), ndrags))
            labkit.shutdown_kernel(page)
    return r

def p90(ts): return statistics.quantiles(ts, n=10)[-1]

def report(r):
    print(f"  {'key step: key press -> first new pixels':<52} {'median':>8} {'p90':>8}")
    rows = [('seed', 'seed: @interact + matplotlib inline'), ('floor', 'floor: bare anywidget round trip (echo)'),
            ('roundtrip', 'FitPlot, round trip (instant=False)'), ('instant', 'FitPlot, instant (curve drawn in the browser)')]
    med = {}
    for k, name in rows:
        med[k] = statistics.median(r[k])
        print(f"  {name:<52} {med[k]:6.1f} ms {p90(r[k]):6.1f} ms   (n={len(r[k])})")
    head = f"drag of {DRAG_KEYS} key presses (x{len(r['drag_instant'])})"
    print(f"  {head:<52} {'pressing':>8} {'updates to kernel':>18} {'release -> final, Python-confirmed':>36}")
    for k, name in (('drag_roundtrip', 'FitPlot, round trip (instant=False)'), ('drag_instant', 'FitPlot, instant')):
        ds = r[k]
        print(f"  {name:<52} {statistics.median(d.press_ms for d in ds):6.0f} ms {' '.join(str(d.received) for d in ds):>18}"
              f" {'  '.join(f'{d.release_ms:.0f}' for d in ds):>33} ms  (median {statistics.median(d.release_ms for d in ds):.0f} ms)")
    inst, floor, seed = med['instant'], med['floor'], med['seed']
    print(f"  ratios of medians: instant / floor {inst / floor:.2f}, instant / seed {inst / seed:.3f}, "
          f"round trip / floor {med['roundtrip'] / floor:.2f}, seed / instant {seed / inst:.0f}x")
    ok = lambda c: 'met' if c else 'NOT MET'
    final = statistics.median(d.release_ms for d in r['drag_instant'])
    print(f"  targets: instant median {inst:.1f} ms <= 0.5x floor ({0.5 * floor:.1f} ms): {ok(inst <= 0.5 * floor)}; "
          f"<= 20 ms: {ok(inst <= 20)}; <= 0.15x seed ({0.15 * seed:.1f} ms): {ok(inst <= 0.15 * seed)}; "
          f"drag release -> final <= 100 ms (median {final:.0f} ms): {ok(final <= 100)}")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('steps', nargs='?', type=int, default=30, help="key steps measured per slider (default 30)")
    ap.add_argument('--lab', choices=['on', 'off', 'both'], default='on', help="nnscratch.lab server extension (default on)")
    ap.add_argument('--drags', type=int, default=3, help=f"drags of {DRAG_KEYS} key presses per FitPlot (default 3)")
    a = ap.parse_args()
    print(f"JupyterLab, headless Chromium; {a.steps} keyboard steps each, after {WARMUP} warm-up steps; "
          f"{a.drags} drags of {DRAG_KEYS} key presses each")
    for nodelay in {'on': [True], 'off': [False], 'both': [False, True]}[a.lab]:
        r = run(nodelay, a.steps, a.drags)
        print("stock Jupyter Server (nnscratch.lab off):" if not nodelay else
              "with nnscratch's server extension (nnscratch.lab on: TCP_NODELAY on the kernel websocket):")
        report(r)
