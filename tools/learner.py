"""The learner's edition of the course: `course/NN_*.ipynb`, made from the nbdev sources `nbs/NN_*.ipynb`.

    python tools/learner.py build [NB ...]   # write course/ from nbs/ and run each notebook there for its outputs
    python tools/learner.py sync             # fail if course/'s cells are not what `build` makes from nbs/ now
    python tools/learner.py check [NB ...]   # list the workshop a learner would see (default: the README's links)

One source, two editions, as fastbook's `clean/` and nbgrader's `generate_assignment` do it. `nbs/` is the workshop:
nbdev's directives, the checkers and their self-tests in hidden cells, `# check:` cells that the docs site shows as
examples. A learner opens the notebook in JupyterLab, Notebook 7, Colab or Kaggle, where `#| hide` hides nothing, so
`build` writes the lesson alone:
- it drops every `#| hide` cell (the install cell excepted), every code cell that starts with a `# check` comment
  (a test the docs site shows as an example) and every markdown cell that starts with `<!-- docs only -->`, and
  strips nbdev's directives from the rest;
- what the dropped cells defined and a kept cell uses (the checkers, a helper) comes back in one import cell from the
  library, which has it: the lesson's own module for `#| export` cells, the imported module for import lines; any
  other name it would need is an error here, not a NameError for the learner;
- imports that no kept cell uses any more are pruned;
- links to pages of the docs site become absolute (a notebook has no `fitplot.html` beside it);
- each solution is folded where it is opened: JupyterLab and Notebook 7 (`jupyter.source_hidden`), Colab (form view,
  `#@title`, the Solutions section collapsed), and its self-check (`v = check(...); assert v, v`) becomes the call;
- then the notebook runs top to bottom in a fresh kernel (its own outputs, never copies of the workshop's).

`check` fails on anything of "What stays out" above a notebook's `## Solutions` heading, and on a solution that is not
folded; it prints what it found per notebook.
"""
import argparse, ast, builtins, json, re, symtable, sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NBS, COURSE = REPO / 'nbs', REPO / 'course'
SITE = 'https://nnscratch.github.io/nnscratch/'
LESSON = re.compile(r'^(0[1-9]|1[0-2])_\w+\.ipynb$')
DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
INSTALL = re.compile(r"nnscratch(\[[\w,]+\])?\s*@\s*git\+")
DOCS_ONLY = '<!-- docs only -->'  # a markdown cell that starts so speaks of the workshop: the docs site shows it, learners don't
SOLUTIONS = re.compile(r'^##\s+Solutions\b')
VALIDATORS = ('check_number', 'check_real', 'check_count', 'check_callable')  # nnscratch.checks
MACHINERY = ('check_fn', 'check_grads', 'attempt', 'compare', 'answer', 'copy_args', 'name_mistake', 'as_tensor',
             'as_number', 'Verdict', 'correct', 'wrong', 'same')  # nnscratch.exercises: the checkers' own tools

def lessons(folder): return sorted(p for p in Path(folder).glob('*.ipynb') if LESSON.match(p.name))
def read(p): return json.loads(Path(p).read_text(encoding='utf-8'))
def src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def directives(s):
    "nbdev's `#|` directives at the top of cell source `s` (a dict), and the source without them"
    d, lines = {}, s.splitlines()
    while lines and (m := DIRECTIVE.match(lines[0])): d[m[1]] = m[2]; lines.pop(0)
    return d, '\n'.join(lines)

def code_of(s):
    "Cell source `s` as Python: IPython's `%magic` and `!shell` lines blanked"
    return '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in s.splitlines())

# ---- names a cell binds and uses ----------------------------------------------------------------------------------
def bound(tree):
    "Top-level names a cell binds: {name: (kind, module)}, kind 'import' with the module it comes from, else 'def'"
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            for a in node.names:
                if a.name != '*': out[a.asname or a.name] = ('import', node.module, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names: out[a.asname or a.name.split('.')[0]] = ('module', a.name if a.asname else a.name.split('.')[0], None)
        else:
            for n in ast.walk(node):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n in tree.body: out[n.name] = ('def', None, None)
                elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and _top_level_store(tree, n): out[n.id] = ('def', None, None)
    return out

def _top_level_store(tree, name):
    "Whether the store of `name` is at module level (not inside a def, class or comprehension)"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)): 
            if any(n is name for n in ast.walk(node)): return False
    return True

