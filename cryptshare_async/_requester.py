"""`Requester`: the part of the client that resources (senders, sessions, downloads) use.

Resources are typed against this protocol, not against :class:`CryptshareClient`, so
they do not import the client module (no import cycle) and can be driven by any object
with these members. :class:`CryptshareClient` satisfies it.

Example::

    def use(requester: Requester) -> Sender:
        return Sender(requester, "alice@example.com", auto_verify=True)
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from yarl import URL

from ._cleanup import Cleanups
from ._protocol import ApiRequest, ApiResponse
from ._tokens import TokenKey
from ._transport_api import StreamBody, StreamedResponse
from ._verification import Fetch, TokenManager

__all__ = ["Requester"]


class Requester(Protocol):
    """Sends requests with the client's headers and keeps the senders' tokens."""

    @property
    def tokens(self) -> TokenManager: ...

    @property
    def cleanups(self) -> Cleanups: ...

    def token_key(self, email: str) -> TokenKey: ...

    def url_for(self, request: ApiRequest) -> URL: ...

    async def request(
        self, request: ApiRequest, *, token: str | None = None, body: StreamBody | None = None
    ) -> ApiResponse: ...

    async def send_as(
        self,
        request: ApiRequest,
        email: str,
        fetch: Fetch | None,
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse: ...

    def stream(
        self, request: ApiRequest, *, token: str | None = None
    ) -> AbstractAsyncContextManager[StreamedResponse]: ...
