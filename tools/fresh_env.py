"""Run every learner's notebook (course/) the way a learner first meets it: a fresh environment holding only what the install cell installs.

    python tools/fresh_env.py [--preinstall REQ ...] [--keep DIR] [NOTEBOOK ...]

1. builds nnscratch's wheel from this checkout;
2. makes a new venv with nothing but what a notebook platform brings: a kernel (`ipykernel`) and a runner
   (`nbclient`), plus `--preinstall` requirements (e.g. `ipywidgets==7.7.1`, as Colab has);
3. reads the requirement string from each notebook's own install cell (`'nnscratch[course] @ git+...'`), puts the wheel in place of
   the git URL, and pip-installs it, checking that it leaves the preinstalled packages as they were;
4. runs each notebook (a copy, in a folder of its own, with a fresh HOME) top to bottom in the venv's kernel with
   nbclient, the install cell included, and fails on any error or any output to stderr;
5. runs the install cell in a venv without the course, where the git URL cannot be reached, and checks that it says
   what to do (the Internet switch on Kaggle) instead of failing silently.

Prints one line per notebook, `ok` or `FAILED`, with its seconds, and exits 1 if any failed.
"""
import argparse, glob, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INSTALL = re.compile(r"'(nnscratch(?:\[[\w,]+\])?\s*@\s*git\+[^']+)'")  # the requirement string in the install cell

def sh(*cmd, **kw):
    "Run `cmd`, failing with its output when it fails"
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.returncode: sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout

def course_requirement(nb_path):
    "The requirement string of the notebook's install cell, or None if it has none"
    for c in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']:
        if c['cell_type'] == 'code' and (m := INSTALL.search(''.join(c['source']))): return m.group(1)
    return None

def build_wheel(dest):
    sh(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', dest, REPO)
    return next(Path(dest).glob('nnscratch-*.whl'))

def make_venv(path, *reqs):
    sh(sys.executable, '-m', 'venv', path)
    py = Path(path) / 'bin' / 'python'
    if reqs: sh(py, '-m', 'pip', 'install', '-q', *reqs)
    return py

def versions(py):
    return json.loads(sh(py, '-c', 'import json, importlib.metadata as m; '
                         'print(json.dumps({d.metadata["Name"].lower(): d.version for d in m.distributions()}))'))

RUN = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=600, kernel_name='python3', allow_errors=True,
                        resources={'metadata': {'path': sys.argv[2]}}).execute()
bad = []
for i, c in enumerate(nb.cells):
    for o in c.get('outputs', []):
        if o.output_type == 'error': bad.append(f'cell {i}: {o.ename}: {o.evalue.splitlines()[0] if o.evalue else ""}')
        if o.output_type == 'stream' and o.name == 'stderr': bad.append(f'cell {i}: stderr: {o.text[:500]}')
