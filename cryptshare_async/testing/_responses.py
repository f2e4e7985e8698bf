"""The emulator's error answer and the per-request flag that closes a connection.

Example::

    >>> error_response(404, 1006).status
    404
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from ._errors import error_body

__all__ = ["CLOSE_CONNECTION", "dumps", "error_response", "request_key"]


def request_key(name: str, kind: type) -> Any:
    """A key for per-request state: a typed ``web.RequestKey`` where aiohttp has one
    (3.14+, which warns about plain string keys, an error under ``-W error``), the plain
    name on older versions."""
    factory = getattr(web, "RequestKey", None)
    return factory(name, kind) if factory is not None else name


#: Set (true) on a request whose connection must close after the response, whatever the
#: response: its body was read past aiohttp's parser, or an injected fault cut it.
CLOSE_CONNECTION: Final = request_key("cryptshare_emulator_close_connection", bool)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def error_response(status: int, code: int, message: str | None = None) -> web.Response:
    """The API's error answer: ``{"errorCode": ..., "errorMessage": ...}``."""
    return web.json_response(error_body(code, message), status=status, dumps=dumps)
