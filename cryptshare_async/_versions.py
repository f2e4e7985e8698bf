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
    cryptshare_async._errors.UnsupportedByServerError: GET /api/x needs API 1.12, the server offers up to 1.11; update the server or do without this call
"""  # noqa: E501

from __future__ import annotations

from ._errors import ApiVersionUnsupportedError, UnsupportedByServerError
from ._models import ServerStatus
from ._protocol import MAJOR_API_VERSION, ApiRequest

__all__ = ["VersionGate"]


class VersionGate:
    """Holds a client's cached :class:`ServerStatus` and checks requests against it."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: ServerStatus | None = None

    def server_version(self) -> str | None:
        """The newest ``1.x`` the server offers, or ``None`` if not known."""
        if self.status is None:
            return None
        minors = [v.minor for v in self.status.api_versions or () if v.major == MAJOR_API_VERSION]
        return f"{MAJOR_API_VERSION}.{max(minors)}" if minors else None

    def check(self, request: ApiRequest) -> None:
        """Raise :class:`UnsupportedByServerError` if the server is known to be too old."""
        needed = request.minimum_minor_version
        if needed is None or self.status is None:
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

    def refused(
        self, request: ApiRequest, error: ApiVersionUnsupportedError
    ) -> ApiVersionUnsupportedError:
        """A copy of ``error`` (a 2004 answer to ``request``) naming both versions."""
        minor = request.minimum_minor_version
        needed = f"{MAJOR_API_VERSION}.{minor}" if minor is not None else None
        offered = self.server_version()
        detail = f"the endpoint needs API {needed or str(MAJOR_API_VERSION) + '.x'}, the server"
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
