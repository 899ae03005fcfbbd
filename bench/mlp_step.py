"""One training step of the hand-written MLP (forward, manual backward, SGD update) against the same network with
torch.autograd and torch.optim.SGD, on the same batch, side by side in one process.

Interleaved repeats (a block of hand-written steps, then a block of autograd steps, and so on), median time per step,
ratio hand/autograd. Target: <= 1.1 at batch 64 and at batch 1024.

    python bench/mlp_step.py [--threads 1] [--repeats 30] [--steps 20]
"""
import argparse, statistics, time
import torch
import torch.nn.functional as F
from nnscratch.data import digits_data
from nnscratch.mlp import mlp, SoftmaxCE, SGD
from nnscratch.handoff import to_torch

SIZES = (64, 256, 128, 10)  # the lesson's network


def hand_setup(seed=0):
    model, loss_fn, opt = mlp(SIZES, generator=torch.Generator().manual_seed(seed)), SoftmaxCE(), SGD(0.01)
    def step(xb, yb):
        loss_fn.forward(model.forward(xb), yb)
        model.backward(loss_fn.backward())
        opt.step(model.parameters(), model.grads())
    return model, step


def torch_setup(hand_model):
    "The same network in torch.nn (the library's `to_torch`), starting from the hand-written model's weights"
    model = to_torch(hand_model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    def step(xb, yb):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    return model, step


def time_block(step, xb, yb, steps):
    t0 = time.perf_counter()
    for _ in range(steps): step(xb, yb)
    return (time.perf_counter() - t0) / steps


def bench(bs, X, y, repeats, steps):
    xb, yb = X[:bs].contiguous(), y[:bs].contiguous()
    hand_model, hand = hand_setup()
    _, auto = torch_setup(hand_model)
    for _ in range(3): time_block(hand, xb, yb, steps); time_block(auto, xb, yb, steps)  # warm up both
    th, ta = [], []
    for _ in range(repeats):
        th.append(time_block(hand, xb, yb, steps))
        ta.append(time_block(auto, xb, yb, steps))
    h, a = statistics.median(th), statistics.median(ta)
    return h, a


def check_same_step(X, y, bs=64):
    "Sanity: one step of each from the same weights gives the same weights (float32 tolerance)"
    hand_model, hand = hand_setup()
    tmodel, auto = torch_setup(hand_model)
    hand(X[:bs], y[:bs]); auto(X[:bs], y[:bs])
    return max(float((l.W - tl.weight.detach().T).abs().max())
               for l, tl in zip(hand_model.layers[::2], list(tmodel)[::2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=30)
    ap.add_argument('--steps', type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)  # the same for both contestants
    (X, y), _ = digits_data()
    X, y = torch.cat([X, X]), torch.cat([y, y])  # 2,876 rows, enough for a batch of 1024 and more
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), network {SIZES}, float32, "
          f"{a.repeats} interleaved repeats of {a.steps} steps, median")
    print(f"same step check: max |W_hand - W_autograd| after one step = {check_same_step(X, y):.2e}")
    print(f"{'batch':>6} {'hand ms':>9} {'autograd ms':>12} {'hand/autograd':>14}")
    ratios = []
    for bs in (64, 1024):
        h, t = bench(bs, X, y, a.repeats, a.steps)
        ratios.append(h / t)
        print(f"{bs:>6} {h*1e3:>9.3f} {t*1e3:>12.3f} {h/t:>14.2f}")
    print('target <= 1.1 at both:', 'met' if max(ratios) <= 1.1 else 'NOT met')


if __name__ == '__main__': main()
