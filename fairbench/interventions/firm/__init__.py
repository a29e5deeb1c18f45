"""Firm-side fairness interventions, one pluggy plugin module each (built-ins, same hook as third parties).

========================  =====  ==============  ===============================================
intervention              stage  knob            module
========================  =====  ==============  ===============================================
``lfr``                   pre    ``Az``          :mod:`fairbench.interventions.firm.lfr`
``fare``                  pre    ``gamma``       :mod:`fairbench.interventions.firm.fare`
``reductions-eg``         in     ``eps``         :mod:`fairbench.interventions.firm.reductions`
``reductions-gs``         in     ``grid_index``  :mod:`fairbench.interventions.firm.reductions`
``calibrated-eo``         post   ``mix``         :mod:`fairbench.interventions.firm.calibrated_eo`
``threshold-optimizer``   post   ``none``        :mod:`fairbench.interventions.firm.threshold`
========================  =====  ==============  ===============================================

Importing these modules is cheap: holisticai (and with it jax) and fairlearn's reductions load
inside ``fit``.  Each intervention's ``requires`` lists the top-level modules it needs, so a
missing optional dependency is reported with its ``install_hint`` instead of failing a run.
"""

PLUGINS = (
    "fairbench.interventions.firm.lfr",
    "fairbench.interventions.firm.fare",
    "fairbench.interventions.firm.calibrated_eo",
    "fairbench.interventions.firm.reductions",
    "fairbench.interventions.firm.threshold",
)
