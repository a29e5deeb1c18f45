"""The firm's learner on unmodified data: the reference every front is read against."""
from __future__ import annotations

from fairbench.contract import BASELINE, Intervention
from fairbench.hookspecs import hookimpl


class Unchanged:
    """Identity pre-processing; the harness trains the learner on the data as it is."""

    def fit(self, X, y, a):
        return self

    def transform(self, X, a):
        return X


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=BASELINE, stage="pre", side="baseline", knob="none", grid=(0.0,),
        make=lambda knob=None, random_state=0, **params: Unchanged(),
        description="the firm's learner trained on unmodified data",
    ))
