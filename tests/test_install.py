"""The install: holisticai (and with it JAX) is an extra, README's two commands still set up
everything, and CI runs README's test command."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
README = (ROOT / "README.md").read_text()


def setup_commands() -> list[str]:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, re.S)


def installed_extras(command: str) -> set[str]:
    """The extras of this project that a `pip install ".[a,b]"` command names."""
    found = re.search(r'pip install (?:-e )?"?\.\[([^\]]*)\]"?', command)
    return set(found.group(1).split(",")) if found else set()


def test_core_dependencies_leave_out_holisticai_and_jax():
    names = {re.split(r"[\[<>=!~ ]", d, maxsplit=1)[0].lower() for d in PROJECT["dependencies"]}
    assert not names & {"holisticai", "jax", "jaxlib", "flax", "optax", "error-parity"}
    assert any(d.startswith("holisticai[bias]") for d in PROJECT["optional-dependencies"]["holisticai"])


LEARNER_EXTRAS = {"lightgbm", "xgboost"}  # optional firm's learners (--learner), not methods


def test_readme_has_two_setup_commands_that_install_every_method():
    main_command, test_command = setup_commands()
    method_extras = set(PROJECT["optional-dependencies"]) - {"test", "distributed"} - LEARNER_EXTRAS
    assert method_extras == {"holisticai", "error-parity", "cleanlab"}
    assert installed_extras(main_command) == method_extras
    assert installed_extras(test_command) == {"test"}
    (self_reference,) = [d for d in PROJECT["optional-dependencies"]["test"] if d.startswith(PROJECT["name"])]
    assert set(self_reference.split("[", 1)[1].rstrip("]").split(",")) == set(PROJECT["optional-dependencies"]) - {"test"}


def test_ci_runs_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == setup_commands()[1]
