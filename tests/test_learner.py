"""tools/learner.py: the learner's edition (course/) made from the nbdev sources (nbs/), and the check of what a learner sees."""
import json, subprocess, sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))
import learner

def nb(*cells):
    out = []
    for i, (t, s, *md) in enumerate(cells):
        c = dict(cell_type=t, id=f'c{i}', metadata=md[0] if md else {}, source=s)
        if t == 'code': c.update(outputs=[], execution_count=None)
        out.append(c)
    return dict(cells=out, metadata=dict(kernelspec=dict(name='python3', language='python', display_name='python3')),
                nbformat=4, nbformat_minor=5)

INSTALL = "COURSE = 'nnscratch[course] @ git+https://github.com/nnscratch/nnscratch'"
SRC = nb(('code', '#| default_exp fitting'),
         ('markdown', '# A lesson'),
         ('code', f'#| hide\n#| eval: false\n{INSTALL}'),
         ('code', '#| export\nimport torch\nfrom nnscratch.checks import check_real'),
         ('code', '#| hide\nfrom fastcore.test import *\nfrom nnscratch.show import sliders\nimport torch.nn.functional as F'),
         ('markdown', 'See [the plots](fitplot.html#FitPlot) and [PyTorch](https://pytorch.org).'),
         ('code', '#| export\ndef mae(p, a):\n    "MAE"\n    return (p - a).abs().mean()'),
         ('code', '#| export\n#| hide\ndef _check_mae(p, a): check_real("p", p)\nmae = validated(mae, _check_mae)'),
         ('markdown', '<!-- docs only -->\nThe tests that say so:'),
         ('code', '# check: a small case\ntest_eq(mae(torch.ones(2), torch.zeros(2)), 1.)'),
         ('code', 'sliders(a=1)(lambda a: F.relu(torch.tensor(a)))'),
         ('markdown', '## Exercises'),
         ('code', '#| export\n#| hide\ndef check_mae(fn): return fn'),
         ('code', '#| hide\nassert check_mae(mae)'),
         ('markdown', '### Exercise 1: MAE'),
         ('code', 'def my_mae(p, a): ...\ncheck_mae(my_mae)'),
         ('markdown', '## Solutions'),
         ('code', '#| code-fold: true\n#| code-summary: "Solution to exercise 1"\ndef my_mae(p, a): return (p - a).abs().mean()\n'
                  'v = check_mae(my_mae); assert v, v\nv', {'jupyter': {'source_hidden': True}}))

def test_build_keeps_the_lesson_and_drops_the_workshop(tmp_path):
    p = tmp_path / '01_fitting.ipynb'; p.write_text(json.dumps(SRC))
    out, problems = learner.learner_notebook(p)
    assert problems == []
    srcs = [c['source'] for c in out['cells']]
    assert srcs[0] == '# A lesson' and srcs[1] == INSTALL  # the install cell stays, without its directives
    imp = ("# what this lesson uses from the nnscratch library without showing it here: the exercises' checkers and helpers\n"
           "import torch.nn.functional as F\nfrom nnscratch.fitting import check_mae\nfrom nnscratch.show import sliders")
    assert srcs[2] == 'import torch'  # check_real pruned
    assert srcs[srcs.index(imp) + 1].startswith('sliders(')  # the checker, sliders and F imported, right before their first use
    assert '(https://nnscratch.github.io/nnscratch/fitplot.html#FitPlot)' in srcs[3] and '(https://pytorch.org)' in srcs[3]
    assert srcs[4].startswith('def mae') and not any('validated' in s or 'test_eq' in s or 'docs only' in s for s in srcs)
    assert srcs.count('def my_mae(p, a): ...\ncheck_mae(my_mae)') == 1
    sol = out['cells'][-1]
    assert sol['source'] == '#@title Solution to exercise 1\ndef my_mae(p, a): return (p - a).abs().mean()\ncheck_mae(my_mae)'
    assert sol['metadata'] == {'cellView': 'form', 'jupyter': {'source_hidden': True}}
    heading = next(c for c in out['cells'] if c['source'] == '## Solutions')
    assert out['metadata']['colab']['collapsed_sections'] == [heading['id']] == [heading['metadata']['id']]
    assert learner.audit(_write(tmp_path, out), {'check_mae'}) == []

def _write(tmp_path, nbd):
    p = tmp_path / 'out.ipynb'; p.write_text(json.dumps(nbd)); return p

def test_build_refuses_a_name_only_a_hidden_cell_defines(tmp_path):
    bad = json.loads(json.dumps(SRC))
    bad['cells'].insert(5, dict(cell_type='code', id='x', metadata={}, outputs=[], execution_count=None,
                                source='#| hide\nxs = torch.linspace(0, 1, 5)'))
    bad['cells'].insert(6, dict(cell_type='code', id='y', metadata={}, outputs=[], execution_count=None, source='mae(xs, xs)'))
    p = tmp_path / '01_fitting.ipynb'; p.write_text(json.dumps(bad))
    assert learner.learner_notebook(p)[1] == ['kept cells use xs, defined only in dropped cells that export nothing']

def test_check_finds_the_workshop_in_every_source_notebook():
    "the check can fail: on the nbdev sources, which hold the workshop, it names each kind of thing"
    checkers = learner._checker_names()
    assert len(checkers) >= 33
    for p in learner.lessons(learner.NBS):
        kinds = {k for k, _, _ in learner.audit(p, checkers)}
        assert {'nbdev directive', 'checker definition'} <= kinds and any(k.startswith('solution not folded') for k in kinds), (p.name, kinds)
    kinds = {k.split(' (')[0] for p in learner.lessons(learner.NBS) for k, _, _ in learner.audit(p, checkers)}
    assert {'test call', 'argument validation', 'checker self-test or reference answer'} <= kinds, kinds

def test_check_passes_the_learners_notebooks():
    r = subprocess.run([sys.executable, str(REPO / 'tools' / 'learner.py'), 'check'], capture_output=True, text=True)
    assert r.returncode == 0 and "0 things of the workshop in 12 notebooks" in r.stdout, r.stdout[-3000:]
    print(r.stdout.splitlines()[-1])

def test_readme_links_the_learners_notebooks():
    links = [p.relative_to(REPO).as_posix() for p in learner.readme_notebooks()]
    assert links == [f'course/{p.name}' for p in learner.lessons(learner.COURSE)] and len(links) == 12, links