print('\\n'.join(bad))
"""

def run_notebook(py, nb, workdir, env):
    "Run notebook `nb` in the kernel of venv python `py`; returns (problems, seconds)"
    d = Path(workdir) / Path(nb).stem; d.mkdir()
    shutil.copy(nb, d)
    t0 = time.monotonic()
    r = subprocess.run([str(py), '-c', RUN, str(d / Path(nb).name), str(d)], cwd=d, env=env, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if r.returncode: return [r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f'exit {r.returncode}'], secs
    return [l for l in r.stdout.splitlines() if l.strip()], secs

def clean_env(home):
    "The environment a learner's kernel gets: no PYTHONPATH, no Jupyter or matplotlib settings of ours"
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTHON', 'JUPYTER', 'MPL', 'VIRTUAL_ENV', 'IPYTHON'))}
    return dict(env, HOME=str(home), PATH=os.environ['PATH'])

def check_offline_message(tmp, req):
    "The install cell, where the course is missing and its URL can't be reached, must say to switch Internet on"
    cell = next(''.join(c['source']) for c in json.loads((REPO / 'course' / '01_fitting.ipynb').read_text())['cells']
                if c['cell_type'] == 'code' and INSTALL.search(''.join(c['source'])))
    py = make_venv(tmp / 'bare')
    env = clean_env(tmp / 'home-bare')
    # pip's index lies out of reach too, as on Kaggle with Internet off (the git URL is out of reach already here;
    # the proxy makes sure of it on a machine with a network)
    env.update(PIP_INDEX_URL='http://127.0.0.1:9/simple', PIP_EXTRA_INDEX_URL='', PIP_FIND_LINKS='', PIP_NO_INDEX='0',
               PIP_CONFIG_FILE=os.devnull, https_proxy='http://127.0.0.1:9', http_proxy='http://127.0.0.1:9',
               PIP_RETRIES='0', PIP_TIMEOUT='5')
    r = subprocess.run([str(py), '-c', cell], env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    ok = r.returncode != 0 and 'Settings > Internet' in out and 'RuntimeError' in out
    print(f"{'ok' if ok else 'FAILED':6} install cell without a network says: "
          f"{(out.strip().splitlines() or ['(nothing)'])[-1][:150] if not ok else 'switch on Settings > Internet'}")
    return ok

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', help="notebooks to run (default: the learner's notebooks, course/*.ipynb, as committed)")
    ap.add_argument('--preinstall', action='append', default=[], help='a requirement the platform already has')
    ap.add_argument('--keep', help='keep the venv and copies in this folder (default: a temporary folder, removed)')
    a = ap.parse_args(argv)
    nbs = [Path(p) for p in (a.notebooks or sorted(glob.glob(str(REPO / 'course' / '*.ipynb'))))]
    tmp = Path(a.keep or tempfile.mkdtemp(prefix='nnscratch-fresh-')); tmp.mkdir(parents=True, exist_ok=True)
    try:
        reqs = {p.name: course_requirement(p) for p in nbs}
        missing = [n for n, r in reqs.items() if r is None]
        if missing: print(f"FAILED no install cell ('nnscratch... @ git+...') in: {', '.join(missing)}"); return 1
        distinct = set(reqs.values())
        if len(distinct) != 1: print(f"FAILED the install cells disagree: {sorted(distinct)}"); return 1
        req = distinct.pop()
        t0 = time.monotonic()
        wheel = build_wheel(tmp / 'dist')
        local = re.sub(r'@\s*\S+$', f'@ {wheel.as_uri()}', req)
        py = make_venv(tmp / 'venv', 'ipykernel', 'nbclient', *a.preinstall)
        before = versions(py)
        sh(py, '-m', 'pip', 'install', '-q', local)
        after = versions(py)
        changed = {k: (v, after.get(k)) for k, v in before.items()
                   if after.get(k) != v and k not in ('pip', 'setuptools', 'wheel')}  # the venv's own tools may move
        print(f"python {sys.version.split()[0]} ({sys.executable})")
        print(f"install cell: pip install '{req}' (wheel: {wheel.name}), {time.monotonic() - t0:.0f} s; "
              f"{len(after) - len(before)} packages added")
        shown = ['torch', 'ipywidgets', 'anywidget', 'fastai', 'fastcore', 'micrograd', 'matplotlib', 'numpy', 'ipykernel']
        print('versions: ' + ', '.join(f'{k} {after[k]}' for k in shown if k in after))
        failed = 0
        if changed:
            failed += 1; print(f"FAILED the install changed packages the platform had: {changed}")
        env = clean_env(tmp / 'home'); (tmp / 'home').mkdir(exist_ok=True)
        work = tmp / 'run'; work.mkdir()
        for nb in nbs:
            problems, secs = run_notebook(py, nb, work, env)
            print(f"{'ok' if not problems else 'FAILED':6} {nb.name:22} {secs:5.1f} s" + ''.join(f'\n       {p}' for p in problems))
            failed += bool(problems)
        failed += not check_offline_message(tmp, req)
        print(f"fresh environment: {len(nbs) + 1 - failed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        if not a.keep: shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__': sys.exit(main())
