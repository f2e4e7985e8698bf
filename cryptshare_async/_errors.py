"""The exception tree of cryptshare_async.

Every exception the library raises on purpose derives from :class:`CryptshareError`::

    CryptshareError
    ├── ConfigurationError (also ValueError)   bad client settings, caught before any request
    ├── InvalidInputError (also ValueError)    bad arguments (address, header value, page size...)
    ├── TransportError                         the request did not get an HTTP answer
    │   ├── RequestTimeoutError                connect or read timeout
    │   └── MalformedResponseError             not valid HTTP (also ResponseParseError)
    ├── ResponseParseError                     an answer that does not match the API's shape
    │   └── ResponseTooLargeError              a body above max_response_bytes
    ├── ApiError                               the server answered with an error status
    │   ├── BadRequestError                    1002, 1004, 1005 (400)
    │   ├── NotFoundError                      2003, 1006 (404)
    │   │   └── ApiVersionUnsupportedError     2004
    │   ├── RuleViolationError                 2001 (409)
    │   ├── TransferLockedError                2005 (403)
    │   ├── TransferDeletedError               2006 (410)
    │   ├── RateLimitedError                   2007, any 429
    │   ├── VerificationError                  3002 (missing, invalid, or another token)
    │   │   └── SessionTokenRejectedError      a session's own token is refused: make a new one
    │   ├── WrongPasswordError                 3003 (401)
    │   ├── PolicyRejectedError                3010, 3011 (403)
    │   ├── NotLicensedError                   3001 (403)
    │   ├── UnsupportedSecurityModeError       5001, 5002 (501)
    │   └── ServerError                        5000 and any 5xx
    ├── UploadError                            an upload that cannot be trusted
    │   ├── ChecksumMismatchError              the bytes sent do not hash to the expected digest
    │   ├── SizeMismatchError                  the bytes sent differ from the registered size
    │   ├── SourceChangedError                 the file changed between hashing and sending
    │   └── SourceNotReplayableError           a retry would need a consumed stream again
    ├── DownloadError                          a recipient download that cannot be trusted
    │   ├── DownloadIntegrityError             the bytes do not match the server's checksum/size
    │   └── DownloadTargetExistsError          the target exists (also FileExistsError)
    ├── BrokenSessionError                     finalize() refused: a failed file was not removed
    ├── TransferFailedError                    processing ended FAILED or the transfer was deleted
    └── WaitTimeoutError (also TimeoutError)   wait_until_active() ran out of time

Example::

    try:
        await session.finalize()
    except RuleViolationError as exc:
        print(exc.error_code, exc.error_message)

No exception text ever contains a verification token, client id or password: the
request is described by method and path only, and email addresses in the path are kept
(they are what the user gave and are needed to act on the error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from ._models import FileStatus, TransferStatus

__all__ = [
    "ApiError",
    "ApiVersionUnsupportedError",
    "BadRequestError",
    "BrokenSessionError",
    "ChecksumMismatchError",
    "ConfigurationError",
    "CryptshareError",
    "DownloadError",
    "DownloadIntegrityError",
    "DownloadTargetExistsError",
    "InvalidInputError",
    "MalformedResponseError",
    "NotFoundError",
    "NotLicensedError",
    "PolicyRejectedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RuleViolationError",
    "ServerError",
    "SessionTokenRejectedError",
    "SizeMismatchError",
    "SourceChangedError",
    "SourceNotReplayableError",
    "TransferDeletedError",
    "TransferFailedError",
    "TransferLockedError",
    "TransportError",
    "UnsupportedSecurityModeError",
    "UploadError",
    "VerificationError",
    "WaitTimeoutError",
    "WrongPasswordError",
]


class CryptshareError(Exception):
    """Base class of every error raised by cryptshare_async.

    Every error pickles with its attributes (worker pools and ``multiprocessing`` send
    exceptions between processes), whatever keyword-only arguments its ``__init__`` takes.

    ``attempts`` is how many times the failed request was sent: more than 1 only when
    it was retried, and then the message ends with ``(after N attempts)``.
    """

    attempts: int = 1

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.args, self.__dict__.copy()))


def _rebuild_error(
    cls: type[CryptshareError], args: tuple[Any, ...], state: Mapping[str, Any]
) -> CryptshareError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(CryptshareError, ValueError):
    """The client was configured with a value it cannot work with."""


class InvalidInputError(CryptshareError, ValueError):
    """An argument was rejected before anything was sent."""


class TransportError(CryptshareError):
    """The request got no usable HTTP answer (connection refused, reset, TLS failure...).

    ``method`` and ``path`` name the request. The underlying error is described in the
    message (its type and a scrubbed text) but never chained: aiohttp's errors carry the
    request's headers, which hold the client id and the verification token.
    """

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class RequestTimeoutError(TransportError, TimeoutError):
    """Connecting, or waiting for the next bytes of an answer, took too long."""


class ResponseParseError(CryptshareError):
    """The server's answer does not have the shape the API documents."""


class MalformedResponseError(TransportError, ResponseParseError):
    """The answer is not valid HTTP: a bad status line, an oversized or broken header,
    broken chunked framing or compression. Never retried: the peer is not a sane server
    (often a misconfigured proxy)."""


