"""Can the window open here? Checked before Qt starts, because Qt cannot be asked afterwards.

On Linux, Qt draws through its X11 plugin (xcb), which needs X libraries a minimal or
server install lacks. Qt then aborts the whole process with a bare "could not load the Qt
platform plugin" message that names no fix, so the libraries the plugin needs are checked
with ``ldd`` first and the one ``apt-get install`` line that brings them is printed instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# The Debian/Ubuntu package of each library Qt's xcb plugin loads (README: "System
# libraries"). A library not listed here is named as it is.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` could not find, each once, in the order it listed them."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def install_hint(missing: list[str]) -> str:
    """The one command that installs ``missing``, plus any library it cannot name a package for."""
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in missing
                                  if lib in DEBIAN_PACKAGES))
    unknown = [lib for lib in missing if lib not in DEBIAN_PACKAGES]
    parts = []
    if packages:
        parts.append("install them with: sudo apt-get install " + " ".join(packages))
    if unknown:
        parts.append("find the package that provides " + ", ".join(unknown)
                     + " with your package manager")
    return "; ".join(parts)


def platform_plugin(env: Mapping[str, str]) -> str:
    """The platform plugin Qt will load, as Qt chooses it on Linux."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def window_problem(
    env: Mapping[str, str] = os.environ,
    system: str = sys.platform,
    ldd: Callable[[Path], str | None] | None = None,
) -> str | None:
    """One line saying why the window cannot open here and how to fix it; None if it can.

    ``ldd(plugin)`` returns the ``ldd`` listing of Qt's xcb plugin (None when there is no
    ``ldd`` to ask); tests pass their own.
    """
    if not system.startswith("linux") or platform_plugin(env) != "xcb":
        return None
    missing = missing_libraries((ldd or _ldd_of)(_xcb_plugin()) or "")
    if missing:
        return ("knobs: the window cannot open: Qt's X11 plugin needs "
                f"{', '.join(missing)}, missing on this system; {install_hint(missing)}")
    if not env.get("DISPLAY"):
        return ("knobs: the window cannot open: no X display (DISPLAY is not set); start it "
                "from a desktop session, or use the headless commands (knobs --help)")
    return None


def _xcb_plugin() -> Path:
    # QtCore loads no platform plugin: importing it is safe where the window is not.
    from PySide6.QtCore import QLibraryInfo

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    return plugins / "platforms" / "libqxcb.so"


def _ldd_of(library: Path) -> str | None:
    ldd = shutil.which("ldd")
    if ldd is None or not library.exists():
        return None  # nothing to check with: Qt reports any problem itself
    result = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=30,
                            check=False)
    return result.stdout
