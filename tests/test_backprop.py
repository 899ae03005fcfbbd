"Hand-written backward passes against torch.autograd (float64), the training loop's guards, and the data loaders"
import hashlib, time
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nnscratch.data import digits_data, batches, write_idx, read_idx, mnist, md5, split, digits
from nnscratch.logistic import SigmoidBCE, TensorLayer, logistic_grads, train_logistic
from nnscratch.mlp import Linear, ReLU, SoftmaxCE, SGD, mlp, fit, evaluate, autograd_check, history_table

D = torch.float64


def gen(seed): return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('nin,nout,n', [(1, 1, 1), (7, 5, 11), (64, 32, 3)])
def test_linear_backward(seed, nin, nout, n):
    g = gen(seed)
    lin = Linear(nin, nout, generator=g, dtype=D)
    lin.b.normal_(generator=g)  # a nonzero bias too
    x, dout = torch.randn(n, nin, dtype=D, generator=g), torch.randn(n, nout, dtype=D, generator=g)
    assert max(autograd_check(lin, x, dout)) < 1e-8


@pytest.mark.parametrize('seed', range(5))
def test_relu_backward(seed):
    g = gen(seed)
    x, dout = torch.randn(13, 9, dtype=D, generator=g), torch.randn(13, 9, dtype=D, generator=g)
    assert max(autograd_check(ReLU(), x, dout)) < 1e-8


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('scale', [1., 10., 300.])
def test_softmax_ce_backward(seed, scale):
    g = gen(seed)
    logits = torch.randn(17, 10, dtype=D, generator=g) * scale
    y = torch.randint(0, 10, (17,), generator=g)
    lg = logits.clone().requires_grad_()
    ref = F.cross_entropy(lg, y); ref.backward()
    sce = SoftmaxCE()
    assert abs(float(sce.forward(logits, y) - ref.detach())) < 1e-8
    assert float((sce.backward() - lg.grad).abs().max()) < 1e-8


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('scale', [1., 10., 300.])
def test_sigmoid_bce_backward(seed, scale):
    g = gen(seed)
    z = torch.randn(23, dtype=D, generator=g) * scale
    t = (torch.rand(23, generator=g, dtype=D) > 0.5).to(D)
    zg = z.clone().requires_grad_()
    ref = F.binary_cross_entropy_with_logits(zg, t); ref.backward()
    lf = SigmoidBCE()
    assert abs(float(lf.forward(z, t) - ref.detach())) < 1e-8
    assert float((lf.backward() - zg.grad).abs().max()) < 1e-8


def test_logistic_grads():
    g = gen(3)
    X, t = torch.randn(50, 8, dtype=D, generator=g), (torch.rand(50, generator=g) > 0.7).to(D)
    w, b = torch.randn(8, dtype=D, generator=g), torch.tensor(-0.2, dtype=D)
    loss, dw, db = logistic_grads(X, t, w, b)
    wg, bg = w.clone().requires_grad_(), b.clone().requires_grad_()
    ref = F.binary_cross_entropy(torch.sigmoid(X @ wg + bg), t); ref.backward()
    assert abs(float(loss - ref.detach())) < 1e-8
    assert float((dw - wg.grad).abs().max()) < 1e-8 and abs(float(db - bg.grad)) < 1e-8


def test_mlp_end_to_end():
    g = gen(4)
    net = mlp((12, 16, 8, 5), generator=g, dtype=D, input_grad=True)
    x, y = torch.randn(9, 12, dtype=D, generator=g), torch.randint(0, 5, (9,), generator=g)
    xg, ps = x.clone().requires_grad_(), [p.requires_grad_() for p in net.parameters()]
    F.cross_entropy(net.forward(xg), y).backward()
    for p in ps: p.requires_grad_(False)
    sce = SoftmaxCE(); sce.forward(net.forward(x), y)
    dx = net.backward(sce.backward())
    for a, b in zip([dx] + net.grads(), [xg.grad] + [p.grad for p in ps]): assert float((a - b).abs().max()) < 1e-8


def test_sgd_matches_torch():
    g = gen(5)
    net = mlp((6, 8, 3), generator=g, dtype=D)
    tnet = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(D)
    with torch.no_grad():
        for tl, l in zip([tnet[0], tnet[2]], [net.layers[0], net.layers[2]]): tl.weight.copy_(l.W.T); tl.bias.copy_(l.b)
    opt, topt = SGD(0.1, weight_decay=0.01), torch.optim.SGD(tnet.parameters(), lr=0.1, weight_decay=0.01)
    sce = SoftmaxCE()
    for _ in range(10):
        x, y = torch.randn(4, 6, dtype=D, generator=g), torch.randint(0, 3, (4,), generator=g)
        sce.forward(net.forward(x), y); net.backward(sce.backward()); opt.step(net.parameters(), net.grads())
        topt.zero_grad(); F.cross_entropy(tnet(x), y).backward(); topt.step()
    assert float((net.layers[0].W - tnet[0].weight.detach().T).abs().max()) < 1e-10
    assert float((net.layers[2].b - tnet[2].bias.detach()).abs().max()) < 1e-10


