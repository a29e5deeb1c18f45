"""fairbench-dataset-example: the kit's dataset rules, the promised label bias, a run through the harness."""
import pytest

import fairbench
from fairbench.errors import UserInputError
from fairbench.testing import parametrize_with_checks, registered_by
from fairbench_dataset_example import load_label_bias, plugin


@parametrize_with_checks(registered_by(plugin))
def test_conformance(obj, check):
    check(obj)


def test_installed_entry_point_provides_the_dataset():
    (spec,) = registered_by("dataset-example")
    assert spec.name == "label-bias" and spec.plugin == "dataset-example"
    assert fairbench.load_dataset("label-bias", n=200).n_rows == 200


def test_training_labels_are_biased_against_qualified_minority_only():
    data = load_label_bias(n=20000, bias=0.4)
    y_true, train = data.info["y_true"], ~data.is_test
    changed = data.y != y_true
    assert (data.a[changed] == 1).all() and (y_true[changed] == 1).all() and not changed[data.is_test].any()
    qualified_minority = train & (data.a == 1) & (y_true == 1)
    assert data.y[qualified_minority].mean() == pytest.approx(0.6, abs=0.03)
    qualified_majority = train & (data.a == 0) & (y_true == 1)
    assert data.y[qualified_majority].mean() == 1.0


def test_unknown_option_is_named():
    with pytest.raises(UserInputError, match="no option 'colour'"):
        load_label_bias(colour="red")


def test_list_shows_the_dataset_and_its_plugin(capsys, monkeypatch):
    from fairbench.cli import main
    from fairbench.plugins import get_registry

    get_registry.cache_clear()
    monkeypatch.setenv("FAIRBENCH_LOAD_PLUGINS", "dataset-example")
    try:
        assert main(["list"]) == 0
    finally:
        get_registry.cache_clear()
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("label-bias"))
    assert "dataset-example" in line and "yes" in line


def test_collective_action_runs_on_it(tmp_path):
    from fairbench.plugins import build_registry

    registry = build_registry(extra=(plugin,), entry_points=False)
    result = fairbench.compare(dataset="label-bias", interventions=["rb-label"], seeds=1, budgets=[0, 20],
                               learner="logreg", tune=False, output=tmp_path, registry=registry,
                               dataset_options={"n": 800}, write=False)
    assert result.ok, result.failures
    cells = result.cells.set_index(["intervention", "knob_value"])
    assert cells.loc[("rb-label", 20), "n_flips"] == 20
