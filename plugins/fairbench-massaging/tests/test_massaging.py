"""fairbench-massaging: the conformance kit, the massaging arithmetic and a run through the harness."""
import numpy as np
import pytest

import fairbench_massaging
from fairbench.testing import kit_dataset, parametrize_with_checks, registered_by
from fairbench_massaging import Massaging, massaging_pairs, plugin


@parametrize_with_checks(registered_by(plugin))
def test_conformance(obj, check):
    check(obj)


def test_installed_entry_point_provides_massaging():
    (iv,) = registered_by("massaging")
    assert (iv.name, iv.stage, iv.side, iv.plugin) == ("massaging", "pre", "firm", "massaging")


def toy():
    # One feature that the ranker orders rows by; a (column 1) is also a feature.
    x = np.array([0.9, 0.8, 0.1, 0.7, 0.2, 0.95, 0.3, 0.85, 0.15, 0.6, 0.05, 0.65])
    a = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    return np.column_stack([x * 10, a]), y, a


def test_pairs_equalise_favourable_rates():
    X, y, a = toy()
    # disc = 4/6 - 2/6 = 1/3; M = 1/3 * 6 * 6 / 12 = 1
    assert massaging_pairs(y, a) == pytest.approx(1.0)
    labels = Massaging(strength=1.0).fit(X, y, a).relabel(X, y, a)
    assert labels[a == 0].mean() == labels[a == 1].mean() == 0.5


def test_top_ranked_minority_promoted_and_bottom_ranked_majority_demoted():
    X, y, a = toy()
    method = Massaging(strength=1.0).fit(X, y, a)
    labels = method.relabel(X, y, a)
    changed = np.flatnonzero(labels != y)
    assert changed.tolist() == [0, 8]          # x=0.9 (a=1, y=0) up; x=0.15 (a=0, y=1) down
    assert method.extra_metrics == {"massaging_pairs": 1}
    np.testing.assert_array_equal(method.transform(X, a), X)


def test_no_flips_when_strength_zero_or_minority_not_disadvantaged():
    X, y, a = toy()
    assert (Massaging(strength=0.0).fit(X, y, a).relabel(X, y, a) == y).all()
    flipped_groups = 1 - a
    assert massaging_pairs(y, flipped_groups) == 0.0
    assert (Massaging().fit(X, y, flipped_groups).relabel(X, y, flipped_groups) == y).all()


def test_bad_strength_is_named():
    with pytest.raises(ValueError, match="strength=-1"):
        Massaging(strength=-1)


def test_runs_through_the_harness_and_records_flips(tmp_path):
    from fairbench import DatasetSpec, hookimpl
    from fairbench.plugins import build_registry
    from fairbench.runner import compare

    class KitData:
        @hookimpl
        def fairbench_register_datasets(self, register):
            register(DatasetSpec(name="kit-600", loader=lambda **o: kit_dataset(n=600), description="kit data",
                                 sensitive="group", protected="a=1", favourable="y=1", source="tests"))

    registry = build_registry(extra=(fairbench_massaging.plugin, KitData()), entry_points=False)
    result = compare(dataset="kit-600", interventions=["massaging"], seeds=1, learner="logreg",
                     output=tmp_path, registry=registry, write=False)
    assert result.ok, result.failures
    cells = result.cells[result.cells.intervention == "massaging"].sort_values("knob_value")
    assert cells["knob_value"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert (cells["n_flips"] == 2 * cells["massaging_pairs"]).all()
    assert cells["n_flips"].is_monotonic_increasing and cells["n_flips"].iloc[-1] > 0
    base = result.cells[result.cells.intervention == "baseline"].iloc[0]
    assert cells["sp"].iloc[-1] < base["sp"]  # full massaging narrows the positive-rate gap
