"""A scikit-learn pipeline whose ``fit`` takes ``sample_weight``, as a bare classifier's does.

The firm-side reductions (fairlearn's ``ExponentiatedGradient`` and ``GridSearch``) call
``estimator.fit(X, y, sample_weight=w)``; a plain ``Pipeline`` refuses that keyword unless
scikit-learn's metadata routing is switched on for the whole process.  This pipeline hands the
weights to its final step, the classifier, which the reduction reweights; the scaler in front
keeps its unweighted statistics.  Its parameters are the plain pipeline's, so cell keys are too.
"""
from __future__ import annotations

from sklearn.pipeline import Pipeline, make_pipeline


class WeightedPipeline(Pipeline):
    def fit(self, X, y=None, sample_weight=None, **params):
        if sample_weight is not None:
            params[f"{self.steps[-1][0]}__sample_weight"] = sample_weight
        return super().fit(X, y, **params)


def make_weighted_pipeline(*steps) -> WeightedPipeline:
    """``make_pipeline``'s step names, in a :class:`WeightedPipeline`."""
    return WeightedPipeline(make_pipeline(*steps).steps)
