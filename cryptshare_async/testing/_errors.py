"""The API's error codes and the exception that carries one out of a handler.

Example::

    >>> err = ApiError.rule_violation("No file in this transfer session.")
    >>> (err.status, err.code)
    (409, 2001)
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DEFAULT_CODE_FOR_STATUS", "ApiError", "error_body"]

#: The errorCode sent with a bare status (fault injection with no explicit code).
DEFAULT_CODE_FOR_STATUS: Final[dict[int, int]] = {
    400: 1004,
    401: 3002,
    403: 3002,
    404: 1006,
    409: 2001,
    410: 2006,
    429: 2007,
    500: 5000,
    501: 5001,
    502: 5000,
    503: 5000,
    504: 5000,
}

_MESSAGES: Final[dict[int, str]] = {
    1002: "Missing required request parameter/header.",
    1004: "Invalid request parameter/header value.",
    1005: "Invalid path variable.",
    1006: "Specified endpoint does not exist.",
    2001: "Values rejected by transfer rule restrictions.",
    2003: "Specified entity does not exist.",
    2004: "Specified version is not supported.",
    2005: "Specified entity is locked.",
    2006: "Transfer is deleted.",
    2007: "Request rejected because there are too many requests at the same time.",
    3001: "Product not licensed.",
    3002: "Invalid verification.",
    3003: "Wrong transfer password.",
    3004: "Remote logging not permitted.",
    3010: "Sender rejected by policy.",
    3011: "Recipient and sender combination rejected by policy.",
    5000: "Unhandled server error.",
    5001: "Unsupported operation: QUICK.",
    5002: "Unsupported operation: eID.",
}


def error_body(code: int, message: str | None = None) -> dict[str, Any]:
    """The spec's error envelope: ``{"errorCode": 2001, "errorMessage": "..."}``."""
    return {"errorCode": code, "errorMessage": message or _MESSAGES.get(code, "Error.")}


class ApiError(Exception):
    """Raised inside a handler; the error middleware turns it into the spec's error body.

    Messages never contain secrets (tokens, client ids, passwords).
    """

    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message or _MESSAGES.get(code, "Error.")
        super().__init__(f"{status}/{code}: {self.message}")

    @classmethod
    def missing(cls, what: str) -> ApiError:
        return cls(400, 1002, f"Missing required request parameter/header: {what}.")

    @classmethod
    def invalid(cls, what: str) -> ApiError:
        return cls(400, 1004, f"Invalid request parameter/header value: {what}.")

    @classmethod
    def invalid_path(cls, what: str) -> ApiError:
        return cls(400, 1005, f"Invalid path variable: {what}.")

    @classmethod
    def not_found(cls, what: str) -> ApiError:
        return cls(404, 2003, f"Specified entity does not exist: {what}.")

    @classmethod
    def rule_violation(cls, message: str) -> ApiError:
        return cls(409, 2001, message)

    @classmethod
    def deleted(cls) -> ApiError:
        return cls(410, 2006)

    @classmethod
    def verification(cls, message: str, *, status: int = 403) -> ApiError:
        return cls(status, 3002, message)
