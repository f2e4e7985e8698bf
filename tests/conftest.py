"""Suite-wide test set-up: aioresponses on aiohttp 3.14; server profiles.

Tests marked ``cryptshare_api_version(1, N)`` are deselected when the emulator runs an
older profile (``CRYPTSHARE_EMULATOR_API_VERSION=1.8``): they need endpoints that server
version does not have.

aioresponses 0.7.9 (the latest release) builds its fake ``ClientResponse`` without the
``stream_writer`` argument that aiohttp 3.14 made required; until it does, responses it
builds get a writer that has sent nothing. On older aiohttp nothing is changed.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

from cryptshare_async.testing._versions import default_api_version


class _NothingWritten:
    """Stands for the request's stream writer: aioresponses sends no bytes."""

    output_size = 0
    buffer_size = 0


class _Response(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NothingWritten())
        super().__init__(*args, **kwargs)


if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    aioresponses.core.ClientResponse = _Response  # type: ignore[misc]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cryptshare_api_version(major, minor): the test needs a server of at least this REST"
        " API version; deselected when the emulator runs an older profile"
        " (CRYPTSHARE_EMULATOR_API_VERSION)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests an emulator of the configured profile cannot serve."""
    profile = default_api_version()
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("cryptshare_api_version")
        (drop if marker is not None and tuple(marker.args) > profile else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
