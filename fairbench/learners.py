"""The firm's learner: one scikit-learn classifier, built fresh for every fit, chosen by name.

The learners are :class:`fairbench.Learner` declarations registered through the
``fairbench_register_learners`` hook; the built-ins below use that hook as a plugin does.  The
paper trains HistGradientBoostingClassifier with default parameters (``hgb``, the default);
``random_state`` is the only thing set (its early-stopping split is random on large data).  The
others use their library's defaults too, with the changes each factory's docstring gives.

A run names its learner (``--learner NAME``), and every worker process builds it by that name
from its own registry (built-ins and installed plugins): a learner must therefore be installed
as a plugin, not only registered in a registry handed to ``compare(registry=...)``.
"""
from __future__ import annotations

from fairbench.contract import Learner
from fairbench.errors import UnavailableError
from fairbench.hookspecs import hookimpl

DEFAULT_LEARNER = "hgb"


def _hgb(random_state: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=random_state)


def _logreg(random_state: int):
    """Behind a StandardScaler, in a pipeline that passes ``sample_weight`` on to the classifier
    (``fairbench.weighted_pipeline``: the reductions reweight the rows)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from fairbench.weighted_pipeline import make_weighted_pipeline

    return make_weighted_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=random_state))


def _random_forest(random_state: int):
    """scikit-learn's defaults (100 fully grown trees).  ``n_jobs`` stays at its default (one
    process): a forest's own joblib threads would not obey the worker's thread cap."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(random_state=random_state)


def _mlp(random_state: int):
    """One hidden layer of 100 units (scikit-learn's default) behind a StandardScaler: a network's
    gradient training is sensitive to feature scale (Adult puts ages of ~40 beside capital gains of
    up to 10^5 in one input layer), so the inputs are standardised, as scikit-learn's user guide
    recommends for MLPs.  ``early_stopping`` stops on a seeded 10% split of the training rows
    instead of running ``max_iter`` epochs into a ConvergenceWarning.  Its pipeline passes
    ``sample_weight`` on to the network (scikit-learn >= 1.7 takes it), as logreg's does."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from fairbench.weighted_pipeline import make_weighted_pipeline

    return make_weighted_pipeline(StandardScaler(), MLPClassifier(early_stopping=True, max_iter=500, random_state=random_state))


def _lightgbm(random_state: int):
    """LightGBM's defaults, silent.  ``n_jobs=0`` is "OpenMP's default number of threads", which
    the worker's cap sets; LightGBM's own default (``None``) counts the physical cores instead
    and ignores the cap (measured: an extra OpenMP thread inside a one-thread cap).
    ``force_col_wise`` skips the timing test LightGBM otherwise runs to choose a histogram layout."""
    from lightgbm import LGBMClassifier

    return LGBMClassifier(random_state=random_state, n_jobs=0, force_col_wise=True, verbose=-1)


def _xgboost(random_state: int):
    """XGBoost's defaults (``hist`` trees); its default ``n_jobs`` already takes OpenMP's setting."""
    from xgboost import XGBClassifier

    return XGBClassifier(random_state=random_state)


BUILTIN_LEARNERS = (
    Learner("hgb", _hgb, "scikit-learn histogram gradient boosting, default parameters (the paper's)",
            nan_tolerant=True),
    Learner("logreg", _logreg, "standardised features, scikit-learn logistic regression (max_iter 1000)"),
    Learner("random-forest", _random_forest, "scikit-learn random forest, default parameters (100 trees)",
            nan_tolerant=True),  # scikit-learn >= 1.4 routes missing values in its trees
    Learner("mlp", _mlp, "standardised features, scikit-learn MLP (100 hidden units, early stopping)"),
    Learner("lightgbm", _lightgbm, "LightGBM gradient boosting, default parameters", requires=("lightgbm",),
            install_hint='pip install "fairbench-collective[lightgbm]"', nan_tolerant=True),
    Learner("xgboost", _xgboost, "XGBoost gradient boosting, default parameters (hist trees)", requires=("xgboost",),
            install_hint='pip install "fairbench-collective[xgboost]"', nan_tolerant=True),
)


@hookimpl
def fairbench_register_learners(register):
    for learner in BUILTIN_LEARNERS:
        register(learner)


def learner_spec(name: str, registry=None) -> Learner:
    """The registered learner ``name``; unknown names list the valid ones, a missing package gives its install hint."""
    from fairbench.plugins import get_registry

    spec = (registry or get_registry()).learner(name)
    reason = spec.unavailable_reason()
    if reason:
        raise UnavailableError(reason)
    return spec


def make_learner(name: str, random_state: int, registry=None):
    """An unfitted classifier: the registered learner ``name``, seeded with ``random_state``."""
    return learner_spec(name, registry).make(random_state)


def learner_params(name: str) -> dict:
    """The learner's parameters, for the result key: a changed default never reuses a cell."""
    return {k: repr(v) for k, v in sorted(make_learner(name, 0).get_params(deep=True).items())}
