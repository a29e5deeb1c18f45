"""`fairbench --help` and `fairbench list` stay light: no holisticai/jax, no optional learner or cleanlab, no training."""
import json
import subprocess
import sys

PROBE = """
import json, sys
from fairbench.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('holisticai', 'jax', 'jaxlib', 'flax', 'optax', 'torch',
                                                             'lightgbm', 'xgboost', 'cleanlab'))
print(json.dumps({{"heavy": heavy, "sklearn_ensemble": 'sklearn.ensemble' in sys.modules}}))
"""


def probe(argv):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_imports_nothing_heavy():
    result = probe(["--help"])
    assert result == {"heavy": [], "sklearn_ensemble": False}


def test_list_imports_no_heavy_dependency_and_trains_nothing():
    result = probe(["list"])
    assert result["heavy"] == []
    assert result["sklearn_ensemble"] is False
