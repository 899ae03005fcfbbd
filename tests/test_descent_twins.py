"""The docs site descends too (issue 18): the browser's gradients and steps against Python's, in real Chromium, float64.

nnscratch/fitplot.js, as the package ships it, is imported into a blank page; Python's side is autograd in float64.

- the pieces: each curve's gradient with respect to its parameters at every data point (`TWIN_GRADS`), and the MAE's
  gradient with respect to each prediction (`LOSS_GRADS`), against `torch.autograd` directly;
- the whole: for 200 seeded draws of each marked family (the quadratic; sums of 1, 2 and 4 ReLUs) with the MAE on the
  lessons' data, `lossGrads` against `loss_grads`, to 1e-12 relative to the gradient's largest component;
- the kinks, where a gradient is a choice: a ReLU bent exactly at a data point (m·x + b == 0: slope 0, as torch.clip),
  and a prediction exactly on a data point (sign(0) = 0, as torch.abs), for every family, checked to be kinks in both;
- the path: ten presses of the kernel-free widget's Step button (`renderStatic`), from the start of each lesson's
  FitPlot that has descent (lessons 2 and 3: its state read from the lesson's committed output, what the site shows),
  at the lesson's learning rate, against `descend` in float64, to 1e-9;
- the messages: a learning rate typed so large that a step would make the loss infinite or NaN stops the step with
  Python's message, word for word, and leaves the sliders where they were.

The figures (largest differences) are printed. Skipped, with the reason, when Chromium or Playwright is missing, except
under CI=true, where that is a failure.
"""
import json, random, re
import pytest, torch
from tests import labkit

JS = labkit.REPO / 'nnscratch' / 'fitplot.js'
NBS = labkit.REPO / 'nbs'
LESSON_PLOTS = ['02_descent.ipynb', '03_relu.ipynb']  # the lessons whose FitPlot has descent (lesson 1's has not)
FAMILIES = [('quad', 3), ('relus', 2), ('relus', 4), ('relus', 8)]  # the quadratic; 1, 2 and 4 ReLUs
N_DRAWS = 200

def _show(capsys, msg):
    with capsys.disabled(): print(f"\n{msg}", end='')

@pytest.fixture(scope='module')
def js(browser):
    "A blank page with nnscratch/fitplot.js imported as window.__m"
    page = browser.new_page()
    page.set_content('<html><body></body></html>')
    page.evaluate("""async src => {
        window.__m = await import(URL.createObjectURL(new Blob([src], {type: 'text/javascript'}))); }""",
        JS.read_text())
    yield page
    page.close()

def _data():
    "The lessons' data as FitPlot holds it: float64 columns"
    from nnscratch.fitting import noisy_quadratic
    x, y = noisy_quadratic()
    return x.to(torch.float64), y.to(torch.float64)

def _make(family):
    from nnscratch.fitting import mk_quad
    from nnscratch.relu import mk_relus
    return {'quad': mk_quad, 'relus': mk_relus}[family]

