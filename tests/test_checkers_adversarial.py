"""Checkers you can trust (issue 16): every wrong answer caught, every right one accepted, no crash, no hang.

- Adversarial answers (`checker_answers.py`): for each of the lessons' checkers, plausible wrong answers that its
  hidden cells do not name, and right answers in another style. One summary line counts false accepts, false
  rejects, crashes and hangs, then lists each failure.
- Automatic wrong answers, derived from each checker's reference solution (its lesson's solution cell): each
  non-tensor argument (a hyper-parameter) replaced by the first value the checker passed, the tensor inputs changed
  in place, the output detached, reshaped, or rounded to float16. Each must be rejected; one that makes no difference
  on the checker's own calls (a float16 rounding within the checker's tolerance) is not a wrong answer, left out.
- Properties: each checker's calls give every argument of the learner's function at least two values; a checker
  gives the same verdict twice; after every wrong answer has run, the reference still passes.
Today's failures are listed in KNOWN, the one place: each is an xfail(strict=True), so a fix must remove its line.
"""
import functools, inspect, json, re, warnings
import pytest
import torch
from nnscratch.exercises import Verdict, TimeUp, time_limit
from nnscratch.engine import Value, _node

from tests.test_exercises import LESSONS, _checkers, _sections
from tests.checker_answers import WRONG, RIGHT, Args

HANG_S = 60  # a checker that takes longer on one answer hangs
CHECKERS = {name: (stem, mod) for stem, mod, name in _checkers()}

def _check(name): return getattr(CHECKERS[name][1], name)

# ---------------------------------------------------------------- the reference solutions, from the lessons

class _Call(Exception): pass

@functools.cache
def references():
    "checker name -> (args, kwargs) of its call in the lesson's solution cell"
    out = {}
    for nb in LESSONS:
        mod = CHECKERS[next(n for n, (s, _) in CHECKERS.items() if s == nb.stem)][1]
        for c in _sections(nb)[2]:
            src = ''.join(c['source'])
            m = re.search(r'^v = (check_\w+)\((.*)\); assert v, v$', src, re.M)
            ns = dict(vars(mod))
            if 'Learner' in src:
                from fastai.learner import Learner
                from fastai.metrics import accuracy
                ns.update(Learner=Learner, accuracy=accuracy)
            exec(compile(src[:m.start()], f"<{nb.stem} solution>", 'exec'), ns)
            out[m[1]] = eval(f"(lambda *a, **k: (a, k))({m[2]})", ns)
    return out

def _function_checker(name):
    args, _ = references()[name]
    return callable(args[0]) and not isinstance(args[0], (dict, list, tuple))

def run(name, answer):
    "The checker's verdict on `answer`, or 'crash: ...' or 'hang'"
    if isinstance(answer, Exception): return f"crash: {answer}"
    args = tuple(answer) if isinstance(answer, Args) else (answer,)
    try:
        with warnings.catch_warnings(), time_limit(HANG_S):
            warnings.simplefilter('ignore')
            v = _check(name)(*args)
    except TimeUp: return 'hang'
    except Exception as e: return f"crash: {type(e).__name__}: {e}"[:300]
    return v if isinstance(v, Verdict) else f"crash: returned {type(v).__name__}, not a Verdict"

# ---------------------------------------------------------------- automatic wrong answers

HYPER = (int, float, bool, tuple, torch.Generator)

def _record(fn, calls):
    "`fn`, recording the arguments it receives (bound to its parameters) and what it returns"
    sig = inspect.signature(fn)
    @functools.wraps(fn)
    def rec(*a, **k):
        b = sig.bind(*a, **k); b.apply_defaults()
        seen = {n: _fingerprint(v) for n, v in b.arguments.items()}
        first = {n: (v.initial_seed() if isinstance(v, torch.Generator) else v) for n, v in b.arguments.items()}
        out = fn(*a, **k)
        calls.append((seen, first, out))
        return out
    return rec

def _fingerprint(x, depth=0):
    "A hashable summary of an argument's value, to count the different values an argument gets"
    if torch.is_tensor(x): return ('tensor', tuple(x.shape), str(x.dtype), tuple(x.detach().flatten()[:64].tolist()))
    if isinstance(x, (bool, int, float, str, type(None))): return (type(x).__name__, x)
    if isinstance(x, (list, tuple)): return tuple(_fingerprint(v, depth) for v in x)
    if isinstance(x, dict): return tuple((k, _fingerprint(v, depth)) for k, v in x.items())
    if isinstance(x, torch.Generator): return ('generator', x.initial_seed())
    if isinstance(x, torch.nn.Module): return ('module', _fingerprint(dict(x.state_dict()), depth))
    if isinstance(x, Value): return ('Value', x.data)
    if hasattr(x, 'layers') and hasattr(x, 'parameters'):  # a network of the course's layers: callable, not a function
        return ('layers', _fingerprint(list(x.parameters()), depth))
    if callable(getattr(x, 'parameters', None)) and not callable(getattr(x, 'state_dict', None)):  # an engine MLP: its numbers
        try: return ('parameters', tuple(_fingerprint(p, depth) for p in list(x.parameters())[:64]))
        except Exception: pass
    if callable(x):
        f = getattr(x, 'f', x)
        return ('function', getattr(getattr(f, '__code__', None), 'co_firstlineno', type(f).__name__))
    if depth < 2 and hasattr(x, '__dict__'):
        return (type(x).__name__, _fingerprint({k: v for k, v in vars(x).items() if not k.startswith('_')}, depth + 1))
    return type(x).__name__

