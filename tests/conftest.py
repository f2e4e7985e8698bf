"""Suite-wide test set-up: aioresponses on aiohttp 3.14.

aioresponses 0.7.9 (the latest release) builds its fake ``ClientResponse`` without the
``stream_writer`` argument that aiohttp 3.14 made required; until it does, responses it
builds get a writer that has sent nothing. On older aiohttp nothing is changed.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


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