def used(tree):
    "Global names a cell reads, in its own code and in the bodies of the functions and classes it defines"
    out = set()
    def walk(t):
        for s in t.get_symbols():
            if s.is_referenced() and (t.get_type() == 'module' or s.is_global() or
                                      (t.get_type() == 'class' and not s.is_local())): out.add(s.get_name())
        for ch in t.get_children(): walk(ch)
    walk(symtable.symtable(ast.unparse(tree), '<cell>', 'exec'))
    return out

def parse(s):
    try: return ast.parse(code_of(s))
    except SyntaxError: return None

# ---- build ----------------------------------------------------------------------------------------------------------
def is_install(s): return bool(INSTALL.search(s))

def module_of(nb):
    "The module `#| default_exp` names, as nnscratch.NAME"
    for c in nb['cells']:
        if c['cell_type'] == 'code' and 'default_exp' in (d := directives(src(c))[0]): return f"nnscratch.{d['default_exp']}"

def kept(c):
    "Whether code cell `c` belongs in the learner's notebook"
    d, body = directives(src(c))
    if is_install(body): return True
    if 'hide' in d or 'default_exp' in d: return False
    first = next((l for l in body.splitlines() if l.strip()), '')
    return bool(body.strip()) and not re.match(r'#\s*check\b', first)

def absolute_links(md):
    "Links to pages of the docs site (`fitplot.html#x`) made absolute: a notebook has no such page beside it"
    return re.sub(r'\]\((?!https?:|#|/)([\w-]+\.html(?:#[^)\s]*)?)\)', lambda m: f']({SITE}{m[1]})', md)

def solution(body, n, summary):
    "A solution cell's source for learners: a Colab form title, and `check(...)` instead of its self-check"
    body = re.sub(r'^v = (check_\w+\(.*\)); assert v, v\nv$', r'\1', body, flags=re.M)
    return f"#@title {summary or f'Solution to exercise {n}'}\n{body}"

def prune_imports(cells, needed_later):
    "Drop the names of import lines in `cells` (kept code cells, as source strings) that no kept cell uses"
    uses = Counter()
    for s in cells:
        if (t := parse(s)): uses.update(used(t))
    uses.update(list(needed_later))
    out = []
    for s in cells:
        t = parse(s)
        if t is None: out.append(s); continue
        lines, cut = s.splitlines(), []
        for node in t.body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or any(a.name == '*' for a in node.names): continue
            keep = [a for a in node.names if uses[a.asname or a.name.split('.')[0]]]
            if len(keep) == len(node.names): continue
            names = ', '.join(a.name + (f' as {a.asname}' if a.asname else '') for a in keep)
            new = ('' if not keep else f"from {node.module} import {names}" if isinstance(node, ast.ImportFrom)
                   else f"import {names}")
            cut.append((node.lineno - 1, node.end_lineno - 1, new))
        for a, b, new in sorted(cut, reverse=True): lines[a:b + 1] = [new] if new else []
        out.append('\n'.join(lines).strip('\n'))
    return out

