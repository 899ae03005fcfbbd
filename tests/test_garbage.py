"""Every exported function that takes data, fed the 7 kinds of garbage of the checkers' test, answers with a clear
TypeError or ValueError (or a verdict, or a result; for a path that names no file, FileNotFoundError with the path;
for a NaN loss, the training loops' FloatingPointError stop), never a deep traceback from inside (AttributeError, IndexError,
a RuntimeError of PyTorch's) and never a silent NaN-free hang. A garbage function that raises ('boom') may raise:
that is the learner's own error, reported as theirs.

Functions that do something other than compute (write files, open a server, download) or take no data are listed
in SKIP with the reason.
"""
import importlib, inspect, math, pkgutil, signal
import pytest
import nnscratch
from tests.test_exercises import GARBAGE

SKIP = {
    'launcher.copy_lessons': 'writes files (tested in tests/test_launcher.py)', 'launcher.cli': 'a command line',
    'launcher.lab_command': 'takes a file name, any string', 'launcher.shipped_lessons': 'takes nothing',
    'data.fetch': 'downloads', 'data.mnist': 'downloads', 'lab._load_jupyter_server_extension': 'a server hook',
    'show.sliders': 'keyword arguments only', 'fitplot.FitPlot': 'a widget (its arguments are tested in 00c)',
}

def _functions():
    out = []
    for m in pkgutil.iter_modules(nnscratch.__path__):
        if m.name.startswith('_') or m.name == 'all': continue
        mod = importlib.import_module(f'nnscratch.{m.name}')
        for name in getattr(mod, '__all__', []):
            f = getattr(mod, name)
            if not callable(f) or name.startswith('check_') or f'{m.name}.{name}' in SKIP: continue
            if getattr(f, '__module__', '') != mod.__name__: continue
            try: sig = inspect.signature(f)
            except (TypeError, ValueError): continue
            n = sum(p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    for p in sig.parameters.values() if p.name != 'self')
            if n: out.append((f'{m.name}.{name}', f, n))
    return out

class _Slow(Exception): pass
def _alarm(*a): raise _Slow()

@pytest.mark.parametrize('name,f,n', _functions(), ids=lambda x: x if isinstance(x, str) else '')
def test_garbage_gets_a_clear_error(name, f, n):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    bad = []
    for what, g in GARBAGE.items():
        old = signal.signal(signal.SIGALRM, _alarm); signal.alarm(20)
        try:
            out = f(*[g] * n)
            if isinstance(out, float) and math.isnan(out) and what != 'NaN': bad.append(f"{what}: a silent NaN")
        except (TypeError, ValueError) as e:
            if not str(e): bad.append(f"{what}: {type(e).__name__} with no message")
        except _Slow: bad.append(f"{what}: still running after 20 s")
        except FileNotFoundError as e:  # a path that names no file: the clearest error there is, with the path
            if not e.filename: bad.append(f"{what}: FileNotFoundError without the file's name")
        except FloatingPointError as e:  # the training loops' stop on a NaN or infinite loss (asked for by design)
            if what != 'NaN': bad.append(f"{what}: FloatingPointError: {e}")
        except RuntimeError as e:
            if str(e) != 'boom': bad.append(f"{what}: RuntimeError: {str(e)[:150]}")
        except Exception as e: bad.append(f"{what}: {type(e).__name__}: {str(e)[:150]}")
        finally:
            signal.alarm(0); signal.signal(signal.SIGALRM, old); plt.close('all')
    assert not bad, f"{name}: " + '; '.join(bad)
