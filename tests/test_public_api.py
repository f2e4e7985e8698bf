"""The public surface is exactly what cryptshare_async.__all__ says."""

from __future__ import annotations

import cryptshare_async

EXPECTED = sorted(
    [
        "JobOutcome",
        "Journal",
        "JournalError",
        "JournalRecord",
        "SQLiteJournal",
        "SendJob",
        "SendResult",
        "SessionScope",
        "ApiError",
        "ApiRequest",
        "ApiResponse",
        "ApiVersion",
        "ApiVersionUnsupportedError",
        "BadRequestError",
        "BrokenSessionError",
        "BytesSource",
        "ChecksumAlgorithm",
        "ChecksumMismatchError",
        "ChecksumMode",
        "CleanupFailure",
        "ConfigurationError",
        "CryptshareClient",
        "CryptshareError",
        "DEFAULT_MINIMUM_MINOR_VERSION",
        "Download",
        "DownloadError",
        "DownloadIntegrityError",
        "DownloadTargetExistsError",
        "EventHooks",
        "FailedRecipient",
        "Fields",
        "FieldsLike",
        "FileDownload",
        "FileProgressCallback",
        "FileSource",
        "FileState",
        "FileStatus",
        "FileTokenStore",
        "InvalidInputError",
        "MalformedResponseError",
        "MemoryTokenStore",
        "NotFoundError",
        "NotLicensedError",
        "NotificationMessage",
        "OnUpdate",
        "OneTimePasswordConfig",
        "Page",
        "Pager",
        "PasswordMode",
        "PasswordRule",
        "PasswordValidation",
        "PolicyRejectedError",
        "PolicySecurityMode",
        "PolicySettings",
        "ProgressCallback",
        "RateLimitedError",
        "Recipient",
        "RecipientStatus",
        "RecipientTransfer",
        "Recipients",
        "RequestTimeoutError",
        "ResponseParseError",
        "ResponseTooLargeError",
        "StreamBody",
        "StreamedResponse",
        "Transport",
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
        "SessionTokenRejectedError",
        "SizeMismatchError",
        "Source",
        "SourceChangedError",
        "SourceNotReplayableError",
        "StatusDetails",
        "StoredToken",
        "StreamSource",
        "RequestEvent",
        "ResponseEvent",
        "RetryEvent",
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
        "UNSET",
        "Unset",
        "UnsupportedSecurityModeError",
        "UploadError",
        "UploadSource",
        "UploadedFile",
        "VerificationError",
        "VerificationMethod",
        "VerificationStatus",
        "VerificationToken",
        "WaitTimeoutError",
        "WrongPasswordError",
        "__version__",
        "generate_client_id",
        "wait_until_active",
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