def learner_cells(nb):
    "The learner's cells of nbdev notebook `nb`, sources only (no outputs): returns (cells, problems)"
    mod, problems = module_of(nb), []
    from_dropped = {}  # name -> (module, name) it can be imported from
    plan = []           # (cell, new source) of the kept cells
    in_solutions, n_solution = False, 0
    for c in nb['cells']:
        s = src(c)
        if c['cell_type'] == 'markdown':
            if SOLUTIONS.match(s): in_solutions = True
            if not s.lstrip().startswith(DOCS_ONLY): plan.append((c, absolute_links(s)))
            continue
        if c['cell_type'] != 'code': continue
        d, body = directives(s)
        t = parse(body)
        if not kept(c):
            if t is None: continue
            for name, (kind, m, orig) in bound(t).items():
                if kind == 'import': from_dropped[name] = (m, orig)
                elif kind == 'module': from_dropped[name] = (m, None)  # `import m` or `import a.b as name`
                elif 'export' in d or 'exports' in d: from_dropped[name] = (mod, name)
                else: from_dropped[name] = (None, None)
            continue
        if in_solutions:
            n_solution += 1
            body = solution(body, n_solution, d.get('code-summary', '').strip('"\''))
        plan.append((c, body.strip('\n')))
    # what the kept cells use but only dropped cells define
    defined, needed = set(dir(builtins)) | {'get_ipython', 'display'}, {}
    for c, s in plan:
        if c['cell_type'] != 'code' or (t := parse(s)) is None: continue
        for name in sorted(used(t) - defined - set(bound(t))):
            if name in from_dropped: needed[name] = from_dropped[name]
        defined |= set(bound(t))
    unknown = sorted(n for n, (m, _) in needed.items() if m is None)
    if unknown: problems.append(f"kept cells use {', '.join(unknown)}, defined only in dropped cells that export nothing")
    lines = defaultdict(list)
    for name, (m, orig) in needed.items():
        if m is None: continue
        if orig is None: lines[None].append(f"import {m}" + (f" as {name}" if name != m.split('.')[0] else ''))
        else: lines[m].append(name if orig == name else f"{orig} as {name}")
    code = [s for c, s in plan if c['cell_type'] == 'code']
    code = iter(prune_imports(code, needed))
    cells = [dict(c, source=next(code) if c['cell_type'] == 'code' else s) for c, s in plan]
    cells = [c for c in cells if c['cell_type'] != 'code' or c['source'].strip()]
    imp = '\n'.join(sorted(lines.pop(None, [])) + [f"from {m} import {', '.join(sorted(ns))}" for m, ns in sorted(lines.items())])
    if imp:
        imp = f"# what this lesson uses from the nnscratch library without showing it here: the exercises' checkers and helpers\n{imp}"
        # just before the first cell that uses one of the names (so that no star import in between can shadow them):
        # appended to the import cell that precedes it, if there is one, else in a cell of its own
        def uses(c): return c['cell_type'] == 'code' and (t := parse(c['source'])) is not None and used(t) & set(needed)
        at = next(i for i, c in enumerate(cells) if uses(c))
        prev = next((i for i in range(at - 1, -1, -1) if cells[i]['cell_type'] == 'code'), None)
        t = parse(cells[prev]['source']) if prev is not None else None
        if t is not None and not is_install(cells[prev]['source']) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in t.body):
            cells[prev] = dict(cells[prev], source=cells[prev]['source'] + '\n' + imp)
        else: cells.insert(at, dict(cell_type='code', id='nns-imports', metadata={}, source=imp, outputs=[], execution_count=None))
    return cells, problems

def learner_notebook(path):
    "The learner's edition of nbdev notebook `path`, unexecuted: (notebook, problems)"
    nb = read(path)
    cells, problems = learner_cells(nb)
    out, sol = [], None
    for i, c in enumerate(cells):
        cid = c.get('id') or f'cell-{i}'
        if c['cell_type'] == 'markdown':
            if SOLUTIONS.match(c['source']): sol = cid
            md = {'id': cid} if sol == cid else {}
            out.append(dict(cell_type='markdown', id=cid, metadata=md, source=c['source']))
        else:
            folded = sol is not None
            md = dict(cellView='form', jupyter=dict(source_hidden=True)) if folded else {}
            out.append(dict(cell_type='code', execution_count=None, id=cid, metadata=md, outputs=[], source=c['source']))
    meta = dict(kernelspec=nb['metadata'].get('kernelspec') or dict(display_name='Python 3', language='python', name='python3'),
                language_info=dict(name='python'),
                colab=dict(provenance=[], collapsed_sections=[sol] if sol else []))
    return dict(cells=out, metadata=meta, nbformat=4, nbformat_minor=5), problems

def dump(nb): return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n'

def run(nb, where):
    "Execute notebook dict `nb` in a fresh kernel with its folder `where` as working directory; returns it with outputs"
    import nbformat, nbclient
    nbn = nbformat.from_dict(nb)
    nbclient.NotebookClient(nbn, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(where)}},
                            store_widget_state=True).execute()
    nb = json.loads(nbformat.writes(nbn))
    in_solutions = False
    for c in nb['cells']:
        c.pop('attachments', None)
        if c['cell_type'] == 'markdown' and SOLUTIONS.match(src(c)): in_solutions = True
        if c['cell_type'] != 'code': continue
        c['execution_count'] = None
        c['metadata'].pop('execution', None)
        for o in c['outputs']:
            if 'execution_count' in o: o['execution_count'] = None
            if o['output_type'] == 'error' or o.get('name') == 'stderr':
                raise RuntimeError(f"{where}: a learner would see {o['output_type']}: {o.get('ename', '')} {o.get('text', '')[:300]}")
        # a solution, run in the learner's notebook (its own classes, the library's checkers), must be called correct
        shown = ''.join(''.join(o.get('data', {}).get('text/plain', '')) for o in c['outputs'])
        if in_solutions and not re.search(r'^correct\b', shown, re.M):
            raise RuntimeError(f"{where}: in the learner's notebook, solution {src(c).splitlines()[0]!r} gets {shown[-300:]!r}")
    return nb

