"""Progress bars, hand-drawn: one per file being transferred, plus a total line.

On a terminal the running bars are redrawn in place (at most ``refresh`` times a second,
and at every start and finish); a finished file leaves one permanent line. Anywhere
else (a pipe, a log file) nothing is drawn: each file writes at most one plain line when
it is done. Quiet mode writes nothing.

Each bar shows its share, bytes, rate and time left (ETA); the total line does the same
for the batch. The total's rate counts only the time in which bytes were moving, so a
checksum pre-pass (a file being hashed before any byte is sent) does not drag it down;
its ETA is for the bytes still to send.

Why hand-drawn rather than ``rich``: these bars need three things (several bars redrawn
in place, a total, and plain lines when stderr is not a terminal), which fit in this one
module with no dependency, so ``pip install cryptshare-async`` stays small and the
command's output is the same everywhere. ``rich`` would add a dependency (or an optional
``cli`` extra, and then two code paths to keep alike) for looks the command does not need.

Example::

    with ProgressBoard(sys.stderr, mode=ProgressBoard.mode_for(sys.stderr, quiet=False),
                       verb="uploaded") as board:
        bar = board.add("report.pdf", 3_000_000)
        bar.start()
        await session.upload("report.pdf", progress=bar.update)
        bar.finish()
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from enum import Enum
from types import TracebackType
from typing import Final, TextIO

from ._console import human_size, isatty

__all__ = ["Bar", "BarState", "ProgressBoard", "ProgressMode", "eta_text", "render_bar"]

_UP: Final = "\x1b[{}A\r"
_CLEAR_LINE: Final = "\x1b[2K"
_CLEAR_BELOW: Final = "\x1b[J"
_MIN_BAR: Final = 10
_MAX_LABEL: Final = 32


class ProgressMode(Enum):
    """How progress is shown: redrawn bars, one line per finished file, or nothing."""

    TTY = "tty"
    LINES = "lines"
    OFF = "off"


class BarState(Enum):
    WAITING = "waiting"
    PREPARING = "preparing"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


def render_bar(fraction: float, width: int) -> str:
    """A ``[=====>    ]`` bar ``width`` characters wide (brackets included).

    Example::

        >>> render_bar(0.5, 12)
        '[====>     ]'
        >>> render_bar(1.0, 7)
        '[=====]'
    """
    inner = max(width - 2, 1)
    fraction = min(max(fraction, 0.0), 1.0)
    filled = int(inner * fraction)
    if filled >= inner:
        return "[" + "=" * inner + "]"
    if filled == 0:
        return "[" + " " * inner + "]"
    return "[" + "=" * (filled - 1) + ">" + " " * (inner - filled) + "]"


def _eta(remaining: int, rate: float | None) -> float | None:
    if rate is None or rate <= 0 or remaining <= 0:
        return None
    return remaining / rate


def eta_text(seconds: float | None) -> str:
    """Time left, short: ``ETA 42s``, ``ETA 3m05s``, ``ETA 1h02m`` (empty when unknown).

    Example::

        >>> eta_text(185.2), eta_text(3720), eta_text(None)
        ('ETA 3m05s', 'ETA 1h02m', '')
    """
    if seconds is None:
        return ""
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"ETA {whole}s"
    if whole < 3600:
        return f"ETA {whole // 60}m{whole % 60:02d}s"
    if whole < 100 * 3600:
        return f"ETA {whole // 3600}h{whole % 3600 // 60:02d}m"
    return "ETA >99h"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "~"


class Bar:
    """The progress of one file; made by :meth:`ProgressBoard.add`.

    :meth:`update` has the signature of a library progress callback (``sent, total``).
    """

    def __init__(self, board: ProgressBoard, label: str, total: int) -> None:
        self._board = board
        self.label = label
        self.total = total
        self.done = 0
        self.checked: int | None = None
        self.state = BarState.WAITING
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def start(self) -> None:
        """The file is being worked on (hashing, registering) but no byte moved yet."""
        if self.state is BarState.WAITING:
            self.state = BarState.PREPARING
            self._board._changed(self, force=True)

    def checking(self, hashed: int, total: int | None = None) -> None:
        """``hashed`` of ``total`` bytes were read for the checksum, before any is sent
        (a library ``hash_progress`` callback)."""
        if self.state is not BarState.PREPARING:
            return
        if total:
            self.total = total
        first = self.checked is None
        self.checked = hashed
        self._board._changed(self, force=first)

    def update(self, sent: int, total: int | None = None) -> None:
        """``sent`` of ``total`` bytes are through (a retry may start again from 0)."""
        if self.state in (BarState.FINISHED, BarState.FAILED):
            return
        if total:
            self.total = total
        self.done = sent
        first = self.state is not BarState.RUNNING
        if first:
            self._board._sending(+1)
            self.state = BarState.RUNNING
            self.started_at = self._board.clock()
        self._board._changed(self, force=first)

    def finish(self) -> None:
        """All bytes are through."""
        if self.state in (BarState.FINISHED, BarState.FAILED):
            return
        self.done = max(self.done, self.total)
        if self.state is BarState.RUNNING:
            self._board._sending(-1)
        self.state = BarState.FINISHED
        self.finished_at = self._board.clock()
        if self.started_at is None:
            self.started_at = self.finished_at
        self._board._ended(self)

    def fail(self) -> None:
        """The transfer of this file did not complete."""
        if self.state in (BarState.FINISHED, BarState.FAILED):
            return
        if self.state is BarState.RUNNING:
            self._board._sending(-1)
        self.state = BarState.FAILED
        self.finished_at = self._board.clock()
        self._board._ended(self)

    def rate(self) -> float | None:
        """Bytes per second since the first byte (``None`` before there is a rate)."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else self._board.clock()
        elapsed = end - self.started_at
        return self.done / elapsed if elapsed > 0 else None

    def eta(self) -> float | None:
        """Seconds until the last byte at the current rate (``None``: unknown or done)."""
        return _eta(self.total - self.done, self.rate())


