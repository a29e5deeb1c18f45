"""The conformance kit for fairbench plugins, in the spirit of scikit-learn's ``check_estimator``.

Run every check on one intervention or dataset spec (raises :class:`ConformanceError`, naming the
plugin and the broken rule, when any check fails)::

    from fairbench.testing import check_intervention
    check_intervention(my_intervention)

or turn each check into its own pytest test with a readable id (``massaging-check_make`` ...)::

    from fairbench.testing import parametrize_with_checks, registered_by
    import my_plugin

    @parametrize_with_checks(registered_by(my_plugin))
    def test_conformance(obj, check):
        check(obj)

A learner (``fairbench.Learner``) gets its own checks (``check_learner``): it can be cloned and
keyed, it fits 0/1 labels and predicts two-column probabilities, the same seed gives the same
predictions, and a learner that declares ``nan_tolerant`` takes NaN.

From a shell: ``python -m fairbench.testing [NAME ...] [--trace]`` checks registered objects
by name and prints one line per rule (``--trace`` also prints every call the kit made to the
plugin, with the shapes it passed and got back, and the seconds it took).

Every intervention check runs on one tiny synthetic task (300 rows: two continuous features, one
categorical code column and the sensitive attribute as a feature), prepared, split and turned
into a :class:`~fairbench.contract.CollectiveView` by the harness's own code, and the plugin's
methods are called through the harness's own stage objects (``fairbench.stages``), so what a plugin
receives here, and in which order, is what it receives in a real run.  ``make`` gets the middle value of the grid and
``random_state=0``; an ``in`` method gets the firm's learner as the harness builds it (``logreg``
here, to keep the kit fast).  One fit per intervention is shared by the checks that read its
outputs, and one more fit checks determinism, so the kit costs about two fits per intervention.

The package: ``kit`` (the rules, the error, the kit's task and one recorded pass of a plugin),
``checks`` (one function per rule, and running them), ``learner_checks`` (the learners' rules), ``pytest_glue`` (``parametrize_with_checks``,
``registered_by``), ``docs`` (the generated hook reference) and ``cli`` (``python -m fairbench.testing``).

A check that cannot apply (a missing optional dependency, a dataset whose files are absent, an
optional method the object does not have) raises ``unittest.SkipTest``, which pytest reports as
a skip with the reason.
"""
from fairbench.testing.checks import (  # noqa: F401
    check_dataset, check_dataset_declaration, check_dataset_drop_sensitive, check_dataset_loads,
    check_dataset_same_load, check_declaration, check_inputs_not_mutated, check_intervention, check_make, check_metric,
    check_metric_declaration, check_metric_values, check_optional_attributes, check_output_shape, check_relabel,
    check_same_seed_same_output, check_scores_finite, check_unseen_rows, checks_for, dataset_checks,
    intervention_checks, metric_checks,
)
from fairbench.testing.docs import hooks_markdown  # noqa: F401
from fairbench.testing.learner_checks import (  # noqa: F401
    check_learner, check_learner_clone, check_learner_declaration, check_learner_fit, check_learner_missing_values,
    check_learner_seeded, learner_checks,
)
from fairbench.testing.kit import (  # noqa: F401
    KIT_ALPHA, KIT_LEARNER, KIT_ROWS, KIT_SEED, RULES, SLOW_ENV, CheckResult, ConformanceError, kit_dataset, trace,
)
from fairbench.testing.pytest_glue import parametrize_with_checks, registered_by  # noqa: F401

__all__ = [
    "ConformanceError", "CheckResult", "RULES", "check_intervention", "check_dataset", "checks_for",
    "intervention_checks", "dataset_checks", "metric_checks", "check_metric", "learner_checks", "check_learner",
    "parametrize_with_checks",
    "registered_by", "kit_dataset", "trace", "hooks_markdown",
]