class ResponseTooLargeError(ResponseParseError):
    """An answer's body (after decompression) exceeds ``max_response_bytes``.

    ``limit`` is the configured maximum, in bytes.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ApiError(CryptshareError):
    """The server answered with an error.

    Attributes:
        status: the HTTP status.
        error_code: the API's ``errorCode`` (``None`` for a non-JSON error page).
        error_message: the API's ``errorMessage`` (or a short excerpt of a non-JSON page).
        method, path: the request, without query string or secrets.
    """

    def __init__(
        self,
        *,
        status: int,
        error_code: int | None,
        error_message: str,
        method: str,
        path: str,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.method = method
        self.path = path
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        code = f" errorCode {self.error_code}" if self.error_code is not None else ""
        text = f": {self.error_message}" if self.error_message else ""
        hint = _HINTS.get(self.error_code) if self.error_code is not None else None
        tail = f" ({hint})" if hint else ""
        return f"{self.method} {self.path} failed with HTTP {self.status}{code}{text}{tail}"


class BadRequestError(ApiError):
    """A header, parameter, path variable or body value is missing or invalid (1002/1004/1005)."""


class NotFoundError(ApiError):
    """The entity or endpoint does not exist (2003, 1006)."""


class ApiVersionUnsupportedError(NotFoundError):
    """The server does not support the API version the client asked for (2004)."""


class RuleViolationError(ApiError):
    """A transfer rule on the server rejected the values (2001)."""


class TransferLockedError(ApiError):
    """The transfer is locked (2005)."""


class TransferDeletedError(ApiError):
    """The transfer has been deleted (2006)."""


class RateLimitedError(ApiError):
    """Too many requests (2007 or HTTP 429). ``retry_after`` holds the server's hint, if any."""


class VerificationError(ApiError):
    """The sender is not verified, the token is invalid or expired, or the session was
    created with another token (3002)."""


class SessionTokenRejectedError(VerificationError):
    """The server refused the token a transfer session was created with (3002).

    The server binds a session to the token that created it, so verifying again cannot
    revive the session: create a new one (its files must be uploaded again).
    """

    def _describe(self) -> str:
        return (
            f"{self.method} {self.path} failed with HTTP {self.status}"
            f" errorCode {self.error_code}: {self.error_message}"
        )


class WrongPasswordError(ApiError):
    """The transfer password was wrong (3003)."""


class PolicyRejectedError(ApiError):
    """The sender, or the sender/recipient combination, is rejected by policy (3010, 3011)."""


class NotLicensedError(ApiError):
    """The server's product is not licensed (3001)."""


class UnsupportedSecurityModeError(ApiError):
    """The QUICK or eID security mode is not supported (5001, 5002)."""


class ServerError(ApiError):
    """The server failed (5000 or any 5xx status)."""


class UploadError(CryptshareError):
    """An upload whose content cannot be trusted; the registered file has been removed
    when the library could remove it."""


class ChecksumMismatchError(UploadError):
    """The bytes sent do not hash to the digest the caller gave."""

    def __init__(self, message: str, *, expected: str, actual: str) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class SizeMismatchError(UploadError):
    """The source yielded more or fewer bytes than the size that was registered."""

    def __init__(self, message: str, *, expected: int, actual: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class SourceChangedError(UploadError):
    """The file changed between the hashing pass and the sending pass."""


class SourceNotReplayableError(UploadError):
    """A retry needed the content again, but the source was a one-shot stream."""


class BrokenSessionError(CryptshareError):
    """A session holds a file whose upload failed and whose removal did not succeed.

    Finalizing would send that file incomplete, so :meth:`TransferSession.finalize`
    refuses before sending anything. ``file_ids`` names the files: remove each with
    ``session.remove_file(file_id)``, or delete the session. ``Sender.send`` deletes
    the whole session instead.
    """

    def __init__(self, message: str, *, file_ids: tuple[str, ...]) -> None:
        super().__init__(message)
        self.file_ids = file_ids


class TransferFailedError(CryptshareError):
    """The transfer did not become active: processing ended ``FAILED`` or it was deleted.

    ``status`` is the last :class:`TransferStatus` read; ``removed_files`` lists every
    removed file with its ``removal_cause``.
    """

    def __init__(self, message: str, *, status: TransferStatus) -> None:
        super().__init__(message)
        self.status = status

    @property
    def removed_files(self) -> tuple[FileStatus, ...]:
        return self.status.removed_files


class WaitTimeoutError(CryptshareError, TimeoutError):
    """Waiting for a transfer to become active took longer than the timeout.

    ``last_status`` is the last status read (``None`` if none could be read).
    """

    def __init__(self, message: str, *, last_status: TransferStatus | None) -> None:
        super().__init__(message)
        self.last_status = last_status


_HINTS: dict[int | None, str] = {
    1002: "a required header or parameter is missing",
    1004: "a header or parameter value is invalid",
    1005: "a path value (email address, tracking id...) is invalid",
    2001: "a transfer rule on the server forbids these values",
    2004: "lower minimum_minor_version or check the server's API versions",
    2007: "slow down and retry later",
    3002: "verify the sender again: the token is missing, expired or not the session's",
    3003: "check the transfer password",
    3010: "the server's policy rejects this sender",
    3011: "the server's policy rejects this sender/recipient combination",
}


class DownloadError(CryptshareError):
    """A download could not be completed safely; nothing was left under the target name."""


class DownloadIntegrityError(DownloadError):
    """The downloaded bytes do not match the server's checksum or size.

    ``what`` is ``"checksum"`` or ``"size"``; ``expected`` and ``actual`` are the values.
    """

    def __init__(self, message: str, *, what: str, expected: str, actual: str) -> None:
        super().__init__(message)
        self.what = what
        self.expected = expected
        self.actual = actual


class DownloadTargetExistsError(DownloadError, FileExistsError):
    """The target file exists and ``overwrite`` was not given. ``path`` names it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path
