"""Argument templates such as ``python train.py --lr {learning_rate} --layers={layers}``.

The template is split into arguments first (``shlex``, POSIX rules: quotes group words, no
variables, globs or command substitution), and only then are the ``{name}`` placeholders
inside each argument filled in. A parameter value therefore always stays inside the one
argument its placeholder was in: ``; rm -rf /`` or ``$(touch f)`` reach the program as plain
text, never as a second argument or command.

Placeholders are ``{name}`` or ``{name:format_spec}`` (as in ``str.format``, e.g.
``{learning_rate:.3g}``); ``{{`` and ``}}`` are literal braces. Values are written as text
the way a spec shows them: ``true``/``false`` for booleans, ``str()`` for numbers and text.

A conditional parameter that is inactive in a trial is absent from its params. Every
argument that mentions it is then left out, and so is the argument just before it if that
one is a plain flag (starts with ``-``, holds no placeholder, is not a number) and the
dropped argument does not itself start with ``-``: with ``--momentum {momentum}`` both words
go, with ``--momentum={momentum}`` only that word goes. A boolean switch written just before
a positional placeholder (``--verbose {data}``) would go too: put such switches elsewhere.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One ``{name:spec}`` placeholder."""

    name: str
    spec: str = ""


Argument = tuple[str | Field, ...]


class TemplateError(ValueError):
    """The template cannot be split or holds a malformed placeholder."""


def parse_template(command: str) -> list[Argument]:
    """Split ``command`` into arguments, each a sequence of literal text and fields."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise TemplateError(f"cannot split it into arguments ({exc}); close every quote") from None
    return [_parse_word(w) for w in words]


def placeholder_names(args: list[Argument]) -> list[str]:
    """Parameter names used by the template, in order of first appearance."""
    names: dict[str, None] = {}
    for arg in args:
        for part in arg:
            if isinstance(part, Field):
                names.setdefault(part.name)
    return list(names)


def render(args: list[Argument], params: Mapping[str, Any]) -> list[str]:
    """The argument list for one trial; arguments of absent parameters are dropped.

    Raises :class:`TemplateError` if a value does not fit its format spec.
    """
    kept: list[tuple[int, str]] = []
    for i, arg in enumerate(args):
        if any(isinstance(p, Field) and p.name not in params for p in arg):
            # A dropped "--beta={beta}" is a whole option; a dropped value takes its flag along.
            is_value = not (arg and isinstance(arg[0], str) and arg[0].startswith("-"))
            if is_value and kept and kept[-1][0] == i - 1 > 0 and _is_flag(args[i - 1]):
                kept.pop()
            continue
        kept.append((i, "".join(_fill(p, params) for p in arg)))
    return [text for _, text in kept]


def to_text(value: Any) -> str:
    """A value as it is written into an argument or an environment variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(part: str | Field, params: Mapping[str, Any]) -> str:
    if isinstance(part, str):
        return part
    value = params[part.name]
    if not part.spec:
        return to_text(value)
    try:
        return format(value, part.spec)
    except (ValueError, TypeError) as exc:
        raise TemplateError(
            f"placeholder {{{part.name}:{part.spec}}} cannot format the value {value!r} ({exc})"
        ) from None


def _parse_word(word: str) -> Argument:
    parts: list[str | Field] = []
    try:
        pieces = list(string.Formatter().parse(word))
    except ValueError as exc:
        raise TemplateError(
            f"argument {word!r}: {exc}; write {{{{ and }}}} for literal braces"
        ) from None
    for literal, name, spec, conversion in pieces:
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if not name or name.isdigit():
            raise TemplateError(f"argument {word!r}: a placeholder needs a parameter name, "
                                "as in {learning_rate}")
        if conversion:
            raise TemplateError(f"argument {word!r}: conversions such as !{conversion} are not "
                                "supported; use a format spec such as {name:.3g}")
        if "{" in (spec or ""):
            raise TemplateError(f"argument {word!r}: placeholders inside a format spec are "
                                "not supported")
        parts.append(Field(name, spec or ""))
    return tuple(parts)


def _is_flag(arg: Argument) -> bool:
    if len(arg) != 1 or not isinstance(arg[0], str) or not arg[0].startswith("-"):
        return False
    try:
        float(arg[0])
    except ValueError:
        return True
    return False  # a negative number is a value, not a flag
