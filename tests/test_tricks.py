"Lessons 9-12 (norm, dropout, optim, handoff): hand-written backward passes and optimizers against PyTorch, on random inputs"
import math, sys
import pytest, torch
from hypothesis import given, settings, strategies as st
from nnscratch.norm import BatchNorm, LayerNorm, norm_mlp, runs_table
from nnscratch.dropout import Dropout, dropout_mlp
from nnscratch.optim import Momentum, RMSProp, Adam, AdamW
from nnscratch.mlp import SGD

F = torch.nn.functional
f64 = torch.float64
small = settings(max_examples=25, deadline=None)

def _inputs(N, n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, n, generator=g, dtype=f64)*torch.rand(1, generator=g, dtype=f64)*5 + torch.randn(1, generator=g, dtype=f64)
    return x, torch.randn(n, generator=g, dtype=f64), torch.randn(n, generator=g, dtype=f64), torch.randn(N, n, generator=g, dtype=f64)

def _check(layer, ref_fn, x, gamma, beta, w):
    "Our layer's output and gradients against autograd on `ref_fn(x, gamma, beta)`, float64"
    layer.gamma, layer.beta = gamma.clone(), beta.clone()
    y = layer.forward(x); dx = layer.backward(w)
    xr, gr, br = (t.clone().requires_grad_() for t in (x, gamma, beta))
    ref = ref_fn(xr, gr, br); (ref*w).sum().backward()
    for ours, theirs in [(y, ref), (dx, xr.grad), (layer.dgamma, gr.grad), (layer.dbeta, br.grad)]:
        assert (ours - theirs).abs().max().item() < 1e-8

@small
@given(st.integers(2, 40), st.integers(1, 20), st.integers(0, 10**6))
def test_batchnorm_backward_matches_autograd(N, n, seed):
    x, gamma, beta, w = _inputs(N, n, seed)
    _check(BatchNorm(n, dtype=f64), lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5), x, gamma, beta, w)

@small
@given(st.integers(1, 40), st.integers(1, 20), st.integers(0, 10**6))
def test_layernorm_backward_matches_autograd(N, n, seed):
    x, gamma, beta, w = _inputs(N, n, seed)
    _check(LayerNorm(n, dtype=f64), lambda x, g, b: F.layer_norm(x, (n,), g, b, eps=1e-5), x, gamma, beta, w)

def test_batchnorm_running_stats_and_eval_match_torch():
    g = torch.Generator().manual_seed(3)
    ours, theirs = BatchNorm(7, momentum=0.3, dtype=f64), torch.nn.BatchNorm1d(7, momentum=0.3, dtype=f64)
    for N in (5, 2, 17, 9):
        x = torch.randn(N, 7, generator=g, dtype=f64)*3 - 2
        assert (ours.forward(x) - theirs(x)).abs().max() < 1e-10
    assert (ours.running_mean - theirs.running_mean).abs().max() < 1e-12
    assert (ours.running_var - theirs.running_var).abs().max() < 1e-12
    ours.training = False; theirs.eval()
    x = torch.randn(4, 7, generator=g, dtype=f64)
    assert (ours.forward(x) - theirs(x)).abs().max() < 1e-10
    rm = ours.running_mean.clone()
    assert torch.equal(ours.forward(x), ours.forward(x)) and torch.equal(ours.running_mean, rm)

@small
@given(st.integers(1, 30), st.integers(1, 12), st.integers(0, 10**6))
def test_batchnorm_eval_backward_matches_autograd(N, n, seed):
    "In eval mode the running statistics are constants: output and gradients as autograd's on F.batch_norm(training=False)"
    x, gamma, beta, w = _inputs(N, n, seed)
    bn, g = BatchNorm(n, momentum=0.5, dtype=f64), torch.Generator().manual_seed(seed + 1)
    for _ in range(3): bn.forward(torch.randn(8, n, generator=g, dtype=f64)*2 + 1)  # running statistics away from 0, 1
    bn.training = False
    rm, rv = bn.running_mean.clone(), bn.running_var.clone()
    _check(bn, lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=False, eps=1e-5), x, gamma, beta, w)

@small
@given(st.floats(0, 0.95), st.integers(0, 10**6))
def test_dropout_backward_with_fixed_mask(p, seed):
    g = torch.Generator().manual_seed(seed)
    x, w = torch.randn(6, 9, generator=g, dtype=f64), torch.randn(6, 9, generator=g, dtype=f64)
    mask = torch.rand(6, 9, generator=g) >= p
    d = Dropout(p, mask=mask)
    y = d.forward(x); dx = d.backward(w)
    xr = x.clone().requires_grad_(); ref = xr*mask/(1-p); (ref*w).sum().backward()
    assert (y - ref).abs().max() < 1e-12 and (dx - xr.grad).abs().max() < 1e-8

