"""How many realistic bugs do the tests catch? Plant each mutant of MUTANTS in a copy of the repository, one at a time.

    python tools/mutants.py [--list] [--only TEXT] [--keep DIR]

A mutant is a one-line bug a person could write: a flipped sign, a missing factor, an off-by-one, a wrong axis. For
each: the line is changed in its notebook's export cell (in a scratch copy of the repository, never in this one),
`nbdev_export` writes the package, then the notebook runs top to bottom (`nbdev_test`) and, if it passes, the
pytest files that cover its module (browser tests aside). A mutant of a package file that no notebook exports
(FitPlot's JavaScript, nnscratch/fitplot.js) is planted in that file, and only its pytest files run (for the
JavaScript, a test in Chromium on a blank page). A mutant is caught ("killed") when any of them fails.
Prints one line per mutant and the kill rate with the survivors; exits 1 if any survived. `--list` only checks that
every mutant's line is found exactly once in the export cells of its notebook.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (notebook, the line as it is, the line with the bug, what the bug is). The line is matched after stripping
# indentation, and must occur exactly once in the notebook's exported cells. In place of a notebook, a package file
# that no notebook exports (its path, e.g. 'nnscratch/fitplot.js'): the line must occur exactly once in the file.
MUTANTS = [
    ('00a_checks', "ok = (isinstance(v, numbers.Real) and not isinstance(v, bool)) or (torch.is_tensor(v) and v.numel() == 1)",
     "ok = isinstance(v, numbers.Real) or (torch.is_tensor(v) and v.numel() == 1)", 'bool accepted as a number'),
    ('00a_checks', "if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):",
     "if v < lo or v > hi or (lo_open and v == lo):", 'open upper end ignored'),
    ('00a_checks', "if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:",
     "if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:", 'zero accepted as a count'),
    # lesson 4, the engine
    ('00b_show', "for o in cell['outputs']:", "for o in cell['outputs'][:1]:", 'docs_still: only the first output'),
    ('00b_show', "kw = {c._kwarg: c.value for c in w.kwargs_widgets}  # not `w.kwargs`: ipywidgets 7 fills it on the first update",
     "kw = {c._kwarg: c.value for c in w.kwargs_widgets[:1]}", 'still picture drawn with the first slider only'),
    ('00c_fitplot', "vals = {k: v - self.lr * g[k] for k, v in vals.items()}",
     "vals = {k: v + self.lr * g[k] for k, v in vals.items()}", 'Step goes uphill'),
    ('00c_fitplot', "vals = {k: v - self.lr * g[k] for k, v in vals.items()}",
     "vals = {k: v - self.lr * g[n] for k, n, v in zip(vals, reversed(list(vals)), vals.values())}",
     'Step: each slider moves by another slider\'s gradient'),
    ('00c_fitplot', "return f.twin if [float(v) for v in flat] == [float(v) for v in values] else None",
     "return f.twin", 'twin_of ignores the order of the parameters'),
    ('00c_fitplot', "if not (w.twin and w.loss_twin): return None", "if not w.twin: return None",
     'kernel-free plot for a loss the browser does not know'),
    ('00c_fitplot', "self.received += 1", "pass", 'updates received not counted'),
    ('00c_fitplot', "return loss.item(), {k: 0. if p.grad is None else p.grad.item() for k, p in ps.items()}",
     "return loss.item(), {k: 0. if p.grad is None else -p.grad.item() for k, p in ps.items()}", 'gradient sign flipped'),
    # FitPlot's JavaScript: the gradients and the steps of the kernel-free plot (the docs site)
    ('nnscratch/fitplot.js', "mae: (preds, ys) => preds.map((v, i) => Math.sign(v - ys[i]) / ys.length),",
     "mae: (preds, ys) => preds.map((v, i) => Math.sign(ys[i] - v) / ys.length),", 'browser gradient: MAE sign flipped'),
    ('nnscratch/fitplot.js', "mae: (preds, ys) => preds.map((v, i) => Math.sign(v - ys[i]) / ys.length),",
     "mae: (preds, ys) => preds.map((v, i) => (v - ys[i] < 0 ? -1 : 1) / ys.length),",
     'browser gradient: sign(0) = 1 at a prediction on a data point'),
    ('nnscratch/fitplot.js', "mae: (preds, ys) => preds.map((v, i) => Math.sign(v - ys[i]) / ys.length),",
     "mae: (preds, ys) => preds.map((v, i) => Math.sign(v - ys[i])),", 'browser gradient: MAE without the 1/N'),
    ('nnscratch/fitplot.js', "for (let i = 0; i < p.length; i += 2) { const on = p[i] * x + p[i + 1] > 0 ? 1 : 0; g.push(on * x, on); }",
     "for (let i = 0; i < p.length; i += 2) { const on = p[i] * x + p[i + 1] >= 0 ? 1 : 0; g.push(on * x, on); }",
     'browser gradient: ReLU slope 1 at its bend (>= instead of >)'),
    ('nnscratch/fitplot.js', "quad: (p, x) => [x * x, x, 1],", "quad: (p, x) => [x * x, x, x],",
     "browser gradient: the quadratic's c gets x, not 1"),
    ('nnscratch/fitplot.js', "const p = params(), lr = st.lr, g = at(p).grads, next = p.map((v, i) => v - lr * g[i]), loss = at(next).loss;",
     "const p = params(), lr = st.lr, g = at(p).grads, next = p.map((v, i) => v + lr * g[i]), loss = at(next).loss;",
     'browser Step goes uphill'),
    ('nnscratch/fitplot.js', "if (Number.isFinite(loss) && next.every(Number.isFinite)) { st.values = named(next); refresh(); }",
     "if (next.every(Number.isFinite)) { st.values = named(next); refresh(); }",
     'browser Step takes a step to an infinite loss (checks the values only)'),
    ('00e_exercises', "if want.abs().max() > atol and torch.allclose(got, -want, rtol, atol):",
     "if want.abs().max() > atol and torch.allclose(got, want, rtol, atol):", 'checker: a flipped sign never named'),
    ('00e_exercises', "if abs(r - 1) < 1e-3 or abs(r) < 1e-9 or not torch.allclose(got, r * want, rtol, atol): return None",
     "if abs(r - 1) < 1e-3: return None", 'checker: any answer called a constant factor'),
    ('00e_exercises', "if kind: return wrong(f\"{text} ({case})\", rows, hints.get(kind, ''))",
     "if kind: return wrong(f\"{text} ({case})\", rows)", "checker: the hint for the mistake dropped"),
    ('00e_exercises', "frames = [f for f in traceback.extract_tb(e.__traceback__)[1:] if not f.filename.startswith(_LIB_DIRS)]",
     "frames = traceback.extract_tb(e.__traceback__)[1:]", "checker: blames a line inside PyTorch"),
    ('00e_exercises', "if kind and not bad: bad = (f\"the gradient {text}\", kind)",
     "if kind: bad = (f\"the gradient {text}\", kind)", 'check_grads names the last gradient that differs, not the first'),
    # the checkers' machinery (issue 16): one mutant per family of protection
    ('00e_exercises', "for i, args in enumerate(cases, 1):", "for i, args in enumerate(cases[:1], 1):",
     'machinery: the case list reduced to its first case'),
    ('00e_exercises', "given, before = copy_args(args), copy_args(args)", "given, before = args, copy_args(args)",
     "machinery: the learner's function gets the checker's own cases, not copies"),
    ('00e_exercises', "if keep_inputs and (moved := changed(before, given, _arg_names(fn, len(args)))):",
     "if keep_inputs and False:", 'machinery: inputs changed in place go unnoticed'),
    ('00e_exercises', "return check_fn(metric, cases, want_fn, name, hints)",
     "return correct() if getattr(metric, '__name__', '') == name else wrong(f'expected {name}')",
     'machinery: a metric judged by its name'),
    ('00e_exercises', "with time_limit(limit): return fn(*args, **kwargs), None", "return fn(*args, **kwargs), None",
     'machinery: the time limit dropped'),
    ('00e_exercises', "signal.setitimer(signal.ITIMER_REAL, 0)", "pass", 'machinery: the alarm left set after the call'),
    ('00e_exercises', "if self.n >= self.limit: raise Endless(self.limit)", "pass", 'machinery: generators read without a limit'),
    ('00e_exercises', "if _placeholder(x):", "if x is ...:", "machinery: a skeleton's tuple of placeholders not named"),
    ('00e_exercises', "except Exception as e: return None, f\"{what} returned a {type(x).__name__} that cannot be read as numbers ({type(e).__name__})\"",
     "except ZeroDivisionError as e: return None, f\"{what} returned something unreadable\"",
     "machinery: an error while reading the answer escapes as an exception"),
    ('00e_exercises', "if kind in ('sign', 'transpose', 'factor', 'offset') and set(_kinds(fn, cases, want_fn, rtol, atol)) != {kind}:",
     "if False:", 'machinery: a cause named from one case'),
    ('00e_exercises', "if dt != torch.float32: return rtol, atol", "return rtol, atol", 'machinery: float32 answers held to float64 tolerance'),
    ('00e_exercises', "if x.is_floating_point(): t.answer_dtype = x.dtype", "pass", "machinery: an answer's dtype forgotten"),
    ('01_fitting', "return a*x**2 + b*x + c", "return a*x**2 + b*x - c", 'quadratic: sign of c'),
    ('01_fitting', "return (preds - acts).abs().mean()", "return (preds - acts).abs().sum()", 'MAE summed, not averaged'),
    ('01_fitting', "x = torch.linspace(-2, 2, steps=n)[:, None]", "x = torch.linspace(-2, 2, steps=n + 1)[:n, None]",
     'data: off by one in the grid'),
    ('02_descent', "p -= p.grad * (lr(i) if callable(lr) else lr)", "p += p.grad * (lr(i) if callable(lr) else lr)",
     'descend goes uphill'),
    ('02_descent', "if zero_grad: p.grad.zero_()", "if not zero_grad: p.grad.zero_()", 'zero_grad inverted'),
    ('02_descent', "return lambda i: start + (end - start) * min(i, steps) / steps",
     "return lambda i: start + (end - start) * min(i + 1, steps) / steps", 'lr_decay: off by one'),
    ('02_descent', "def loss2(pq): return loss_fn(make(*[pq[0] if k == p else pq[1] if k == q else v for k, v in start.items()])(x), y)",
     "def loss2(pq): return loss_fn(make(*[pq[1] if k == p else pq[0] if k == q else v for k, v in start.items()])(x), y)",
     'loss_landscape: the two parameters swapped'),
    ('02_descent', "return ps, qs, torch.tensor([[loss2((pv, qv)).item() for pv in ps] for qv in qs])",
     "return ps, qs, torch.tensor([[loss2((pv, qv)).item() for qv in qs] for pv in ps])", 'loss_landscape: contour grid transposed'),
    ('02_descent', "grad.view(-1)[i] = (float(loss_fn(up)) - float(loss_fn(down))) / (2 * eps)",
     "grad.view(-1)[i] = (float(loss_fn(up)) - float(loss_fn(down))) / eps", 'fd_grad: factor 2 missing'),
    # lessons 1-2's checkers: each family of issue 16 (a case dropped, a contract unchecked, judged by the wrong value)
    ('01_fitting', "v = check_fn(made, [(col,), (flat,)], partial(_cubic, a, b, c, d), call, hints, typical=mistakes)",
     "v = check_fn(made, [(col,)], partial(_cubic, a, b, c, d), call, hints, typical=mistakes)",
     'check_mk_cubic: a column only, never a flat x'),
    ('01_fitting', "best_c = r.median().item()", "best_c = r.mean().item()", 'check_best_c: judged against the mean'),
    ('02_descent', "with torch.no_grad(): out = fn(*args)", "out = fn(*args)", 'check_mae_grad: autograd let through'),
    ('02_descent', "u, right_points = v / v.norm(), seen(p + eps * v, p - eps * v)", "u, right_points = v / v.norm(), True",
     'check_slope_along: where loss_fn is evaluated never checked'),
    ('02_descent', "replaced = k >= len(params) or params[k] is not p", "replaced = True",
     'check_descent_step: a tensor left out called not in place'),
    ('03_relu', "return torch.clip(m*x + b, 0.)", "return torch.clip(m*x - b, 0.)", 'ReLU: sign of b'),
    ('03_relu', "return torch.clip(x * p[:, 0] + p[:, 1], 0.).sum(-1, keepdim=True)",
     "return torch.clip(x * p[:, 0] + p[:, 1], 0.).sum(0, keepdim=True)", 'sum_relus: sums over the wrong axis'),
    ('03_relu', "return torch.stack([m, -m * hook], 1).flatten()", "return torch.stack([m, m * hook], 1).flatten()",
     'relu_start: hook on the wrong side'),
    ('03_relu', "return min(fits, key=lambda fit: float(loss_fn(fit[0])))",
     "return max(fits, key=lambda fit: float(loss_fn(fit[0])))", 'fit_relus keeps the worst seed'),
    ('03_relu', "return (p[:, 2] * torch.clip(x * p[:, 0] + p[:, 1], 0.)).sum(-1, keepdim=True)",
     "return torch.clip(p[:, 2] * (x * p[:, 0] + p[:, 1]), 0.).sum(-1, keepdim=True)",
     'weighted_relus: the output weight inside the clip'),
    ('03_relu', "c = torch.rand(n, generator=torch.Generator().manual_seed(seed + 1000)) * 2 - 1  # not the slopes' own draws",
     "c = torch.rand(n, generator=torch.Generator().manual_seed(seed)) * 2 - 1", "weighted_start: c is the slopes' draws"),
    ('03_relu', "hooks = torch.linspace(float(x.min()), float(x.max()), n + 1, dtype=torch.float64)[:-1]",
     "hooks = torch.linspace(float(x.min()), float(x.max()), n, dtype=torch.float64)",
     'fit_output_weights: the last hook on the last point (a column of zeros)'),
    ('03_relu', "return torch.clip(p[:, 0] * (x - p[:, 1]), 0.).sum(-1, keepdim=True)",
     "return torch.clip(p[:, 0] * (x + p[:, 1]), 0.).sum(-1, keepdim=True)", 'hook_relus (the reference): the hook at -h'),
    ('03_relu', "if ((got[2:] - 2 * got[1:-1] + got[:-2]) >= -1e-9).all():",
     "if ((got[2:] - 2 * got[1:-1] + got[:-2]) <= 1e-9).all():", "check_tent: 'only bends up' for a curve that bends down"),
    ('04_engine', 'def _backward(g): self.grad += (self.data > 0) * g',
     'def _backward(g): self.grad += (self.data >= 0) * g', 'relu backward: slope 1 at exactly 0 (>= instead of >)'),
    ('04_engine', 'self.grad += other.data * g',
     'self.grad += self.data * g', 'product rule: own factor instead of the other'),
    ('04_engine', 'def _backward(g): self.grad += (1 - t*t) * g',
     'def _backward(g): self.grad += (1 - t) * g', 'tanh backward: 1 - t instead of 1 - t²'),
    ('04_engine', 'if v._prev: v.grad = 0.0  # results start from zero; leaves (inputs, parameters) accumulate',
     'pass', 'backward does not reset the computed nodes'),
    ('04_engine', 'xi.grad += wi.data * g',
     'xi.grad += xi.data * g', 'wsum: input gradient times the input, not the weight'),
    ('04_engine', '_TWICE_CASES = [(3.0, -2.0), (0.5, 4.0), (-1.5, -0.25), (2.0, 1.25)]',
     '_TWICE_CASES = [(3.0, -2.0)]', 'check_used_twice tries one point: hard-coded numbers pass'),
    # lesson 5, a neural net on the engine
    ('05_nn', 'return act.relu() if self.nonlin else act', 'return act.relu()', 'the linear neuron gets a ReLU too'),
    ('05_nn', 'data_loss = sum(losses) * (1.0 / len(losses))',
     'data_loss = sum(losses)', 'SVM loss summed, not averaged'),
    ('05_nn', 'for p in model.parameters(): p.data -= lr * p.grad',
     'for p in model.parameters(): p.data += lr * p.grad', 'sgd_step steps uphill'),
    ('05_nn', 'model.zero_grad()', 'pass', 'sgd_step forgets zero_grad'),
    ('05_nn', 'decay = 2 * alpha * before  # the gradient of alpha·p²',
     'decay = alpha * before', "check_decay_step's penalty gradient without its factor 2"),
    ('05_nn', 'if given[0] != w or given[2] != x:', 'if False:', 'check_sigmoid_grads misses inputs changed in place'),
    # lesson 6, data
    ('06_data', 'n_valid = int(round(len(X) * valid_pct))',
     'n_valid = int(len(X) * valid_pct)', 'split truncates, not rounds'),
    ('06_data', 'tr, va = idx[n_valid:], idx[:n_valid]',
     'tr, va = idx[n_valid+1:], idx[:n_valid]', 'split loses a row'),
    ('06_data', 'j = idx[i:i+bs]', 'j = idx[i:i+bs-1]', 'batches: off by one'),
    ('06_data', "shape = struct.unpack(f'>{ndim}I', data[4:4 + 4*ndim])",
     "shape = struct.unpack(f'<{ndim}I', data[4:4 + 4*ndim])", 'read_idx: little-endian sizes'),
    # lesson 7, logistic regression
    ('07_logistic', 'return z.clamp_min(0) + torch.log1p(torch.exp(-z.abs()))',
     'return z.clamp_min(0) + torch.log1p(torch.exp(-z))', 'softplus: exp(-z) instead of exp(-|z|)'),
    ('07_logistic', 'def backward(self): return (self.p - self.t) / len(self.p)',
     'def backward(self): return self.p - self.t', 'BCE gradient without the 1/N'),
    ('07_logistic', 'return loss, X.T @ dz, dz.sum()',
     'return loss, X.T @ dz, dz.mean()', 'bias gradient averaged twice'),
    ('07_logistic', 'b -= lr * db', 'b += lr * db', 'train_logistic: the bias steps uphill'),
    # lessons 6 and 7, their checkers
    ('06_data', 'if got == want + [n % bs]:', 'if False:', 'check_batches: a last, smaller batch is not named'),
    ('06_data', 'if self.reuse and self.last is not None: self.last.fill_(math.nan)', 'pass',
     'check_stream_stats: the reader keeps its batches, so an answer that stores them passes'),
    ('06_data', 'if abs(v_c - pct * n_c) >= 1:', 'if abs(v_c - pct * n_c) >= 3:',
     'check_stratified_split: class shares judged loosely'),
    ('07_logistic', "((torch.sigmoid(z) - t)**2).mean().backward()", "((torch.sigmoid(z) - t)**2).sum().backward()",
     'check_mse_backward: the reference differentiates the sum, not the mean'),
    ('07_logistic', 'return F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(pos_weight, dtype=z.dtype))',
     'return F.binary_cross_entropy_with_logits(z, t)', "check_weighted_bce: the reference forgets pos_weight"),
    ('07_logistic', '_weighted_bce(z, t, pos_weight).backward()', '_weighted_bce(z, t, 1.).backward()',
     'check_weighted_bce_backward: the reference ignores pos_weight'),
    # lesson 8, an MLP by hand
    ('08_mlp', 'self.db = dout.sum(0)      # db = column sums of dZ',
     'self.db = dout.mean(0)', 'Linear: bias gradient averaged'),
    ('08_mlp', 'def backward(self, dout): return dout * self.out.sign()  # sign(out) is 1 where x > 0, else 0',
     'def backward(self, dout): return dout * (self.out >= 0)', 'ReLU backward passes the gradient where x <= 0'),
    ('08_mlp', 'return d / len(d)', 'return d', 'softmax-CE gradient without the 1/N'),
    ('08_mlp', 'p.add_(g, alpha=-self.lr)', 'p.add_(g, alpha=self.lr)', 'SGD steps uphill'),
    ('08_mlp', 'self.t += 1', 'self.t = 1', 'Optimizer does not count its steps'),
    ('08_mlp', 'rows = [h for i, h in enumerate(hist) if i % every == every - 1 or i == len(hist) - 1]',
     'rows = [h for i, h in enumerate(hist) if i % every == 0 or i == len(hist) - 1]',
     'history_table shows the wrong epochs'),
    ('08_mlp', 'if not math.isfinite(g.sum()) and not torch.isfinite(g).all():',
     'if not math.isfinite(g.sum()):', 'an overflowing sum of finite gradients taken for NaN'),
    ('08_mlp', 'for i, args in enumerate(cases, 1):', 'for i, args in enumerate(cases[:1], 1):',
     'check_grad_cases: only the first case'),
    ('08_mlp', 'if moved: return wrong(f"{what} changed its input number {\', \'.join(moved)} in place ({case})", rows,',
     'if False: return wrong(f"{what} changed its input number {\', \'.join(moved)} in place ({case})", rows,',
     'check_grad_cases: inputs changed in place go unnoticed'),
    ('08_mlp', 'if e is None and t.shape == value.shape and torch.allclose(t, value.to(torch.float64), rtol, atol):',
     'if e is None:', "check_grad_cases: a known mistake's hint without the numbers showing it"),
    ('08_mlp', 'return [(x, r(5, 4), 0.1), (r(1, 3), r(1, 3), 0.25), (r(3, 7), r(3, 7), 0.02)]',
     'return [(x, r(5, 4), 0.1), (r(1, 3), r(1, 3), 0.1), (r(3, 7), r(3, 7), 0.1)]', 'LeakyReLU checker: one slope only'),
    # lesson 9, normalization
    ('09_norm', 'self.running_var.mul_(1-m).add_(m*var*N/(N-1))',
     'self.running_var.mul_(1-m).add_(m*var)', 'running variance biased, unlike torch'),
    ('09_norm', 'return _norm_backward(d, self.xhat, self.inv_std, 0) if self.training else d*self.inv_std',
     'return _norm_backward(d, self.xhat, self.inv_std, 0)', 'BatchNorm eval backward as if the statistics moved'),
    ('09_norm', 'return inv_std/N * (N*d - d.sum(dim, keepdim=True) - xhat*(d*xhat).sum(dim, keepdim=True))',
     'return inv_std/N * (N*d - d.sum(dim, keepdim=True) + xhat*(d*xhat).sum(dim, keepdim=True))',
     'normalization backward: sign of the projection term'),
    ('09_norm', 'mean, var = x.mean(1, keepdim=True), x.var(1, unbiased=False, keepdim=True)',
     'mean, var = x.mean(1, keepdim=True), x.var(1, keepdim=True)', 'LayerNorm: unbiased variance'),
    ('09_norm', "h, best = hist[-1], min(hist, key=lambda e: e['valid_loss'])",
     "h, best = hist[-1], max(hist, key=lambda e: e['valid_loss'])", 'runs_table reports the worst epoch as the best'),
    ('09_norm', "[(8, 3, 2., 1., 1e-5), (2, 5, .5, -1., .1), (6, 6, 1., 0., 1e-3), (16, 4, .3, 2., 1.)]]",
     "[(8, 3, 2., 1., 1e-5), (2, 5, .5, -1., 1e-5), (6, 6, 1., 0., 1e-5), (16, 4, .3, 2., 1e-5)]]",
     'BatchNorm steps checker: one eps only'),
    ('09_norm', "return [(r(4, 6)*2 + 1, r(6), 1e-3), (r(1, 5)*.3, r(5), .5), (r(7, 3)*torch.tensor([[.1], [1.], [3.], [.5], [2.], [1.], [4.]]) - 1, r(3), 1e-8)]",
     "return [(r(4, 6)*2 + 1, r(6), 1e-3)]", 'RMSNorm checker: one case'),
    # lesson 10, dropout
    ('10_dropout', 'if keep is None: keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p',
     'if keep is None: keep = torch.rand(x.shape, generator=self.generator, device=x.device) < self.p',
     'dropout keeps a unit with probability p, not 1 - p'),
    ('10_dropout', 'self.scale = keep.to(x.dtype)/(1 - self.p)',
     'self.scale = keep.to(x.dtype)', 'dropout without the 1/(1-p)'),
    ('10_dropout', 'if not self.training or self.p == 0: self.scale = None; return x',
     'if self.p == 0: self.scale = None; return x', 'dropout in eval mode too'),
    ('10_dropout', 'def backward(self, dout): return dout if self.scale is None else dout*self.scale',
     'def backward(self, dout): return dout', 'dropout backward ignores the mask'),
    ('10_dropout', 'if not torch.equal(xc, x): return None, f"`{name}` changed x in place: return a new tensor and leave x as it is"',
     'if False: return None, ""', "dropout checkers: an answer that changes x in place passes"),
    ('10_dropout', 'if len(torch.unique(r, dim=0)) < len(r): return "some rows of x got the same random draws: each element needs its own"',
     'if False: return ""', "dropout checkers: one mask shared by every row passes"),
    ('10_dropout', 'if torch.equal(gen.get_state(), state0):', 'if False:',
     "check_mask_vote: passes in eval mode not told apart"),
    # lesson 11, optimizers
    ('11_optim', "s['v'] = g.clone() if self.t == 1 else self.momentum*s['v'] + g",
     "s['v'] = g.clone() if self.t == 1 else self.momentum*s['v'] + (1 - self.momentum)*g", 'momentum with dampening'),
    ('11_optim', "s['v'] = b2*s['v'] + (1-b2)*g*g",
     "s['v'] = b2*s['v'] + (1-b2)*g", "Adam's second moment of g, not g²"),
    ('11_optim', "mhat, vhat = s['m']/(1 - b1**t), s['v']/(1 - b2**t)",
     "mhat, vhat = s['m']/(1 - b1**t), s['v']/(1 - b1**t)", "Adam's bias correction with β1 for both moments"),
    ('11_optim', 'p *= 1 - self.lr*self.weight_decay',
     'p *= 1 - self.weight_decay', 'AdamW decay not scaled by the learning rate'),
    ('11_optim', "s['v'] = self.alpha*s['v'] + (1 - self.alpha)*g*g",
     "s['v'] = self.alpha*s['v'] + (1 - self.alpha)*g", "RMSProp averages g, not g²"),
    ('11_optim', "p -= self.lr*g/(s['v'].sqrt() + self.eps)",
     "p -= self.lr*g/(s['v'] + self.eps)", "RMSProp divides by v, not its square root"),
    ('11_optim', "for lr, mu in _NESTEROV_CASES:", "for lr, mu in _NESTEROV_CASES[:1]:", 'check_nesterov: one setting only'),
    ('11_optim', "before = [x.clone() for x in ins]", "before = list(ins)", 'checkers: inputs changed in place go unseen (no copy)'),
    ('11_optim', "for lr, alpha, eps, mu in _RMS_CASES:", "for lr, alpha, eps, mu in _RMS_CASES[:1]:", 'check_rmsprop: one setting only'),
    ('11_optim', "for lr, betas, eps, wd, opt in _AMS_CASES:",
     "for lr, betas, eps, wd, opt in [(lr, (b[0], 0.999), *rest) for lr, b, *rest in _AMS_CASES]:",
     "check_amsgrad: β2 = 0.999 in every setting, where v hardly shrinks in 5 steps and the max hardly matters"),
    ('11_optim', 'if changed: return wrong(f"`my_amsgrad_step` changed its input "',
     'if False: return wrong(f"`my_amsgrad_step` changed its input "', 'check_amsgrad: inputs changed in place go unseen'),
    # lesson 12, the handoff
    ('12_handoff', 'with torch.no_grad(): m.weight.copy_(l.W.T); m.bias.copy_(l.b)',
     'with torch.no_grad(): m.weight.copy_(l.W.T)', 'to_torch forgets the biases'),
    ('12_handoff', 'm.running_mean.copy_(l.running_mean); m.running_var.copy_(l.running_var)',
     'm.running_mean.copy_(l.running_mean)', 'to_torch forgets the running variance'),
    ('12_handoff', 'elif isinstance(l, Dropout): m = nn.Dropout(l.p)',
     'elif isinstance(l, Dropout): m = nn.Dropout()', "to_torch: torch's default dropout rate, not the layer's"),
    ('12_handoff', 'return DataLoaders(DataLoader(TensorDataset(*train), batch_size=bs, shuffle=True, generator=gen),',
     'return DataLoaders(DataLoader(TensorDataset(*train), batch_size=bs, shuffle=False, generator=gen),',
     'digits_dls does not shuffle the training batches'),
    ('12_handoff', "if shares_memory(out, net):", "if False:", 'check_from_torch: a copy that shares memory accepted'),
    ('12_handoff', "for k in range(len(_TRAIN_CASES)):", "for k in range(1):", 'check_train: one case only'),
    ('12_handoff', "if i % accum == 0:", "if True:", "check_train's reference loop ignores accum"),
]

# the pytest files that exercise each notebook's module (browser tests are left out: too slow for each mutant)
TESTS = {
    '00a_checks': ['tests/test_package.py'], '00b_show': [], '00c_fitplot': [], '00e_exercises': ['tests/test_exercises.py', 'tests/test_checkers_adversarial.py'],
    '01_fitting': [], '02_descent': [], '03_relu': [],
    '04_engine': ['tests/test_engine.py'], '05_nn': ['tests/test_engine.py'],
    '06_data': ['tests/test_backprop.py'], '07_logistic': ['tests/test_backprop.py'],
    '08_mlp': ['tests/test_backprop.py', 'tests/test_tricks.py'],
    '09_norm': ['tests/test_tricks.py'], '10_dropout': ['tests/test_tricks.py'], '11_optim': ['tests/test_tricks.py'],
    '12_handoff': ['tests/test_tricks.py'],
    'nnscratch/fitplot.js': ['tests/test_descent_twins.py'],  # Chromium on a blank page: seconds, not a Jupyter server
}

def export_lines(nb):
    "(cell index, line index, stripped line) of every line in the notebook's exported cells"
    out = []
    for i, c in enumerate(nb['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or not src.lstrip().startswith('#| export'): continue
        out += [(i, j, l.strip()) for j, l in enumerate(src.split('\n'))]
    return out

def is_file(name): return '/' in name  # a package file's path, not a notebook's name

def plant_file(text, line, bug):
    "`text` (a file's) with `line` replaced by `bug`, keeping the indentation; error if not found once"
    lines = text.split('\n')
    hits = [j for j, l in enumerate(lines) if l.strip() == line.strip()]
    if len(hits) != 1: raise LookupError(f"found {len(hits)} times in the file: {line!r}")
    lines[hits[0]] = lines[hits[0]][:len(lines[hits[0]]) - len(lines[hits[0]].lstrip())] + bug.strip()
    return '\n'.join(lines)

def plant(nb, line, bug):
    "A copy of notebook `nb` (a dict) with `line` replaced by `bug`, keeping the indentation; error if not found once"
    hits = [(i, j) for i, j, l in export_lines(nb) if l == line.strip()]
    if len(hits) != 1: raise LookupError(f"found {len(hits)} times in the exported cells: {line!r}")
    (i, j), nb = hits[0], json.loads(json.dumps(nb))
    lines = ''.join(nb['cells'][i]['source']).split('\n')
    lines[j] = lines[j][:len(lines[j]) - len(lines[j].lstrip())] + bug.strip()
    nb['cells'][i]['source'] = '\n'.join(lines).splitlines(keepends=True)
    return nb

def run(cmd, cwd, env, timeout=900):
    try: r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return False, 'timed out'
    return r.returncode == 0, (r.stdout + r.stderr)[-2000:]

def scratch_copy(dest):
    "Copy what the notebooks and tests need (not the venv, not the docs) to `dest`"
    skip = shutil.ignore_patterns('.venv*', '_docs', '_proc', '.git', '__pycache__', '*.egg-info', '.ipynb_checkpoints',
                                  '.hypothesis', '.pytest_cache', 'build', 'dist')
    shutil.copytree(REPO, dest, ignore=skip)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--list', action='store_true', help='only check that every mutant applies')
    ap.add_argument('--only', help='only the mutants whose notebook or description contains this text')
    ap.add_argument('--keep', help='scratch folder to use and keep (default: a temporary one, removed)')
    a = ap.parse_args(argv)
    todo = [m for m in MUTANTS if not a.only or a.only in m[0] or a.only in m[3]]
    if not todo: ap.error(f"--only {a.only!r}: no mutant's notebook or description contains it")
    nbs = {name: (REPO / name).read_text(encoding='utf-8') if is_file(name) else
           json.loads((REPO / 'nbs' / f'{name}.ipynb').read_text(encoding='utf-8')) for name in {m[0] for m in todo}}
    bad = []
    for name, line, bug, why in todo:
        try: (plant_file if is_file(name) else plant)(nbs[name], line, bug)
        except LookupError as e: bad.append(f"{name}: {why}: {e}")
        if name not in TESTS: bad.append(f"{name}: no pytest files listed in TESTS")
    if bad: print('mutants that do not apply:\n  ' + '\n  '.join(sorted(set(bad)))); return 1
    if a.list: print(f"{len(todo)} mutants over {len(nbs)} notebooks and files, each applies once"); return 0
    tmp = Path(a.keep or tempfile.mkdtemp(prefix='nnscratch-mutants-'))
    if tmp.exists(): shutil.rmtree(tmp)
    scratch_copy(tmp)
    # the copy's package comes first on the path, before the editable install of this checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    survivors, t_all = [], time.monotonic()
    try:
        for k, (name, line, bug, why) in enumerate(todo, 1):
            path, t0 = (tmp / name if is_file(name) else tmp / 'nbs' / f'{name}.ipynb'), time.monotonic()
            original = nbs[name] if is_file(name) else json.dumps(nbs[name], indent=1, ensure_ascii=False)
            path.write_text(plant_file(nbs[name], line, bug) if is_file(name) else
                            json.dumps(plant(nbs[name], line, bug), indent=1, ensure_ascii=False), encoding='utf-8')
            try:
                passed, by = True, 'notebook'
                if not is_file(name):
                    ok, out = run(['nbdev_export'], tmp, env)
                    if not ok: raise RuntimeError(f"nbdev_export failed on mutant {k}:\n{out}")
                    passed, _ = run(['nbdev_test', '--path', f'nbs/{name}.ipynb'], tmp, env)
                if passed:
                    pytest = [sys.executable, '-m', 'pytest', '-x', '-q', '-p', 'no:cacheprovider', *TESTS[name]]
                    if TESTS[name]: passed, _ = run(pytest, tmp, env)
                    by = 'pytest'
            finally:
                path.write_text(original, encoding='utf-8')
            print(f"{'SURVIVED' if passed else 'killed':8} {f'by {by}' if not passed else '':12} {name:12} {why} "
                  f"({time.monotonic() - t0:.0f} s)", flush=True)
            if passed: survivors.append(f"{name}: {why}: {line.strip()} -> {bug.strip()}")
        run(['nbdev_export'], tmp, env)
    finally:
        if not a.keep: shutil.rmtree(tmp, ignore_errors=True)
    n = len(todo)
    print(f"\nkilled {n - len(survivors)} of {n} mutants ({100 * (n - len(survivors)) / n:.0f} %) in "
          f"{time.monotonic() - t_all:.0f} s" + ''.join(f"\n  survived: {s}" for s in survivors))
    return 1 if survivors else 0

if __name__ == '__main__': sys.exit(main())
