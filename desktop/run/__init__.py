"""Running a study: the run panel and the QThread pool over the engine's run loop."""
