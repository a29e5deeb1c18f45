"""Every dataset the package ships runs through `compare` offline (one seed, two budgets)."""
import pytest

from fairbench.runner import compare


@pytest.mark.parametrize("name", ["adult", "compas", "german", "synthetic-4gmm", "acs-employment"])
def test_shipped_dataset_compares(name, tmp_path):
    result = compare(dataset=name, interventions=["rb-prob"], seeds=1, budgets=[0, 20], learner="logreg",
                     output=tmp_path, write=False)
    assert (result.cells["status"] == "ok").all(), result.cells["message"].tolist()
    assert len(result.cells) == 3
