"""Slider latency in JupyterLab, in headless Chromium: key press on a slider -> the new picture on screen.

Measures, in one run and one notebook, the seed's way (`@interact` around a function that replots with matplotlib's
inline backend) and `nnscratch.fitplot.FitPlot` (Python computes, an anywidget draws on a canvas), on lesson 1's data
and quadratic. Prints median and p90 over STEPS steps (after WARMUP unrecorded ones) and the ratio of the medians.

Twice: with stock Jupyter Server, and with nnscratch's server extension `nnscratch.lab` (TCP_NODELAY on the kernel's
websocket, see nbs/00d_lab.ipynb), which `pip install nnscratch` enables: the difference is Nagle's algorithm waiting
on a delayed ACK.

    python bench/slider_latency.py [STEPS]
"""
import json, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))
import labkit

STEPS, WARMUP = (int(sys.argv[1]) if len(sys.argv) > 1 else 30), 3

CELLS = [
    "import matplotlib.pyplot as plt\nfrom ipywidgets import interact\n"
    "from nnscratch.fitting import mk_quad, noisy_quadratic, plot_function\nx, y = noisy_quadratic()",
    # the seed's cell, as lesson 1 first writes it
    "@interact(a=1.1, b=1.1, c=1.1)\ndef plot_quad(a, b, c):\n    plt.scatter(x, y)\n"
    "    plot_function(mk_quad(a, b, c), ylim=(-3, 13))",
    "from nnscratch.fitplot import FitPlot\nFitPlot(mk_quad, x, y, mae, a=1.1, b=1.1, c=1.1, ylim=(-3, 13))",
]

def notebook():
    cells = [{'cell_type': 'code', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': s} for s in CELLS]
    return {'cells': cells, 'metadata': {'kernelspec': labkit.KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}

def measure(page, plot, kind):
    times = []
    for i in range(WARMUP + STEPS):
        # alternate right and left so that the value stays inside the slider's range
        t = labkit.slider_step(page, plot, kind, 'ArrowRight' if i % 2 == 0 else 'ArrowLeft').ms
        if i >= WARMUP: times.append(t)
        time.sleep(0.05)
    return times

def summary(name, ts):
    q = statistics.quantiles(ts, n=10)
    print(f"{name:<48} median {statistics.median(ts):6.1f} ms   p90 {q[-1]:6.1f} ms   (n={len(ts)})")
    return statistics.median(ts)

def run(nodelay):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / 'latency.ipynb').write_text(json.dumps(notebook()))
        with labkit.lab_server(d, nodelay=nodelay) as server, labkit.chromium() as browser:
            page = labkit.open_notebook(browser, server, 'latency.ipynb')
            labkit.run_all(page)
            assert not labkit.bad_outputs(page), labkit.bad_outputs(page)
            seed = measure(page, labkit.interacts(page).first, 'interact')
            fast = measure(page, labkit.fitplots(page).first, 'fitplot')
            labkit.shutdown_kernel(page)
    return seed, fast

if __name__ == '__main__':
    print(f"JupyterLab, headless Chromium; {STEPS} keyboard steps each, after {WARMUP} warm-up steps")
    for nodelay in (False, True):
        seed, fast = run(nodelay)
        print("stock Jupyter Server (nnscratch.lab off):" if not nodelay else
              "with nnscratch's server extension (nnscratch.lab on: TCP_NODELAY on the kernel websocket):")
        m0 = summary("  seed: @interact + matplotlib inline", seed)
        m1 = summary("  FitPlot: anywidget canvas, curve from Python", fast)
        print(f"  ratio of medians (seed / FitPlot): {m0 / m1:.1f}x")
