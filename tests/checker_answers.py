"""Answers a learner could give to each of the lessons' checkers: plausible wrong ones that the checkers' hidden
cells do not name, and right ones written in another style than the reference (a loop, other torch functions,
float32, NumPy). `WRONG[checker]` and `RIGHT[checker]` map a label to a function for the learner's function, or to
`Args(...)` for the checkers that take values."""
import math
from collections import OrderedDict
from functools import partial
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnscratch.fitting import quad, mae
from nnscratch.relu import mk_relus, sum_relus
from nnscratch.engine import _node, Value
from nnscratch.logistic import sigmoid, softplus
from nnscratch.handoff import Linear, ReLU

class Args(tuple):
    "The values a value-checker is called with"
    def __new__(cls, *a): return super().__new__(cls, a)

F64 = torch.float64

# ---- 01 fitting
def _rmse_loop(p, a): return math.sqrt(sum((float(u) - float(v))**2 for u, v in zip(p.flatten(), a.flatten())) / p.numel())
def _cubic_grid(a, b, c, d):
    xs = torch.linspace(-2, 2, 9, dtype=F64)[:, None]  # its own grid, not the x it is given
    return lambda x: a*xs**3 + b*xs**2 + c*xs + d
def _cubic_columns(a, b, c, d):  # right for a column x only
    return lambda x: torch.cat([x**3, x**2, x, torch.ones_like(x)], 1) @ torch.tensor([[a], [b], [c], [d]], dtype=x.dtype)
def _cubic_matrix(a, b, c, d):
    return lambda x: torch.stack([x**3, x**2, x, torch.ones_like(x)], -1) @ torch.tensor([a, b, c, d], dtype=x.dtype)
