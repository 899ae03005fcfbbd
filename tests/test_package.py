"Checks on the package as a whole, outside the notebooks."
import importlib, json, pkgutil, re, subprocess, sys, zipfile
from pathlib import Path
import nnscratch

REPO = Path(__file__).resolve().parents[1]

def _run(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()

def test_import_is_light():
    "`import nnscratch.all` pulls in neither fastai nor nbdev (nor anything of theirs)"
    out = _run("import sys, nnscratch.all; print(sorted({m.split('.')[0] for m in sys.modules} & {'fastai', 'nbdev', 'fastcore', 'execnb'}))")
    assert out == '[]', f'import nnscratch.all imported {out}'

def test_all_exports_every_module():
    "every module of the package is re-exported by nnscratch.all"
    mods = {m.name for m in pkgutil.iter_modules(nnscratch.__path__) if not m.name.startswith('_') and m.name != 'all'}
    src = importlib.util.find_spec('nnscratch.all').loader.get_source('nnscratch.all')
    missing = {m for m in mods if f'from .{m} import *' not in src}
    assert not missing, f'nnscratch/all.py does not import {sorted(missing)}'

def test_all_names_resolve():
    "every name in each module's __all__ exists, so `from nnscratch.all import *` works"
    import nnscratch.all as a
    for m in pkgutil.iter_modules(nnscratch.__path__):
        if m.name.startswith('_') or m.name == 'all': continue
        mod = importlib.import_module(f'nnscratch.{m.name}')
        for name in getattr(mod, '__all__', []):
            assert hasattr(a, name), f'nnscratch.all lacks {m.name}.{name}'

def test_no_name_clashes():
    "no two modules export the same name, so `from nnscratch.all import *` gives each name one meaning"
    owner = {}
    for m in pkgutil.iter_modules(nnscratch.__path__):
        if m.name.startswith('_') or m.name == 'all': continue
        for name in getattr(importlib.import_module(f'nnscratch.{m.name}'), '__all__', []):
            assert name not in owner, f'{name} is exported by both nnscratch.{owner[name]} and nnscratch.{m.name}'
            owner[name] = m.name

def test_notebooks_have_python3_kernelspec():
    "every notebook names the python3 kernel, so Jupyter opens it without asking 'Select Kernel' (nbdev_clean keeps it)"
    import json
    from pathlib import Path
    nbs = sorted((Path(__file__).resolve().parents[1] / 'nbs').glob('*.ipynb'))
    assert nbs, 'no notebooks found in nbs/'
    bad = {p.name: json.loads(p.read_text()).get('metadata', {}).get('kernelspec') for p in nbs}
    bad = {k: v for k, v in bad.items() if not (isinstance(v, dict) and v.get('name') == 'python3' and v.get('language') == 'python')}
    assert not bad, f"these notebooks lack a python3 kernelspec in their metadata (add one; nbdev_clean keeps it): {bad}"

def _module_notebooks():
    "module name -> the notebook it is exported from (nbdev writes it in each module's header)"
    out = {}
    for p in (Path(nnscratch.__file__).parent).glob('*.py'):
        if m := re.search(r'File to edit: \.\./nbs/(\S+\.ipynb)', p.read_text(encoding='utf-8')): out[p.stem] = m[1]
    return out

def test_lessons_import_only_downward():
    "every module imports only modules whose notebooks come before its own: the tools (00*), then lessons 1 to 12"
    nbs, bad = _module_notebooks(), []
    for mod, nb in nbs.items():
        src = (Path(nnscratch.__file__).parent / f'{mod}.py').read_text(encoding='utf-8')
        for dep in set(re.findall(r'^\s*from (?:nnscratch)?\.(\w+) import', src, re.M)) - {mod}:
            if dep not in nbs: bad.append(f'{mod} imports {dep}, which has no notebook')
            elif not nbs[dep] < nb: bad.append(f'{mod} ({nb}) imports {dep} ({nbs[dep]}), which comes after it')
            if dep == 'lab': bad.append(f'{mod} imports the server extension lab, which stands apart')
    assert len(nbs) >= 15 and not bad, bad

def test_wheel_ships_the_widget_front_end(tmp_path):
    "FitPlot's JavaScript and CSS are package files: the wheel must carry them"
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path), str(REPO)], check=True)
    names = zipfile.ZipFile(next(tmp_path.glob('nnscratch-*.whl'))).namelist()
    assert {'nnscratch/fitplot.js', 'nnscratch/fitplot.css'} <= set(names), sorted(names)

def test_lesson_notebooks_import_only_downward():
    "a lesson's notebook, its examples included, uses only modules of earlier notebooks (the tools' pages may show the lessons')"
    nbs, bad = _module_notebooks(), []
    for p in sorted((REPO / 'nbs').glob('[0-9][0-9]_*.ipynb')):
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        src = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')
        for dep in set(re.findall(r'^\s*(?:from|import) nnscratch\.(\w+)', src, re.M)) - {'all'}:
            if dep in nbs and not nbs[dep] <= p.name: bad.append(f'{p.name} imports nnscratch.{dep} ({nbs[dep]})')
    assert not bad, bad

def test_docs_run_no_cell_that_mixes_imports_with_code():
    """nbdev_docs runs every cell that imports something (to render `show_doc`), with none of the cells before it: a
    cell that also computes (`import math` beside asserts on the lesson's results) breaks the docs build. Imports
    stand in cells of their own; a `try:` around an optional import is the one exception."""
    import ast
    bad = []
    for p in sorted((REPO / 'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(p.read_text())['cells']):
            src = ''.join(c['source'])
            if c['cell_type'] != 'code' or re.search(r'^#\|\s*(export|exports|exporti|exec_doc)\b|^#\|\s*eval:\s*false', src, re.M):
                continue
            tree = ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))
            imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
            in_try = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for n in ast.walk(t)}
            if any(id(n) not in in_try for n in imports) and any(isinstance(n, (ast.Expr, ast.Assign)) for n in ast.walk(tree)):
                bad.append(f"{p.name} cell {i}: {src[:80]!r}")
    assert not bad, "cells that mix imports with other code (nbdev_docs would run them alone):\n" + '\n'.join(bad)
