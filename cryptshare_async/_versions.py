"""Version awareness: refuse an endpoint newer than the server before sending it.

The client learns the server's versions only when :meth:`CryptshareClient.server_status`
is called (never on its own: a server before API 1.13 has no status endpoint, and an
extra request per client would surprise mocks and proxies). From then on, a request
whose endpoint needs a newer minor version than every ``1.x`` the server offers raises
:class:`UnsupportedByServerError` without being sent. A server's 2004 answer becomes
the same error (as :class:`ApiVersionUnsupportedError`), naming both versions.

Example::

    >>> from cryptshare_async._models import ApiVersion, ServerStatus
    >>> gate = VersionGate()
    >>> gate.status = ServerStatus(api_versions=(ApiVersion(1, 11),))
    >>> gate.check(ApiRequest("GET", "/x", minimum_minor_version=12))
    Traceback (most recent call last):
    ...
    cryptshare_async.UnsupportedByServerError: GET /api/x needs API 1.12, the server offers up to 1.11; update the server or do without this call
"""  # noqa: E501

from __future__ import annotations

from ._errors import ApiError, ApiVersionUnsupportedError, UnsupportedByServerError
from ._models import ServerStatus
from ._protocol import MAJOR_API_VERSION, ApiRequest

__all__ = ["VersionGate"]


class VersionGate:
    """Holds a client's cached :class:`ServerStatus` and checks requests against it."""

    __slots__ = ("floor", "status")

    def __init__(self, floor: int = 0) -> None:
        self.floor = floor  # the client's minimum minor version, sent with every request
        self.status: ServerStatus | None = None

    def needed(self, request: ApiRequest) -> int:
        """The minor version ``request`` asks for: the client's floor or the endpoint's."""
        return max(self.floor, request.minimum_minor_version or 0)

    def server_version(self) -> str | None:
        """The newest ``1.x`` the server offers, or ``None`` if not known."""
        if self.status is None:
            return None
        minors = [v.minor for v in self.status.api_versions or () if v.major == MAJOR_API_VERSION]
        return f"{MAJOR_API_VERSION}.{max(minors)}" if minors else None

    def check(self, request: ApiRequest) -> None:
        """Raise :class:`UnsupportedByServerError` if the server is known to be too old."""
        needed = self.needed(request)
        if self.status is None:
            return
        if not self.status.supports(MAJOR_API_VERSION, needed):
            offered = self.server_version()
            raise UnsupportedByServerError(
                f"{request.method} {request.url_path} needs API {MAJOR_API_VERSION}.{needed},"
                f" the server offers {'up to ' + offered if offered else 'no 1.x version'};"
                " update the server or do without this call",
                needed_version=f"{MAJOR_API_VERSION}.{needed}",
                server_version=offered,
            )

    def refused(self, request: ApiRequest, error: ApiError) -> ApiVersionUnsupportedError:
        """``error`` (a 2004 answer to ``request``, or a 1006 one to an endpoint newer
        than the client's floor) as :class:`ApiVersionUnsupportedError` naming both
        versions."""
        needed = f"{MAJOR_API_VERSION}.{self.needed(request)}"
        offered = self.server_version()
        detail = f"the call needs API {needed}, the server"
        detail += f" offers up to {offered}" if offered else " offers an older one"
        message = f"{error.error_message}; {detail}" if error.error_message else detail
        refused = ApiVersionUnsupportedError(
            status=error.status,
            error_code=error.error_code,
            error_message=message,
            method=error.method,
            path=error.path,
            retry_after=error.retry_after,
        )
        refused.needed_version = needed
        refused.server_version = offered
        return refused

    def is_refusal(self, request: ApiRequest, error: ApiError) -> bool:
        """True for a 2004 answer, and for "no such endpoint" (1006) to an endpoint newer
        than the client's floor: a server that predates it does not know the path."""
        if isinstance(error, ApiVersionUnsupportedError):
            return True
        newer = (request.minimum_minor_version or 0) > self.floor
        return newer and error.status == 404 and error.error_code == 1006