@pytest.fixture(scope='module')
def data(): return digits_data()


def test_fit_reaches_97(data):
    torch.set_num_threads(1)
    h = fit(mlp(generator=gen(42)), SoftmaxCE(), SGD(0.1), *data, epochs=30, bs=64, progress=False)
    assert h[-1]['valid_acc'] >= 0.97
    assert set(h[-1]) >= {'train_loss', 'train_acc', 'valid_loss', 'valid_acc', 'secs'}


def test_fit_modes(data):
    "fit trains in training mode and evaluates in eval mode"
    seen = []
    class Spy(ReLU):
        def forward(self, x): seen.append(self.training); return super().forward(x)
    tr, va = data
    fit([Linear(64, 8), Spy(), Linear(8, 10)], SoftmaxCE(), SGD(0.1), (tr[0][:100], tr[1][:100]), va, 1, 50, progress=False)
    assert seen == [True, True, False, False]
    m = mlp(generator=gen(0)); m.train()
    evaluate(m, SoftmaxCE(), *va)
    assert m.training and all(l.training for l in m.layers)


def test_fit_stops_on_nan(data):
    with pytest.raises(FloatingPointError, match='the loss became'):
        fit(mlp(generator=gen(0)), SoftmaxCE(), SGD(1e4), *data, epochs=1, bs=64, progress=False)


def test_bad_inputs(data):
    (X, y), va = data
    run = lambda tr, bs=64: fit(mlp(generator=gen(0)), SoftmaxCE(), SGD(0.1), tr, va, 1, bs, progress=False)
    with pytest.raises(ValueError, match=r'input must be \(batch, 64\)'): run((X[:, :60], y))
    with pytest.raises(ValueError, match=r'labels `y` must be in 0\.\.9'): run((X, y * 2))
    with pytest.raises(ValueError, match='`bs`'): run((X, y), bs=0)
    Xb = X.clone(); Xb[0, 0] = float('inf')
    with pytest.raises(ValueError, match='NaN or infinite'): run((Xb, y))
    with pytest.raises(ValueError, match='`bs`'): next(batches(X, y, 0))


def test_logistic_trains_and_guards(data):
    (X, y), (Xv, yv) = data
    X, Xv = X.double(), Xv.double()
    w, b, h = train_logistic(X, (y == 9).double(), lr=1.0, epochs=5, valid=(Xv, (yv == 9).double()))
    assert h[-1]['valid_acc'] > 0.95
    with pytest.raises(FloatingPointError, match='the loss became'): train_logistic(X, (y == 9).double(), lr=1e308, epochs=1)


def test_split_and_normalization_use_training_stats():
    (Xt, yt), (Xv, yv) = digits_data()
    (Xr, _), (Xrv, _) = split(*digits())
    mean, std = Xr.mean(0), (Xr - Xr.mean(0)).std()
    assert torch.allclose(Xv, (Xrv - mean) / std)  # validation normalized with the training split's statistics


def _fake_mnist(d):
    rng = np.random.default_rng(0)
    fake = {'train-images-idx3-ubyte.gz': rng.integers(0, 256, (5, 28, 28)), 'train-labels-idx1-ubyte.gz': rng.integers(0, 10, 5),
            't10k-images-idx3-ubyte.gz': rng.integers(0, 256, (3, 28, 28)), 't10k-labels-idx1-ubyte.gz': rng.integers(0, 10, 3)}
    (d/'mnist').mkdir(parents=True, exist_ok=True)
    for name, a in fake.items(): write_idx(d/'mnist'/name, a)
    return fake, {name: hashlib.md5((d/'mnist'/name).read_bytes()).hexdigest() for name in fake}


def test_mnist_reads_cached_files(tmp_path):
    fake, sums = _fake_mnist(tmp_path)
    (X, y), (Xt, yt) = mnist(tmp_path, url='http://127.0.0.1:9/', timeout=1, files=sums)
    assert X.shape == (5, 28, 28) and X.dtype == torch.uint8 and torch.equal(yt, torch.tensor(fake['t10k-labels-idx1-ubyte.gz']))
    assert md5(tmp_path/'mnist'/'train-images-idx3-ubyte.gz') == sums['train-images-idx3-ubyte.gz']


def test_mnist_checksum_mismatch(tmp_path):
    _, sums = _fake_mnist(tmp_path)
    with pytest.raises(ValueError, match='expected f+'):
        mnist(tmp_path, url='http://127.0.0.1:9/', timeout=1, files={**sums, 't10k-images-idx3-ubyte.gz': 'f' * 32})


def test_mnist_offline_fails_fast(tmp_path):
    _, sums = _fake_mnist(tmp_path)
    (tmp_path/'mnist'/'train-labels-idx1-ubyte.gz').unlink()
    t0 = time.time()
    with pytest.raises(ConnectionError, match=r'No network\?.*digits_data\(\)'):
        mnist(tmp_path, url='http://127.0.0.1:9/', timeout=1, files=sums)
    assert time.time() - t0 < 10


