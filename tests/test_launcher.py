"""`nnscratch lessons` and `nnscratch lab` as a learner meets them: the built wheel, installed in a fresh virtual
environment with nothing else (the launcher needs no dependency), run as the console script."""
import json, subprocess, sys, venv, zipfile
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (REPO / 'course').glob('[0-9][0-9]_*.ipynb'))

@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    d = tmp_path_factory.mktemp('dist')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(d), str(REPO)], check=True)
    return next(d.glob('nnscratch-*.whl'))

@pytest.fixture(scope='module')
def nnscratch(wheel, tmp_path_factory):
    "The `nnscratch` command of a fresh venv that holds only the wheel (no JupyterLab)"
    env = tmp_path_factory.mktemp('venv')
    venv.create(env, with_pip=True)
    subprocess.run([env / 'bin' / 'python', '-m', 'pip', 'install', '-q', '--no-deps', str(wheel)], check=True)
    def run(*args, cwd=None):
        r = subprocess.run([env / 'bin' / 'nnscratch', *map(str, args)], capture_output=True, text=True, cwd=cwd)
        return r.returncode, r.stdout + r.stderr
    return run

def test_the_wheel_ships_the_learners_notebooks(wheel):
    "every lesson of course/, byte for byte, as nnscratch/lessons/ (and never the workshop's nbs/)"
    z = zipfile.ZipFile(wheel)
    shipped = sorted(n.split('/')[-1] for n in z.namelist() if n.startswith('nnscratch/lessons/'))
    assert len(LESSONS) == 12 and shipped == LESSONS, shipped
    for n in LESSONS: assert z.read(f'nnscratch/lessons/{n}') == (REPO / 'course' / n).read_bytes(), n
    assert not [n for n in z.namelist() if n.startswith(('nbs/', 'tests/'))]
    print(f"wheel: {wheel.name}, {wheel.stat().st_size:,} bytes")

def test_lessons_writes_them_and_keeps_a_changed_one(nnscratch, tmp_path):
    rc, out = nnscratch('lessons', tmp_path / 'mine')
    assert rc == 0 and '12 lesson notebooks' in out and '12 written' in out, out
    assert sorted(p.name for p in (tmp_path / 'mine').glob('*.ipynb')) == LESSONS
    assert (tmp_path / 'mine' / '01_fitting.ipynb').read_bytes() == (REPO / 'course' / '01_fitting.ipynb').read_bytes()
    mine = tmp_path / 'mine' / '01_fitting.ipynb'
    nb = json.loads(mine.read_text()); nb['cells'][0]['source'] = 'my notes'; mine.write_text(json.dumps(nb))
    rc, out = nnscratch('lessons', tmp_path / 'mine')
    assert rc == 0 and '1 kept' in out and 'kept, because you changed them' in out and '01_fitting.ipynb' in out, out
    assert json.loads(mine.read_text())['cells'][0]['source'] == 'my notes'
    print(out)

def test_default_folder(nnscratch, tmp_path):
    rc, out = nnscratch('lessons', cwd=tmp_path)
    assert rc == 0 and len(list((tmp_path / 'nnscratch-lessons').glob('*.ipynb'))) == 12, out

def test_lab_without_jupyterlab_says_how_to_install_it(nnscratch, tmp_path):
    rc, out = nnscratch('lab', tmp_path / 'l')
    assert rc == 1 and '-m pip install jupyterlab' in out and '12 written' in out, out
    print(out)

@pytest.mark.parametrize('cmd', ['lessons', 'lab'])
def test_help_says_it_in_two_lines(nnscratch, cmd):
    rc, out = nnscratch(cmd, '--help')
    text = out.split('\n\n')[1]
    assert rc == 0 and len(text.strip().splitlines()) == 2 and 'DIR' in text, out
    print(text)

def test_lab_opens_jupyterlab_on_lesson_1(tmp_path):
    "With JupyterLab installed (here: the development environment), `nnscratch lab DIR` serves DIR with lesson 1 in it"
    import os, re, time, urllib.error, urllib.request
    exe = Path(sys.executable).parent / 'nnscratch'
    if not exe.exists(): pytest.skip(f"no `nnscratch` command beside {sys.executable} (pip install -e . makes it)")
    env = dict(os.environ, HOME=str(tmp_path / 'home'), BROWSER='true', JUPYTER_PLATFORM_DIRS='1')
    p = subprocess.Popen([exe, 'lab', tmp_path / 'lessons'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        out, url, t0 = [], None, time.monotonic()
        while url is None and time.monotonic() - t0 < 60:
            line = p.stdout.readline()
            if not line: break
            out.append(line)
            if m := re.search(r'(http://(?:127\.0\.0\.1|localhost):\d+/)lab(?:/tree/\S*)?\?token=(\w+)', line): url = m
        assert url, ''.join(out)
        assert '12 written' in out[0] and 'on lesson 1' in ''.join(out), ''.join(out)
        local = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 directly, whatever *_proxy says
        for attempt in range(20):  # the URL is printed as the server starts listening
            try:
                with local.open(f"{url[1]}api/contents/01_fitting.ipynb?content=0&token={url[2]}", timeout=10) as r:
                    assert json.load(r)['type'] == 'notebook'; break
            except urllib.error.URLError:
                if attempt == 19: raise
                time.sleep(0.5)
        print(out[0].strip(), '->', url[0].split('?')[0])
        p.terminate(); p.wait(20)  # stopping `nnscratch lab` stops JupyterLab too: no server left behind
        for attempt in range(40):
            try: local.open(f"{url[1]}api/status?token={url[2]}", timeout=2).close()
            except (urllib.error.URLError, ConnectionError, OSError): break
            time.sleep(0.5)
        else: raise AssertionError(f"JupyterLab still answers at {url[1]} after `nnscratch lab` was stopped")
    finally:
        if p.poll() is None: p.kill(); p.wait(10)
