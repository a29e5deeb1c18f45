"""fairbench-situation-testing: the conformance kit, a worked example and a run through the harness."""
import numpy as np
import pytest

import fairbench_situation_testing
from fairbench import CollectiveView
from fairbench.collective import flip, form_collective
from fairbench.errors import UserInputError
from fairbench.testing import kit_dataset, parametrize_with_checks, registered_by
from fairbench_situation_testing import SituationTesting, plugin


@parametrize_with_checks(registered_by(plugin))
def test_conformance(obj, check):
    check(obj)


def test_installed_entry_point_provides_the_strategy():
    (iv,) = registered_by("situation-testing")
    assert iv.name == "situation-testing" and iv.plugin == "situation-testing" and iv.side == "user"


def worked_view():
    # 1-D features.  Candidate c0 at 0.0, c1 at 10.0 (both collective members with y=0).
    collective = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    collective_y = np.array([0, 0, 0, 0, 1, 1])
    majority = np.array([[0.05], [0.15], [9.9], [10.3]])
    majority_y = np.array([1, 1, 0, 1])
    return CollectiveView(candidates=collective[[0, 3]], collective=collective, collective_y=collective_y,
                          majority=majority, majority_y=majority_y)


def test_score_is_majority_rate_minus_minority_rate_without_self():
    scores = SituationTesting(k=2).score(worked_view())
    # c0: majority neighbours 0.05, 0.15 -> rate 1; other members 0.1, 0.2 -> rate 0; gap 1.
    # c1: majority neighbours 9.9 (0), 10.3 (1) -> 0.5; other members 10.1, 10.2 -> 1; gap -0.5.
    assert scores.tolist() == [1.0, -0.5]


def test_only_collective_members_are_relabeled():
    data = kit_dataset(n=400)
    train = np.arange(300)
    a, y = data.a, data.y
    collective = form_collective(train, a, y, alpha=0.5, seed=3)
    Z = (data.X.drop(columns="group").to_numpy(float) - 0.5) / 1.3
    view = CollectiveView(candidates=Z[collective.candidates], collective=Z[collective.members],
                          collective_y=y[collective.members], majority=Z[collective.known_majority],
                          majority_y=y[collective.known_majority], random_state=3)
    ranking = np.argsort(-SituationTesting(k=5).score(view), kind="stable")
    flipped, n = flip(y, collective.candidates, ranking, budget=10)
    changed = np.flatnonzero(flipped != y)
    assert n == 10 and len(changed) == 10
    assert set(changed) <= set(collective.members) and (a[changed] == 1).all() and (y[changed] == 0).all()


def test_bad_k_and_empty_majority_are_named():
    view = worked_view()
    with pytest.raises(UserInputError, match="k must be a positive integer"):
        SituationTesting(k=0).score(view)
    empty = CollectiveView(view.candidates, view.collective, view.collective_y, np.zeros((0, 1)), np.zeros(0, int))
    with pytest.raises(UserInputError, match="majority row"):
        SituationTesting().score(empty)


def test_runs_through_the_harness(tmp_path):
    from fairbench import DatasetSpec, hookimpl
    from fairbench.plugins import build_registry
    from fairbench.runner import compare

    class KitData:
        @hookimpl
        def fairbench_register_datasets(self, register):
            register(DatasetSpec(name="kit-600", loader=lambda **o: kit_dataset(n=600), description="kit data",
                                 sensitive="group", protected="a=1", favourable="y=1", source="tests"))

    registry = build_registry(extra=(fairbench_situation_testing.plugin, KitData()), entry_points=False)
    result = compare(dataset="kit-600", interventions=["situation-testing"], seeds=1, budgets=[0, 5, 20],
                     learner="logreg", output=tmp_path, registry=registry, write=False)
    cells = result.cells[result.cells.intervention == "situation-testing"]
    assert result.ok, result.failures
    assert cells["n_flips"].tolist() == [0, 5, 20] and (cells["plugin"] == "fairbench_situation_testing.plugin").all()