def _names(family, k): return list('abc') if family == 'quad' else [f'{mb}{i + 1}' for i in range(k // 2) for mb in 'mb']

def _curve(family, p, x):
    "The curve at the column `x` for the parameters `p` (floats or float64 tensors), by the lesson's own function"
    return torch.as_tensor(_make(family)(*[torch.as_tensor(v, dtype=torch.float64) for v in p])(x), dtype=torch.float64)

# ---- the cases ----------------------------------------------------------------------------------------------------
def _draws(rng):
    "N_DRAWS seeded draws of each family, parameters uniform in ±5"
    return [(fam, [rng.uniform(-5, 5) for _ in range(k)], None) for fam, k in FAMILIES for _ in range(N_DRAWS)]

def _bends(rng, x, n=10):
    "Sums of ReLUs with one of them bent exactly at a data point: m·x_i + b == 0 in float64 (slope 0 there)"
    out = []
    for _, k in FAMILIES[1:]:
        for _ in range(n):
            p, j, i = [rng.uniform(-5, 5) for _ in range(k)], 2 * rng.randrange(k // 2), rng.randrange(len(x))
            p[j + 1] = -(p[j] * x[i].item())
            assert (x[i] * p[j] + p[j + 1]).item() == 0.  # as sum_relus computes it
            out.append(('relus', p, f"ReLU {j // 2 + 1} bent at x[{i}]"))
    return out

def _on_points(rng, x, y, n=10):
    "Every family with its prediction exactly on a data point (|0|'s subgradient), found by seeded trial"
    out = []
    for fam, k in FAMILIES:
        found = 0
        while found < n:
            p, i = [rng.uniform(-5, 5) for _ in range(k)], rng.randrange(len(x))
            if fam == 'quad': p[2] = 0.; p[2] = y[i].item() - _curve(fam, p, x[i:i + 1]).item()
            else:  # the other ReLUs off at x_i, the last one on and reaching y_i (a sum of exact zeros and one term)
                others = _curve(fam, p[:-2], x[i:i + 1]).item() if k > 2 else 0.
                p[-1] = y[i].item() - p[-2] * x[i].item()
                if others != 0. or p[-2] * x[i].item() + p[-1] <= 0: continue
            if _curve(fam, p, x[i:i + 1]).item() != y[i].item(): continue
            out.append((fam, p, f"prediction on y[{i}]")); found += 1
    return out

def _run(js, cases, x, y):
    "What fitplot.js computes for each (family, params): loss, gradient, predictions, the gradient's two pieces"
    return js.evaluate("""([cases, x, y]) => cases.map(([fam, p]) => {
        const preds = __m.curveOf(fam, p, x), r = __m.lossGrads(fam, 'mae', p, x, y);
        return {loss: r.loss, grads: r.grads, preds, dcurve: x.map(xi => __m.TWIN_GRADS[fam](p, xi)),
                dpreds: __m.LOSS_GRADS.mae(preds, y)}; })""",
        [[[c[0], c[1]] for c in cases], x.flatten().tolist(), y.flatten().tolist()])

def _rel(got, want):
    "Largest difference relative to the largest component of `want` (exact agreement needed where `want` is all 0)"
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-300)).item()

# ---- the gradients ------------------------------------------------------------------------------------------------
def _check(js, cases, x, y):
    "Compare each case's gradient and its pieces with autograd; returns the largest relative differences"
    from nnscratch.fitting import mae
    from nnscratch.fitplot import loss_grads
    worst = {'grad': 0., 'dcurve': 0., 'dpreds': 0.}
    for (fam, p, kink), g in zip(cases, _run(js, cases, x, y)):
        what = f"{fam} {p}" + (f" ({kink})" if kink else '')
        if kink:  # a kink for Python and for the browser alike
            preds = _curve(fam, p, x).flatten()
            assert g['preds'] == preds.tolist(), f"{what}: the browser's predictions are not Python's, bit for bit"
        loss, grads = loss_grads(_make(fam), x, y, dict(zip(_names(fam, len(p)), p)), mae)
        d = {'grad': _rel(g['grads'], list(grads.values()))}
        # the curve's gradient with respect to its parameters, at each point: autograd's Jacobian
        ps = tuple(torch.tensor(v, dtype=torch.float64) for v in p)
        jac = torch.autograd.functional.jacobian(lambda *ps: _curve(fam, ps, x).flatten(), ps)
        d['dcurve'] = _rel(g['dcurve'], torch.stack(jac, 1))
        # the MAE's gradient with respect to each prediction
        preds = _curve(fam, p, x).detach().requires_grad_()
        d['dpreds'] = _rel(g['dpreds'], torch.autograd.grad(mae(preds, y), preds)[0].flatten())
        for k, v in d.items():
            assert v <= 1e-12, f"{what}: the browser's {k} differs from autograd's by {v:.3g} (relative)"
            worst[k] = max(worst[k], v)
        assert abs(g['loss'] - loss) <= 1e-12 * abs(loss), f"{what}: MAE {g['loss']!r} vs Python's {loss!r}"
    return worst

def test_gradients_agree_with_autograd(js, capsys):
    x, y = _data()
    cases = _draws(random.Random(18))
    worst = _check(js, cases, x, y)
    _show(capsys, f"{len(cases)} draws ({N_DRAWS} each of quad; 1, 2, 4 ReLUs), MAE: largest relative difference from "
                  f"loss_grads {worst['grad']:.3g}; d curve/d params {worst['dcurve']:.3g}; "
                  f"d MAE/d preds {worst['dpreds']:.3g}")

def test_gradients_at_the_kinks(js, capsys):
    x, y = _data()
    rng = random.Random(1800)
    cases = _bends(rng, x) + _on_points(rng, x, y)
    worst = _check(js, cases, x, y)
    _show(capsys, f"{len(cases)} kinks (ReLUs bent at a data point; predictions on a data point): largest relative "
                  f"difference from loss_grads {worst['grad']:.3g}")

# ---- the steps, on the widget -------------------------------------------------------------------------------------
def lesson_state(nb):
    "The state of the first kernel-free FitPlot in notebook `nb`'s committed outputs (what the docs site shows)"
    for c in json.loads((NBS / nb).read_text())['cells']:
        for o in c.get('outputs', []):
            html = ''.join(o.get('data', {}).get('text/html', ''))
            if 'nns-static' in html:
                return json.loads(re.search(r'renderStatic\(host, (\{.*\})\)\);', html).group(1))
    raise AssertionError(f"{nb} has no kernel-free FitPlot in its outputs")

_RENDER = """([state, lr, n]) => new Promise(done => {  // render the stand-in, type `lr` if given, press Step n times
    const host = document.createElement('div'); document.body.append(host);
    const model = __m.renderStatic(host, state), root = host.querySelector('.nns-fitplot');
    const values = () => model.get('names').map(k => model.get('values')[k]), path = [values()];
    const box = root.querySelector('.nns-lr');  // the learning rate, typed
    if (lr !== null) { box.value = String(lr); box.dispatchEvent(new Event('change')); }
    let pressed = 0;
    const press = () => { if (pressed++ < n) root.querySelector('.nns-step').click();
                          else { host.remove(); done({path, msg: root.querySelector('.nns-msg').textContent}); } };
    model.on('change:frame', () => { path.push(values()); press(); });
    press(); })"""

@pytest.mark.parametrize('nb', LESSON_PLOTS)
def test_ten_steps_follow_descend(js, nb, capsys):
    from nnscratch.descent import descend, mk_mae
    st = lesson_state(nb)
    assert st.get('descent', True), f"{nb}: its FitPlot has no descent"
    x, y = torch.tensor(st['x'], dtype=torch.float64)[:, None], torch.tensor(st['y'], dtype=torch.float64)[:, None]
    start = [st['values'][k] for k in st['names']]
    got = js.evaluate(_RENDER, [st, None, 10])
    assert got['msg'] == '', f"{nb}: {got['msg']}"
    path = []
    p, _ = descend(mk_mae(x, y, make=_make(st['twin'])), torch.tensor(start, dtype=torch.float64), lr=st['lr'],
                   steps=10, path=path)
    want = torch.stack(path + [p])
    b = torch.tensor(got['path'], dtype=torch.float64)
    assert b.shape == want.shape, f"{nb}: {len(got['path'])} points on the browser's path, {len(want)} on descend's"
    diff = (b - want).abs().max().item()
    assert diff <= 1e-9, f"{nb}: the browser's path leaves descend's by {diff:.3g}:\n{b}\n{want}"
    assert (b[1:] != b[:-1]).any(1).all(), f"{nb}: a Step did not move the sliders"
    _show(capsys, f"{nb}: 10 Steps at lr={st['lr']:g} from {start}: largest difference from descend's path {diff:.3g}")

# (lesson, other start values or None, learning rate, what Python's Step says): a loss that would be inf, or nan (a·x²
# and b·x overflow to +inf and -inf), and a huge step that still keeps the loss finite
TOO_LARGE = [('02_descent.ipynb', None, 1e308, 'inf'), ('02_descent.ipynb', dict(a=4.1, b=3.1, c=-1.), 1.79e308, 'nan'),
             ('03_relu.ipynb', None, 1e308, 'inf'), ('02_descent.ipynb', None, 1e300, None)]

@pytest.mark.parametrize('nb,values,lr,loss', TOO_LARGE, ids=lambda v: v if isinstance(v, str) else None)
def test_too_large_a_step_stops_with_pythons_message(js, nb, values, lr, loss):
    from nnscratch.fitting import mae
    from nnscratch.fitplot import FitPlot
    st = lesson_state(nb)
    if values: st['values'] = values
    x, y = torch.tensor(st['x'])[:, None], torch.tensor(st['y'])[:, None]
    fp = FitPlot(_make(st['twin']), x, y, mae, lr=lr, **st['values'])
    fp._on_msg(fp, {'op': 'step'}, [])  # what the Step button does in Jupyter
    assert (f"the loss would become {loss} " in fp.message) if loss else fp.message == '', fp.message
    got = js.evaluate(_RENDER, [st, lr, 1])
    assert got['msg'] == fp.message, f"{nb}, lr={lr:g}: the browser says {got['msg']!r}, Python {fp.message!r}"
    want = [fp.values[k] for k in st['names']]
    if loss: assert got['path'][-1] == got['path'][0] == want, f"{nb}, lr={lr:g}: the sliders moved: {got['path']}"
    else: assert _rel(got['path'][-1], want) <= 1e-12, f"{nb}, lr={lr:g}: {got['path'][-1]} vs Python's {want}"

def test_python_number_formats(js):
    "The messages' numbers as Python writes them: str(v), and format(v, 'g') for the learning rate"
    vs = [0., 1., 0.01, 0.1, 2.5, 1e-4, 1.5e-5, 123456.0, 1234567.0, 1e16, 9999995.0, 1e308, 3e154, 2.0**-1074,
          float('inf'), float('-inf'), float('nan'), -2.75, 1/3]
    got = js.evaluate("vs => vs.map(v => [__m.pyFloat(v), __m.pyFloat(v, true)])", vs)
    assert got == [[str(v), f"{v:g}"] for v in vs]