@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_dropout_keeps_expectation(p):
    x = torch.randn(50, dtype=f64).repeat(4000, 1)  # each column's value seen 4000 times
    out = Dropout(p, generator=torch.Generator().manual_seed(0)).forward(x)
    se = x[0].abs()*math.sqrt(p/(1-p)/4000)
    assert ((out.mean(0) - x[0]).abs() <= 5*se + 1e-12).all()

def test_dropout_eval_is_identity():
    d = Dropout(0.5); d.training = False
    x = torch.randn(3, 4)
    assert torch.equal(d.forward(x), x) and torch.equal(d.backward(x), x)

def _path(ours, theirs, dtype, steps=10, seed=0):
    "Largest |θ_ours - θ_torch| after `steps` steps on a small MLP's cross-entropy"
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(40, 5, generator=g, dtype=dtype), torch.randint(0, 4, (40,), generator=g)
    init = [torch.randn(5, 7, generator=g, dtype=dtype), torch.randn(7, generator=g, dtype=dtype)*0.1,
            torch.randn(7, 4, generator=g, dtype=dtype), torch.randn(4, generator=g, dtype=dtype)*0.1]
    loss = lambda ps: F.cross_entropy(torch.relu(x@ps[0] + ps[1])@ps[2] + ps[3], y)
    a, b = [p.clone() for p in init], [p.clone().requires_grad_() for p in init]
    opt = theirs(b)
    for _ in range(steps):
        ps = [p.detach().requires_grad_() for p in a]
        ours.step(a, list(torch.autograd.grad(loss(ps), ps)))
        opt.zero_grad(); loss(b).backward(); opt.step()
    return max((p - q).abs().max().item() for p, q in zip(a, b))

O = torch.optim
CASES = [
    (lambda: SGD(0.05, weight_decay=0.01), lambda ps: O.SGD(ps, lr=0.05, weight_decay=0.01)),
    (lambda: Momentum(0.05, 0.9), lambda ps: O.SGD(ps, lr=0.05, momentum=0.9)),
    (lambda: Momentum(0.05, 0.5, weight_decay=0.1), lambda ps: O.SGD(ps, lr=0.05, momentum=0.5, weight_decay=0.1)),
    (lambda: RMSProp(0.01), lambda ps: O.RMSprop(ps, lr=0.01)),
    (lambda: RMSProp(0.003, alpha=0.8, eps=1e-4, weight_decay=0.3), lambda ps: O.RMSprop(ps, lr=0.003, alpha=0.8, eps=1e-4, weight_decay=0.3)),
    (lambda: Adam(0.01), lambda ps: O.Adam(ps, lr=0.01)),
    (lambda: Adam(0.03, betas=(0.5, 0.9), weight_decay=0.2), lambda ps: O.Adam(ps, lr=0.03, betas=(0.5, 0.9), weight_decay=0.2)),
    (lambda: AdamW(0.01), lambda ps: O.AdamW(ps, lr=0.01)),
    (lambda: AdamW(0.03, eps=1e-6, weight_decay=0.5), lambda ps: O.AdamW(ps, lr=0.03, eps=1e-6, weight_decay=0.5)),
]

@pytest.mark.parametrize('dtype', [torch.float32, f64])
@pytest.mark.parametrize('i', range(len(CASES)))
def test_optimizers_follow_torch_optim(i, dtype):
    ours, theirs = CASES[i]
    assert _path(ours(), theirs, dtype, seed=i) < 1e-6

def test_bad_input_errors():
    with pytest.raises(ValueError, match=r'`x` must have shape \(batch, 3\)'): BatchNorm(3).forward(torch.zeros(4, 2))
    with pytest.raises(ValueError, match='NaN or infinite'): LayerNorm(2).forward(torch.tensor([[1., math.inf]]))
    with pytest.raises(ValueError, match=r'`p`.*\[0, 1\)'): Dropout(1.0)
    with pytest.raises(ValueError, match='`grads\\[1\\]` contains NaN'): AdamW().step([torch.zeros(1)]*2, [torch.zeros(1), torch.tensor([math.nan])])
    with pytest.raises(ValueError, match='`grads\\[0\\]` contains NaN or infinite'): SGD(0.1).step([torch.zeros(2)], [torch.tensor([1., math.inf])])
    opt = Momentum(0.1); opt.step([torch.zeros(2)], [torch.ones(2)])
    with pytest.raises(ValueError, match='the first step had 1'): opt.step([torch.zeros(2)]*2, [torch.ones(2)]*2)

