"""How many realistic bugs do the tests catch? Plant each mutant of MUTANTS in a copy of the repository, one at a time.

    python tools/mutants.py [--list] [--only TEXT] [--keep DIR]

A mutant is a one-line bug a person could write: a flipped sign, a missing factor, an off-by-one, a wrong axis. For
each: the line is changed in its notebook's export cell (in a scratch copy of the repository, never in this one),
`nbdev_export` writes the package, then the notebook runs top to bottom (`nbdev_test`) and, if it passes, the
pytest files that cover its module (browser tests aside). A mutant is caught ("killed") when any of them fails.
Prints one line per mutant and the kill rate with the survivors; exits 1 if any survived. `--list` only checks that
every mutant's line is found exactly once in the export cells of its notebook.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (notebook, the line as it is, the line with the bug, what the bug is). The line is matched after stripping
# indentation, and must occur exactly once in the notebook's exported cells.
MUTANTS = [
    ('00a_checks', "ok = (isinstance(v, numbers.Real) and not isinstance(v, bool)) or (torch.is_tensor(v) and v.numel() == 1)",
     "ok = isinstance(v, numbers.Real) or (torch.is_tensor(v) and v.numel() == 1)", 'bool accepted as a number'),
    ('00a_checks', "if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):",
     "if v < lo or v > hi or (lo_open and v == lo):", 'open upper end ignored'),
    ('00a_checks', "if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:",
     "if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:", 'zero accepted as a count'),
]

# the pytest files that exercise each notebook's module (browser tests are left out: too slow for each mutant)
TESTS = {
    '00a_checks': ['tests/test_package.py'],
}

def export_lines(nb):
    "(cell index, line index, stripped line) of every line in the notebook's exported cells"
    out = []
    for i, c in enumerate(nb['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or not src.lstrip().startswith('#| export'): continue
        out += [(i, j, l.strip()) for j, l in enumerate(src.split('\n'))]
    return out

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
    nbs = {name: json.loads((REPO / 'nbs' / f'{name}.ipynb').read_text(encoding='utf-8')) for name in {m[0] for m in todo}}
    bad = []
    for name, line, bug, why in todo:
        try: plant(nbs[name], line, bug)
        except LookupError as e: bad.append(f"{name}: {why}: {e}")
        if name not in TESTS: bad.append(f"{name}: no pytest files listed in TESTS")
    if bad: print('mutants that do not apply:\n  ' + '\n  '.join(sorted(set(bad)))); return 1
    if a.list: print(f"{len(todo)} mutants over {len(nbs)} notebooks, each applies once"); return 0
    tmp = Path(a.keep or tempfile.mkdtemp(prefix='nnscratch-mutants-'))
    if tmp.exists(): shutil.rmtree(tmp)
    scratch_copy(tmp)
    # the copy's package comes first on the path, before the editable install of this checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    survivors, t_all = [], time.monotonic()
    try:
        for k, (name, line, bug, why) in enumerate(todo, 1):
            path, t0 = tmp / 'nbs' / f'{name}.ipynb', time.monotonic()
            path.write_text(json.dumps(plant(nbs[name], line, bug), indent=1, ensure_ascii=False), encoding='utf-8')
            try:
                ok, out = run(['nbdev_export'], tmp, env)
                if not ok: raise RuntimeError(f"nbdev_export failed on mutant {k}:\n{out}")
                passed, _ = run(['nbdev_test', '--path', f'nbs/{name}.ipynb'], tmp, env)
                by = 'notebook'
                if passed:
                    passed, _ = run([sys.executable, '-m', 'pytest', '-x', '-q', '-p', 'no:cacheprovider', *TESTS[name]], tmp, env)
                    by = 'pytest'
            finally:
                path.write_text(json.dumps(nbs[name], indent=1, ensure_ascii=False), encoding='utf-8')
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
