"""Running a study: the run panel, and the worker pool (a Qt adapter over the engine's
Runner)."""
