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
from nnscratch.relu import mk_relus
from nnscratch.engine import _node, Value
from nnscratch.logistic import sigmoid, softplus
from nnscratch.handoff import Linear, ReLU

class Args(tuple):
    "The values a value-checker is called with"
    def __new__(cls, *a): return super().__new__(cls, a)

F64 = torch.float64

# ---- 01 fitting
def _mae_loop(p, a): return sum(abs(float(u) - float(v)) for u, v in zip(p.flatten(), a.flatten())) / p.numel()
def _quad_global(a, b, c):
    xs = torch.linspace(-2, 2, 9, dtype=F64)[:, None]  # the checker's own grid, not the x it is given
    return lambda x: quad(a, b, c, xs)
def _quad_nested(a, b, c):
    def f(x): return torch.stack([x**2, x, torch.ones_like(x)], -1) @ torch.tensor([a, b, c], dtype=x.dtype)
    return f

# ---- 02 descent
def _step(update, zero='zero', ret='before'):
    "A descent step: the loss, backward, `update(params, lr)` in place, then the gradient reset `zero`"
    def my_step(params, loss_fn, lr):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad(): update(params, lr)
        if zero == 'zero': params.grad.zero_()
        elif zero == 'none': params.grad = None
        return loss if ret == 'before' else loss_fn(params)
    return my_step

def _fd(eps_fixed=None, dtype=None):
    "Central differences, with the step fixed to `eps_fixed` whatever `eps` is passed, or computed in `dtype`"
    def my_fd_grad(loss_fn, params, eps=1e-4):
        eps = eps_fixed or eps
        p = params if dtype is None else params.to(dtype)
        grad = torch.zeros_like(params)
        for i in range(p.numel()):
            up, down = p.clone(), p.clone()
            up.view(-1)[i] += eps; down.view(-1)[i] -= eps
            grad.view(-1)[i] = (loss_fn(up) - loss_fn(down)) / (2 * eps)
        return grad
    return my_fd_grad

def _fd_aliased(loss_fn, params, eps=1e-4):
    "Nudges `params` itself up and down: the two nudges cancel, and the input is left changed"
    grad = torch.zeros_like(params)
    for i in range(params.numel()):
        params.view(-1)[i] += eps; up = loss_fn(params)
        params.view(-1)[i] -= 2 * eps; down = loss_fn(params)
        grad.view(-1)[i] = (up - down) / (2 * eps)
    return grad

def _fd_eye(loss_fn, params, eps=1e-4):
    return torch.stack([(loss_fn(params + eps * e) - loss_fn(params - eps * e)) / (2 * eps)
                        for e in torch.eye(params.numel(), dtype=params.dtype)])

def _fd_autograd(loss_fn, params, eps=1e-4):
    p = params.clone().requires_grad_()
    return torch.autograd.grad(loss_fn(p), p)[0]

# ---- 03 relu
def _relus_loop(p, x): return sum(torch.clip(m * x + b, 0.) for m, b in zip(p[0::2], p[1::2]))
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

def _tanh(local, forward=math.tanh):
    def my_tanh(x):
        t = forward(x.data)
        out = _node(t, (x,), 'tanh')
        def _backward(g): x.grad += local(t, x.data) * g
        out._backward = _backward
        return out
    return my_tanh

def _tanh_exp(x):
    e = (2 * x).exp()
    return (e - 1) / (e + 1)

# ---- 05 nn
def _neuron(body): return lambda w, b, x: body(w, b, x)
def _neuron_loop(w, b, x):
    act = b
    for wi, xi in zip(w, x): act = act + wi * xi
    return act.tanh()

def _sgd(update, zero=True, backward=True):
    def my_step(model, loss, lr):
        if zero: model.zero_grad()
        if backward: loss.backward()
        for p in model.parameters(): p.data = update(p, lr)
    return my_step

def _sgd_manual_zero(model, loss, lr):
    for p in model.parameters(): p.grad = 0.0
    loss.backward()
    for p in model.parameters(): p.data += -lr * p.grad

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
def _dropout(mask, scale=lambda p: 1/(1 - p), eval_scale=False):
    def my_dropout(x, p, training, generator):
        if not training: return x / (1 - p) if eval_scale else x
        return x*mask(x, p, generator)*scale(p)
    return my_dropout
