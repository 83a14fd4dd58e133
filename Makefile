# The two commands of the README. Each makes its own virtual environment, so a fresh
# machine needs nothing but Python 3.10+.
PYTHON ?= python3
# `make test PYTHON=python3.10` gets a virtual environment of its own beside .venv.
VENV ?= $(if $(filter command line,$(origin PYTHON)),.venv-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'),.venv)
BIN := $(VENV)/bin

.PHONY: run test test-headless lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python main.py

test: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The engine without Qt, as napari tests with Qt uninstalled: tests/engine with PySide6,
# shiboken6 and pyqtgraph unimportable in every Python it starts (.ci/no_qt/sitecustomize.py).
# pytest-qt is left out (it imports Qt), so pytest warns once that qt_api is unknown.
test-headless: $(VENV)/.installed
	PYTHONPATH=$(CURDIR)/.ci/no_qt $(BIN)/python -m pytest -q -p no:pytest-qt tests/engine

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info
