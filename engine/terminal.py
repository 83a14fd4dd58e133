"""Text from specs and study files made safe to print on a terminal.

A name, an error or a metric in a study someone sent you may hold escape sequences that set
the terminal's title, clear the screen or move the cursor. Control characters (and the
Unicode ones that reorder or hide text) are shown as visible escapes such as ``\\x1b``
instead, so what is printed is what the file holds.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, except the newline that ends a printed line; plus bidi
# overrides and isolates, which make text read differently from how it is stored.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    ch = match.group()
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character but the newline written as a visible escape."""
    return _UNSAFE.sub(_escape, text)


class VisibleWriter:
    """A text stream that escapes control characters in everything written to it."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)
