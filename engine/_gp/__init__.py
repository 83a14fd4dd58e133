"""Private Gaussian-process machinery behind the "bayes" sampler (numpy/scipy only).

- :mod:`engine._gp.gp` — the Matérn 5/2 ARD model, its marginal-likelihood fit and posterior;
- :mod:`engine._gp.acquisition` — log expected improvement, UCB and PI with gradients;
- :mod:`engine._gp.encoding` — search-space points to model features and back;
- :mod:`engine._gp.optimize` — maximising an acquisition over a mixed search space.

Nothing here knows about trials or studies; :mod:`engine.samplers.bayes` adapts them.
"""