def sources(nb): return [(c['cell_type'], src(c), json.dumps(c['metadata'], sort_keys=True)) for c in nb['cells']]

def build(names=None, execute=True):
    COURSE.mkdir(exist_ok=True)
    bad = 0
    for p in lessons(NBS):
        if names and p.name not in names and p.stem not in names: continue
        nb, problems = learner_notebook(p)
        for pr in problems: print(f"{p.name}: {pr}"); bad += 1
        if problems: continue
        if execute:
            try: nb = run(nb, COURSE)
            except Exception as e:  # a cell that fails, or a solution the learner's notebook calls wrong
                print(f"{p.name}: {str(e)[-1500:]}"); bad += 1; continue
        (COURSE / p.name).write_text(dump(nb), encoding='utf-8')
        print(f"wrote course/{p.name}: {len(nb['cells'])} cells")
    return 1 if bad else 0

def sync():
    "course/ holds exactly the learner's edition of every lesson in nbs/ (sources and cell metadata; outputs aside)"
    bad = []
    want = {p.name for p in lessons(NBS)}
    have = {p.name for p in lessons(COURSE)} if COURSE.exists() else set()
    for n in sorted(have - want): bad.append(f"course/{n} has no source in nbs/")
    for n in sorted(want):
        if n not in have: bad.append(f"course/{n} is missing"); continue
        nb, problems = learner_notebook(NBS / n)
        bad += [f"{n}: {p}" for p in problems]
        got = read(COURSE / n)
        if sources(got) != sources(nb) or got['metadata'].get('colab') != nb['metadata']['colab']:
            bad.append(f"course/{n} differs from what nbs/{n} makes: run `python tools/learner.py build {n}`")
    for b in bad: print(b)
    print(f"course/: {'in sync with' if not bad else 'OUT OF SYNC with'} nbs/ ({len(want)} lessons)")
    return 1 if bad else 0

# ---- check ----------------------------------------------------------------------------------------------------------
def readme_notebooks():
    "The notebooks the README's Colab links open"
    rels = re.findall(r'colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/([^)\s]+\.ipynb)', (REPO / 'README.md').read_text())
    return [REPO / r for r in dict.fromkeys(rels) if (REPO / r).exists()]

def _checker_names():
    "Every checker the lessons export (`check_*` that is not an argument validation or the checkers' machinery)"
    names = set()
    for p in lessons(NBS):
        for c in read(p)['cells']:
            names |= set(re.findall(r'^def (check_\w+)', src(c), re.M))
    return names - set(VALIDATORS) - set(MACHINERY)

