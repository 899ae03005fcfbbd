"""One training step of micrograd's moons demo, nnscratch's engine against PyPI micrograd 0.1.0, in one process.

Same data (make_moons, 100 points, seeds 1337), same MLP(2, [16, 16, 1]) with the same initial weights, same loss (SVM
max-margin + 1e-4 L2) and accuracy, same update. A step = forward over the 100 points, loss, zero_grad, backward,
update. The two engines take turns (one micrograd step, then 5 nnscratch steps), so that a busy machine slows both
alike. Each step starts after a full collection, so neither pays for the other's garbage. The step is timed twice:
with Python's default settings, and with the cycle collector paused during the step (as `nnscratch.nn.fit_mlp`
does; the cycles micrograd leaves are collected after the step, untimed). Run: `python bench/engine.py [rounds]`.
"""
import gc, random, statistics, sys, time
import numpy as np
from sklearn.datasets import make_moons
import micrograd.engine as mge, micrograd.nn as mgn
from nnscratch.nn import MLP, svm_loss, sgd_step

def micrograd_step(model, X, y, lr):
    "micrograd's demo: loss() and one update, as in its demo.ipynb"
    scores = [model(list(map(mge.Value, x))) for x in X]
    losses = [(1 + -yi*si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum((p*p for p in model.parameters()))
    acc = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= lr * p.grad
    return loss.data, acc

def nnscratch_step(model, X, y, lr):
    "The step of nnscratch.nn.fit_mlp: its loss, then its `sgd_step`"
    loss, acc = svm_loss(model, X, y)
    sgd_step(model, loss, lr)
    return loss.data, acc

def timed(step, pause_gc, *args):
    "Seconds one step takes, and its loss; with `pause_gc` the cycle collector is off during the step (as in fit_mlp)"
    if pause_gc: gc.disable()
    t = time.perf_counter()
    loss, _ = step(*args)
    dt = time.perf_counter() - t
    if pause_gc: gc.enable()
    gc.collect()  # each step starts from a clean heap: micrograd's graphs are cycles, collected here, outside the timing
    return dt, loss

def main(rounds=5, ours_per_round=5):
    np.random.seed(1337); random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    X, y = X.tolist(), (y*2 - 1).tolist()
    print(f"python {sys.version.split()[0]}, {rounds} rounds of 1 micrograd step + {ours_per_round} nnscratch steps")
    for pause_gc in (False, True):
        random.seed(1337); theirs = mgn.MLP(2, [16, 16, 1])
        random.seed(1337); ours = MLP(2, [16, 16, 1])
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        t_mg, t_ns, l_mg, l_ns = [], [], [], []
        for r in range(rounds):
            dt, l = timed(micrograd_step, pause_gc, theirs, X, y, 1.0 - 0.9*r/100); t_mg.append(dt); l_mg.append(l)
            for i in range(ours_per_round):
                dt, l = timed(nnscratch_step, pause_gc, ours, X, y, 1.0 - 0.9*r/100)
                t_ns.append(dt)
                if i == 0: l_ns.append(l)
            ours = _rewind(ours, theirs)  # keep both models on the same trajectory: one step per round each
        mode = 'cycle collector paused during the step' if pause_gc else "Python's default (cycle collector on)"
        print(f"\n{mode}:")
        print(f"  losses per round     micrograd {' '.join(f'{l:.6f}' for l in l_mg)}")
        print(f"                       nnscratch {' '.join(f'{l:.6f}' for l in l_ns)}")
        print(f"  micrograd step (s)   {' '.join(f'{t:.3f}' for t in t_mg)}   median {statistics.median(t_mg):.3f}")
        print(f"  nnscratch step (s)   {' '.join(f'{t:.3f}' for t in t_ns)}   median {statistics.median(t_ns):.4f}")
        print(f"  nnscratch is {statistics.median(t_mg) / statistics.median(t_ns):.1f}x faster (ratio of medians; "
              f"of the fastest steps: {min(t_mg) / min(t_ns):.1f}x)")

def _rewind(ours, theirs):
    "Copy micrograd's weights into ours, so that the next round starts both from the same point"
    for p, q in zip(ours.parameters(), theirs.parameters()): p.data = float(q.data)
    return ours

if __name__ == '__main__': main(*(int(a) for a in sys.argv[1:2]))
