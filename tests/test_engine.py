"Random expression graphs give the same value and gradients in nnscratch's engine and in torch.autograd (float64)"
import math, random, sys
import pytest, torch
from hypothesis import given, settings, assume, strategies as st
import micrograd.engine as mg
import micrograd.nn as mgnn
from nnscratch.engine import Value, wsum, topo_order
from nnscratch.nn import MLP, svm_loss, fit_mlp
from nnscratch.descent import lr_decay

# Each op works unchanged on a Value and on a float64 tensor (same method names); domains kept valid by construction
UNARY = {
    'neg': lambda a: -a, 'exp': lambda a: a.tanh().exp(), 'log': lambda a: (a*a + 0.5).log(),
    'tanh': lambda a: a.tanh(), 'relu': lambda a: a.relu(), 'sigmoid': lambda a: a.sigmoid(),
    'sq': lambda a: a**2, 'cube': lambda a: a**3, 'inv': lambda a: (a*a + 0.5)**-1, 'sqrt': lambda a: (a*a + 0.5)**0.5,
}
BINARY = {
    'add': lambda a, b: a + b, 'sub': lambda a, b: a - b, 'mul': lambda a, b: a * b,
    'div': lambda a, b: a / (b*b + 0.5),
}
CONST = {  # a number on either side: exercises __radd__, __rsub__, __rmul__, __rtruediv__
    'radd': lambda a, c: c + a, 'rsub': lambda a, c: c - a, 'rmul': lambda a, c: c * a,
    'rdiv': lambda a, c: c / (a*a + 0.5), 'add': lambda a, c: a + c, 'sub': lambda a, c: a - c,
    'mul': lambda a, c: a * c, 'div': lambda a, c: a / c,
}
num = st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
step = st.one_of(
    st.tuples(st.just('u'), st.sampled_from(sorted(UNARY)), st.integers(0, 99)),
    st.tuples(st.just('b'), st.sampled_from(sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just('c'), st.sampled_from(sorted(CONST)), st.integers(0, 99), num))

def build(program, leaves):
    "Run `program` on `leaves` (Values or tensors); every result joins the pool, so nodes get reused"
    pool = list(leaves)
    for s in program:
        if s[0] == 'u': pool.append(UNARY[s[1]](pool[s[2] % len(pool)]))
        elif s[0] == 'b': pool.append(BINARY[s[1]](pool[s[2] % len(pool)], pool[s[3] % len(pool)]))
        else: pool.append(CONST[s[1]](pool[s[2] % len(pool)], s[3]))
    return sum(pool[len(leaves):], pool[0])  # depends on every node

def close(a, b): return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)

@settings(max_examples=150, deadline=None)
@given(st.lists(num, min_size=1, max_size=4), st.lists(step, min_size=1, max_size=20))
def test_random_graphs_match_torch(xs, program):
    vs = [Value(x) for x in xs]
    try: out = build(program, vs)
    except OverflowError: assume(False)
    assume(abs(out.data) < 1e8)
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    tout = build(program, ts); tout.backward()
    assert close(out.data, tout.item()), (out.data, tout.item())
    for v, t in zip(vs, ts):  # torch leaves an unused input's grad at None; ours stays 0
        tg = 0.0 if t.grad is None else t.grad.item()
        assert close(v.grad, tg), (v.grad, tg)

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(num, num), min_size=1, max_size=20), num)
def test_wsum_same_floats_as_micrograd_sum(wx, b):
    "The n-ary node adds in micrograd's order, so the value is bit-identical; the gradients are exact too"
    ws, xs = [Value(w) for w, _ in wx], [Value(x) for _, x in wx]
    out = wsum(ws, xs, Value(b))
    theirs = sum((mg.Value(w) * mg.Value(x) for w, x in wx), mg.Value(b))
    assert out.data == theirs.data
    out.backward()
    assert [w.grad for w in ws] == [x for _, x in wx] and [x.grad for x in xs] == [w for w, _ in wx]

