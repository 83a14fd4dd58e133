"""What the installed distribution holds and where Knobs reads its own files from."""

import sys
from pathlib import Path

import pytest

from engine import bundled

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_code_package_is_installed():
    # pyproject lists packages by hand (see its comment): a new one must be added there,
    # or `pip install .` leaves it out and the installed window fails to import it.
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for top in ("engine", "desktop") for p in (ROOT / top).rglob("__init__.py")}
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == {"knobs_resources", "knobs_resources.docs"}


def test_bundled_files_are_the_repositorys_own():
    assert bundled.style_sheet() == (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")
    assert bundled.icon().samefile(ROOT / "resources" / "icons" / "knobs.svg")
    assert bundled.example_spec().samefile(ROOT / "resources" / "examples" / "mlp_digits.toml")
    assert bundled.examples().samefile(ROOT / "resources" / "examples")
    assert bundled.user_guide().samefile(ROOT / "docs" / "user-guide.md")
    assert (bundled.user_guide().parent / "screenshots" / "main-window.png").is_file()


def test_the_version_is_written_once_in_pyproject():
    assert bundled.version() == PYPROJECT["project"]["version"]


def test_the_knobs_command_is_the_launcher():
    assert PYPROJECT["project"]["scripts"] == {"knobs": "desktop.launch:main"}


def test_without_the_bundled_files_knobs_says_to_install_it(monkeypatch, capsys):
    from desktop import launch

    monkeypatch.setattr(bundled, "PACKAGE", "knobs_resources_not_installed")
    monkeypatch.setattr(bundled, "DISTRIBUTION", "knobs-not-installed")
    with pytest.raises(bundled.NotInstalledError, match="pip install"):
        bundled.style_sheet()
    with pytest.raises(bundled.NotInstalledError, match="pip install"):
        bundled.version()
    assert launch.main(["--version"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("knobs: Knobs is not installed") and err.count("\n") == 1