def audit(path, checkers):
    "What a learner sees of the workshop in notebook `path`: a list of (category, cell index, excerpt)"
    nb, found = read(path), []
    section, exercises, ex_code, in_sol = None, 0, [], False
    def add(kind, i, what): found.append((kind, i, what.strip().splitlines()[0][:90] if what.strip() else ''))
    for i, c in enumerate(nb['cells']):
        s = src(c)
        if c['cell_type'] == 'markdown':
            if SOLUTIONS.match(s): in_sol = True; continue
            if (m := re.match(r'^(#{2,3})\s+(.*)', s)):
                if len(m[1]) == 2: section = m[2].strip()
                elif section == 'Exercises' and m[2].lower().startswith('exercise'): exercises += 1
            continue
        if c['cell_type'] != 'code': continue
        if in_sol:
            md = c.get('metadata', {})
            if not (md.get('jupyter', {}).get('source_hidden') and md.get('cellView') == 'form' and s.startswith('#@title')):
                add('solution not folded (JupyterLab source_hidden, Colab form with #@title)', i, s)
            continue
        for l in s.splitlines():
            if DIRECTIVE.match(l): add("nbdev directive", i, l)
        t = parse(s)
        calls = [n for n in ast.walk(t) if isinstance(n, ast.Call)] if t else []
        def fname(n): return n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else ''
        if t is not None:
            for n in ast.walk(t):
                if isinstance(n, ast.FunctionDef) and n.name.startswith('check_'):
                    add('checker definition', i, f"def {n.name}")
                if isinstance(n, ast.Assert): add('test call (assert)', i, ast.get_source_segment(code_of(s), n) or 'assert')
                if isinstance(n, ast.Raise) and n.exc is not None:
                    e = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
                    if getattr(e, 'id', None) in ('ValueError', 'TypeError'):
                        add('argument validation (raise)', i, ast.get_source_segment(code_of(s), n) or 'raise')
                if isinstance(n, (ast.Import, ast.ImportFrom)):
                    mods = [n.module] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names]
                    if any(m and (m.startswith('fastcore.test') or m == 'inspect') for m in mods):
                        add('test or introspection import', i, ast.get_source_segment(code_of(s), n))
            for n in calls:
                f = fname(n)
                seg = ast.get_source_segment(code_of(s), n) or f
                if re.match(r'test_\w+$', f) or f in ('test', 'test_eq', 'test_close', 'test_fail'): add('test call', i, seg)
                elif f in VALIDATORS: add('argument validation', i, seg)
                elif f in MACHINERY and isinstance(n.func, ast.Name): add("checker machinery", i, seg)
                elif f in checkers:
                    plain = all(isinstance(a, (ast.Name, ast.Attribute, ast.Starred)) for a in n.args) and \
                            all(isinstance(k.value, (ast.Name, ast.Attribute)) for k in n.keywords)
                    if section != 'Exercises' or not plain: add('checker self-test or reference answer', i, seg)
                elif f in ('signature', 'getsource', 'getfullargspec') or (isinstance(n.func, ast.Attribute) and getattr(n.func.value, 'id', '') == 'inspect'):
                    add('introspection', i, seg)
                elif f == 'warn' and re.search(r'Deprecat', seg): add('deprecation shim', i, seg)
        if re.search(r'DeprecationWarning|deprecated alias', s) and not any(k == 'deprecation shim' and j == i for k, j, _ in found):
            add('deprecation shim', i, next(l for l in s.splitlines() if re.search(r'Deprecat|deprecated', l)))
        only_imports = t is not None and t.body and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in t.body)
        if section == 'Exercises' and not only_imports: ex_code.append(i)  # the checkers' import line is no exercise
    extra = len(ex_code) - exercises
    if extra > 0: add(f'Exercises section: {len(ex_code)} code cells for {exercises} exercises', ex_code[-1], f'{extra} more code cells than exercises')
    return found

def check(paths):
    checkers, total = _checker_names(), 0
    for p in paths:
        found = audit(p, checkers)
        total += len(found)
        kinds = Counter(k for k, _, _ in found)
        p = Path(p)
        print(f"{p.relative_to(REPO) if p.is_relative_to(REPO) else p}: {len(found)}" +
              (' (' + ', '.join(f"{k} {n}" for k, n in kinds.most_common()) + ')' if found else ''))
        for k, i, what in found[:200]: print(f"    cell {i:3}  {k}: {what}")
    print(f"learner's notebooks: {total} things of the workshop in {len(paths)} notebooks")
    return 1 if total else 0

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('build', help="write course/ from nbs/ and run each notebook"); b.add_argument('notebooks', nargs='*')
    b.add_argument('--no-run', action='store_true', help="write the cells without running them (no outputs)")
    sub.add_parser('sync', help="fail where course/ is not what `build` makes from nbs/")
    c = sub.add_parser('check', help="list what a learner would see of the workshop"); c.add_argument('notebooks', nargs='*')
    a = ap.parse_args(argv)
    if a.cmd == 'build': return build(set(a.notebooks), execute=not a.no_run)
    if a.cmd == 'sync': return sync()
    paths = [Path(p).resolve() for p in a.notebooks] or readme_notebooks()
    if not paths: print("no notebooks to check (the README links to none that exist)"); return 1
    return check(paths)

if __name__ == '__main__': sys.exit(main())
