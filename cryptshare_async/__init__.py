"""cryptshare_async: an asyncio client for the Cryptshare secure file transfer REST API.

Example::

    from cryptshare_async import CryptshareClient

    async with CryptshareClient("https://share.example.com", client_id=CLIENT_ID) as client:
        alice = client.sender("alice@example.com")
        session = await alice.create_session(to=["bob@example.org"], name="Alice", phone="1")
        transfer = await session.finalize()
"""

from __future__ import annotations

from ._client import DEFAULT_MINIMUM_MINOR_VERSION, CryptshareClient
from ._enums import (
    FileState,
    PasswordMode,
    RetrievalMethod,
    SecurityModeName,
    TransferState,
    VerificationMethod,
)
from ._errors import (
    ApiError,
    ApiVersionUnsupportedError,
    BadRequestError,
    ChecksumMismatchError,
    ConfigurationError,
    CryptshareError,
    InvalidInputError,
    NotFoundError,
    NotLicensedError,
    PolicyRejectedError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseParseError,
    RuleViolationError,
    ServerError,
    SizeMismatchError,
    SourceChangedError,
    SourceNotReplayableError,
    TransferDeletedError,
    TransferFailedError,
    TransferLockedError,
    TransportError,
    UnsupportedSecurityModeError,
    UploadError,
    VerificationError,
    WaitTimeoutError,
    WrongPasswordError,
)
from ._models import (
    ApiVersion,
    Download,
    FailedRecipient,
    FileDownload,
    FileStatus,
    NotificationMessage,
    OneTimePasswordConfig,
    PasswordRule,
    PasswordValidation,
    PolicySecurityMode,
    PolicySettings,
    Recipient,
    Recipients,
    RecipientStatus,
    SecurityMode,
    SenderContact,
    SenderStatus,
    ServerStatus,
    SessionFile,
    StatusDetails,
    TransferFile,
    TransferInfo,
    TransferListItem,
    TransferPolicy,
    TransferStatus,
    TransferSummary,
    VerificationStatus,
    VerificationToken,
)
from ._models import TransferSession as SessionState
from ._retry import RetryPolicy
from ._sender import Sender
from ._session import TransferSession
from ._tokens import FileTokenStore, MemoryTokenStore, StoredToken, TokenKey, TokenStore
from ._transfer import Transfer
from ._transport import Timeouts
from ._unset import UNSET, Unset
from ._validation import generate_client_id
from ._version import __version__

__all__ = [
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
