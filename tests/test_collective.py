"""The user-side strategies on the paper's own worked examples and the collective's invariants."""
import numpy as np
import pytest

from fairbench.collective import check_alpha, check_budgets, flip, form_collective, rank_candidates
from fairbench.contract import CollectiveView
from fairbench.errors import PluginError, UserInputError
from fairbench.interventions.collective import RandomScores, RBDist, RBLabel, RBProb


def figure2_view():
    """Figure 2: one minority square at the origin; majority circles with + / - labels."""
    candidate = np.array([[0.0, 0.0]])
    majority = np.array([[1.0, 0.0], [0.0, 2.0], [-1.5, 0.0], [0.0, -3.0], [5.0, 5.0], [-4.0, 4.0]])
    labels = np.array([1, 1, 0, 1, 1, 0])
    return CollectiveView(candidates=candidate, collective=candidate, collective_y=np.array([0]),
                          majority=majority, majority_y=labels)


def test_figure2_rb_label_counts_favourable_neighbours():
    # k=3 nearest majority rows: (1,0)+, (-1.5,0)-, (0,2)+  -> s = 2
    assert RBLabel(k=3).score(figure2_view()).tolist() == [2.0]


def test_figure2_rb_dist_is_minus_mean_distance_to_favourable_neighbours():
    # k=3 nearest favourable majority rows: d1=1, d2=2, d3=3 -> s = -(1+2+3)/3
    assert RBDist(k=3).score(figure2_view())[0] == pytest.approx(-(1 + 2 + 3) / 3)


def test_rb_prob_uses_majority_only_and_ranks_by_probability():
    rng = np.random.default_rng(0)
    majority = rng.normal(size=(400, 1))
    majority_y = (majority[:, 0] > 0).astype(int)
    candidates = np.array([[-2.0], [0.5], [2.0]])
    view = CollectiveView(candidates, candidates, np.zeros(3, int), majority, majority_y)
    scores = RBProb().score(view)
    assert scores[0] < 0.1 < 0.9 < scores[1] <= scores[2]


def test_random_scores_depend_on_seed_only():
    view = figure2_view()
    many = CollectiveView(np.zeros((50, 2)), np.zeros((50, 2)), np.zeros(50, int), view.majority, view.majority_y, random_state=3)
    again = CollectiveView(np.ones((50, 2)), np.zeros((50, 2)), np.zeros(50, int), view.majority, view.majority_y, random_state=3)
    assert np.array_equal(RandomScores().score(many), RandomScores().score(again))


def test_k_larger_than_majority_is_capped():
    view = figure2_view()
    assert RBLabel(k=50).score(view).tolist() == [4.0]


def test_rb_dist_without_favourable_majority_is_a_clear_error():
    view = figure2_view()
    empty = CollectiveView(view.candidates, view.collective, view.collective_y, view.majority, np.zeros(6, int))
    with pytest.raises(UserInputError, match="y=1"):
        RBDist(k=3).score(empty)


def test_collective_is_a_seeded_fraction_of_the_train_minority():
    a = np.array([1] * 100 + [0] * 300)
    y = np.array(([0, 1] * 50) + [1] * 300)
    train = np.arange(400)
    c1 = form_collective(train, a, y, 0.3, seed=1)
    c1b = form_collective(train, a, y, 0.3, seed=1)
    c2 = form_collective(train, a, y, 0.3, seed=2)
    assert len(c1.members) == 30 and np.all(a[c1.members] == 1)
    assert np.array_equal(c1.members, c1b.members)
    assert not np.array_equal(c1.members, c2.members)
    assert np.all(y[c1.candidates] == 0) and set(c1.candidates) <= set(c1.members)
    assert len(c1.known_majority) == 300
    assert len(form_collective(train, a, y, 0.3, seed=1, majority_knowledge=10).known_majority) == 10
    assert len(form_collective(train, a, y, 0.3, seed=1, majority_knowledge=10_000).known_majority) == 300


def test_flips_only_change_top_candidates_from_0_to_1():
    y = np.zeros(10, dtype=int)
    candidates = np.array([2, 5, 7])
    ranking = rank_candidates(np.array([0.1, 0.9, 0.5]), 3, seed=0, plugin="t")
    flipped, n = flip(y, candidates, ranking, 2)
    assert n == 2 and flipped.tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 0]
    capped, n = flip(y, candidates, ranking, 99)
    assert n == 3 and capped.sum() == 3


@pytest.mark.parametrize("alpha", [0, -0.1, 1.5, float("nan")])
def test_alpha_outside_unit_interval_is_refused(alpha):
    with pytest.raises(UserInputError, match="alpha must be in"):
        check_alpha(alpha)


def test_negative_budget_is_refused():
    with pytest.raises(UserInputError, match=">= 0"):
        check_budgets([10, -1])


def test_bad_scores_name_the_plugin():
    with pytest.raises(PluginError, match="'evil'.*shape"):
        rank_candidates(np.zeros(2), 3, seed=0, plugin="evil")
    with pytest.raises(PluginError, match="'evil'.*non-finite"):
        rank_candidates(np.array([0.0, np.nan, 1.0]), 3, seed=0, plugin="evil")
