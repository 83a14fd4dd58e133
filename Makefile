# The two commands of the README. Each makes its own virtual environment, so a fresh
# machine needs nothing but Python 3.10+.
PYTHON ?= python3
# `make test PYTHON=python3.10` gets a virtual environment of its own beside .venv.
VENV ?= $(if $(filter command line,$(origin PYTHON)),.venv-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'),.venv)
BIN := $(VENV)/bin

.PHONY: run test test-headless wheel-check lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `run` needs only what Knobs itself needs; `test` adds the test tools (and so covers `run`).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python main.py

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The engine without Qt, as napari tests with Qt uninstalled: tests/engine with PySide6,
# shiboken6 and pyqtgraph unimportable in every Python it starts (.ci/no_qt/sitecustomize.py).
# pytest-qt is left out (it imports Qt), so pytest warns once that qt_api is unknown.
test-headless: $(VENV)/.installed-test
	PYTHONPATH=$(CURDIR)/.ci/no_qt $(BIN)/python -m pytest -q -p no:pytest-qt tests/engine

# Build the wheel, install it in a fresh virtual environment, and use it as a user would.
wheel-check: | $(BIN)/python
	PYTHON=$(BIN)/python .ci/wheel_check.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info
