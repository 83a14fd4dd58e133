"""PySide6's import hook, made to read no source files.

Importing PySide6 replaces Python's ``__import__``. After the first import of any module,
in any thread, shiboken then reads that module's whole source (``inspect.getsource``) to
see whether it mentions "PySide6", for the optional ``__feature__`` switches (snake_case,
true_property) that Knobs does not use. When that happened on a worker thread, as the run
loop first imported the GP code, a Dask client or parts of scikit-learn, while the GUI
thread ran its event loop, the process crashed (SIGSEGV on the GUI thread, seen in the
test suite; other PySide6 applications report the same). Looking at what the module
holds, instead of at its text, answers the same question without reading any file.
"""

from __future__ import annotations

import types

import shiboken6  # noqa: F401 - loads shibokensupport, whose hook is replaced below


def install() -> None:
    """Replace shiboken's source-reading test; call once, before any worker thread."""
    try:
        from shibokensupport import feature
    except ImportError:
        return  # a PySide6 without the hook: nothing to replace
    if hasattr(feature, "_mod_uses_pyside"):
        feature._mod_uses_pyside = uses_pyside


def uses_pyside(module: types.ModuleType) -> bool:
    """Whether ``module`` holds a PySide6 module, class or function."""
    for value in list(vars(module).values()):
        # Only modules, classes and functions: their names are plain attributes, whereas
        # asking any other object (a lazy proxy) for __module__ could run its code.
        if isinstance(value, types.ModuleType):
            name = value.__name__
        elif isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
            name = getattr(value, "__module__", None)
        else:
            continue
        if isinstance(name, str) and name.startswith("PySide6"):
            return True
    return False
