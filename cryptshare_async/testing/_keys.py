"""Typed keys under which the emulator's parts live in the aiohttp application."""

from __future__ import annotations

from collections import deque
from typing import Final

from aiohttp import web

from ._faults import FaultInjector
from ._http import RecordedRequest
from ._processing import Processor
from ._store import Store

__all__ = ["FAULTS", "PROCESSOR", "REQUESTS", "STORE"]

STORE: Final = web.AppKey("store", Store)
PROCESSOR: Final = web.AppKey("processor", Processor)
FAULTS: Final = web.AppKey("faults", FaultInjector)
REQUESTS: Final = web.AppKey("requests", deque[RecordedRequest])
