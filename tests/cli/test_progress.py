"""The progress renderer: bars redrawn on a terminal, one line per file elsewhere,
nothing when quiet; totals add up."""

from __future__ import annotations

import io
import re

import pytest

from cryptshare_async.cli._progress import (
    BarState,
    ProgressBoard,
    ProgressMode,
    eta_text,
    render_bar,
)

MIB = 1024 * 1024
ESCAPE = re.compile(r"\x1b\[[0-9]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(text: str) -> list[str]:
    """What a terminal would show: cursor-up moves back, clears drop what follows."""
    lines: list[str] = []
    row = 0
    for token in re.split(r"(\x1b\[[0-9]*[A-Za-z]|\n|\r)", text):
        if not token or token == "\r":
            continue
        if token == "\n":
            row += 1
        elif token.startswith("\x1b["):
            command, count = token[-1], token[2:-1]
            if command == "A":
                row -= int(count or 1)
            elif command == "J":
                del lines[row:]
            elif command == "K" and row < len(lines):
                lines[row] = ""
        else:
            while len(lines) <= row:
                lines.append("")
            lines[row] = lines[row] + token
    return [line for line in lines if line]


def board(stream: io.StringIO, mode: ProgressMode, clock: Clock) -> ProgressBoard:
    return ProgressBoard(stream, mode=mode, verb="uploaded", width=80, clock=clock, refresh=0.1)


def test_mode_follows_the_stream_and_quiet() -> None:
    assert ProgressBoard.mode_for(Terminal(), quiet=False) is ProgressMode.TTY
    assert ProgressBoard.mode_for(io.StringIO(), quiet=False) is ProgressMode.LINES
    assert ProgressBoard.mode_for(Terminal(), quiet=True) is ProgressMode.OFF


def test_render_bar() -> None:
    assert render_bar(0.0, 12) == "[          ]"
    assert render_bar(0.5, 12) == "[====>     ]"
    assert render_bar(1.0, 12) == "[==========]"
    assert render_bar(7.0, 6) == "[====]"


def test_terminal_shows_running_bars_and_a_total_then_a_line_per_file() -> None:
    stream, clock = Terminal(), Clock()
    with board(stream, ProgressMode.TTY, clock) as progress:
        a = progress.add("a.bin", 4 * MIB)
        b = progress.add("b.txt", 4 * MIB)
        a.start()
        b.start()
        a.update(0, 4 * MIB)
        clock.now += 1
        a.update(2 * MIB, 4 * MIB)
        shown = screen(stream.getvalue())
        assert len(shown) == 3
        assert shown[0].startswith("a.bin ") and "[" in shown[0] and " 50% " in shown[0]
        assert shown[0].split()[-3:] == ["MiB/s", "ETA", "1s"]  # rate and time left
        assert shown[1].split() == ["b.txt", "preparing..."]
        assert shown[2].startswith("0/2 files [") and " 25% " in shown[2]
        a.finish()
        clock.now += 1
        b.update(4 * MIB, 4 * MIB)
        b.finish()
    shown = screen(stream.getvalue())
    assert shown[0].startswith("a.bin ") and shown[0].endswith("done")
    assert shown[1].startswith("b.txt ") and shown[1].endswith("done")
    assert shown[2].startswith("2/2 files [=") and " 100% " in shown[2]
    assert "8.0 MiB/8.0 MiB" in shown[2]
    assert len(shown) == 3
    assert all(len(ESCAPE.sub("", line)) < 80 for line in stream.getvalue().split("\n"))


def test_eta_text() -> None:
    assert [eta_text(s) for s in (None, 0.2, 59.4, 61, 3599, 3600, 7320, 10**7)] == [
        "",
        "ETA 0s",
        "ETA 59s",
        "ETA 1m01s",
        "ETA 59m59s",
        "ETA 1h00m",
        "ETA 2h02m",
        "ETA >99h",
    ]


def test_bars_and_the_total_show_the_time_left() -> None:
    stream, clock = Terminal(), Clock()
    with board(stream, ProgressMode.TTY, clock) as progress:
        a = progress.add("a.bin", 10 * MIB)
        b = progress.add("b.bin", 10 * MIB)
        a.start()
        b.start()
        a.update(0, 10 * MIB)
        b.update(0, 10 * MIB)
        clock.now += 2
        a.update(4 * MIB, 10 * MIB)  # 2 MiB/s: 6 MiB left, 3 s
        b.update(2 * MIB, 10 * MIB)  # 1 MiB/s: 8 MiB left, 8 s
        assert a.eta() == pytest.approx(3.0) and b.eta() == pytest.approx(8.0)
        progress._draw_live()
        shown = screen(stream.getvalue())
        assert shown[0].endswith("2.0 MiB/s  ETA 3s")
        assert shown[1].endswith("1.0 MiB/s  ETA 8s")
        # 6 MiB in 2 s: 3 MiB/s, 14 MiB left: about 5 s.
        assert shown[2].endswith("3.0 MiB/s  ETA 5s")
        a.finish()
        b.finish()
    final = screen(stream.getvalue())
    assert all("ETA" not in line for line in final[:2])


def test_the_total_rate_leaves_out_the_checksum_pre_pass() -> None:
    stream, clock = Terminal(), Clock()
    with board(stream, ProgressMode.TTY, clock) as progress:
        a = progress.add("a.bin", 4 * MIB)
        b = progress.add("b.bin", 4 * MIB)
        a.start()
        a.update(0, 4 * MIB)
        clock.now += 1
        a.update(4 * MIB, 4 * MIB)
        a.finish()  # 4 MiB in 1 s
        b.start()
        b.checking(0, 4 * MIB)
        clock.now += 8  # hashing b: nothing is sent
        b.checking(4 * MIB, 4 * MIB)
        b.update(0, 4 * MIB)
        clock.now += 1
        b.update(2 * MIB, 4 * MIB)  # 6 MiB in 2 s of sending, not in 10 s
        assert progress.sending_seconds() == pytest.approx(2.0)
        progress._draw_live()
        total = screen(stream.getvalue())[-1]
        assert total.startswith("1/2 files") and "3.0 MiB/s" in total
        b.finish()


def test_terminal_shows_the_checksum_pass_before_the_bytes_move() -> None:
    stream, clock = Terminal(), Clock()
    with board(stream, ProgressMode.TTY, clock) as progress:
        bar = progress.add("big.iso", 8 * MIB)
        bar.checking(1 * MIB, 8 * MIB)  # not started yet: ignored
        assert bar.checked is None
        bar.start()
        bar.checking(0, 8 * MIB)
        clock.now += 1
        bar.checking(6 * MIB, 8 * MIB)
        assert screen(stream.getvalue()) == ["big.iso computing checksum 75%"]
        bar.update(0, 8 * MIB)
        assert "[" in screen(stream.getvalue())[0]  # the transfer bar replaces it
        bar.checking(8 * MIB, 8 * MIB)  # too late: ignored
        assert " 0% " in screen(stream.getvalue())[0]
        bar.finish()


def test_terminal_redraws_are_throttled_except_for_starts_and_ends() -> None:
    stream, clock = Terminal(), Clock()
    progress = board(stream, ProgressMode.TTY, clock)
    bar = progress.add("a.bin", 100)
    bar.start()
    bar.update(0, 100)
    written = len(stream.getvalue())
    for sent in range(1, 50):
        bar.update(sent, 100)  # the clock stands still: no redraw
    assert len(stream.getvalue()) == written
    clock.now += 0.2
    bar.update(60, 100)
    assert len(stream.getvalue()) > written
    written = len(stream.getvalue())
    bar.finish()
    assert len(stream.getvalue()) > written
    progress.close()
    assert screen(stream.getvalue()) == [screen(stream.getvalue())[0]]
    assert bar.state is BarState.FINISHED


def test_interrupted_bars_are_marked_on_close() -> None:
    stream, clock = Terminal(), Clock()
    progress = board(stream, ProgressMode.TTY, clock)
    bar = progress.add("a.bin", 100)
    bar.start()
    bar.update(40, 100)
    progress.close()
    (line,) = screen(stream.getvalue())
    assert line.startswith("a.bin [") and line.endswith("interrupted")
    progress.close()  # idempotent
    assert screen(stream.getvalue()) == [line]


def test_a_long_name_is_shortened_to_fit() -> None:
    stream, clock = Terminal(), Clock()
    progress = ProgressBoard(stream, mode=ProgressMode.TTY, verb="uploaded", width=40, clock=clock)
    bar = progress.add("a-very-long-file-name-that-does-not-fit-anywhere.tar.gz", MIB)
    bar.start()
    bar.update(MIB // 2, MIB)
    progress.close()
    assert all(len(line) < 40 for line in screen(stream.getvalue()))


def test_lines_mode_writes_one_plain_line_per_file_when_done() -> None:
    stream, clock = io.StringIO(), Clock()
    with board(stream, ProgressMode.LINES, clock) as progress:
        a = progress.add("a.bin", 3 * MIB)
        b = progress.add("b.txt", 12)
        c = progress.add("c.txt", 5)
        for bar in (a, b, c):
            bar.start()
            bar.update(0, bar.total)
        assert stream.getvalue() == ""
        a.update(MIB, 3 * MIB)
        a.update(3 * MIB, 3 * MIB)
        a.finish()
        a.finish()
        b.finish()
        c.fail()
    assert stream.getvalue() == "uploaded a.bin (3.0 MiB)\nuploaded b.txt (12 B)\nfailed: c.txt\n"


def test_off_mode_writes_nothing() -> None:
    stream, clock = Terminal(), Clock()
    with board(stream, ProgressMode.OFF, clock) as progress:
        bar = progress.add("a.bin", 10)
        bar.start()
        bar.update(5, 10)
        bar.finish()
        progress.add("b.bin", 10).fail()
    assert stream.getvalue() == ""
