"""Every request and response body of the API, as frozen attrs classes.

Attributes are snake_case; the converter (``_converter.py``) maps them to the API's
camelCase JSON. Response fields the server did not send are ``None``, and each response
model keeps the JSON object it was read from in ``raw`` (for keys this library does not
model and for the text of enum values it does not know).

Example::

    >>> from cryptshare_async._converter import structure
    >>> token = structure({"token": "t0k3n", "validUntil": "2020-10-09T11:51:46+02:00"},
    ...                   VerificationToken)
    >>> token
    VerificationToken(token='***', valid_until=datetime.datetime(2020, 10, 9, 11, 51, 46, tzinfo=datetime.timezone(datetime.timedelta(seconds=7200))))
"""  # noqa: E501

from ._models_misc import (
    ApiVersion,
    ClientIdResponse,
    FailedRecipient,
    GeneratedPassword,
    PasswordBody,
    PasswordRule,
    PasswordValidation,
    PolicySecurityMode,
    PolicySecurityModeConfig,
    PolicySettings,
    ServerStatus,
    TransferFile,
    TransferInfo,
    TransferPolicy,
    TransferPolicyRequest,
    VerificationCodeRequest,
    VerificationStatus,
    VerificationToken,
)
from ._models_product import (
    ChecksumRow,
    CorsStatus,
    Imprint,
    LanguagePack,
    LegalText,
    LogEntry,
    LoggingSettings,
    TermsOfUse,
)
from ._models_session import (
    FileRegistration,
    FileRegistrationResult,
    NotificationMessage,
    OneTimePasswordConfig,
    Recipient,
    Recipients,
    SecurityMode,
    SenderContact,
    SessionFile,
    SessionState,
    TransferSessionCreate,
    TransferSessionSettings,
)
from ._models_status import (
    Download,
    FileDownload,
    FileStatus,
    RecipientStatus,
    RevocationOptions,
    RevocationRequest,
    SenderStatus,
    StatusDetails,
    TransferListItem,
    TransferStatus,
    TransferSummary,
)

__all__ = [
    "ApiVersion",
    "ChecksumRow",
    "ClientIdResponse",
    "CorsStatus",
    "Download",
    "FailedRecipient",
    "FileDownload",
    "FileRegistration",
    "FileRegistrationResult",
    "FileStatus",
    "GeneratedPassword",
    "Imprint",
    "LanguagePack",
    "LegalText",
    "LogEntry",
    "LoggingSettings",
    "NotificationMessage",
    "OneTimePasswordConfig",
    "PasswordBody",
    "PasswordRule",
    "PasswordValidation",
    "PolicySecurityMode",
    "PolicySecurityModeConfig",
    "PolicySettings",
    "Recipient",
    "RecipientStatus",
    "Recipients",
    "RevocationOptions",
    "RevocationRequest",
    "SecurityMode",
    "SenderContact",
    "SenderStatus",
    "ServerStatus",
    "SessionFile",
    "SessionState",
    "StatusDetails",
    "TermsOfUse",
    "TransferFile",
    "TransferInfo",
    "TransferListItem",
    "TransferPolicy",
    "TransferPolicyRequest",
    "TransferSessionCreate",
    "TransferSessionSettings",
    "TransferStatus",
    "TransferSummary",
    "VerificationCodeRequest",
    "VerificationStatus",
    "VerificationToken",
]
