"""The files that ship inside Knobs: the window's style and icon, the example studies, the guide.

They live in the repository's ``resources/`` and ``docs/`` folders and install as the package
``knobs_resources`` (the user guide and its screenshots as ``knobs_resources.docs``; see
pyproject.toml), so a source checkout (an editable install) and a wheel read them the same
way: through importlib.resources, never from a path relative to this file. The version comes
from the installed distribution's metadata, the one place it is written (pyproject.toml).
"""

from __future__ import annotations

from functools import reduce
from importlib import metadata, resources
from pathlib import Path

DISTRIBUTION = "knobs"
PACKAGE = "knobs_resources"
DOCS_PACKAGE = f"{PACKAGE}.docs"
EXAMPLE_STUDY = "mlp_digits.toml"  # the study the window opens on


class NotInstalledError(RuntimeError):
    """Knobs' bundled files cannot be found: the code runs without Knobs being installed."""


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise NotInstalledError(_NOT_INSTALLED) from None


def style_sheet() -> str:
    return _file(PACKAGE, "style.qss").read_text(encoding="utf-8")


def icon() -> Path:
    return _file(PACKAGE, "icons", "knobs.svg")


def examples() -> Path:
    """The folder of example studies (specs, their scripts and data)."""
    return _file(PACKAGE, "examples")


def example_spec() -> Path:
    return _file(PACKAGE, "examples", EXAMPLE_STUDY)


def user_guide() -> Path:
    """The user guide (Markdown); the images it shows are in its folder's screenshots/."""
    return _file(DOCS_PACKAGE, "user-guide.md")


_NOT_INSTALLED = (
    "Knobs is not installed in this Python environment, so its bundled files cannot be "
    "found: install it with `pip install .` (or `pip install -e .` for a source checkout)"
)


def _file(package: str, *parts: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise NotInstalledError(_NOT_INSTALLED) from None
    found = reduce(lambda item, part: item / part, parts, root)
    # Qt, the spec loader and relative paths inside specs need real files. pip always
    # installs Knobs unzipped, so anything else is a broken install, said plainly.
    if not isinstance(found, Path) or not found.exists():
        raise NotInstalledError(
            f"Knobs' bundled file {'/'.join(parts)} is missing from {package}: "
            "reinstall Knobs with pip"
        )
    return found