def _shared_mask(x, p, g): return torch.rand(x.shape[-1], generator=g, dtype=x.dtype) >= p  # one mask for every row
def _own_seed(x, p, g): return torch.rand(x.shape, generator=torch.Generator().manual_seed(0)) >= p
def _bernoulli(x, p, g): return torch.bernoulli(torch.full(x.shape, 1 - p, dtype=torch.float64), generator=g)
def _dropout_inplace(x, p, training, generator):
    if not training: return x
    return x.mul_(torch.rand(x.shape, generator=generator) >= p).div_(1 - p)

def _dob_inplace(dout, keep, p):
    dout[~keep] = 0; dout /= 1 - p
    return dout

def _avg(passes, k=lambda K: K, combine=lambda ps: ps.mean(0), restore='eval'):
    def my_mask_average(model, X, K):
        was = model.training
        model.train()
        probs = combine(torch.stack([passes(model, X) for _ in range(k(K))]))
        model.train(was) if restore == 'was' else model.eval()
        return probs
    return my_mask_average
def _probs(model, X): return model.forward(X).softmax(1)

# ---- 11 optim
def _momentum(step):
    def my_momentum_step(p, g, v, lr, mu): return step(p, g, v, lr, mu)
    return my_momentum_step

def _adamw(eps_fixed=None, t_fixed=None, return_hat=False, betas_fixed=None, wd_fixed=None, dtype=None):
    def my_adamw_step(p, g, m, v, t, lr, betas, eps, weight_decay):
        b1, b2 = betas_fixed or betas
        eps, t = eps_fixed or eps, t_fixed or t
        weight_decay = weight_decay if wd_fixed is None else wd_fixed
        if dtype: p, g, m, v = (a.to(dtype) for a in (p, g, m, v))
        p = p*(1 - lr*weight_decay)
        m, v = b1*m + (1 - b1)*g, b2*v + (1 - b2)*g*g
        mhat, vhat = m/(1 - b1**t), v/(1 - b2**t)
        return (p - lr*mhat/(vhat.sqrt() + eps), *((mhat, vhat) if return_hat else (m, v)))
    return my_adamw_step

def _adamw_inplace(p, g, m, v, t, lr, betas, eps, weight_decay):
    b1, b2 = betas
    p.mul_(1 - lr*weight_decay)
    m.mul_(b1).add_(g, alpha=1 - b1); v.mul_(b2).addcmul_(g, g, value=1 - b2)
    p.addcdiv_(m/(1 - b1**t), (v/(1 - b2**t)).sqrt().add_(eps), value=-lr)
    return p, m, v

# ---- 12 handoff
def _learner(loss_func=lambda: nn.CrossEntropyLoss(), metrics=None, model=lambda m: m):
    def my_learner(dls, model_):
        from fastai.learner import Learner
        from fastai.metrics import accuracy
        return Learner(dls, model(model_), loss_func=loss_func(), metrics=metrics() if metrics else accuracy)
    return my_learner

def accuracy(inp, targ):
    "Named like fastai's, but it counts the right answers instead of averaging them"
    return (inp.argmax(-1) == targ).float().sum()

