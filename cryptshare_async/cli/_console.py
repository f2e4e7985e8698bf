"""Where output goes: results on stdout (text or JSON), everything else on stderr.

Example::

    console = Console(sys.stdout, sys.stderr, json_mode=False, quiet=False)
    console.info("created transfer session 20240522-065711-H8UoUSI6")
    console.out("tracking id: 20240522-065711-H8UoUSI6")
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

__all__ = ["Console", "human_size", "isatty", "local_time", "one_line"]


def isatty(stream: TextIO) -> bool:
    """True if ``stream`` is a terminal (False for anything that cannot tell)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def one_line(text: str) -> str:
    """``text`` with its line breaks folded, so an error stays on one line.

    Example::

        >>> one_line("bad\\nthing  ")
        'bad; thing'
    """
    parts = [part.strip() for part in text.splitlines() if part.strip()]
    return "; ".join(parts)


def human_size(size: int | None) -> str:
    """A byte count for people, in binary units.

    Example::

        >>> human_size(512), human_size(1536), human_size(3 * 1024**3)
        ('512 B', '1.5 KiB', '3.0 GiB')
    """
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def local_time(moment: datetime | None) -> str:
    """A server timestamp in the local time zone, to the minute (``-`` if unknown).

    Example::

        >>> local_time(None)
        '-'
    """
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


class Console:
    """The command's output channels.

    ``out`` writes result text to stdout (nothing in JSON mode), ``emit`` one JSON
    document per line to stdout (only in JSON mode), ``info`` progress notes to stderr
    (nothing with ``quiet``), ``warn`` and ``error`` to stderr always.
    """

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json_mode: bool, quiet: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.quiet = quiet

    def out(self, text: str = "") -> None:
        """A line of the human-readable result (suppressed in JSON mode)."""
        if not self.json_mode:
            print(text, file=self.stdout, flush=True)

    def emit(self, document: Any) -> None:
        """One JSON document on its own line (only in JSON mode)."""
        if self.json_mode:
            print(json.dumps(document, ensure_ascii=False), file=self.stdout, flush=True)

    def info(self, text: str) -> None:
        """A note on what is happening (stderr; suppressed by ``--quiet``)."""
        if not self.quiet:
            print(text, file=self.stderr, flush=True)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=self.stderr, flush=True)

    def error(self, text: str, hint: str | None = None, *, exit_code: int = 1) -> None:
        """The reason a command failed, on stderr: an ``error:`` line and a ``hint:`` line,
        or in JSON mode one document ``{"error": {"message", "hint", "exit_code"}}``."""
        if self.json_mode:
            document: dict[str, object] = {
                "message": one_line(text),
                "hint": one_line(hint) if hint else None,
                "exit_code": exit_code,
            }
            print(json.dumps({"error": document}, ensure_ascii=False), file=self.stderr)
            self.stderr.flush()
            return
        print(f"error: {one_line(text)}", file=self.stderr, flush=True)
        if hint:
            print(f"hint: {one_line(hint)}", file=self.stderr, flush=True)