@functools.cache
def recorded(name):
    "The calls of the reference function when its checker judges it: [(fingerprints, values, output)]"
    (fn, *rest), kw = references()[name]
    calls = []
    try: v = _check(name)(_record(fn, calls), *rest, **kw)
    except Exception as e: v = e
    if not v: raise AssertionError(f"{name} does not accept its own reference: {v!r}")
    return calls

def _map_out(out, f):
    "`f` applied to each tensor in the output (a tensor, or a tuple or list of them)"
    if torch.is_tensor(out): return f(out)
    if isinstance(out, (tuple, list)): return type(out)(_map_out(o, f) for o in out)
    return out

def _tensors_out(out):
    if torch.is_tensor(out): return [out]
    if isinstance(out, (tuple, list)): return [t for o in out for t in _tensors_out(o)]
    return []

IN_PLACE = {'check_descent_step', 'check_decay_step'}  # exercises whose function changes its input by design

def auto_wrong(name):
    "label -> a wrong answer derived from the reference of checker `name`"
    (fn, *_), _ = references()[name]
    calls, sig = recorded(name), inspect.signature(fn)
    out = {}
    for p in sig.parameters:
        firsts = [c[1][p] for c in calls]
        if calls and isinstance(firsts[0], HYPER) and not isinstance(firsts[0], torch.Tensor):
            const = firsts[0]
            def fixed(*a, _p=p, _c=const, **k):
                b = sig.bind(*a, **k); b.apply_defaults()
                b.arguments[_p] = torch.Generator().manual_seed(_c) if isinstance(b.arguments[_p], torch.Generator) else _c
                return fn(*b.args, **b.kwargs)
            out[f"`{p}` fixed to {const!r}"] = fixed
    if name not in IN_PLACE and any(c[0][p][0] == 'tensor' and 'float' in c[0][p][2]  # only float inputs get changed
                                    for c in calls for p in c[0] if isinstance(c[0][p], tuple)):
        def mutates(*a, **k):
            res = fn(*a, **k)
            res = _map_out(res, lambda t: t.clone())
            for x in a:
                if torch.is_tensor(x) and x.is_floating_point(): x.add_(1.)
            return res
        out['changes its tensor inputs in place'] = mutates
    outs = [c[2] for c in calls]
    if any(isinstance(o, Value) for o in outs):
        out['the output detached from the graph'] = lambda *a, **k: Value(fn(*a, **k).data)
    if any(t.numel() > 1 for o in outs for t in _tensors_out(o)):
        out['the output reshaped'] = lambda *a, **k: _map_out(fn(*a, **k), lambda t: t.reshape(-1, 1) if t.dim() != 2 or t.shape[1] != 1 else t.reshape(-1))
    if any(not torch.allclose(t.half().double(), t.double(), 1e-5, 1e-6) for o in outs for t in _tensors_out(o) if t.is_floating_point()):
        out['computed in float16'] = lambda *a, **k: _map_out(fn(*a, **k), lambda t: t.half() if t.is_floating_point() else t)
    return out

# ---------------------------------------------------------------- the cases, and today's failures

def cases():
    "(checker, kind, label, answer): kind is 'wrong', 'right' or 'auto'"
    out = []
    for name in sorted(CHECKERS):
        out += [(name, 'wrong', k, a) for k, a in WRONG[name].items()]
        out += [(name, 'right', k, a) for k, a in RIGHT[name].items()]
        args, _ = references()[name]
        out.append((name, 'right', 'the reference solution', Args(*args) if not _function_checker(name) else args[0]))
    return out

@functools.cache
def auto_cases():
    out = []
    for name in sorted(CHECKERS):
        if not _function_checker(name): continue
        try: out += [(name, 'auto', k, a) for k, a in auto_wrong(name).items()]
        except AssertionError as e: out.append((name, 'auto', 'derived from the reference', e))
    return out

# (checker, label) -> why it fails today; the per-lesson fixes remove their lines (issue 16). Labels: an answer's
# label, "`param` varies" for the property test, 'same verdict twice', 'reference after the wrong answers'.
FIXED_ARG = "an argument the checker never varies: every case passes the same value"
ONE_CASE = "a single case (one shape, one batch): every argument gets one value"
IN_PLACE_OK = "the contract is unchecked: an answer that changes its inputs in place is accepted"
KNOWN = {
}