def _always_one(inp, targ): return torch.tensor(1.)
_always_one.__name__ = 'accuracy'

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
    'check_mae': {
        'divides by len, not numel (right for columns only)': lambda p, a: (p - a).abs().sum() / len(p),
        'median of the absolute differences': lambda p, a: (p - a).abs().median(),
        'root mean squared error': lambda p, a: ((p - a)**2).mean().sqrt(),
        'largest absolute difference': lambda p, a: (p - a).abs().max(),
        'divides by N - 1': lambda p, a: (p - a).abs().sum() / (p.numel() - 1),
        'changes preds in place': lambda p, a: p.sub_(a).abs_().mean()},
    'check_mk_quad': {
        'computes on its own grid, not on x': _quad_global,
        'a hard-coded to 3': lambda a, b, c: partial(quad, 3., b, c),
        'b and c swapped': lambda a, b, c: lambda x: a*x**2 + c*x + b,
        'a cube, not a square': lambda a, b, c: lambda x: a*x**3 + b*x + c,
        'b times |x|': lambda a, b, c: lambda x: a*x**2 + b*x.abs() + c,
        'right for 9 points only': lambda a, b, c: lambda x: a*x**2 + b*x + c*torch.ones(9, 1, dtype=F64)},
    'check_quad_by_hand': {
        'sign of a flipped': Args(-2.6, 1.3, 0.6), 'all zero': Args(0., 0., 0.), 'c far off': Args(2.6, 1.3, 6.),
        'a string': Args('2.6', 1.3, 0.6), 'one list for a': Args([2.6], 1.3, 0.6), 'an infinity': Args(2.6, 1.3, math.inf)},
    'check_lr_choice': {
        'negative': Args(-0.3), 'far too small': Args(1e-4), 'far too large': Args(100.), 'a list': Args([0.3]),
        'a string': Args('0.3'), 'a complex number': Args(0.3j)},
    'check_descent_step': {
        'steps by the sign of the gradient': _step(lambda p, lr: p.sub_(lr * p.grad.sign())),
        'normalized step': _step(lambda p, lr: p.sub_(lr * p.grad / p.grad.norm())),
        'steps twice': _step(lambda p, lr: p.sub_(2 * lr * p.grad)),
        'lr hard-coded to 0.01': _step(lambda p, lr: p.sub_(0.01 * p.grad)),
        'updates the first parameter only': _step(lambda p, lr: p[:1].sub_(lr * p.grad[:1])),
        'returns the loss after the step': _step(lambda p, lr: p.sub_(lr * p.grad), ret='after')},
    'check_fd_grad': {
        'eps hard-coded to 1e-4': _fd(eps_fixed=1e-4),
        'eps hard-coded to 1e-2': _fd(eps_fixed=1e-2),
        'nudges in float32': _fd(dtype=torch.float32),
        'nudges params itself (the nudges cancel)': _fd_aliased,
        'autograd, no nudging': _fd_autograd,
        'gradient of the mean over the parameters': lambda f, p, eps=1e-4: _fd()(f, p, eps) / p.numel()},
    'check_sum_relus': {
        'hard-coded three ReLUs': lambda p, x: sum(torch.clip(p[2*i] * x + p[2*i+1], 0.) for i in range(3)),
        'leaky ReLU': lambda p, x: F.leaky_relu(x * p[0::2] + p[1::2], 0.01).sum(-1, keepdim=True),
        'softplus': lambda p, x: F.softplus(x * p[0::2] + p[1::2]).sum(-1, keepdim=True),
        'the last ReLU dropped': lambda p, x: torch.clip(x * p[0:-2:2] + p[1:-2:2], 0.).sum(-1, keepdim=True),
        'b added after the clip': lambda p, x: (torch.clip(x * p[0::2], 0.) + p[1::2]).sum(-1, keepdim=True),
        'sums everything into one number': lambda p, x: torch.clip(x * p[0::2] + p[1::2], 0.).sum()},
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
    'check_tanh': {
        '1 - t': _tanh(lambda t, x: 1 - t), 't itself': _tanh(lambda t, x: t),
        "the sigmoid's slope": _tanh(lambda t, x: t * (1 - t)), '1 - x²': _tanh(lambda t, x: 1 - x * x),
        'forward is sigmoid': _tanh(lambda t, x: 1 - t * t, forward=lambda x: 1 / (1 + math.exp(-x))),
        'a float, not a Value': lambda x: math.tanh(x.data)},
    'check_four_points': {
        'too few steps': Args(5, 0.01), 'a negative lr': Args(100, -0.08), 'zero steps': Args(0, 0.1),
        'too many steps': Args(1000, 0.05), 'ReLUs die': Args(100, 0.5), 'steps as a string': Args('100', 0.08)},
    'check_max_margin': {
        'mean over the violating points only': lambda s, y: (1 - y * s)[y * s < 1].mean(),
        'squared hinge': lambda s, y: ((1 - y * s).relu()**2).mean(),
        'margin 0.5': lambda s, y: (0.5 - y * s).relu().mean(),
        'labels taken as 0/1': lambda s, y: (1 - (2 * y - 1) * s).relu().mean(),
        'the largest loss': lambda s, y: (1 - y * s).relu().max(),
        'clamps from above': lambda s, y: (1 - y * s).clamp(max=0).mean()},
    'check_neuron': {
        'the first two inputs only': lambda w, b, x: sum((wi * xi for wi, xi in zip(w[:2], x[:2])), b).tanh(),
        'tanh of each term': lambda w, b, x: sum((wi * xi).tanh() for wi, xi in zip(w, x)) + b,
        'sigmoid': lambda w, b, x: sum((wi * xi for wi, xi in zip(w, x)), b).sigmoid(),
        'b.data, not b': lambda w, b, x: (sum(wi * xi for wi, xi in zip(w, x)) + b.data).tanh(),
        'b times the first input': lambda w, b, x: sum((wi * xi for wi, xi in zip(w, x)), b * x[0]).tanh(),
        'a float': lambda w, b, x: math.tanh(sum(wi.data * xi for wi, xi in zip(w, x)) + b.data)},
    'check_sgd_step': {
        'lr hard-coded to 0.1': _sgd(lambda p, lr: p.data - 0.1 * p.grad),
        'the sign of the gradient': _sgd(lambda p, lr: p.data - lr * (p.grad > 0) + lr * (p.grad < 0)),
        'gradient clipped to ±0.01': _sgd(lambda p, lr: p.data - lr * max(-0.01, min(0.01, p.grad))),
        'the step halved': _sgd(lambda p, lr: p.data - lr * p.grad / 2),
        'backward before zero_grad': lambda m, loss, lr: (loss.backward(), m.zero_grad(), [setattr(p, 'data', p.data - lr * p.grad) for p in m.parameters()]),
        'the first layer only': lambda m, loss, lr: (m.zero_grad(), loss.backward(), [setattr(p, 'data', p.data - lr * p.grad) for p in m.layers[0].parameters()])},
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
    'check_dropout': {
        'one mask shared by all rows': _dropout(_shared_mask),
        'its own seeded generator': _dropout(_own_seed),
        'the mask, not x times the mask': lambda x, p, tr, g: x if not tr else (torch.rand(x.shape, generator=g) >= p) / (1 - p),
        'scales in eval mode too': _dropout(lambda x, p, g: torch.rand(x.shape, generator=g) >= p, eval_scale=True),
        'p hard-coded to 0.2': _dropout(lambda x, p, g: torch.rand(x.shape, generator=g) >= 0.2, scale=lambda p: 1/0.8),
        'changes x in place': _dropout_inplace},
    'check_dropout_backward': {
        'divides by the kept fraction': lambda d, k, p: d * k / k.float().mean(),
        'times (1 - p)': lambda d, k, p: d * k * (1 - p),
        'changes dout in place': _dob_inplace,
        'summed over the batch': lambda d, k, p: (d * k / (1 - p)).sum(0),
        'p hard-coded to 0.2': lambda d, k, p: d * k / 0.8,
        'the mask as floats only': lambda d, k, p: k.to(d.dtype) / (1 - p)},
    'check_mask_average': {
        'K hard-coded to 6': lambda model, X, K: _avg(_probs, k=lambda K: 6)(model, X, K),
        'K + 1 passes': _avg(_probs, k=lambda K: K + 1),
        'softmax over the images': _avg(lambda m, X: m.forward(X).softmax(0)),
        'median of the passes': _avg(_probs, combine=lambda ps: ps.median(0).values),
        'geometric mean': _avg(_probs, combine=lambda ps: ps.log().mean(0).exp()),
        'one-hot votes': _avg(lambda m, X: F.one_hot(m.forward(X).argmax(1), 3).float())},
    'check_momentum': {
        'lr hard-coded to 0.1': _momentum(lambda p, g, v, lr, mu: (p - 0.1*(mu*v + g), mu*v + g)),
        'mu hard-coded to 0.9': _momentum(lambda p, g, v, lr, mu: (p - lr*(0.9*v + g), 0.9*v + g)),
        'Nesterov': _momentum(lambda p, g, v, lr, mu: (p - lr*(g + mu*(mu*v + g)), mu*v + g)),
        'returns (v, p)': _momentum(lambda p, g, v, lr, mu: (mu*v + g, p - lr*(mu*v + g))),
        'mu squared': _momentum(lambda p, g, v, lr, mu: (p - lr*(mu*mu*v + g), mu*mu*v + g)),
        'v = mu*(v + g)': _momentum(lambda p, g, v, lr, mu: (p - lr*mu*(v + g), mu*(v + g)))},
    'check_adamw': {
        'eps hard-coded to 1e-8': _adamw(eps_fixed=1e-8),
        'bias correction at t = 1 always': _adamw(t_fixed=1),
        'returns the corrected moments as state': _adamw(return_hat=True),
        'betas hard-coded': _adamw(betas_fixed=(0.9, 0.999)),
        'weight decay hard-coded to 0.01': _adamw(wd_fixed=0.01),
        'eps 1e-3': _adamw(eps_fixed=1e-3)},
    'check_learner': {
        'an accuracy that sums': _learner(metrics=lambda: [accuracy]),
        'an accuracy that is always 1': _learner(metrics=lambda: [_always_one]),
        'a new model of the same shape': _learner(model=lambda m: nn.Sequential(nn.Linear(6, 3))),
        'label smoothing': _learner(loss_func=lambda: nn.CrossEntropyLoss(label_smoothing=0.1)),
        'summed loss': _learner(loss_func=lambda: nn.CrossEntropyLoss(reduction='sum')),
        'the model wrapped': _learner(model=lambda m: nn.Sequential(m))},
    'check_to_torch': {
        'bias=False': _to_torch(_lin_nobias),
        'shares the weights instead of copying': _to_torch(_lin_shared),
        'right for a 5-4-3 model only': _to_torch_fixed,
        'LeakyReLU': _to_torch(_lin_copy, relu=nn.LeakyReLU),
        'layers reversed': _to_torch(_lin_copy, order=lambda ls: ls[::-1]),
        'a list of layers': lambda model: [_lin_copy(l) if not isinstance(l, ReLU) else nn.ReLU() for l in model.layers]},
}

