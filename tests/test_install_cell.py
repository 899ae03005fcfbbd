"""The install cell that opens every notebook, on a Python older than the course supports: a clear message at once
(the course's own words), not pip's spaCy build error minutes later. Run with pyenv's Python 3.9 where it is here."""
import json, os, shutil, subprocess
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]

def _python(version):
    if not shutil.which('pyenv'): return None
    vs = subprocess.run(['pyenv', 'versions', '--bare'], capture_output=True, text=True).stdout.split()
    v = max((x for x in vs if x.startswith(version + '.')), default=None, key=lambda x: [int(p) for p in x.split('.') if p.isdigit()])
    if v is None: return None
    r = subprocess.run(['pyenv', 'which', 'python'], capture_output=True, text=True, env=dict(os.environ, PYENV_VERSION=v))
    return r.stdout.strip() or None

def test_old_python_gets_a_clear_message(tmp_path):
    py = _python('3.9')
    if py is None: pytest.skip("no Python 3.9 here (pyenv versions lists none)")
    cell = next(''.join(c['source']) for c in json.loads((REPO / 'course' / '01_fitting.ipynb').read_text())['cells']
                if c['cell_type'] == 'code' and 'COURSE = ' in ''.join(c['source']))
    r = subprocess.run([py, '-c', cell], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode != 0 and 'the course needs Python 3.10 or newer; this kernel runs Python 3.9' in r.stderr, r.stderr[-2000:]
    print(r.stderr.strip().splitlines()[-1])