@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.tuples(num, num), min_size=1, max_size=5))
def test_mlp_same_init_and_output_as_micrograd(seed, points):
    random.seed(seed); ours = MLP(2, [8, 8, 1])
    random.seed(seed); theirs = mgnn.MLP(2, [8, 8, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in points: assert ours(list(x)).data == theirs(list(x)).data

def test_deep_chain_100k():
    "100,000 operations deep: no RecursionError in backward (the sort keeps its own stack)"
    x = Value(0.5)
    y = x
    for _ in range(100_000): y = y * 0.9999
    assert len(topo_order(y)) == 200_001  # x, and each step's constant and product
    y.backward()
    assert math.isclose(x.grad, 0.9999**100_000, rel_tol=1e-9)
    assert math.isclose(y.data, 0.5 * 0.9999**100_000, rel_tol=1e-9)
    del y  # freeing the chain must not recurse either

def test_micrograd_recursive_sort_fails_on_deep_chain():
    "Why the iterative sort: micrograd's recursive build_topo hits the recursion limit"
    y = mg.Value(0.5)
    for _ in range(sys.getrecursionlimit() + 100): y = y * 1.0
    with pytest.raises(RecursionError): y.backward()

@pytest.mark.parametrize('x', [0.0, -0.0, 1e-300, -1e-300])
def test_relu_at_and_next_to_zero_matches_torch(x):
    "At exactly 0 the ReLU's slope is taken as 0, as PyTorch does; a hair either side it is 1 or 0"
    v = Value(x); out = v.relu(); out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True); tout = torch.relu(t); tout.backward()
    assert out.data == tout.item() and v.grad == t.grad.item()

def test_backward_twice_resets_results_and_accumulates_leaves():
    "backward starts every computed node from 0; leaves (inputs, parameters) add up, until zero_grad"
    a, b = Value(2.0), Value(-3.0)
    c = a * b; d = c + a; e = d * d  # e = (ab + a)²: de/dd = 2d = -8, de/da = -8(b + 1) = 16, de/db = -8a = -16
    e.backward()
    assert (e.grad, d.grad, c.grad, a.grad, b.grad) == (1.0, -8.0, -8.0, 16.0, -16.0)
    e.backward()
    assert (e.grad, d.grad, c.grad, a.grad, b.grad) == (1.0, -8.0, -8.0, 32.0, -32.0)

def _micrograd_svm_loss(model, X, y, alpha=1e-4):
    "micrograd's demo loss, verbatim apart from names"
    scores = [model(list(map(mg.Value, x))) for x in X]
    losses = [(1 + -yi*si).relu() for yi, si in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + alpha * sum((p*p for p in model.parameters()))

@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.tuples(num, num), min_size=1, max_size=6))
def test_mlp_gradients_match_micrograd(seed, points):
    "After a backward pass through the SVM loss, every parameter's gradient equals micrograd's"
    y = [1 if i % 2 else -1 for i in range(len(points))]
    random.seed(seed); ours = MLP(2, [8, 8, 1])
    random.seed(seed); theirs = mgnn.MLP(2, [8, 8, 1])
    loss, _ = svm_loss(ours, [list(x) for x in points], y)
    tloss = _micrograd_svm_loss(theirs, points, y)
    loss.backward(); tloss.backward()
    assert close(loss.data, tloss.data)
    for p, q in zip(ours.parameters(), theirs.parameters()): assert close(p.grad, q.grad), (p.grad, q.grad)

@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32), st.lists(num, min_size=3, max_size=3), st.lists(num, min_size=3, max_size=3))
def test_mlp_with_several_outputs_matches_micrograd(seed, x, weights):
    "A last layer of three outputs: a list of three Values, each with micrograd's value, and the same gradients"
    random.seed(seed); ours = MLP(3, [4, 3])
    random.seed(seed); theirs = mgnn.MLP(3, [4, 3])
    out, tout = ours(x), theirs(list(map(mg.Value, x)))
    assert len(out) == 3 and [o.data for o in out] == [o.data for o in tout]
    sum((w*o for w, o in zip(weights, out)), Value(0.0)).backward()
    sum((w*o for w, o in zip(weights, tout)), mg.Value(0.0)).backward()
    for p, q in zip(ours.parameters(), theirs.parameters()): assert close(p.grad, q.grad), (p.grad, q.grad)

def test_fit_mlp_trains_like_plain_gradient_descent():
    "fit_mlp's steps: zero_grad, backward, p -= lr·grad with the schedule; the same losses as those steps by hand"
    X, y = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-1.0, -0.4]], [1, -1, 1, -1]
    random.seed(3); model = MLP(2, [4, 1])
    random.seed(3); ref = MLP(2, [4, 1])
    losses, accs = fit_mlp(model, X, y, steps=5, lr0=0.5, lr1=0.1)
    lr = lr_decay(0.5, 0.1, 5)
    for k in range(5):
        loss, acc = svm_loss(ref, X, y)
        assert loss.data == losses[k] and acc == accs[k]
        ref.zero_grad(); loss.backward()
        for p in ref.parameters(): p.data -= lr(k) * p.grad
    assert [p.data for p in model.parameters()] == [p.data for p in ref.parameters()]