RIGHT = {
    'check_mae': {'a loop': _mae_loop, 'F.l1_loss': F.l1_loss,
                  'NumPy': lambda p, a: np.abs(p.numpy() - a.numpy()).mean(),
                  'float32': lambda p, a: (p.float() - a.float()).abs().mean()},
    'check_mk_quad': {'a matrix product': _quad_nested, 'float32': lambda a, b, c: lambda x: a*x.float()**2 + b*x.float() + c},
    'check_quad_by_hand': {'NumPy floats': Args(*map(np.float32, SOLUTION_QUAD)), 'tensors': Args(*map(torch.tensor, SOLUTION_QUAD))},
    'check_lr_choice': {'a NumPy float': Args(np.float64(0.2)), 'a tensor': Args(torch.tensor(0.3))},
    'check_descent_step': {'.data and grad = None': _step(lambda p, lr: p.data.sub_(lr * p.grad), zero='none'),
                           'a loop over the entries': _step(lambda p, lr: [p[i].sub_(lr * p.grad[i]) for i in range(len(p))])},
    'check_fd_grad': {'one row of the identity at a time': _fd_eye,
                      'a list of numbers': lambda f, p, eps=1e-4: [float((f(p + eps * e) - f(p - eps * e)) / (2 * eps)) for e in torch.eye(len(p), dtype=p.dtype)]},
    'check_sum_relus': {'a loop': _relus_loop,
                        'pairs as rows, F.relu': lambda p, x: F.relu(x * p.reshape(-1, 2)[:, 0] + p.reshape(-1, 2)[:, 1]).sum(1, keepdim=True),
                        '(u + |u|) / 2': lambda p, x: ((x * p[0::2] + p[1::2]) + (x * p[0::2] + p[1::2]).abs()).sum(-1, keepdim=True) / 2},
    'check_three_relus': {'a NumPy array': Args(np.array(SOLUTION_RELUS)), 'a tuple': Args(tuple(SOLUTION_RELUS)),
                          'a tensor': Args(torch.tensor(SOLUTION_RELUS))},
    'check_best_n': {'argmin over a stack': _best_argmin,
                     'a loop': lambda fits, x, y: sorted((float(mae(mk_relus(*p)(x), y)), n) for n, (p, _) in fits.items())[0][1]},
    'check_by_hand': {'tensors': {k: torch.tensor(v) for k, v in BY_HAND.items()}, 'NumPy floats': {k: np.float64(v) for k, v in BY_HAND.items()}},
    'check_div': {'db from the quotient': _div(lambda a, b, g: g / b, lambda a, b, g: -(a / b) / b * g),
                  'the quotient rule, float32': _div(lambda a, b, g: float(torch.tensor(g, dtype=torch.float32) / b),
                                                     lambda a, b, g: float(torch.tensor(-a * g, dtype=torch.float32) / b**2))},
    'check_tanh': {'1/cosh²': _tanh(lambda t, x: 1 / math.cosh(x)**2),
                   'forward from exp': _tanh(lambda t, x: 1 - t * t, forward=lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1))},
    'check_four_points': {'NumPy numbers': Args(np.int64(100), np.float64(0.08)), 'a 0-d tensor lr': Args(100, torch.tensor(0.08))},
    'check_max_margin': {'a loop': lambda s, y: sum(max(0., 1 - float(a * b)) for a, b in zip(s, y)) / len(s),
                         'NumPy': lambda s, y: np.maximum(0, 1 - y.numpy() * s.numpy()).mean(),
                         'clamp, float32': lambda s, y: torch.clamp(1 - y.float() * s.float(), min=0).mean()},
    'check_neuron': {'a loop': _neuron_loop,
                     'tanh from exp': lambda w, b, x: _tanh_exp(sum((wi * xi for wi, xi in zip(w, x)), b))},
    'check_sgd_step': {'p.data += -lr * p.grad': _sgd(lambda p, lr: p.data + -lr * p.grad), 'grads zeroed by hand': _sgd_manual_zero},
    'check_batches': {'a list': lambda X, y, bs, g: [(X[j], y[j]) for j in _perm(X, g)[:len(X) // bs * bs].reshape(-1, bs)],
                      'split': _batches_split, 'the shuffled order reversed': _batches_reversed},
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
    'check_dropout': {'bernoulli': _dropout(_bernoulli), 'rand < 1 - p': _dropout(lambda x, p, g: torch.rand(x.shape, generator=g) < 1 - p)},
    'check_dropout_backward': {'torch.where': lambda d, k, p: torch.where(k, d / (1 - p), torch.zeros_like(d)),
                               'masked_fill': lambda d, k, p: d.masked_fill(~k, 0.) / (1 - p)},
    'check_mask_average': {'a running sum': lambda model, X, K: _avg(_probs, combine=lambda ps: sum(ps) / len(ps))(model, X, K),
                           'torch.mean of a list': lambda model, X, K: _avg(_probs, combine=lambda ps: torch.mean(ps, dim=0))(model, X, K)},
    'check_momentum': {'torch.add': _momentum(lambda p, g, v, lr, mu: (torch.add(p, torch.add(g, v, alpha=mu), alpha=-lr), torch.add(g, v, alpha=mu))),
                       'float32': _momentum(lambda p, g, v, lr, mu: (p.float() - lr*(mu*v.float() + g.float()), mu*v.float() + g.float()))},
    'check_adamw': {'in place': _adamw_inplace, 'float32': _adamw(dtype=torch.float32)},
    'check_learner': {"fastai's CrossEntropyLossFlat": None, 'F.cross_entropy': _learner(loss_func=lambda: F.cross_entropy)},
    'check_to_torch': {'load_state_dict': _to_torch(_lin_state), 'named layers': _to_torch_dict},
}

def _wbce_autograd(z, t, w):
    z = z.clone().requires_grad_()
    return torch.autograd.grad(F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(w, dtype=z.dtype)), z)[0]

def _mse_autograd(z, t):
    z = z.clone().requires_grad_()
    return torch.autograd.grad(((torch.sigmoid(z) - t)**2).mean(), z)[0]


def _flat_loss():
    from fastai.losses import CrossEntropyLossFlat
    return CrossEntropyLossFlat()
RIGHT['check_learner']["fastai's CrossEntropyLossFlat"] = _learner(loss_func=_flat_loss)

WRONG.update(WRONG_E)
RIGHT.update(RIGHT_E)