class ProgressBoard:
    """Draws the bars of one batch of files on ``stream`` (normally stderr).

    Args:
        stream: where to draw.
        mode: :class:`ProgressMode` (see :meth:`mode_for`).
        verb: the past tense shown for a finished file (``uploaded``, ``downloaded``).
        width: columns to use (default: the terminal's width, or 80).
        clock: seconds, monotonic (tests pass their own).
        refresh: minimum seconds between two redraws caused by byte counts alone.
        show_total: draw a total line (default: when there is more than one file).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        mode: ProgressMode,
        verb: str,
        width: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh: float = 0.1,
        show_total: bool | None = None,
    ) -> None:
        self._stream = stream
        self.mode = mode
        self._verb = verb
        self._width = width
        self.clock = clock
        self._refresh = refresh
        self._show_total = show_total
        self._bars: list[Bar] = []
        self._live_lines = 0
        self._last_draw: float | None = None
        self._closed = False
        # Time in which at least one file was sending: the total's rate is over this.
        self._senders = 0
        self._sending_since: float | None = None
        self._sent_for = 0.0

    @staticmethod
    def mode_for(stream: TextIO, *, quiet: bool) -> ProgressMode:
        """Bars on a terminal, plain lines elsewhere, nothing when quiet.

        Example::

            >>> import io
            >>> ProgressBoard.mode_for(io.StringIO(), quiet=False)
            <ProgressMode.LINES: 'lines'>
        """
        if quiet:
            return ProgressMode.OFF
        return ProgressMode.TTY if isatty(stream) else ProgressMode.LINES

    def __enter__(self) -> ProgressBoard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def bars(self) -> tuple[Bar, ...]:
        return tuple(self._bars)

    def add(self, label: str, total: int) -> Bar:
        """A new bar (counted in the total at once, drawn once it starts)."""
        bar = Bar(self, label, total)
        self._bars.append(bar)
        return bar

    def close(self) -> None:
        """Leave the final picture: the total line stays, bars still running are
        marked as interrupted. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.mode is not ProgressMode.TTY:
            return
        lines = [self._bar_line(bar, "interrupted") for bar in self._running()]
        if self._total_wanted():
            lines.append(self._total_line())
        self._redraw(lines)
        self._live_lines = 0

    # -- internals -------------------------------------------------------------------

    def _total_wanted(self) -> bool:
        if self._show_total is not None:
            return self._show_total
        return len(self._bars) > 1

    def _sending(self, change: int) -> None:
        now = self.clock()
        if self._senders == 0 and change > 0:
            self._sending_since = now
        self._senders += change
        if self._senders == 0 and self._sending_since is not None:
            self._sent_for += now - self._sending_since
            self._sending_since = None

    def sending_seconds(self) -> float:
        """Seconds in which at least one file was sending (checksum pre-passes and
        pauses between files do not count)."""
        current = 0.0 if self._sending_since is None else self.clock() - self._sending_since
        return self._sent_for + current

    def _running(self) -> list[Bar]:
        return [b for b in self._bars if b.state in (BarState.PREPARING, BarState.RUNNING)]

    def _changed(self, bar: Bar, *, force: bool) -> None:
        if self.mode is not ProgressMode.TTY or self._closed:
            return
        now = self.clock()
        if not force and self._last_draw is not None and now - self._last_draw < self._refresh:
            return
        self._draw_live()

    def _ended(self, bar: Bar) -> None:
        if self._closed or self.mode is ProgressMode.OFF:
            return
        if self.mode is ProgressMode.LINES:
            if bar.state is BarState.FINISHED:
                self._write(f"{self._verb} {bar.label} ({human_size(bar.total)})\n")
            else:
                self._write(f"failed: {bar.label}\n")
            return
        # The finished file's line becomes permanent above the bars still running.
        self._clear_live()
        status = "done" if bar.state is BarState.FINISHED else "failed"
        self._write(self._bar_line(bar, status) + "\n")
        self._draw_live()

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        return columns if columns > 0 else 80  # a pseudo-terminal may report 0

    def _label_width(self) -> int:
        longest = max((len(b.label) for b in self._bars), default=0)
        if self._total_wanted():
            longest = max(longest, len(self._total_label()))
        return min(max(longest, 5), _MAX_LABEL)

    def _total_label(self) -> str:
        finished = sum(1 for b in self._bars if b.state is BarState.FINISHED)
        return f"{finished}/{len(self._bars)} files"

    def _bar_line(self, bar: Bar, status: str | None = None) -> str:
        label = _fit(bar.label, self._label_width()).ljust(self._label_width())
        if bar.state is BarState.PREPARING and status is None:
            if bar.checked is not None and bar.total > 0:
                checked = f"computing checksum {bar.checked / bar.total:.0%}"
                return _fit(f"{label} {checked}", self._columns() - 1)
            return _fit(f"{label} preparing...", self._columns() - 1)
        return self._line(label, bar.done, bar.total, bar.rate(), status)

    def _total_line(self) -> str:
        label = _fit(self._total_label(), self._label_width())
        done = sum(b.done for b in self._bars)
        total = sum(b.total for b in self._bars)
        elapsed = self.sending_seconds()
        rate = done / elapsed if elapsed > 0 and done > 0 else None
        line = self._line(label.ljust(self._label_width()), done, total, rate, None)
        return line

    def _line(
        self, label: str, done: int, total: int, rate: float | None, status: str | None
    ) -> str:
        fraction = done / total if total > 0 else (1.0 if status == "done" else 0.0)
        counts = f"{human_size(done)}/{human_size(total)}"
        eta = ""
        if status is None:
            status = f"{human_size(int(rate))}/s" if rate is not None and done > 0 else ""
            eta = eta_text(_eta(total - done, rate))
        # Fixed widths, so that the bar keeps its length while the numbers change.
        tail = f"{fraction:4.0%}  {counts:>21}  {status:>12}  {eta:<9}"
        columns = self._columns() - 1  # never write into the last column: it would wrap
        bar_width = columns - len(label) - len(tail) - 2
        if bar_width < _MIN_BAR:
            return _fit(f"{label} {tail}".rstrip(), columns)
        return f"{label} {render_bar(fraction, bar_width)} {tail}".rstrip()

    def _live(self) -> list[str]:
        lines = [self._bar_line(bar) for bar in self._running()]
        if self._total_wanted():
            lines.append(self._total_line())
        return lines

    def _draw_live(self) -> None:
        self._redraw(self._live())

    def _redraw(self, lines: list[str]) -> None:
        parts = [_UP.format(self._live_lines)] if self._live_lines else []
        parts.extend(f"{_CLEAR_LINE}{line}\n" for line in lines)
        parts.append(_CLEAR_BELOW)
        self._write("".join(parts))
        self._live_lines = len(lines)
        self._last_draw = self.clock()

    def _clear_live(self) -> None:
        if self._live_lines:
            self._write(_UP.format(self._live_lines) + _CLEAR_BELOW)
            self._live_lines = 0

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()
