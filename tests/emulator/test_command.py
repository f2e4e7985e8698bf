"""The ``cryptshare-emulator`` command's arguments and start-up failures (in process)."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator

import pytest

from cryptshare_async.testing import EmulatorConfig
from cryptshare_async.testing.__main__ import _parser, main
from cryptshare_async.testing._config import DEFAULT_PROCESSING_SECONDS


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_port_is_one_error_line(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", str(busy_port)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"127.0.0.1:{busy_port}" in err
    assert "in use" in err
    assert "Traceback" not in err


def test_an_address_that_is_not_local_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    assert main(["--host", "192.0.2.1", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("cryptshare-emulator: error: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "70000"],
        ["--port", "x"],
        ["--processing-seconds", "-1"],
        ["--processing-seconds", "nan"],
        ["--cleanup-interval", "0"],
        ["--recycle-content-mib", "-1"],
    ],
)
def test_bad_values_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_every_option_has_help() -> None:
    for action in _parser()._actions:
        assert action.help and action.help != argparse.SUPPRESS, action.option_strings


def test_one_processing_default_for_the_config_and_the_command() -> None:
    assert EmulatorConfig().processing_seconds == DEFAULT_PROCESSING_SECONDS
    assert _parser().parse_args([]).processing_seconds == DEFAULT_PROCESSING_SECONDS
