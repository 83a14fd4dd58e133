#!/usr/bin/env bash
# Knobs as a user gets it from a wheel: build it, install it into a fresh virtual
# environment, and check from outside the source tree that `knobs run/show/export` work on
# a bundled example and that `knobs` opens the window with its style, example and guide.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "wheel check (${SECONDS}s): building the wheel"
# From a copy of the sources: setuptools' build/ folder in the checkout could hold files
# of an earlier build that no longer exist, and they would end up in the wheel.
mkdir "$work/src"
tar -C "$repo" --exclude='./.venv*' --exclude=./.git --exclude=./build --exclude=./dist \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude='*.knobs*' -cf - . \
    | tar -C "$work/src" -xf -
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
wheel=("$work"/dist/knobs-*.whl)
"$PYTHON" "$repo/.ci/wheel_contents.py" "${wheel[0]}"

echo "wheel check (${SECONDS}s): installing it into a fresh virtual environment"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-compile "${wheel[0]}"

# Outside the source tree, so nothing can be imported from it by accident.
cd "$work"
knobs="$work/venv/bin/knobs"
"$knobs" --version
"$work/venv/bin/python" -c 'import shutil; from engine import bundled; shutil.copytree(bundled.examples(), "examples")'
"$knobs" run examples/toy_training.toml --trials 6 --workers 2 --out toy.knobs
"$knobs" show toy.knobs
"$knobs" export toy.knobs > trials.csv
test "$(wc -l < trials.csv)" -eq 7  # a header and six trials

echo "wheel check (${SECONDS}s): opening the window offscreen"
QT_QPA_PLATFORM=offscreen "$work/venv/bin/python" "$repo/.ci/wheel_window.py"
echo "wheel check (${SECONDS}s): passed"
