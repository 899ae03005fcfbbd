"""Benchmark: the whole notebook suite and the library's import time.

Prints the wall time of `nbdev_test` over all notebooks (target: under 120 s on a 2-core machine), and the time of
`import nnscratch.all` as a ratio to `import torch`, each in a fresh interpreter, interleaved and repeated in this
same run so that machine noise hits both alike (target ratio: at most 1.3).

    python bench/suite.py [--repeats 7] [--no-suite]
"""
import argparse, statistics, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def wall(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t

def import_times(repeats):
    "Median seconds of `import torch` and `import nnscratch.all`, each in a fresh interpreter, interleaved"
    t_torch, t_nns = [], []
    for _ in range(repeats):
        t_torch.append(wall([sys.executable, '-c', 'import torch']))
        t_nns.append(wall([sys.executable, '-c', 'import nnscratch.all']))
    return statistics.median(t_torch), statistics.median(t_nns)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--no-suite', action='store_true', help='skip the nbdev_test timing')
    a = ap.parse_args()
    wall([sys.executable, '-c', 'import nnscratch.all'])  # warm the file cache for both
    t_torch, t_nns = import_times(a.repeats)
    print(f'import torch         {t_torch:6.3f} s (median of {a.repeats})')
    print(f'import nnscratch.all {t_nns:6.3f} s (median of {a.repeats})')
    print(f'import ratio nnscratch.all / torch = {t_nns / t_torch:.2f}   (target <= 1.3)')
    if not a.no_suite:
        t = wall(['nbdev_test'], cwd=root)
        n = len(list((root/'nbs').glob('*.ipynb')))
        print(f'nbdev_test, {n} notebooks: {t:.1f} s   (target < 120 s)')