def test_idx_roundtrip_uncompressed(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path/'a.idx', a)
    assert torch.equal(read_idx(tmp_path/'a.idx'), torch.from_numpy(a))


def test_first_layer_skips_input_grad():
    "mlp's first layer computes no dX (like autograd for inputs that do not require grad), with the same weight grads"
    x, y = torch.randn(5, 6, dtype=D, generator=gen(6)), torch.tensor([0, 1, 2, 0, 1])
    nets = [mlp((6, 4, 3), generator=gen(7), dtype=D, input_grad=ig) for ig in (True, False)]
    outs = []
    for net in nets:
        sce = SoftmaxCE(); sce.forward(net.forward(x), y); outs.append(net.backward(sce.backward()))
    assert outs[0].shape == x.shape and outs[1] is None
    for a, b in zip(nets[0].grads(), nets[1].grads()): assert torch.equal(a, b)


def test_linear_weights_can_be_replaced():
    "Replacing W and b (e.g. by float64 copies for a gradient check) keeps backward working"
    lin = Linear(4, 3, generator=gen(8))
    lin.W, lin.b = lin.W.double(), lin.b.double()
    x, dout = torch.randn(2, 4, dtype=D, generator=gen(9)), torch.randn(2, 3, dtype=D, generator=gen(10))
    assert max(autograd_check(lin, x, dout)) < 1e-8
    assert [g.dtype for g in lin.grads()] == [D, D]


@pytest.mark.parametrize('n,pct', [(10, 0.29), (10, 0.25), (1797, 0.2), (7, 0.5), (3, 0.34)])
def test_split_row_counts(n, pct):
    "round(n·valid_pct) rows for validation, the rest for training, every row exactly once and with its label"
    X, y = torch.arange(2.*n).reshape(n, 2), torch.arange(n)
    (Xt, yt), (Xv, yv) = split(X, y, valid_pct=pct, seed=0)
    assert len(Xv) == len(yv) == round(n*pct) and len(Xt) == len(yt) == n - round(n*pct)
    assert sorted(torch.cat([yt, yv]).tolist()) == list(range(n))
    assert torch.equal(Xt[:, 0], 2.*yt) and torch.equal(Xv[:, 0], 2.*yv)


def test_train_logistic_epochs_are_gradient_descent_steps():
    "With one batch per epoch, each epoch of train_logistic is a step of gradient descent with autograd's gradients"
    g = gen(11)
    X, t = torch.randn(30, 4, dtype=D, generator=g), (torch.rand(30, generator=g) > 0.5).to(D)
    w, b, h = train_logistic(X, t, lr=0.5, epochs=3, bs=30, valid=(X[:10], t[:10]))
    wr, br = torch.zeros(4, dtype=D, requires_grad=True), torch.zeros((), dtype=D, requires_grad=True)
    for _ in range(3):
        gw, gb = torch.autograd.grad(F.binary_cross_entropy_with_logits(X @ wr + br, t), (wr, br))
        with torch.no_grad(): wr -= 0.5*gw; br -= 0.5*gb
    wr, br = wr.detach(), br.detach()
    assert float((w - wr).abs().max()) < 1e-12 and abs(float(b - br)) < 1e-12
    assert [e['epoch'] for e in h] == [1, 2, 3]
    assert abs(h[-1]['train_loss'] - float(F.binary_cross_entropy_with_logits(X @ wr + br, t))) < 1e-12
    assert abs(h[-1]['valid_loss'] - float(F.binary_cross_entropy_with_logits(X[:10] @ wr + br, t[:10]))) < 1e-12
    assert h[-1]['train_acc'] == float((((X @ wr + br) > 0).to(D) == t).double().mean())


def test_params_is_a_deprecated_alias_of_parameters():
    lin = Linear(3, 2, generator=gen(12))
    with pytest.warns(DeprecationWarning, match=r'parameters\(\)'): ps = lin.params()
    assert len(ps) == 2 and all(p is q for p, q in zip(ps, lin.parameters()))
    with pytest.warns(DeprecationWarning, match=r'parameters\(\)'):
        class Scale(TensorLayer):  # a layer written before the rename
            def __init__(self): self.s, self.ds = torch.ones(1), torch.zeros(1)
            def params(self): return [self.s]
    layer = Scale()
    assert layer.parameters()[0] is layer.s


def test_history_table_rows():
    "every `every`-th epoch and the last, each value in its column"
    hist = [dict(epoch=i, train_loss=1/i, secs=0.5) for i in range(1, 8)]
    lines = history_table(hist, every=3).splitlines()
    assert lines[0].split() == ['epoch', 'train_loss', 'secs']
    assert [l.split() for l in lines[1:]] == [['3', '0.3333', '0.5000'], ['6', '0.1667', '0.5000'], ['7', '0.1429', '0.5000']]
    with pytest.raises(ValueError, match='`every` must be a positive integer'): history_table(hist, every=0)
