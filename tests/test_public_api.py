"""The public surface is exactly what cryptshare_async.__all__ says."""

from __future__ import annotations

import cryptshare_async

EXPECTED = sorted(
    [
        "DEFAULT_MINIMUM_MINOR_VERSION",
        "UNSET",
        "ApiError",
        "ApiVersion",
        "ApiVersionUnsupportedError",
        "BadRequestError",
        "ChecksumMismatchError",
        "ConfigurationError",
        "CryptshareClient",
        "CryptshareError",
        "Download",
        "FailedRecipient",
        "FileDownload",
        "FileState",
        "FileStatus",
        "FileTokenStore",
        "InvalidInputError",
        "MemoryTokenStore",
        "NotFoundError",
        "NotLicensedError",
        "NotificationMessage",
        "OneTimePasswordConfig",
        "PasswordMode",
        "PasswordRule",
        "PasswordValidation",
        "PolicyRejectedError",
        "PolicySecurityMode",
        "PolicySettings",
        "RateLimitedError",
        "Recipient",
        "RecipientStatus",
        "Recipients",
        "RequestTimeoutError",
        "ResponseParseError",
        "RetrievalMethod",
        "RetryPolicy",
        "RuleViolationError",
        "SecurityMode",
        "SecurityModeName",
        "Sender",
        "SenderContact",
        "SenderStatus",
        "ServerError",
        "ServerStatus",
        "SessionFile",
        "SessionState",
        "SizeMismatchError",
        "SourceChangedError",
        "SourceNotReplayableError",
        "StatusDetails",
        "StoredToken",
        "Timeouts",
        "TokenKey",
        "TokenStore",
        "Transfer",
        "TransferDeletedError",
        "TransferFailedError",
        "TransferFile",
        "TransferInfo",
        "TransferListItem",
        "TransferLockedError",
        "TransferPolicy",
        "TransferSession",
        "TransferState",
        "TransferStatus",
        "TransferSummary",
        "TransportError",
        "Unset",
        "UnsupportedSecurityModeError",
        "UploadError",
        "VerificationError",
        "VerificationMethod",
        "VerificationStatus",
        "VerificationToken",
        "WaitTimeoutError",
        "WrongPasswordError",
        "__version__",
        "generate_client_id",
    ]
)


def test_all_is_pinned() -> None:
    assert sorted(cryptshare_async.__all__) == EXPECTED


def test_every_name_in_all_exists_and_nothing_private_leaks() -> None:
    for name in cryptshare_async.__all__:
        assert hasattr(cryptshare_async, name), name
    public = {n for n in vars(cryptshare_async) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(cryptshare_async, n)).__name__ == "module"}
    assert public - modules <= set(cryptshare_async.__all__)


def test_errors_derive_from_the_base() -> None:
    for name in cryptshare_async.__all__:
        obj = getattr(cryptshare_async, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, cryptshare_async.CryptshareError), name
