"""Server profiles: which endpoints an emulator of REST API version ``1.N`` offers.

An emulator configured as an older server (``EmulatorConfig(api_version=(1, 10))``)
answers an endpoint added later as that server would: it does not exist, 404/1006; and a
request whose ``X-CS-MinimumMinorApiVersion`` is above the server's minor gets 404/2004
(:func:`._http.check_headers`). The oldest profile is the 1.8 of ``openapi-1.8.json``.

``CRYPTSHARE_EMULATOR_API_VERSION`` (e.g. ``1.8``) sets the default profile of every
:class:`EmulatorConfig` made without an explicit ``api_version``: the way a test suite runs
against another server version without changing its fixtures.

Example::

    >>> endpoint_minor("PATCH", "/api/users/a@b.c/transfers/20240101-000000-abcdefgh")
    10
    >>> endpoint_minor("GET", "/api/password")
    8
"""

from __future__ import annotations

import os
import re
from typing import Final

__all__ = [
    "API_VERSION_ENV",
    "NEWEST_MINOR",
    "OLDEST_MINOR",
    "default_api_version",
    "endpoint_minor",
    "parse_api_version",
]

API_VERSION_ENV: Final = "CRYPTSHARE_EMULATOR_API_VERSION"
OLDEST_MINOR: Final = 8
NEWEST_MINOR: Final = 13

#: (method, path pattern, the minor version that added the endpoint); the rest is 1.8.
_NEWER_ENDPOINTS: Final = (
    ("PATCH", re.compile(r"^/api/users/[^/]+/transfers/[^/]+/?$"), 10),  # revocation
    ("GET", re.compile(r"^/api/users/[^/]+/transfers/(?:sent|received)-transfers/?$"), 12),
    ("GET", re.compile(r"^/api/status/?$"), 13),
)


def endpoint_minor(method: str, path: str) -> int:
    """The minor API version that introduced the endpoint (method, path)."""
    for verb, pattern, minor in _NEWER_ENDPOINTS:
        if method == verb and pattern.match(path):
            return minor
    return OLDEST_MINOR


def parse_api_version(text: str) -> tuple[int, int]:
    """``"1.8"`` → ``(1, 8)``; ``ValueError`` for anything but 1.8 to 1.13."""
    major, _, minor = text.strip().partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ValueError(f"an API version looks like 1.13, got {text!r}")
    version = (int(major), int(minor))
    check_api_version(version)
    return version


def check_api_version(version: object) -> None:
    ok = (
        isinstance(version, tuple)
        and len(version) == 2
        and version[0] == 1
        and isinstance(version[1], int)
        and OLDEST_MINOR <= version[1] <= NEWEST_MINOR
    )
    if not ok:
        raise ValueError(
            f"api_version must be (1, {OLDEST_MINOR}) to (1, {NEWEST_MINOR}), got {version!r}"
        )


def default_api_version() -> tuple[int, int]:
    """The profile from ``CRYPTSHARE_EMULATOR_API_VERSION``, else the newest."""
    raw = os.environ.get(API_VERSION_ENV)
    if not raw:
        return (1, NEWEST_MINOR)
    try:
        return parse_api_version(raw)
    except ValueError as exc:
        raise ValueError(f"{API_VERSION_ENV}: {exc}") from None
