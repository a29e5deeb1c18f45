"""Proposition 2: a minority-only collective cannot reach fairness on P_4GMM.

Every minority member flips y=0 -> 1 (alpha=1, unlimited budget), the firm fits logistic
regression without the group feature; with the minority clusters on the majority's decision
boundary (mu = psi) the minority's TPR and FPR both go to 1/2, so EqOd goes to 0.5.
"""
import numpy as np

from fairbench.runner import compare


def all_flip_eqod(tmp_path, n, minority_fraction, seeds=3):
    result = compare(
        dataset="synthetic-4gmm", interventions=["random"], seeds=seeds, alpha=1.0, budgets=[10**7],
        learner="logreg", write=False, output=tmp_path / str(n),
        dataset_options=dict(n=n, minority_fraction=minority_fraction, mu=2, psi=2, sigma=0.7, drop_sensitive=True),
    )
    cells = result.cells
    flipped = cells[cells.intervention == "random"]
    assert (flipped.n_flips == flipped.n_candidates).all()  # every unfavourable minority label flipped
    return flipped.eqod.mean(), cells[cells.intervention == "baseline"].eqod.mean()


def test_eqod_approaches_one_half_as_the_majority_grows(tmp_path):
    eqod, baseline = all_flip_eqod(tmp_path, n=60000, minority_fraction=0.02)
    assert abs(eqod - 0.5) < 0.05
    assert baseline < 0.1  # without the collective the firm's classifier was nearly fair
