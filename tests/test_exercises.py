"""Every lesson's exercises, as a learner meets them.

- Lessons 1-12 each end with `## Recap`, `## Exercises` (2 to 4 `### Exercise N:`) and `## Solutions`, in that order.
- Each exercise has a cell the learner fills in, which calls a checker; its committed output is a verdict
  ("correct" or "not yet: ..."), never a traceback.
- Each solution is folded: `#| code-fold: true` with the summary "Solution to exercise N" (the docs site) and
  collapsed input (`jupyter.source_hidden`, Jupyter); its committed output says "correct".
- Every checker the exercises call is exported by the lesson's own module, with a docstring, and answers any
  garbage (None, a string, a list, a NaN, a function that raises or returns None or a list) with a verdict that
  is not "correct", never an exception.
- On the built docs site (when `_docs/` is there), each lesson page folds each solution in a closed `<details>`.
"""
import importlib, inspect, json, re
from pathlib import Path
import pytest
from nnscratch.exercises import Verdict

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in (REPO / 'nbs').glob('*.ipynb') if (m := re.match(r'(\d+)_', p.name)) and 1 <= int(m[1]) <= 12)

def _cells(nb): return [(c['cell_type'], ''.join(c['source']), c) for c in json.loads(nb.read_text())['cells']]

def _module(nb):
    m = re.search(r'^#\|\s*default_exp\s+(\S+)', next(s for t, s, _ in _cells(nb) if t == 'code'), re.M)
    return importlib.import_module(f'nnscratch.{m[1]}')

def _text(c):
    "A code cell's committed output as text"
    out = []
    for o in c.get('outputs', []):
        if o['output_type'] == 'error': out.append(f"ERROR {o['ename']}: {o['evalue']}")
        out.append(''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', '')))
    return '\n'.join(out)

def _sections(nb):
    "The notebook's level-2 headings in order, and the exercises and solution cells"
    h2, exercises, solutions, current = [], [], [], None
    for t, s, c in _cells(nb):
        if t == 'markdown':
            for line in s.splitlines():
                if line.startswith('## '): h2.append(line[3:].strip()); current = h2[-1]
                if m := re.match(r'### Exercise (\d+)', line): exercises.append([int(m[1]), None])
        elif (current == 'Exercises' and exercises and exercises[-1][1] is None and not re.match(r'#\|\s*(export|hide)', s)
              and re.search(r'\bcheck_\w+\(', s)): exercises[-1][1] = c
        elif current == 'Solutions' and '#| code-fold: true' in s: solutions.append(c)
    return h2, exercises, solutions

@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_lesson_ends_with_recap_exercises_solutions(nb):
    h2, exercises, solutions = _sections(nb)
    assert h2[-3:] == ['Recap', 'Exercises', 'Solutions'], f"{nb.name} ends with {h2[-3:]}"
    assert 2 <= len(exercises) <= 4, f"{nb.name} has {len(exercises)} exercises; 2 to 4 expected"
    assert [n for n, _ in exercises] == list(range(1, len(exercises) + 1)), f"{nb.name}: exercises numbered {exercises}"
    for n, cell in exercises:
        assert cell is not None, f"{nb.name}: exercise {n} has no cell that calls a checker"
        out = _text(cell)
        assert 'ERROR' not in out and re.search(r'^(correct|not yet)', out, re.M), f"{nb.name}: exercise {n} shows {out!r}"
    assert len(solutions) == len(exercises), f"{nb.name}: {len(solutions)} solutions for {len(exercises)} exercises"
    for n, c in enumerate(solutions, 1):
        src = ''.join(c['source'])
        assert f'#| code-summary: "Solution to exercise {n}"' in src, f"{nb.name}: solution {n} has no summary line"
        assert c['metadata'].get('jupyter', {}).get('source_hidden') is True, f"{nb.name}: solution {n} is not collapsed"
        assert re.search(r'^correct', _text(c), re.M), f"{nb.name}: solution {n} shows {_text(c)!r}"

def _checkers():
    out = []
    for nb in LESSONS:
        mod = _module(nb)
        called = {m for _, c in _sections(nb)[1] if c for m in re.findall(r'\b(check_\w+)\(', ''.join(c['source']))}
        out += [(nb.stem, mod, name) for name in sorted(called)]
    return out

@pytest.mark.parametrize('stem,mod,name', _checkers(), ids=lambda x: x if isinstance(x, str) else '')
def test_checker_is_exported_and_documented(stem, mod, name):
    assert name in getattr(mod, '__all__', []), f"{stem}: {name} is not exported by {mod.__name__}"
    assert inspect.getdoc(getattr(mod, name)), f"{mod.__name__}.{name} has no docstring"

def _raises(*a, **k): raise RuntimeError('boom')
GARBAGE = {'None': None, 'a string': 'abc', 'a list': [1.0, 2.0], 'NaN': float('nan'),
           'a function returning None': lambda *a, **k: None, 'a function returning a list': lambda *a, **k: [1.0],
           'a function that raises': _raises}

@pytest.mark.parametrize('stem,mod,name', _checkers(), ids=lambda x: x if isinstance(x, str) else '')
def test_checker_answers_garbage_with_a_verdict(stem, mod, name):
    check = getattr(mod, name)
    n = sum(p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            for p in inspect.signature(check).parameters.values())
    for what, g in GARBAGE.items():
        try: v = check(*[g] * max(n, 1))
        except Exception as e: pytest.fail(f"{mod.__name__}.{name}({what}) raised {type(e).__name__}: {e}")
        assert isinstance(v, Verdict), f"{name}({what}) returned {type(v).__name__}, not a Verdict"
        assert not v.ok and v.msg.startswith('not yet'), f"{name}({what}) says {v!r}"

def test_solutions_are_folded_on_the_docs_site():
    site = REPO / '_docs'
    built = (site / 'search.json').stat().st_mtime if (site / 'search.json').exists() else 0
    if built < max(p.stat().st_mtime for p in LESSONS): pytest.skip('no _docs/ newer than the lessons (tools/test.sh builds it)')
    for nb in LESSONS:
        page = (site / (re.sub(r'^\d+_', '', nb.stem) + '.html')).read_text()
        folded = re.findall(r'<details class="code-fold"( open)?>\s*<summary>(Solution to exercise \d+)</summary>', page)
        want = [f"Solution to exercise {n}" for n, _ in _sections(nb)[1]]
        assert [s for _, s in folded] == want, f"{nb.name}: folded {folded}, expected {want}"
        assert not any(o for o, _ in folded), f"{nb.name}: a solution is unfolded on its page"
