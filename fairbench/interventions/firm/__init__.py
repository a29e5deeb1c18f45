"""Firm-side fairness interventions, one pluggy plugin module each (built-ins, same hook as third parties).

============================  =====  ====================  ======================================================
intervention                  stage  knob                  what it is
============================  =====  ====================  ======================================================
``lfr``                       pre    ``Az``                LFR, holisticai's objective with its exact gradient
``lfr-holisticai``            pre    ``Az``                library default: holisticai's own float32 fit (variant)
``fare``                      pre    ``gamma``             FARE fair tree (our implementation)
``fare-k``                    pre    ``max_leaves``        FARE at small k (the official sweep's far end)
``reductions-eg``             in     ``difference_bound``  fairlearn EG, capacity-capped oracle learner
``reductions-eg-firm-learner`` in    ``difference_bound``  library usage: the firm's learner as oracle (variant)
``reductions-gs``             in     ``grid_index``        fairlearn GridSearch, capacity-capped oracle learner
``reductions-gs-firm-learner`` in    ``grid_index``        library usage: the firm's learner as oracle (variant)
``calibrated-eo``             post   ``mix``               holisticai calibrated EO, faithful (threshold 0.5)
``calibrated-eo-threshold``   post   ``threshold``         the same fit, decision threshold swept after mixing
``threshold-optimizer``       post   ``none``              fairlearn ThresholdOptimizer (one point)
``relaxed-eo``                post   ``tolerance``         error-parity relaxed equalized odds (Cruz & Hardt)
``label-cleaning``            pre    ``frac_noise``        cleanlab confident learning: flip flagged labels (defence)
============================  =====  ====================  ======================================================

Variants and the ``label-cleaning`` defence (``in_default_run=False``) run when named.  Importing these modules is cheap: holisticai
(and with it jax), fairlearn's reductions, error-parity and cleanlab load inside ``fit``.  Each
intervention's ``requires`` lists the top-level modules it needs, so a missing optional dependency
is reported with its ``install_hint`` instead of failing a run.  The modules are registered with
every other built-in in ``fairbench.plugins.DEFAULT_PLUGINS``.
"""
