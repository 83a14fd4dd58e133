# The two commands of the README. Each makes its own virtual environment, so a fresh
# machine needs nothing but Python 3.10+.
PYTHON ?= python3
# `make test PYTHON=python3.10` gets a virtual environment of its own beside .venv.
VENV ?= $(if $(filter command line,$(origin PYTHON)),.venv-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'),.venv)
BIN := $(VENV)/bin

.PHONY: run test wheel-check lint clean

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

# Build the wheel, install it in a fresh virtual environment, and use it as a user would.
wheel-check: | $(BIN)/python
	PYTHON=$(BIN)/python .ci/wheel_check.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info
