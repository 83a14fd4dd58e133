"""The `knobs` command: what it opens, and the one line it prints where the window cannot open."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import launch, qt_platform
from desktop.qt_platform import install_hint, missing_libraries, platform_plugin, window_problem

ROOT = Path(__file__).resolve().parents[2]

# `ldd libqxcb.so` on a fresh Ubuntu desktop without the X libraries Qt 6.5+ needs.
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd5b1e5000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f0c1a000000)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0c19c00000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-frobnicate.so.7 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c19800000)
"""
LDD_COMPLETE = "\n".join(line for line in LDD_MISSING.splitlines() if "not found" not in line)
DESKTOP = {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}


def test_missing_libraries_are_read_from_ldd_once_each_in_order():
    assert missing_libraries(LDD_MISSING) == [
        "libxkbcommon-x11.so.0", "libxcb-cursor.so.0", "libxcb-icccm.so.4",
        "libxcb-frobnicate.so.7"]
    assert missing_libraries(LDD_COMPLETE) == []


def test_the_hint_is_one_apt_get_line_and_names_libraries_it_has_no_package_for():
    hint = install_hint(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-frobnicate.so.7"])
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4;" in hint
    assert "libxcb-frobnicate.so.7" in hint


def test_missing_x_libraries_give_one_line_with_the_command_that_fixes_them():
    problem = window_problem(DESKTOP, "linux", ldd=lambda plugin: LDD_MISSING)
    assert problem is not None and "\n" not in problem
    assert "libxcb-cursor.so.0" in problem
    assert "sudo apt-get install libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4" in problem


def test_the_plugin_checked_is_qts_own_xcb_plugin():
    asked = []
    window_problem(DESKTOP, "linux", ldd=lambda plugin: asked.append(plugin) or LDD_COMPLETE)
    assert asked[0].name == "libqxcb.so" and asked[0].exists()


def test_no_problem_where_the_window_can_open():
    assert window_problem(DESKTOP, "linux", ldd=lambda plugin: LDD_COMPLETE) is None
    assert window_problem(DESKTOP, "linux", ldd=lambda plugin: None) is None  # no ldd: Qt says


@pytest.mark.parametrize("env", [
    {"QT_QPA_PLATFORM": "offscreen"},
    {"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"},
    {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
])
def test_the_x11_libraries_are_not_checked_when_qt_will_not_use_x11(env):
    assert window_problem(env, "linux", ldd=lambda plugin: LDD_MISSING) is None


def test_other_systems_are_not_checked():
    assert window_problem({}, "darwin", ldd=lambda plugin: LDD_MISSING) is None


def test_no_display_is_said_plainly():
    problem = window_problem({"XDG_SESSION_TYPE": "tty"}, "linux", ldd=lambda p: LDD_COMPLETE)
    assert "DISPLAY is not set" in problem and "knobs --help" in problem


def test_platform_is_chosen_as_qt_chooses_it():
    assert platform_plugin({"QT_QPA_PLATFORM": "xcb:display=:1;wayland"}) == "xcb"
    assert platform_plugin({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert platform_plugin({}) == "xcb"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt uses X11 on Linux only")
def test_knobs_prints_the_fix_and_exits_instead_of_qt_aborting(tmp_path):
    # Qt itself would abort the process with a bare plugin error (and a core dump).
    code = (
        "import sys; import desktop.qt_platform as q\n"
        f"q._ldd_of = lambda plugin: {LDD_MISSING!r}\n"
        "from desktop.launch import main\n"
        "sys.exit(main([]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**env, **DESKTOP, "HOME": str(tmp_path)}, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "sudo apt-get install" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_arguments_or_a_file_open_the_window_and_commands_run_headless(
        tmp_path, monkeypatch):
    opened, headless = [], []
    monkeypatch.setattr(qt_platform, "window_problem", lambda: None)
    monkeypatch.setattr("desktop.app.run", lambda path=None: opened.append(path) or 0)
    monkeypatch.setattr(launch, "headless", lambda args: headless.append(args) or 0)
    study = tmp_path / "study.knobs"
    study.write_bytes(b"")
    assert launch.main([]) == 0
    assert launch.main([str(study)]) == 0
    assert launch.main(["run", "spec.toml"]) == 0
    assert launch.main(["--version"]) == 0
    assert launch.main(["no-such-file.knobs"]) == 0  # the command line names the problem
    assert opened == [None, str(study)]
    assert headless == [["run", "spec.toml"], ["--version"], ["no-such-file.knobs"]]


def test_the_console_script_is_the_launcher():
    result = subprocess.run([Path(sys.executable).with_name("knobs"), "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("knobs ")


def test_headless_commands_do_not_load_qt(tmp_path):
    # So that `knobs run` works on a server without a display or the X libraries.
    code = ("import sys\nfrom desktop.launch import main\n"
            "code = main(['show', 'missing.knobs'])\n"
            "print(code, 'PySide6' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.stdout.split() == ["2", "False"], result.stderr