def outcome(kind, v):
    "'ok', or what went wrong: 'false accept', 'false reject', 'crash', 'hang'"
    if isinstance(v, str): return 'hang' if v == 'hang' else 'crash'
    if kind == 'right': return 'ok' if v.ok else 'false reject'
    return 'false accept' if v.ok else 'ok'

@functools.cache
def result(name, kind, label):
    answer = dict((k, a) for n, kd, k, a in cases() + auto_cases() if n == name and kd == kind)[label]
    return run(name, answer)

def _id(c): return f"{c[0]}::{c[1]}::{c[2]}"

def _param(c, what):
    why = KNOWN.get((c[0], c[2]))
    marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
    return pytest.param(*c[:3], id=_id(c), marks=marks)

@pytest.mark.parametrize('name,kind,label', [_param(c, 'case') for c in cases()])
def test_adversarial(name, kind, label):
    v = result(name, kind, label)
    assert outcome(kind, v) == 'ok', f"{name} on {kind} answer {label!r}: {outcome(kind, v)}: {v!r}"

def _auto_params():
    try: return [_param(c, 'auto') for c in auto_cases()]
    except Exception as e: return [pytest.param('?', 'auto', repr(e), id='references')]

@pytest.mark.parametrize('name,kind,label', _auto_params())
def test_automatic_wrong_answer_is_rejected(name, kind, label):
    v = result(name, kind, label)
    assert outcome(kind, v) == 'ok', f"{name} on {label!r}: {outcome(kind, v)}: {v!r}"

def test_summary(capsys):
    "One line: wrong and right answers, false accepts, false rejects, crashes, hangs; then each failure"
    every = cases() + auto_cases()
    res = [(c, outcome(c[1], result(*c[:3]))) for c in every]
    n = {k: sum(o == k for _, o in res) for k in ('false accept', 'false reject', 'crash', 'hang')}
    wrong = sum(c[1] != 'right' for c in every)
    line = (f"adversarial: {wrong} wrong answers, {len(every) - wrong} right answers: false accepts {n['false accept']}, "
            f"false rejects {n['false reject']}, crashes {n['crash']}, hangs {n['hang']}")
    fails = [f"  {o:12} {c[0]} :: {c[1]} :: {c[2]} :: {str(result(*c[:3])).splitlines()[-1][:160]!s}"
             for c, o in res if o != 'ok']
    with capsys.disabled(): print('\n' + line + ''.join('\n' + f for f in fails))
    unknown = [f for (c, o), f in zip([r for r in res if r[1] != 'ok'], fails) if (c[0], c[2]) not in KNOWN]
    assert not unknown, "failures not in KNOWN:\n" + '\n'.join(unknown)

# ---------------------------------------------------------------- properties

def _arg_params():
    out = []
    for name in sorted(CHECKERS):
        try: fn_checker = _function_checker(name)
        except Exception as e: return [pytest.param('?', id='references')]
        if not fn_checker: continue
        for p in inspect.signature(references()[name][0][0]).parameters:
            try: recorded(name)
            except AssertionError: pass
            why = KNOWN.get((name, f"`{p}` varies"))  # a checker whose reference fails has no calls to count
            out.append(pytest.param(name, p, id=f"{name}::{p}", marks=[pytest.mark.xfail(strict=True, reason=why)] if why else []))
    return out

@pytest.mark.parametrize('name,param', _arg_params())
def test_every_argument_gets_two_values(name, param):
    "The checker's calls give each argument of the learner's function two values at least (a default counts as one)"
    values = {repr(c[0][param]) for c in recorded(name)}
    assert len(values) >= 2, f"{name} gives `{param}` only {len(values)} value(s): {sorted(values)[:2]}"

def _named(what): return [pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[n, what])] if (n, what) in KNOWN else [])
                          for n in sorted(CHECKERS)]

@pytest.mark.parametrize('name', _named('same verdict twice'))
def test_same_verdict_twice(name):
    (fn, *rest), kw = references()[name]
    wrong = next(iter(WRONG[name].values()))
    assert repr(run(name, wrong)) == repr(run(name, wrong)), f"{name} gives two verdicts on one answer"
    first, again = run(name, Args(fn, *rest)), run(name, Args(fn, *rest))
    assert isinstance(first, Verdict) and first.ok and repr(first) == repr(again), f"{name}: {first!r} then {again!r}"

@pytest.mark.parametrize('name', _named('reference after the wrong answers'))
def test_reference_passes_after_the_wrong_answers(name):
    "An answer that changes what the checker hands it must not spoil the checker's later verdicts"
    for label in WRONG[name]: result(name, 'wrong', label)
    args, kw = references()[name]
    v = _check(name)(*args, **kw)
    assert v, f"{name} rejects its reference after the wrong answers ran: {v!r}"

@pytest.mark.parametrize('name', sorted(CHECKERS))
def test_enough_answers(name):
    assert len(WRONG[name]) >= 5 and len(RIGHT[name]) >= 2, f"{name}: {len(WRONG[name])} wrong, {len(RIGHT[name])} right"
