"""Looking at studies rather than running one: notes, live follow, several side by side,
Optuna studies opened read-only."""