def test_library_does_not_import_fastai():
    import subprocess
    code = "import nnscratch.all, sys; assert not any(m.startswith(('fastai', 'nbdev')) for m in sys.modules), 'fastai imported'"
    subprocess.run([sys.executable, '-c', code], check=True)

def test_to_torch_twin_computes_the_same():
    from nnscratch.mlp import Linear, ReLU, Sequential
    from nnscratch.handoff import to_torch
    g = torch.Generator().manual_seed(0)
    ours = Sequential(Linear(6, 5, g), BatchNorm(5), ReLU(), Dropout(0.3), Linear(5, 4, g), LayerNorm(4))
    for p in ours.parameters(): p.add_(torch.randn(p.shape, generator=g)*0.5)  # biases, γ and β away from 0 and 1
    x = torch.randn(9, 6, generator=g)
    ours.forward(x)  # one training step's worth of running statistics
    ours.eval(); twin = to_torch(ours).eval()
    assert (twin(x) - ours.forward(x)).abs().max() < 1e-5
    assert [m.p for m in twin if isinstance(m, torch.nn.Dropout)] == [0.3]

def test_digits_dls_imports_fastai_without_the_jit_warning():
    import subprocess
    code = ("import torch; from nnscratch.handoff import digits_dls\n"
            "X, y = torch.randn(10, 3), torch.arange(10) % 2\n"
            "dls = digits_dls((X, y), (X[:4], y[:4]), bs=4)\n"
            "xb, yb = next(iter(dls.train)); assert xb.shape == (4, 3) and len(dls.valid.dataset) == 4\n"
            "assert dls.valid.batch_size == 8 and torch.cat([b for _, b in dls.valid]).tolist() == [0, 1, 0, 1]\n"
            "order = [float(v) for b, _ in dls.train for v in b[:, 0]]\n"
            "assert sorted(order) == sorted(X[:, 0].tolist()) and order != X[:, 0].tolist(), 'not shuffled'")
    r = subprocess.run([sys.executable, '-W', 'error::FutureWarning', '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_fastai_import_warns_four_times_about_jit_script():
    "lesson 12: a fresh `import fastai.basics` gives one FutureWarning per `@script` in fastai's layers.py, four"
    import subprocess
    code = ("import re, traceback, warnings\n"
            "found = []\n"
            "def show(message, category, filename, lineno, file=None, line=None):\n"
            "    caller = [f for f in traceback.extract_stack() if 'fastai' in f.filename][-1]\n"
            "    found.append((category.__name__, str(message).split('`')[1], caller.filename.split('/')[-1], caller.line))\n"
            "warnings.showwarning = show\n"
            "warnings.filterwarnings('always', message=r'`torch\\.jit\\.script` is (deprecated|not supported)')\n"
            "import fastai.basics\n"
            "print(found)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    found = eval(r.stdout.strip().splitlines()[-1])
    assert found == [('FutureWarning', 'torch.jit.script', 'layers.py', '@script')] * 4, found

def test_dropout_mlp_layers():
    "dropout `p_in` on the input, `p` after each hidden ReLU, none after the output"
    m = dropout_mlp((8, 6, 5, 3), p=0.3, p_in=0.1)
    assert [type(l).__name__ for l in m.layers] == ['Dropout', 'Linear', 'ReLU', 'Dropout', 'Linear', 'ReLU', 'Dropout', 'Linear']
    assert [l.p for l in m.layers if isinstance(l, Dropout)] == [0.1, 0.3, 0.3]
    assert not any(isinstance(l, Dropout) for l in dropout_mlp((8, 6, 3), p=0., p_in=0.).layers)

def test_norm_mlp_layers():
    m = norm_mlp((8, 6, 5, 3), norm=BatchNorm)
    assert [repr(l) for l in m.layers] == ['Linear(8, 6)', 'BatchNorm(6)', 'ReLU()', 'Linear(6, 5)', 'BatchNorm(5)', 'ReLU()', 'Linear(5, 3)']

def test_runs_table_reports_last_and_best_epochs():
    "the last epoch's numbers, the best validation loss with its epoch, and the milliseconds per step"
    h = [dict(epoch=e, train_loss=1/e, valid_loss=v, train_acc=0.5, valid_acc=0.6, secs=0.023)
         for e, v in zip(range(1, 5), (0.9, 0.4, 0.5, 0.6))]
    lines = runs_table({'run': h}, steps_per_epoch=23).splitlines()
    assert lines[0].split()[-1] == 'ms/step'
    assert lines[1].split() == ['run', '0.2500', '0.6000', '0.5000', '0.6000', '0.4000', '(ep', '2)', '1.00']