def _rest(a, b, x, y): return (y - a*x**2 - b*x).flatten()
def _upper_middle(a, b, x, y): r = sorted(_rest(a, b, x, y).tolist()); return r[len(r) // 2]

# ---- 02 descent
def _step(update, zero='zero', ret='before'):
    "A descent step on a list of tensors: the loss, backward, `update(p, lr)` in place for each, then the reset `zero`"
    def my_step(params, loss_fn, lr):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            for k, p in enumerate(params):
                update(p, lr)
                if zero == 'zero' or (zero == 'first' and k == 0): p.grad.zero_()
                elif zero == 'none': p.grad = None
        return loss if ret == 'before' else loss_fn(params)
    return my_step

def _pred_err(p, x, y): return p[0]*x**2 + p[1]*x + p[2] - y
def _grad_of(w):
    "The MAE's gradient with `w(p, x, y)` in place of sign(pred - y)"
    def my_mae_grad(p, x, y):
        s = w(p, x, y)
        return torch.stack([(s * x**2).mean(), (s * x).mean(), s.mean()])
    return my_mae_grad
def _mae_grad_loop(p, x, y):
    a, b, c = (float(v) for v in p)
    g = [0., 0., 0.]
    for xi, yi in zip(x.flatten().tolist(), y.flatten().tolist()):
        s = math.copysign(1., a*xi**2 + b*xi + c - yi)
        g = [g[0] + s*xi**2, g[1] + s*xi, g[2] + s]
    return torch.tensor(g) / x.numel()
def _mae_grad_numpy(p, x, y):
    a, b, c = p.numpy(); x, y = x.numpy(), y.numpy()
    s = np.sign(a*x**2 + b*x + c - y)
    return np.array([(s * x**2).mean(), (s * x).mean(), s.mean()])
def _mae_grad_squares_x(p, x, y):
    out = _grad_of(lambda p, x, y: torch.sign(_pred_err(p, x, y)))(p, x, y)
    x.pow_(2)  # and leaves the caller's x squared
    return out
def _slope(nudge=lambda p, v, eps: eps * v, div=lambda eps, v: 2 * eps):
    def my_slope_along(loss_fn, params, v, eps=1e-4):
        d = nudge(params, v, eps)
        return (loss_fn(params + d) - loss_fn(params - d)) / div(eps, v)
    return my_slope_along
def _slope_scales_v(loss_fn, params, v, eps=1e-4):
    v.mul_(eps)  # the caller's v, scaled
    return (loss_fn(params + v) - loss_fn(params - v)) / (2 * eps)

# ---- 03 relu
def _hooks_loop(p, x): return sum(torch.clip(m * (x - h), 0.) for m, h in zip(p[0::2], p[1::2]))
TENT = [1., 1., 1., 1., 0., -2., 1., -1., 1.]  # relu(x + 1) - 2 relu(x) + relu(x - 1)
def _best_by(score):
    def my_best_n(fits, x, y): return min(fits, key=lambda n: score(mk_relus(*fits[n][0])(x), y))
    return my_best_n
def _best_appends(fits, x, y):
    "Right, but it writes each validation loss into the lists it was given"
    for n, (p, losses) in fits.items(): losses.append(float(mae(mk_relus(*p)(x), y)))
    return min(fits, key=lambda n: fits[n][1][-1])
def _best_argmin(fits, x, y):
    ns = list(fits)
    return ns[int(torch.stack([mae(mk_relus(*fits[n][0])(x), y) for n in ns]).argmin())]

# ---- 04 engine
def _div(da, db, kids=lambda a, b: (a, b), assign=False):
    def my_div(a, b):
        out = _node(a.data / b.data, kids(a, b), '/')
        def _backward(g):
            if assign: a.grad = da(a.data, b.data, g); b.grad = db(a.data, b.data, g)
            else: a.grad += da(a.data, b.data, g); b.grad += db(a.data, b.data, g)
        out._backward = _backward
        return out
    return my_div

def _softplus(local, forward=lambda x: math.log(1 + math.exp(x))):
    "A learner's softplus whose _backward adds local(s, x) * g, s the output"
    def my_softplus(x):
        s = forward(x.data)
        out = _node(s, (x,), 'softplus')
        def _backward(g): x.grad += local(s, x.data) * g
        out._backward = _backward
        return out
    return my_softplus

def _twice(**slip):
    "The gradients of u = x*y, v = u + x, L = v*u by hand, with some nodes' replaced by `slip[node](x, y, grads)`"
    def used_twice(x, y):
        u = x * y; v = u + x
        g = dict(L=1.0); g['v'] = u; g['u'] = v + g['v']; g['x'] = g['v'] + g['u'] * y; g['y'] = g['u'] * x
        for k, f in slip.items(): g[k] = f(x, y, g)
        return g
    return used_twice

def _twice_engine(x, y):
    "The gradients by the engine's own backward"
    xv, yv = Value(x), Value(y); u = xv * yv; v = u + xv; L = v * u; L.backward()
    return dict(L=L.grad, v=v.grad, u=u.grad, x=xv.grad, y=yv.grad)

def _tanh_exp(x):
    e = (2 * x).exp()
    return (e - 1) / (e + 1)

# ---- 05 nn
def _sig(ds_of=lambda s, o, t: 2 * (o - t) * o * (1 - o)):
    "A sigmoid neuron's (dw, db) of the squared error, by hand, with dL/ds given by `ds_of(s, o, t)`"
    def sigmoid_grads(w, b, x, t):
        s = sum(wi * xi for wi, xi in zip(w, x)) + b
        o = 1 / (1 + math.exp(-s)); ds = ds_of(s, o, t)
        return [ds * xi for xi in x], ds
    return sigmoid_grads

def _sig_engine(w, b, x, t):
    "The same by the engine's own backward"
    W, B = [Value(v) for v in w], Value(b)
    L = (sum((wi * xi for wi, xi in zip(W, x)), B).sigmoid() - t)**2; L.backward()
    return [p.grad for p in W], B.grad

def _neuron(body): return lambda w, b, x: body(w, b, x)
def _neuron_loop(w, b, x):
    act = b
    for wi, xi in zip(w, x): act = act + wi * xi
    return act.tanh()

def _decay(update, zero=True, backward=True):
    "A step with the penalty's gradient: zero_grad, backward, then `update(p, lr, alpha)` for each parameter"
    def decay_step(model, loss, lr, alpha):
        if zero: model.zero_grad()
        if backward: loss.backward()
        for p in model.parameters(): p.data = update(p, lr, alpha)
    return decay_step

def _decay_manual_zero(model, loss, lr, alpha):
    for p in model.parameters(): p.grad = 0.0
    loss.backward()
    for p in model.parameters(): p.data += -lr * p.grad - lr * 2 * alpha * p.data

def _decay_by_penalty(model, loss, lr, alpha):
    "sgd_step on the loss plus alpha·Σp², the penalty in the loss"
    model.zero_grad()
    (loss + alpha * sum(p * p for p in model.parameters())).backward()
    for p in model.parameters(): p.data -= lr * p.grad

# ---- 06 data
def _perm(X, g): return torch.randperm(len(X), generator=g)
def _batches_reversed(X, y, bs, g):
    idx = _perm(X, g).flip(0)
    for i in range(0, len(X) - bs + 1, bs): yield X[idx[i:i+bs]], y[idx[i:i+bs]]
def _batches_endless(X, y, bs, g):
    idx = _perm(X, g)
    while True: yield X[idx[:bs]], y[idx[:bs]]
def _batches_fixed3(X, y, bs, g):
    idx = _perm(X, g)
    for i in range(0, len(X) - 2, 3): yield X[idx[i:i+3]], y[idx[i:i+3]]
def _batches_windows(X, y, bs, g):
    idx = _perm(X, g)
    for i in range(0, len(X) - bs + 1): yield X[idx[i:i+bs]], y[idx[i:i+bs]]
def _batches_swapped(X, y, bs, g):
    idx = _perm(X, g)
    for i in range(0, len(X) - bs + 1, bs): yield y[idx[i:i+bs]], X[idx[i:i+bs]]
def _batches_pad(X, y, bs, g):
    "The last batch filled up with rows from the start"
    idx = _perm(X, g); idx = torch.cat([idx, idx[:(-len(X)) % bs]])
    for i in range(0, len(idx), bs): yield X[idx[i:i+bs]], y[idx[i:i+bs]]
def _batches_reseeded(X, y, bs, g):
    "A new generator seeded 42 every call"
    idx = torch.randperm(len(X), generator=torch.Generator().manual_seed(42))
    for i in range(0, len(X) - bs + 1, bs): yield X[idx[i:i+bs]], y[idx[i:i+bs]]
def _batches_split(X, y, bs, g):
    idx = _perm(X, g)
    return ((X[j], y[j]) for j in idx[:len(X) // bs * bs].split(bs)) if len(X) >= bs else iter(())

def _strat(y, pct, seed, take=lambda n, pct: int(round(pct * n)), gen=True):
    g = torch.Generator().manual_seed(seed)
    tr, va = [], []
    for c in torch.unique(y):
        rows = torch.nonzero(y == c).flatten()
        rows = rows[torch.randperm(len(rows), generator=g)] if gen else rows[torch.randperm(len(rows))]
        k = take(len(rows), pct); va.append(rows[:k]); tr.append(rows[k:])
    return torch.cat(tr), torch.cat(va)
def _strat_loop(y, pct, seed):
    import random
    rnd, tr, va = random.Random(seed), [], []
    for c in sorted(set(y.tolist())):
        rows = [i for i, v in enumerate(y.tolist()) if v == c]; rnd.shuffle(rows)
        k = round(pct * len(rows)); va += rows[:k]; tr += rows[k:]
    return tr, va
def _stream_loop(batches):
    n, s, s2 = 0, None, None
    for xb in batches:
        for row in xb:
            n += 1; s = row.clone() if s is None else s + row; s2 = row**2 if s2 is None else s2 + row**2
    m = s / n
    return m, math.sqrt(float((s2 - n * m**2).sum()) / (n * len(m) - 1))
def _stream_np(batches):
    n, s, s2 = 0, 0., 0.
    for xb in batches: a = xb.numpy(); n += len(a); s = s + a.sum(0); s2 = s2 + (a * a).sum(0)
    m = s / n
    return m, np.sqrt((s2 - n * m * m).sum() / (n * m.size - 1))
def _stream(batches, div=lambda n, d: n * d - 1, mean_of=None):
    n, s, s2, ms = 0, 0., 0., []
    for xb in batches: n += len(xb); s = s + xb.sum(0); s2 = s2 + (xb**2).sum(0); ms.append(xb.mean(0))
    m = s / n
    return (torch.stack(ms).mean(0) if mean_of else m), ((s2 - n * m**2).sum() / div(n, len(m))).sqrt()
def _stream_first(batches):
    xb = next(iter(batches)); m = xb.mean(0); return m, (xb - m).std()

# ---- 08 mlp, 09 norm (teach-e: the exercises that change something, and the stretches)
def _lin_pt(dx=lambda x, W, d: d @ W, dW=lambda x, W, d: d.T @ x, db=lambda x, W, d: d.sum(0)):
    "my_linear_backward for Z = x @ W.T + b (W is (n_out, n_in)), each gradient replaceable"
    return lambda x, W, d: (dx(x, W, d), dW(x, W, d), db(x, W, d))

def _ce_steps_ref(logits, y, swap={}):
    "The six gradients of check_ce_steps, in order; `swap` replaces one by name with f(the others so far, logits, y)"
    N = len(logits)
    counts = (logits - logits.max(1, keepdim=True).values).exp()
    sums = counts.sum(1, keepdim=True); inv = sums ** -1; probs = counts * inv
    g = {}
    def put(k, v): g[k] = swap[k](g, logits, y, dict(counts=counts, sums=sums, inv=inv, probs=probs)) if k in swap else v
    dlp = torch.zeros_like(logits); dlp[torch.arange(N), y] = -1 / N; put('logprobs', dlp)
    put('probs', g['logprobs'] / probs)
    put('inv', (counts * g['probs']).sum(1, keepdim=True))
    put('sums', -sums ** -2 * g['inv'])
    put('counts', inv * g['probs'] + g['sums'])
    put('logits', counts * g['counts'])
    return tuple(g[k] for k in ('logprobs', 'probs', 'inv', 'sums', 'counts', 'logits'))

def _ce_steps(**swap): return lambda z, y: _ce_steps_ref(z, y, swap)

def _bn_steps_ref(x, gamma, dout, eps, swap={}):
    "The six gradients of check_batchnorm_steps, in order; `swap` replaces one by name with f(the others so far, s)"
    N = len(x)
    mu = x.mean(0, keepdim=True); xc = x - mu; var = (xc**2).mean(0, keepdim=True); inv_std = (var + eps)**-0.5
    s = dict(x=x, gamma=gamma, dout=dout, eps=eps, N=N, mu=mu, xc=xc, var=var, inv_std=inv_std)
    g = {}
    def put(k, v): g[k] = swap[k](g, s) if k in swap else v
    put('xhat', dout * gamma)
    put('inv_std', (xc * g['xhat']).sum(0, keepdim=True))
    put('var', -0.5 * (var + eps)**-1.5 * g['inv_std'])
    put('xc', inv_std * g['xhat'] + 2 * xc / N * g['var'])
    put('mu', -g['xc'].sum(0, keepdim=True))
    put('x', g['xc'] + g['mu'] / N)
    return tuple(g[k] for k in ('xhat', 'inv_std', 'var', 'xc', 'mu', 'x'))

def _bn_steps(**swap): return lambda x, gamma, dout, eps: _bn_steps_ref(x, gamma, dout, eps, swap)

def _rms(x, gamma, eps, dim=1, mean=True, root=True, eps_in=True):
    ms = (x**2).mean(dim, keepdim=True) if mean else (x**2).sum(dim, keepdim=True)
    den = (torch.sqrt(ms + eps) if eps_in else torch.sqrt(ms) + eps) if root else ms + eps
    return gamma * x / den

WRONG_E = {
    'check_linear_backward': {
        "the lesson's dW (W stored (n_in, n_out))": _lin_pt(dW=lambda x, W, d: x.T @ d),
        'db from the first row only': _lin_pt(db=lambda x, W, d: d[0]),
        'dW from summed rows': _lin_pt(dW=lambda x, W, d: torch.outer(d.sum(0), x.sum(0))),
        'dx divided by N': _lin_pt(dx=lambda x, W, d: d @ W / len(x)),
        'dx through W transposed, reshaped to fit': _lin_pt(dx=lambda x, W, d: (d @ W.reshape(W.shape[1], W.shape[0]).T)),
        'two gradients': lambda x, W, d: [d @ W, d.T @ x]},
    'check_leaky_relu_backward': {
        'slope 0.01 whatever a is': lambda x, d, a: torch.where(x > 0, d, 0.01 * d),
        'a plain ReLU': lambda x, d, a: d * (x > 0),
        'slope 1 at exactly 0': lambda x, d, a: torch.where(x >= 0, d, a * d),
        'masks dout in place': lambda x, d, a: d.masked_fill_(x <= 0, 0.) + a * 0,
        'slope by the sign of dout': lambda x, d, a: torch.where(d > 0, d, a * d),
        'a squared': lambda x, d, a: torch.where(x > 0, d, a * a * d),
        'the leaky forward instead': lambda x, d, a: F.leaky_relu(x, a)},
    'check_ce_steps': {
        'dlogprobs without 1/N': _ce_steps(logprobs=lambda g, z, y, s: -F.one_hot(y, z.shape[1]).to(z.dtype)),
        'dinv not summed over the columns': _ce_steps(inv=lambda g, z, y, s: s['counts'] * g['probs']),
        'dcounts without the sums branch': _ce_steps(counts=lambda g, z, y, s: s['inv'] * g['probs']),
        'dlogits without the exp': _ce_steps(logits=lambda g, z, y, s: g['counts']),
        'dsums with +s**-2': _ce_steps(sums=lambda g, z, y, s: s['sums'] ** -2 * g['inv']),
        'one_hot without num_classes': _ce_steps(logprobs=lambda g, z, y, s: -F.one_hot(y).to(z.dtype) / len(z)),
        'dlogits as P - Y without 1/N': _ce_steps(logits=lambda g, z, y, s: s['probs'] - F.one_hot(y, z.shape[1]))},
    'check_rmsnorm': {
        'LayerNorm': lambda x, gm, eps: gm * (x - x.mean(1, keepdim=True)) / torch.sqrt(x.var(1, unbiased=False, keepdim=True) + eps),
        'over the batch': lambda x, gm, eps: _rms(x, gm, eps, dim=0),
        'eps fixed to 1e-5': lambda x, gm, eps: _rms(x, gm, 1e-5),
        'no square root': lambda x, gm, eps: _rms(x, gm, eps, root=False),
        'sum of squares': lambda x, gm, eps: _rms(x, gm, eps, mean=False),
        'eps outside the root': lambda x, gm, eps: _rms(x, gm, eps, eps_in=False),
        'the whole batch': lambda x, gm, eps: gm * x / torch.sqrt((x**2).mean() + eps)},
    'check_batchnorm_steps': {
        'dxhat without gamma': _bn_steps(xhat=lambda g, s: s['dout']),
        'dinv_std not summed': _bn_steps(inv_std=lambda g, s: s['xc'] * g['xhat']),
        'dvar with exponent -0.5': _bn_steps(var=lambda g, s: -0.5 * (s['var'] + s['eps'])**-0.5 * g['inv_std']),
        'dxc without the var branch': _bn_steps(xc=lambda g, s: s['inv_std'] * g['xhat']),
        'dxc var branch without 1/N': _bn_steps(xc=lambda g, s: s['inv_std'] * g['xhat'] + 2 * s['xc'] * g['var']),
        'dx without the mu branch': _bn_steps(x=lambda g, s: g['xc']),
        'N hard-coded to 8': _bn_steps(x=lambda g, s: g['xc'] + g['mu'] / 8),
        'eps fixed to 1e-5': lambda x, gm, d, eps: _bn_steps_ref(x, gm, d, 1e-5)},
}

def _ce_steps_autograd(z, y):
    z = z.clone().requires_grad_()
    counts = (z - z.max(1, keepdim=True).values).exp(); sums = counts.sum(1, keepdim=True); inv = sums ** -1
    probs = counts * inv; logprobs = probs.log()
    ts = (logprobs, probs, inv, sums, counts)
    for t in ts: t.retain_grad()
    (-logprobs[torch.arange(len(z)), y].mean()).backward()
    return tuple(t.grad for t in ts) + (z.grad,)

def _bn_steps_numpy(x, gamma, dout, eps):
    x, gamma, dout = x.numpy(), gamma.numpy(), dout.numpy()
    N = x.shape[0]; mu = x.mean(0, keepdims=True); xc = x - mu; var = (xc**2).mean(0, keepdims=True)
    inv = (var + eps)**-0.5; dxh = dout * gamma; dinv = (xc * dxh).sum(0, keepdims=True)
    dvar = -0.5 * (var + eps)**-1.5 * dinv; dxc = inv * dxh + 2 * xc / N * dvar; dmu = -dxc.sum(0, keepdims=True)
    return dxh, dinv, dvar, dxc, dmu, dxc + dmu / N

RIGHT_E = {
    'check_linear_backward': {'einsum': lambda x, W, d: (torch.einsum('nj,ji->ni', d, W), torch.einsum('nj,ni->ji', d, x), torch.einsum('nj->j', d)),
                              'NumPy': lambda x, W, d: (d.numpy() @ W.numpy(), d.numpy().T @ x.numpy(), d.numpy().sum(0))},
    'check_leaky_relu_backward': {'torch.where': lambda x, d, a: torch.where(x > 0, d, a * d),
                                  'NumPy': lambda x, d, a: np.where(x.numpy() > 0, d.numpy(), a * d.numpy()),
                                  'float32': lambda x, d, a: torch.where(x.float() > 0, d.float(), a * d.float())},
    'check_ce_steps': {'autograd': _ce_steps_autograd,
                       'a dict, float32': lambda z, y: dict(zip(('logprobs', 'probs', 'inv', 'sums', 'counts', 'logits'),
                                                                (t.float() for t in _ce_steps_ref(z, y))))},
    'check_rmsnorm': {'F.rms_norm': lambda x, gm, eps: F.rms_norm(x, x.shape[1:], gm, eps),
                      'rsqrt, float32': lambda x, gm, eps: (gm * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)).float(),
                      'a loop over the rows': lambda x, gm, eps: torch.stack([gm * r / torch.sqrt((r * r).mean() + eps) for r in x])},
    'check_batchnorm_steps': {'NumPy': _bn_steps_numpy,
                              'float32': lambda x, gm, d, eps: tuple(t.float() for t in _bn_steps_ref(x, gm, d, eps))},
}

# ---- 10 dropout
def _gauss(noise, in_eval=False):
    "A Gaussian dropout: x times `noise(x, sigma, generator)` in training (or in eval mode, with `in_eval`)"
    def gaussian_dropout(x, p, training, generator):
        if training == in_eval: return x
        return x*noise(x, (p/(1 - p))**0.5, generator)
    return gaussian_dropout
def _gauss_inplace(x, p, training, generator):
    if not training: return x
    x *= 1 + (p/(1 - p))**0.5*torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x
def _vote(combine, K=lambda K: K):
    "A mask vote: `combine(logits of the passes, stacked)` gives one digit per image"
    def mask_vote(model, X, K_):
        model.train()
        logits = torch.stack([model.forward(X) for _ in range(K(K_))])
        model.eval()
        return combine(logits)
    return mask_vote
def _vote_counts(logits): return F.one_hot(logits.argmax(2), logits.shape[2]).sum(0)
def _classic(mask=lambda x, p, g: torch.rand(x.shape, generator=g) >= p, train=lambda x, m, p: x*m,
             test=lambda x, p, g: x*(1 - p)):
    "The paper's dropout: `train(x, mask, p)` in training, `test(x, p, generator)` in eval mode"
    def classic_dropout(x, p, training, generator):
        return train(x, mask(x, p, generator), p) if training else test(x, p, generator)
    return classic_dropout

# ---- 11 optim
def _momentum(step):
    def my_momentum_step(p, g, v, lr, mu): return step(p, g, v, lr, mu)
    return my_momentum_step

def _amsgrad(eps_fixed=None, t_fixed=None, betas_fixed=None, wd_fixed=None, hat_max=False, old_v_max=False,
             return_hat=False, beta1_c2=False, dtype=None):
    "AMSGrad as torch.optim.AdamW(amsgrad=True) takes it, or with one of the mistakes the checker does not name"
    def my_amsgrad_step(p, g, m, v, vmax, t, lr, betas, eps, weight_decay):
        b1, b2 = betas_fixed or betas
        eps, t = eps_fixed or eps, t_fixed or t
        weight_decay = weight_decay if wd_fixed is None else wd_fixed
        if dtype: p, g, m, v, vmax = (a.to(dtype) for a in (p, g, m, v, vmax))
        p = p*(1 - lr*weight_decay)
        if old_v_max: vmax = torch.maximum(vmax, v)         # the max taken before v is updated
        m, v = b1*m + (1 - b1)*g, b2*v + (1 - b2)*g*g
        mhat, c2 = m/(1 - b1**t), (1 - (b1 if beta1_c2 else b2)**t)**0.5
        if hat_max: vmax = torch.maximum(vmax, v/(1 - b2**t)); c2 = 1.   # the max over the corrected v̂
        elif not old_v_max: vmax = torch.maximum(vmax, v)
        p = p - lr*mhat/(vmax.sqrt()/c2 + eps)
        return (p, mhat, v/(1 - b2**t), vmax) if return_hat else (p, m, v, vmax)
    return my_amsgrad_step

def _amsgrad_inplace(p, g, m, v, vmax, t, lr, betas, eps, weight_decay):
    b1, b2 = betas
    p.mul_(1 - lr*weight_decay)
    m.mul_(b1).add_(g, alpha=1 - b1); v.mul_(b2).addcmul_(g, g, value=1 - b2)
    torch.maximum(vmax, v, out=vmax)
    p.addcdiv_(m/(1 - b1**t), (vmax/(1 - b2**t)).sqrt().add_(eps), value=-lr)
    return p, m, v, vmax

# ---- 12 handoff

def _to_torch(linear, relu=nn.ReLU, order=lambda ls: ls):
    def my_to_torch(model): return nn.Sequential(*order([relu() if isinstance(l, ReLU) else linear(l) for l in model.layers]))
    return my_to_torch
def _lin_copy(l):
    m = nn.Linear(l.nin, l.nout)
    with torch.no_grad(): m.weight.copy_(l.W.T); m.bias.copy_(l.b)
    return m
def _lin_nobias(l):
    m = nn.Linear(l.nin, l.nout, bias=False)
    with torch.no_grad(): m.weight.copy_(l.W.T)
    return m
def _lin_shared(l):
    "Shares the weights with our layer instead of copying them"
    m = nn.Linear(l.nin, l.nout)
    m.weight, m.bias = nn.Parameter(l.W.T), nn.Parameter(l.b)
    return m
def _lin_state(l):
    m = nn.Linear(l.nin, l.nout)
    m.load_state_dict({'weight': l.W.T.clone(), 'bias': l.b.clone()})
    return m
def _to_torch_fixed(model):
    "Right for the one model the checker builds: 5 -> 4 -> 3, whatever the model it is given"
    a, b = nn.Linear(5, 4), nn.Linear(4, 3)
    with torch.no_grad():
        for m, l in zip((a, b), (model.layers[0], model.layers[-1])): m.weight.copy_(l.W.T); m.bias.copy_(l.b)
    return nn.Sequential(a, nn.ReLU(), b)
def _to_torch_dict(model):
    return nn.Sequential(OrderedDict((f"l{i}", nn.ReLU() if isinstance(l, ReLU) else _lin_state(l))
                                     for i, l in enumerate(model.layers)))

SOLUTION_QUAD, SOLUTION_RELUS = (2.6, 1.3, 0.6), [-4., -2., 6., 0., -2., -2.]
BY_HAND = dict(L=1.0, d=-2.0, f=4.0, e=-2.0, c=-2.0, a=6.0, b=-4.0)

WRONG = {
    'check_rmse': {
        'divides by len, not numel (right for columns only)': lambda p, a: (((p - a)**2).sum() / len(p)).sqrt(),
        'the root of the median square': lambda p, a: ((p - a)**2).median().sqrt(),
        'largest absolute difference': lambda p, a: (p - a).abs().max(),
        'square root of the MAE': lambda p, a: (p - a).abs().mean().sqrt(),
        'standard deviation of the differences': lambda p, a: (p - a).std(),
        'changes preds in place': lambda p, a: p.sub_(a).pow_(2).mean().sqrt()},
    'check_mk_cubic': {
        'computes on its own grid, not on x': _cubic_grid,
        'right for a column x only': _cubic_columns,
        'a hard-coded to 1': lambda a, b, c, d: lambda x: x**3 + b*x**2 + c*x + d,
        'b and c swapped': lambda a, b, c, d: lambda x: a*x**3 + c*x**2 + b*x + d,
        'x squared in the cubic term': lambda a, b, c, d: lambda x: a*x**2 + b*x**2 + c*x + d,
        'd times x': lambda a, b, c, d: lambda x: a*x**3 + b*x**2 + c*x + d*x},
    'check_quad_by_hand': {
        'sign of a flipped': Args(-2.6, 1.3, 0.6), 'all zero': Args(0., 0., 0.), 'c far off': Args(2.6, 1.3, 6.),
        'a string': Args('2.6', 1.3, 0.6), 'one list for a': Args([2.6], 1.3, 0.6), 'an infinity': Args(2.6, 1.3, math.inf)},
    'check_best_c': {
        'b forgotten': lambda a, b, x, y: (y - a*x**2).median(),
        'a and b swapped': lambda a, b, x, y: (y - b*x**2 - a*x).median(),
        'the midpoint of the extremes': lambda a, b, x, y: (_rest(a, b, x, y).max() + _rest(a, b, x, y).min()) / 2,
        'the median of the absolute residuals': lambda a, b, x, y: _rest(a, b, x, y).abs().median(),
        'changes y in place': lambda a, b, x, y: y.sub_(a*x**2 + b*x).median(),
        'the mean of y': lambda a, b, x, y: y.mean()},
    'check_lr_choice': {
        'negative': Args(-0.3), 'far too small': Args(1e-4), 'far too large': Args(100.), 'a list': Args([0.3]),
        'a string': Args('0.3'), 'a complex number': Args(0.3j)},
    'check_descent_step': {
        'steps by the sign of the gradient': _step(lambda p, lr: p.sub_(lr * p.grad.sign())),
        'normalized step': _step(lambda p, lr: p.sub_(lr * p.grad / p.grad.norm())),
        'steps twice': _step(lambda p, lr: p.sub_(2 * lr * p.grad)),
        'lr hard-coded to 0.1': _step(lambda p, lr: p.sub_(0.1 * p.grad)),
        'zeroes the first gradient only': _step(lambda p, lr: p.sub_(lr * p.grad), zero='first'),
        'returns the loss after the step': _step(lambda p, lr: p.sub_(lr * p.grad), ret='after')},
    'check_hook_relus': {
        'hard-coded three ReLUs': lambda p, x: sum(torch.clip(p[2*i] * (x - p[2*i+1]), 0.) for i in range(3)),
        'leaky ReLU': lambda p, x: F.leaky_relu(p[0::2] * (x - p[1::2]), 0.01).sum(-1, keepdim=True),
        'softplus': lambda p, x: F.softplus(p[0::2] * (x - p[1::2])).sum(-1, keepdim=True),
        'the last ReLU dropped': lambda p, x: torch.clip(p[0:-2:2] * (x - p[1:-2:2]), 0.).sum(-1, keepdim=True),
        'the size of the slope only': lambda p, x: torch.clip(p[0::2].abs() * (x - p[1::2]), 0.).sum(-1, keepdim=True),
        'the hook as b divided by m': lambda p, x: torch.clip(p[0::2] * x + p[1::2] / p[0::2], 0.).sum(-1, keepdim=True),
        'sums everything into one number': lambda p, x: torch.clip(p[0::2] * (x - p[1::2]), 0.).sum()},
    'check_tent': {
        'upside down': Args(TENT[:2] + [-1.] + TENT[3:5] + [2.] + TENT[6:8] + [-1.]),
        'a plain sum, every c = 1': Args([1., 1., 1., 1., 0., 1., 1., -1., 1.]),
        'm and b swapped': Args([1., 1., 1., 0., 1., -2., -1., 1., 1.]), 'two ReLUs': Args(TENT[:6]),
        'twice as steep': Args([2., 2., 1., 2., 0., -2., 2., -2., 1.]), 'eight numbers': Args(TENT[:8]),
        'pairs (m, b), no c': Args([[1., 1.], [1., 0.], [1., -1.]]), 'strings': Args([str(v) for v in TENT])},
    'check_slope_along': {
        'eps hard-coded to 1e-2': _slope(nudge=lambda p, v, eps: 1e-2 * v, div=lambda eps, v: 2e-2),
        'divides by the length of v too': _slope(div=lambda eps, v: 2 * eps * v.norm()),
        'the mean slope per parameter': _slope(div=lambda eps, v: 2 * eps * v.numel()),
        'second difference': lambda f, p, v, eps=1e-4: (f(p + eps*v) - 2*f(p) + f(p - eps*v)) / eps**2,
        'changes v in place': _slope_scales_v,
        'nudges along the sign of v': _slope(nudge=lambda p, v, eps: eps * v.sign())},
    'check_mae_grad': {
        'tanh for the sign': _grad_of(lambda p, x, y: torch.tanh(_pred_err(p, x, y))),
        'the absolute error for the sign': _grad_of(lambda p, x, y: _pred_err(p, x, y).abs()),
        'sign of the error without b and c': _grad_of(lambda p, x, y: torch.sign(p[0]*x**2 - y)),
        'one mean over everything': lambda p, x, y: torch.stack([torch.sign(_pred_err(p, x, y)) * t for t in (x**2, x, torch.ones_like(x))]).mean(),
        'squares x in place': _mae_grad_squares_x,
        'sign of the mean error': _grad_of(lambda p, x, y: torch.sign(_pred_err(p, x, y).mean()))},
    'check_three_relus': {
        'signs flipped': Args([-v for v in SOLUTION_RELUS]), 'five numbers': Args(SOLUTION_RELUS[:5]),
        'seven numbers': Args(SOLUTION_RELUS + [0.]), 'm and b swapped': Args([-2., -4., 0., 6., -2., -2.]),
        'three pairs': Args([[-4., -2.], [6., 0.], [-2., -2.]]), 'strings': Args([str(v) for v in SOLUTION_RELUS])},
    'check_best_n': {
        'the largest N': lambda fits, x, y: max(fits), 'the first N': lambda fits, x, y: next(iter(fits)),
        'its position, not the key': lambda fits, x, y: min(range(len(fits)), key=lambda i: float(mae(mk_relus(*list(fits.values())[i][0])(x), y))),
        'mean squared error': _best_by(lambda p, y: float(((p - y)**2).mean())),
        'judged on the first 10 points': _best_by(lambda p, y: float(mae(p[:10], y[:10]))),
        'appends to the lists it is given': _best_appends},
    'check_by_hand': {
        'da and db swapped': {**BY_HAND, 'a': -4.0, 'b': 6.0}, 'every sign flipped': {k: -v for k, v in BY_HAND.items()},
        'dd forgot f': {**BY_HAND, 'd': 1.0}, 'dc is 1': {**BY_HAND, 'c': 1.0}, 'db missing': {k: v for k, v in BY_HAND.items() if k != 'b'},
        'strings': {k: str(v) for k, v in BY_HAND.items()}},
    'check_div': {
        'forgets g': _div(lambda a, b, g: 1 / b, lambda a, b, g: -a / b**2),
        '= instead of +=': _div(lambda a, b, g: g / b, lambda a, b, g: -a / b**2 * g, assign=True),
        'b gradient without the square': _div(lambda a, b, g: g / b, lambda a, b, g: -a / b * g),
        'only a is a child': _div(lambda a, b, g: g / b, lambda a, b, g: -a / b**2 * g, kids=lambda a, b: (a,)),
        'a float, not a Value': lambda a, b: a.data / b.data,
        'gradients swapped': _div(lambda a, b, g: -a / b**2 * g, lambda a, b, g: g / b)},
    'check_used_twice': {
        'du forgets the share from v, and x and y follow it': _twice(u=lambda x, y, g: x*y + x, x=lambda x, y, g: x*y + (x*y + x) * y, y=lambda x, y, g: (x*y + x) * x),
        'dx counts the share from u twice': _twice(x=lambda x, y, g: g['v'] + 2 * g['u'] * y),
        'dv is v': _twice(v=lambda x, y, g: x*y + x),
        'dy uses y, not x': _twice(y=lambda x, y, g: g['u'] * y),
        'a tuple, not a dict': lambda x, y: tuple(_twice()(x, y).values()),
        'the engine without backward: all zeros but L': lambda x, y: dict(L=1.0, v=0.0, u=0.0, x=0.0, y=0.0),
        'gradients as strings': lambda x, y: {k: str(v) for k, v in _twice()(x, y).items()}},
    'check_softplus': {
        'eˣ/(1 + eˣ)²': _softplus(lambda s, x: math.exp(x) / (1 + math.exp(x))**2),
        "tanh's slope of the output": _softplus(lambda s, x: 1 - s * s),
        'eˣ - 1': _softplus(lambda s, x: math.exp(x) - 1),
        'σ of the output': _softplus(lambda s, x: 1 / (1 + math.exp(-s))),
        'forward without the 1': _softplus(lambda s, x: 1 / (1 + math.exp(-x)), forward=lambda x: math.log(math.exp(x))),
        'a float, not a Value': lambda x: math.log(1 + math.exp(x.data))},
    'check_four_points': {
        'too few steps': Args(5, 0.01), 'a negative lr': Args(100, -0.08), 'zero steps': Args(0, 0.1),
        'too many steps': Args(1000, 0.05), 'ReLUs die': Args(100, 0.5), 'steps as a string': Args('100', 0.08)},
    'check_sigmoid_grads': {
        'σ(s)² for the slope': _sig(lambda s, o, t: 2 * (o - t) * (1 / (1 + math.exp(-s))) * (1 - 1 / (1 + math.exp(s)))),
        'the target forgotten: 2o': _sig(lambda s, o, t: 2 * o * o * (1 - o)),
        'o² for o in the slope': _sig(lambda s, o, t: 2 * (o - t) * o * o),
        'db also times the sum of x': lambda w, b, x, t: (lambda dw, db: (dw, db * sum(x)))(*_sig()(w, b, x, t)),
        'dw and db swapped in the pair': lambda w, b, x, t: (lambda dw, db: (db, dw))(*_sig()(w, b, x, t)),
        'the gradient of the first weight only': lambda w, b, x, t: (lambda dw, db: ([dw[0]] + [0.0] * (len(dw) - 1), db))(*_sig()(w, b, x, t)),
        'the loss, not its gradients': lambda w, b, x, t: ([(1 / (1 + math.exp(-(sum(a * c for a, c in zip(w, x)) + b))) - t)**2] * len(w), 0.0)},
    'check_neuron': {
        'the first two inputs only': lambda w, b, x: sum((wi * xi for wi, xi in zip(w[:2], x[:2])), b).tanh(),
        'tanh of each term': lambda w, b, x: sum((wi * xi).tanh() for wi, xi in zip(w, x)) + b,
        'sigmoid': lambda w, b, x: sum((wi * xi for wi, xi in zip(w, x)), b).sigmoid(),
        'b.data, not b': lambda w, b, x: (sum(wi * xi for wi, xi in zip(w, x)) + b.data).tanh(),
        'b times the first input': lambda w, b, x: sum((wi * xi for wi, xi in zip(w, x)), b * x[0]).tanh(),
        'a float': lambda w, b, x: math.tanh(sum(wi.data * xi for wi, xi in zip(w, x)) + b.data)},
    'check_decay_step': {
        'lr hard-coded to 0.1': _decay(lambda p, lr, a: p.data - 0.1 * (p.grad + 2 * a * p.data)),
        'alpha hard-coded to 0.01': _decay(lambda p, lr, a: p.data - lr * (p.grad + 2 * 0.01 * p.data)),
        'decay by alpha·p²': _decay(lambda p, lr, a: p.data - lr * (p.grad + a * p.data**2)),
        'the decay from the moved parameter': _decay(lambda p, lr, a: (p.data - lr * p.grad) * (1 - 2 * lr * a)),
        'the sign of the gradient': _decay(lambda p, lr, a: p.data - lr * ((p.grad > 0) - (p.grad < 0) + 2 * a * p.data)),
        'backward before zero_grad': lambda m, loss, lr, a: (loss.backward(), m.zero_grad(), [setattr(p, 'data', p.data - lr * (p.grad + 2 * a * p.data)) for p in m.parameters()]),
        'the first layer only': lambda m, loss, lr, a: (m.zero_grad(), loss.backward(), [setattr(p, 'data', p.data - lr * (p.grad + 2 * a * p.data)) for p in m.layers[0].parameters()])},
    'check_nesterov': {
        'lr hard-coded to 0.1': _momentum(lambda p, g, v, lr, mu: (p - 0.1*(g + mu*(mu*v + g)), mu*v + g)),
        'mu hard-coded to 0.9': _momentum(lambda p, g, v, lr, mu: (p - lr*(g + 0.9*(0.9*v + g)), 0.9*v + g)),
        'returns (v, p)': _momentum(lambda p, g, v, lr, mu: (mu*v + g, p - lr*(g + mu*(mu*v + g)))),
        'mu squared in the look-ahead': _momentum(lambda p, g, v, lr, mu: (p - lr*(g + mu*mu*(mu*v + g)), mu*v + g)),
        'v = mu*(v + g)': _momentum(lambda p, g, v, lr, mu: (p - lr*(g + mu*mu*(v + g)), mu*(v + g))),
        'steps along mu*v only': _momentum(lambda p, g, v, lr, mu: (p - lr*mu*(mu*v + g), mu*v + g))},
    'check_linear_backward': {
        'db from the first row only': lambda x, W, d: (d @ W.T, x.T @ d, d[0]),
        'db summed over the features': lambda x, W, d: (d @ W.T, x.T @ d, d.sum(1)),
        'dW from summed rows': lambda x, W, d: (d @ W.T, torch.outer(x.sum(0), d.sum(0)), d.sum(0)),
        'dx divided by N': lambda x, W, d: (d @ W.T / len(x), x.T @ d, d.sum(0)),
        'dW and db swapped': lambda x, W, d: (d @ W.T, d.sum(0), x.T @ d),
        'two gradients': lambda x, W, d: [d @ W.T, x.T @ d]},
    'check_gaussian_dropout': {
        'uniform noise, not Gaussian': _gauss(lambda x, s, g: 1 + s*torch.rand(x.shape, generator=g, dtype=x.dtype)),
        'sigma hard-coded for p = 0.5': _gauss(lambda x, s, g: 1 + torch.randn(x.shape, generator=g, dtype=x.dtype)),
        "sigma sqrt((1-p)/p), the paper's formula with p read as ours": lambda x, p, tr, g: _gauss(
            lambda x, s, g: 1 + ((1 - p)/p)**0.5*torch.randn(x.shape, generator=g, dtype=x.dtype))(x, p, tr, g),
        'noise in eval mode only': _gauss(lambda x, s, g: 1 + s*torch.randn(x.shape, generator=g, dtype=x.dtype), in_eval=True),
        'log-normal noise': _gauss(lambda x, s, g: torch.exp(s*torch.randn(x.shape, generator=g, dtype=x.dtype))),
        'one draw for the whole tensor': _gauss(lambda x, s, g: 1 + s*torch.randn(1, generator=g, dtype=x.dtype)),
        'changes x in place': _gauss_inplace},
    'check_mask_vote': {
        'the digit with fewest votes': _vote(lambda lg: _vote_counts(lg).argmin(1)),
        'the geometric mean of the probabilities': _vote(lambda lg: lg.log_softmax(2).mean(0).argmax(1)),
        'the logits summed over the passes': _vote(lambda lg: lg.sum(0).argmax(1)),
        'K + 1 passes': _vote(lambda lg: _vote_counts(lg).argmax(1), K=lambda K: K + 1),
        "the winner's share of the votes": _vote(lambda lg: _vote_counts(lg).max(1).values / len(lg)),
        'votes counted over the images': _vote(lambda lg: _vote_counts(lg.transpose(0, 1)).argmax(1))},
    'check_classic_dropout': {
        'scales the kept units by 1 - p in training too': _classic(train=lambda x, m, p: x*m*(1 - p)),
        '(1 - p) squared at test time': _classic(test=lambda x, p, g: x*(1 - p)**2),
        'a mask from randn': _classic(mask=lambda x, p, g: torch.randn(x.shape, generator=g) >= p),
        'drops at test time too': _classic(test=lambda x, p, g: x*(torch.rand(x.shape, generator=g) >= p)*(1 - p)),
        'the mask, not x times the mask': _classic(train=lambda x, m, p: m.to(x.dtype)),
        'keeps where rand > 1 - p': _classic(mask=lambda x, p, g: torch.rand(x.shape, generator=g) > 1 - p),
        'the training flag read the wrong way round': lambda x, p, tr, g: _classic()(x, p, not tr, g)},
    'check_batches': {
        'endless': _batches_endless, 'bs hard-coded to 3': _batches_fixed3,
        'overlapping windows': _batches_windows, '(y, X) swapped': _batches_swapped, 'the last batch padded': _batches_pad,
        'its own seed 42': _batches_reseeded,
        'dicts, not pairs': lambda X, y, bs, g: ({'x': X[j], 'y': y[j]} for j in _perm(X, g)[:len(X) // bs * bs].reshape(-1, bs))},
    'check_stratified_split': {
        'rounded up': lambda y, p, s: _strat(y, p, s, take=lambda n, p: math.ceil(p * n + 0.5)),
        "torch's global random numbers": lambda y, p, s: _strat(y, p, s, gen=False),
        'the splits swapped': lambda y, p, s: _strat(y, p, s)[::-1],
        'only the largest class stratified': lambda y, p, s: _strat((y == torch.mode(y).values).long(), p, s),
        'valid_pct hard-coded to 0.2': lambda y, p, s: _strat(y, 0.2, s),
        'one generator per class, seeded alike': lambda y, p, s: (lambda parts: (torch.cat([q[0] for q in parts]), torch.cat([q[1] for q in parts])))(
            [(lambda r, k: (r[k:], r[:k]))(torch.nonzero(y == c).flatten()[torch.randperm(int((y == c).sum()), generator=torch.Generator().manual_seed(0))], round(p * int((y == c).sum()))) for c in torch.unique(y)])},
    'check_stream_stats': {
        'the first batch only': _stream_first,
        'population std': lambda bs: _stream(bs, div=lambda n, d: n * d),
        'divides by N - 1': lambda bs: _stream(bs, div=lambda n, d: n - 1),
        'mean of the batch means': lambda bs: _stream(bs, mean_of=True),
        'the variance, not the std': lambda bs: (lambda m, s: (m, s**2))(*_stream(bs)),
        'keeps every batch': lambda bs: (lambda X: (X.mean(0), (X - X.mean(0)).std()))(torch.cat(list(bs)))},
    'check_weighted_bce': {
        'probabilities clamped': lambda z, t, w: -(w * t * torch.sigmoid(z).clamp(1e-7, 1 - 1e-7).log() + (1 - t) * (1 - torch.sigmoid(z)).clamp(1e-7, 1 - 1e-7).log()).mean(),
        'pos_weight hard-coded to 9': lambda z, t, w: (9 * t * softplus(-z) + (1 - t) * softplus(z)).mean(),
        'weight added, not multiplied': lambda z, t, w: ((w + t) * softplus(-z) * t + (1 - t) * softplus(z)).mean(),
        'the unweighted loss, then times the share of 9s': lambda z, t, w: (softplus(z) - t * z).mean() * (1 + (w - 1) * t.mean()),
        'softplus without its max': lambda z, t, w: (w * t * torch.log1p(torch.exp(z.abs())) + (1 - t) * torch.log1p(torch.exp(-z.abs()))).mean(),
        'the probability weighed, not its log': lambda z, t, w: (t * (softplus(-z) - math.log(w)) + (1 - t) * softplus(z)).mean()},
    'check_weighted_bce_backward': {
        'pos_weight hard-coded to 3': lambda z, t, w: (3 * t * (sigmoid(z) - 1) + (1 - t) * sigmoid(z)) / len(z),
        'divides by the total weight': lambda z, t, w: (w * t * (sigmoid(z) - 1) + (1 - t) * sigmoid(z)) / (w * t + 1 - t).sum(),
        'uses z for p': lambda z, t, w: (w * t * (z - 1) + (1 - t) * z) / len(z),
        'w·t·p - t': lambda z, t, w: (w * t * sigmoid(z) + (1 - t) * sigmoid(z) - t) / len(z),
        "the sigmoid's derivative once more": lambda z, t, w: (w * t * (sigmoid(z) - 1) + (1 - t) * sigmoid(z)) * sigmoid(z) * (1 - sigmoid(z)) / len(z),
        'tanh for the sigmoid': lambda z, t, w: (w * t * (torch.tanh(z) - 1) + (1 - t) * torch.tanh(z)) / len(z)},
    'check_mse_backward': {
        'divides by N²': lambda z, t: 2 * (sigmoid(z) - t) * sigmoid(z) * (1 - sigmoid(z)) / len(z)**2,
        "the sigmoid's derivative as 1 - p²": lambda z, t: 2 * (sigmoid(z) - t) * (1 - sigmoid(z)**2) / len(z),
        "the sigmoid's derivative as p": lambda z, t: 2 * (sigmoid(z) - t) * sigmoid(z) / len(z),
        'squared, not doubled': lambda z, t: (sigmoid(z) - t)**2 * sigmoid(z) * (1 - sigmoid(z)) / len(z),
        'the mean of the gradient': lambda z, t: (2 * (sigmoid(z) - t) * sigmoid(z) * (1 - sigmoid(z))).mean().expand(len(z)),
        'tanh for the sigmoid': lambda z, t: 2 * (torch.tanh(z) - t) * (1 - torch.tanh(z)**2) / len(z)},
    'check_amsgrad': {
        'eps hard-coded to 1e-8': _amsgrad(eps_fixed=1e-8),
        'betas hard-coded to the defaults': _amsgrad(betas_fixed=(0.9, 0.999)),
        'bias correction at t = 1 always': _amsgrad(t_fixed=1),
        'weight decay hard-coded to 0.01': _amsgrad(wd_fixed=0.01),
        'the max over v/(1 - β2**t), with the max renamed': _amsgrad(hat_max=True),
        'vmax corrected with β1**t': _amsgrad(beta1_c2=True),
        'the max taken with the old v, before updating it': _amsgrad(old_v_max=True),
        'returns the corrected moments as state': _amsgrad(return_hat=True),
        'eps 1e-3': _amsgrad(eps_fixed=1e-3)},
}

RIGHT = {
    'check_rmse': {'a loop': _rmse_loop, 'F.mse_loss': lambda p, a: F.mse_loss(p, a).sqrt(),
                   'NumPy': lambda p, a: np.sqrt(np.mean((p.numpy() - a.numpy())**2)),
                   'float32': lambda p, a: ((p.float() - a.float())**2).mean().sqrt()},
    'check_mk_cubic': {'a matrix product': _cubic_matrix,
                       'float32': lambda a, b, c, d: lambda x: a*x.float()**3 + b*x.float()**2 + c*x.float() + d},
    'check_quad_by_hand': {'NumPy floats': Args(*map(np.float32, SOLUTION_QUAD)), 'tensors': Args(*map(torch.tensor, SOLUTION_QUAD))},
    'check_best_c': {'NumPy median': lambda a, b, x, y: np.median(_rest(a, b, x, y).numpy()),
                     'the upper middle one': _upper_middle, 'float32': lambda a, b, x, y: _rest(a, b, x, y).float().median()},
    'check_lr_choice': {'a NumPy float': Args(np.float64(0.2)), 'a tensor': Args(torch.tensor(0.3))},
    'check_descent_step': {'.data and grad = None': _step(lambda p, lr: p.data.sub_(lr * p.grad), zero='none'),
                           'add_ with alpha': _step(lambda p, lr: p.add_(p.grad, alpha=-lr))},
    'check_hook_relus': {'a loop': _hooks_loop,
                         'pairs as rows, F.relu': lambda p, x: F.relu(p.reshape(-1, 2)[:, 0] * (x - p.reshape(-1, 2)[:, 1])).sum(1, keepdim=True),
                         'sum_relus with b = -m·h': lambda p, x: sum_relus(torch.stack([p[0::2], -p[0::2] * p[1::2]], 1).flatten(), x),
                         '(u + |u|) / 2, float32': lambda p, x: ((u := p.float()[0::2] * (x.float() - p.float()[1::2])) + u.abs()).sum(-1, keepdim=True) / 2},
    'check_tent': {'a NumPy array': Args(np.array(TENT).reshape(3, 3)), 'a tuple of triples': Args(((1, 1, 1), (1, 0, -2), (1, -1, 1))),
                   'a float32 tensor': Args(torch.tensor(TENT)), 'other slopes': Args([2., 2., .5, 3., 0., -2 / 3, 1., -1., 1.]),
                   'negative slopes and a constant': Args([1., 1., 1., 1., 0., -2., -1., 1., 1., -1., 5., -1., 0., 1., 4.])},
    'check_slope_along': {'torch.add with alpha': lambda f, p, v, eps=1e-4: (f(torch.add(p, v, alpha=eps)) - f(torch.add(p, v, alpha=-eps))) / (2*eps),
                          'Python floats': lambda f, p, v, eps=1e-4: (float(f(p + eps*v)) - float(f(p - eps*v))) / (2*eps)},
    'check_mae_grad': {'a loop': _mae_grad_loop, 'torch.where': _grad_of(lambda p, x, y: torch.where(_pred_err(p, x, y) > 0, 1., -1.)),
                       'a tuple of three': lambda p, x, y: tuple(_grad_of(lambda p, x, y: torch.sign(_pred_err(p, x, y)))(p, x, y)),
                       'NumPy': _mae_grad_numpy},
    'check_three_relus': {'a NumPy array': Args(np.array(SOLUTION_RELUS)), 'a tuple': Args(tuple(SOLUTION_RELUS)),
                          'a tensor': Args(torch.tensor(SOLUTION_RELUS))},
    'check_best_n': {'argmin over a stack': _best_argmin,
                     'a loop': lambda fits, x, y: sorted((float(mae(mk_relus(*p)(x), y)), n) for n, (p, _) in fits.items())[0][1]},
    'check_by_hand': {'tensors': {k: torch.tensor(v) for k, v in BY_HAND.items()}, 'NumPy floats': {k: np.float64(v) for k, v in BY_HAND.items()}},
    'check_div': {'db from the quotient': _div(lambda a, b, g: g / b, lambda a, b, g: -(a / b) / b * g),
                  'the quotient rule, float32': _div(lambda a, b, g: float(torch.tensor(g, dtype=torch.float32) / b),
                                                     lambda a, b, g: float(torch.tensor(-a * g, dtype=torch.float32) / b**2))},
    'check_used_twice': {'the engine\'s backward': _twice_engine,
                         'float32 tensors': lambda x, y: {k: torch.tensor(v, dtype=torch.float32) for k, v in _twice()(x, y).items()},
                         'expanded: d(x²y² + x²y)': lambda x, y: dict(L=1.0, v=x*y, u=2*x*y + x, x=2*x*y*y + 2*x*y, y=2*x*x*y + x*x)},
    'check_softplus': {'1 - e⁻ˢ from the output': _softplus(lambda s, x: 1 - math.exp(-s)),
                       'σ by tanh, forward by log1p': _softplus(lambda s, x: (1 + math.tanh(x / 2)) / 2, forward=lambda x: math.log1p(math.exp(x)))},
    'check_four_points': {'NumPy numbers': Args(np.int64(100), np.float64(0.08)), 'a 0-d tensor lr': Args(100, torch.tensor(0.08))},
    'check_sigmoid_grads': {'the engine\'s backward': _sig_engine,
                            'float32 tensors': lambda w, b, x, t: tuple(torch.tensor(g, dtype=torch.float32) for g in _sig()(w, b, x, t)),
                            'σ(s)σ(-s) for the slope': _sig(lambda s, o, t: 2 * (o - t) / (1 + math.exp(-s)) / (1 + math.exp(s)))},
    'check_neuron': {'a loop': _neuron_loop,
                     'tanh from exp': lambda w, b, x: _tanh_exp(sum((wi * xi for wi, xi in zip(w, x)), b))},
    'check_decay_step': {'(1 - 2·lr·alpha)·p - lr·grad': _decay(lambda p, lr, a: (1 - 2 * lr * a) * p.data - lr * p.grad),
                         'grads zeroed by hand': _decay_manual_zero, 'the penalty in the loss': _decay_by_penalty},
    'check_batches': {'a list': lambda X, y, bs, g: [(X[j], y[j]) for j in _perm(X, g)[:len(X) // bs * bs].reshape(-1, bs)],
                      'split': _batches_split, 'the shuffled order reversed': _batches_reversed},
    'check_nesterov': {'torch.add': _momentum(lambda p, g, v, lr, mu: (torch.add(p, torch.add(g, torch.add(g, v, alpha=mu), alpha=mu), alpha=-lr), torch.add(g, v, alpha=mu))),
                       'float32': _momentum(lambda p, g, v, lr, mu: (p.float() - lr*(g.float() + mu*(mu*v.float() + g.float())), mu*v.float() + g.float()))},
    'check_linear_backward': {'einsum': lambda x, W, d: (torch.einsum('nj,ij->ni', d, W), torch.einsum('ni,nj->ij', x, d), torch.einsum('nj->j', d)),
                              'NumPy': lambda x, W, d: (d.numpy() @ W.numpy().T, x.numpy().T @ d.numpy(), d.numpy().sum(0))},
    'check_gaussian_dropout': {
        'torch.normal with tensors': _gauss(lambda x, s, g: torch.normal(torch.ones_like(x), torch.full_like(x, s), generator=g)),
        'normal_ on a new tensor': _gauss(lambda x, s, g: torch.empty_like(x).normal_(1., s, generator=g))},
    'check_mask_vote': {
        'bincount, image by image': _vote(lambda lg: torch.stack([torch.bincount(v, minlength=lg.shape[2]).argmax()
                                                                 for v in lg.argmax(2).T])),
        'scatter_add of the votes': _vote(lambda lg: torch.zeros(lg.shape[1], lg.shape[2]).scatter_add_(
            1, lg.argmax(2).T, torch.ones(lg.shape[1], lg.shape[0])).argmax(1))},
    'check_classic_dropout': {
        'masked_fill': _classic(train=lambda x, m, p: x.masked_fill(~m, 0.)),
        'NumPy': lambda x, p, tr, g: _classic()(x, p, tr, g).numpy()},
    'check_stratified_split': {'a loop, Python lists': _strat_loop,
                               'NumPy': lambda y, p, s: tuple(t.numpy() for t in _strat(y, p, s)),
                               'truncated with int()': lambda y, p, s: _strat(y, p, s, take=lambda n, p: int(p * n))},
    'check_stream_stats': {'row by row, a Python float std': _stream_loop, 'NumPy': _stream_np},
    'check_weighted_bce': {'F.binary_cross_entropy_with_logits': lambda z, t, w: F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(w, dtype=z.dtype)),
                           'logaddexp, NumPy': lambda z, t, w: np.mean(w * t.numpy() * np.logaddexp(0, -z.numpy()) + (1 - t.numpy()) * np.logaddexp(0, z.numpy())),
                           'w ** t': lambda z, t, w: (w ** t * (softplus(z) - t * z)).mean(),
                           'float32': lambda z, t, w: (w * t.float() * softplus(-z.float()) + (1 - t.float()) * softplus(z.float())).mean()},
    'check_weighted_bce_backward': {'autograd': lambda z, t, w: _wbce_autograd(z, t, w),
                                    'expanded, float32': lambda z, t, w: (torch.sigmoid(z.float()) * (1 - t.float() + w * t.float()) - w * t.float()) / len(z),
                                    'NumPy, sigmoid from tanh': lambda z, t, w: (lambda p: (w * t.numpy() * (p - 1) + (1 - t.numpy()) * p) / len(p))(0.5 * (1 + np.tanh(z.numpy() / 2)))},
    'check_mse_backward': {'autograd': lambda z, t: _mse_autograd(z, t),
                           'sigmoid(-z) for 1 - p, float32': lambda z, t: 2 * (torch.sigmoid(z.float()) - t.float()) * torch.sigmoid(z.float()) * torch.sigmoid(-z.float()) / len(z),
                           'NumPy': lambda z, t: 2 * (1 / (1 + np.exp(-z.numpy())) - t.numpy()) / (1 + np.exp(-z.numpy())) * (1 - 1 / (1 + np.exp(-z.numpy()))) / len(z)},
    'check_amsgrad': {'in place': _amsgrad_inplace, 'float32': _amsgrad(dtype=torch.float32),
                      'NumPy': lambda *a: tuple(x.numpy() for x in _amsgrad()(*a))},
}

def _wbce_autograd(z, t, w):
    z = z.clone().requires_grad_()
    return torch.autograd.grad(F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(w, dtype=z.dtype)), z)[0]

def _mse_autograd(z, t):
    z = z.clone().requires_grad_()
    return torch.autograd.grad(((torch.sigmoid(z) - t)**2).mean(), z)[0]



WRONG.update(WRONG_E)
RIGHT.update(RIGHT_E)

# ---- 11 optim: RMSProp with momentum (exercise 3)
def _rmsprop(v_of=lambda v, g, a: a*v + (1 - a)*g*g, buf=lambda b, d, mu: mu*b + d, step=lambda b, d, mu: b,
         lr_fixed=None, alpha_fixed=None, order=lambda p, v, b: (p, v, b), dtype=None):
    "An RMSProp-with-momentum step with one piece swapped for a variant"
    def my_rmsprop_step(p, g, v, b, lr, alpha, eps, momentum):
        if dtype is not None: p, g, v, b = (x.to(dtype) for x in (p, g, v, b))
        lr, alpha = lr_fixed or lr, alpha_fixed or alpha
        v = v_of(v, g, alpha)
        d = g/(v.sqrt() + eps)
        b = buf(b, d, momentum)
        return order(p - lr*step(b, d, momentum), v, b)
    return my_rmsprop_step

def _rms_numpy(p, g, v, b, lr, alpha, eps, momentum):
    p, g, v, b = (x.numpy() for x in (p, g, v, b))
    v = alpha*v + (1 - alpha)*g**2
    b = momentum*b + g/(np.sqrt(v) + eps)
    return p - lr*b, v, b

WRONG['check_rmsprop'] = {
    'alpha hard-coded to 0.99': _rmsprop(alpha_fixed=0.99),
    'lr hard-coded to 0.01': _rmsprop(lr_fixed=0.01),
    'v averages |g|, not g²': _rmsprop(v_of=lambda v, g, a: (a*v + (1 - a)*g.abs())**2),
    'a dampened buffer': _rmsprop(buf=lambda b, d, mu: mu*b + (1 - mu)*d),
    'Nesterov-style step': _rmsprop(step=lambda b, d, mu: d + mu*b),
    'returns (p, b, v)': _rmsprop(order=lambda p, v, b: (p, b, v)),
    'v from the mean of g² over the tensor': _rmsprop(v_of=lambda v, g, a: a*v + (1 - a)*(g*g).mean())}
RIGHT['check_rmsprop'] = {
    'addcmul and addcdiv': lambda p, g, v, b, lr, alpha, eps, momentum: (
        lambda v2: (lambda b2: (torch.add(p, b2, alpha=-lr), v2, b2))(torch.addcdiv(momentum*b, g, v2.sqrt() + eps)))(
        torch.addcmul(alpha*v, g, g, value=1 - alpha)),
    'float32': _rmsprop(dtype=torch.float32),
    'NumPy': _rms_numpy}

# ---- 12 handoff: a training loop with gradient accumulation (exercise 3)
def _loop(step_when=lambda i, accum: i % accum == 0, scale=lambda loss, xb, accum: loss/accum, before_step=None,
          epochs_of=lambda e: e, loader=lambda dl: dl, zero=lambda model, opt: opt.zero_grad(), lr_times=None):
    "A training loop with gradient accumulation, with one piece swapped for a variant"
    def my_train(model, dl, opt, epochs, accum):
        if lr_times:
            for gr in opt.param_groups: gr['lr'] *= lr_times(accum)
        for epoch in range(epochs_of(epochs)):
            for i, (xb, yb) in enumerate(loader(dl), 1):
                scale(F.cross_entropy(model(xb), yb), xb, accum).backward()
                if step_when(i, accum):
                    if before_step: before_step(model)
                    opt.step(); zero(model, opt)
    return my_train

def _own_loader(dl):
    return torch.utils.data.DataLoader(dl.dataset, batch_size=dl.batch_size, shuffle=True,
                                       generator=torch.Generator().manual_seed(123))

def _train_one_backward(model, dl, opt, epochs, accum):
    "The group's losses summed, then one backward per step"
    for _ in range(epochs):
        group = []
        for xb, yb in dl:
            group.append(F.cross_entropy(model(xb), yb))
            if len(group) == accum:
                opt.zero_grad(set_to_none=False); (torch.stack(group).mean()).backward(); opt.step(); group = []

def _train_counter(model, dl, opt, epochs, accum):
    "A global counter, model.zero_grad() before each group's first backward, nn.CrossEntropyLoss"
    n, crit = 0, nn.CrossEntropyLoss()
    for _ in range(epochs):
        for xb, yb in dl:
            if n % accum == 0: model.zero_grad()
            (crit(model(xb), yb)/accum).backward(); n += 1
            if n % accum == 0: opt.step()

WRONG['check_train'] = {
    'steps after the first batch of each group': _loop(step_when=lambda i, accum: (i - 1) % accum == 0),
    'divides by the batch size': _loop(scale=lambda loss, xb, accum: loss/len(xb)),
    'learning rate times accum': _loop(lr_times=lambda accum: accum),
    'clips the gradients': _loop(before_step=lambda model: torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)),
    'its own shuffle': _loop(loader=_own_loader),
    'one epoch too many': _loop(epochs_of=lambda e: e + 1),
    'zero_grad on a new optimizer': _loop(zero=lambda model, opt: None)}
RIGHT['check_train'] = {'one backward per group': _train_one_backward, 'a global counter': _train_counter}

# ---- 12 handoff: back from PyTorch (exercise 1)
from nnscratch.handoff import Sequential, Linear as _OurLinear

def _from(W=lambda m: m.weight.detach().T.clone(), b=lambda m, k: m.bias.detach().clone() if m.bias is not None else None,
          order=lambda ls: ls, relu_after_last=False):
    "my_from_torch with one piece swapped for a variant"
    def my_from_torch(net):
        layers, k = [], 0
        for m in net:
            if isinstance(m, nn.ReLU): layers.append(ReLU()); continue
            l = _OurLinear(m.in_features, m.out_features)
            if W is not None: l.W = W(m)
            bb = b(m, k); k += 1
            if bb is not None: l.b = bb
            layers.append(l)
        if relu_after_last: layers.append(ReLU())
        return Sequential(*order(layers))
    return my_from_torch

WRONG['check_from_torch'] = {
    'layers reversed': _from(order=lambda ls: ls[::-1]),
    'keeps our random W': _from(W=None),
    'b of ones for bias=False': _from(b=lambda m, k: m.bias.detach().clone() if m.bias is not None else torch.ones(m.out_features)),
    'a ReLU after the last layer too': _from(relu_after_last=True),
    'the first bias for every layer': lambda net: _from(b=lambda m, k: torch.zeros(m.out_features) + float(net[0].bias[0]))(net),
    'the network itself': lambda net: net}
RIGHT['check_from_torch'] = {
    'a contiguous transpose': _from(W=lambda m: m.weight.T.contiguous().detach()),
    'through float64': _from(W=lambda m: m.weight.detach().double().T.float(), b=lambda m, k: None if m.bias is None else m.bias.detach().double().float()),
    'from Python lists': _from(W=lambda m: torch.tensor(m.weight.T.tolist()), b=lambda m, k: None if m.bias is None else torch.tensor(m.bias.tolist()))}
