"""Every API operation, declared once: the table, one request builder, one answer parser.

Each :class:`Endpoint` row gives the method, the path template (relative to ``/api``),
the minimum minor API version, the token use, whether a retry is safe, the request body
model and what the answer holds (:class:`Answer`: a model, a list of models, nothing, a
created resource, a stream, or text). Resource methods are one-liners over a row::

    request = GET_SESSION.request(email=alice, tracking_id=tid)
    state = GET_SESSION.parse(request, await session.send(request))

Adding an operation touches this table, its models, the resource method and its test.
Path parameters are checked and percent-encoded here (an email address, or one path
segment; ``file_path`` may hold several), so a bad value is refused before anything is
sent.

Example::

    >>> req = CREATE_SESSION.request(email="alice@example.com", body=None)
    >>> req.method, req.path, req.token.value
    ('POST', '/users/alice@example.com/transfer-sessions', 'required')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Final, Generic, TypeVar, cast
from urllib.parse import quote

from attrs import define, field

from ._converter import structure, structure_list, unstructure
from ._errors import InvalidInputError
from ._models import (
    ClientIdResponse,
    CorsStatus,
    FileRegistration,
    GeneratedPassword,
    Imprint,
    LanguagePack,
    LogEntry,
    LoggingSettings,
    PasswordBody,
    PasswordRule,
    PasswordValidation,
    RevocationRequest,
    ServerStatus,
    SessionState,
    TermsOfUse,
    TransferFile,
    TransferInfo,
    TransferListItem,
    TransferPolicy,
    TransferPolicyRequest,
    TransferSessionCreate,
    TransferSessionSettings,
    TransferStatus,
    TransferSummary,
    VerificationCodeRequest,
    VerificationStatus,
    VerificationToken,
)
from ._protocol import ApiRequest, ApiResponse, TokenUse, json_data, raise_for_status
from ._scrub import redact_json
from ._validation import email_path_segment, path_segment

__all__ = ["ENDPOINTS", "Answer", "AnswerKind", "Endpoint"]

T = TypeVar("T")
R = TypeVar("R")

REVOCATION_MINOR_VERSION: Final = 10
POLLING_MINOR_VERSION: Final = 12
STATUS_MINOR_VERSION: Final = 13


class AnswerKind(Enum):
    """What a successful answer carries."""

    JSON = "json"
    """A ``{"data": ...}`` document read as a model (or a tuple of models)."""
    EMPTY = "empty"
    """Nothing the client reads (any 2xx)."""
    CREATED = "created"
    """``201`` naming the new resource in ``Location`` (read by ``read_created_id``)."""
    STREAM = "stream"
    """A body read piece by piece (downloads)."""
    TEXT = "text"
    """A small non-JSON body read whole (CSV, a language-pack file)."""


@define(frozen=True, slots=True)
class Answer(Generic[R]):
    """How to read a successful answer: its kind and, for JSON, the reader of ``data``."""

    kind: AnswerKind
    model: type | None = None
    many: bool = False
    read: Callable[[Any, frozenset[str]], R] | None = field(default=None, eq=False, repr=False)


def one(model: type[T], *, redacted: bool = False) -> Answer[T]:
    """A JSON answer whose ``data`` is one ``model``.

    Errors quote no secret the request carried (the answer's ``secrets``); with
    ``redacted``, an echo of one in the answer's values is replaced by ``***`` too (for
    answers the caller keeps and shows, such as a transfer's status).
    """

    def read(data: Any, secrets: frozenset[str]) -> T:
        if redacted:
            data = redact_json(data, secrets)
        return structure(data, model, secrets=secrets)

    return Answer(AnswerKind.JSON, model, read=read)


def many(model: type[T]) -> Answer[tuple[T, ...]]:
    """A JSON answer whose ``data`` is a list of ``model``."""
    return Answer(
        AnswerKind.JSON,
        model,
        many=True,
        read=lambda data, secrets: structure_list(data, model, secrets=secrets),
    )


EMPTY: Final[Answer[None]] = Answer(AnswerKind.EMPTY)
CREATED: Final[Answer[None]] = Answer(AnswerKind.CREATED)
STREAM: Final[Answer[None]] = Answer(AnswerKind.STREAM)
TEXT: Final[Answer[bytes]] = Answer(AnswerKind.TEXT)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_WHAT: Final = {
    "tracking_id": "tracking id",
    "file_id": "file id",
    "transfer_id": "recipient transfer id",
    "product_key": "product key",
    "pack_id": "language pack id",
}

Query = Mapping[str, str | int | bool | None] | Sequence[tuple[str, str]]


@define(frozen=True, slots=True)
class Endpoint(Generic[R]):
    """One API operation.

    ``path`` is a template relative to ``/api`` (``{email}``, ``{tracking_id}``...).
    ``idempotent`` ``None`` means: by method. ``body`` is the request model (``None``:
    no body); ``body_many`` means the body is a list of it. :meth:`request` takes an
    instance of it (or an already JSON-ready mapping, for low-level use). ``password``:
    the recipient password travels in ``X-CS-Password``. ``created_in`` is the collection a ``201``
    answer's ``Location`` must lie in. ``client_id`` ``False``: works without one.
    """

    name: str
    method: str
    path: str
    answer: Answer[R]
    token: TokenUse = TokenUse.NONE
    minor: int | None = None
    idempotent: bool | None = None
    body: type | None = None
    body_many: bool = False
    password: bool = False
    created_in: str | None = None
    client_id: bool = True
    params: tuple[str, ...] = field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(_PLACEHOLDER.findall(self.path)))

    def request(
        self,
        *,
        body: object = None,
        query: Query = (),
        language: str | None = None,
        password: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        **params: str,
    ) -> ApiRequest:
        """The :class:`ApiRequest` for this operation (arguments checked, nothing sent)."""
        if set(params) != set(self.params):
            raise TypeError(
                f"{self.name} takes path parameters {self.params}, got {sorted(params)}"
            )
        path = self.path
        for name in self.params:
            path = path.replace("{" + name + "}", _segment(name, params[name]))
        extra = list(headers)
        if password is not None:
            if not self.password:
                raise TypeError(f"{self.name} takes no recipient password")
            # URL-encoded in the header (never in the URL): also keeps it header-safe.
            extra.append(("X-CS-Password", quote(password, safe="")))
        created_in = None
        if self.created_in is not None:
            created_in = self.created_in
            for name in _PLACEHOLDER.findall(created_in):
                created_in = created_in.replace("{" + name + "}", _segment(name, params[name]))
        kwargs: dict[str, Any] = {}
        if self.idempotent is not None:
            kwargs["idempotent"] = self.idempotent
        return ApiRequest(
            self.method,
            path,
            query=_query(query),
            json=self._body(body),
            token=self.token,
            minimum_minor_version=self.minor,
            language=language,
            extra_headers=tuple(extra),
            created_in=created_in,
            **kwargs,
        )

    def _body(self, body: object) -> Any:
        if self.body is None:
            if body is not None:
                raise TypeError(f"{self.name} takes no body")
            return None
        if body is None:
            return None
        if isinstance(body, Mapping) or (self.body_many and _is_json_list(body)):
            return body  # already JSON-ready (low level: tests, custom requests)
        items = body if self.body_many and isinstance(body, Sequence) else (body,)
        for item in cast(Sequence[object], items):
            if not isinstance(item, self.body):
                raise TypeError(f"{self.name} takes a {self.body.__name__} body, got {item!r}")
        return unstructure(list(items) if self.body_many else body)

    def parse(self, request: ApiRequest, response: ApiResponse) -> R:
        """Check the status and read the answer (JSON and text kinds; others: ``None``)."""
        kind = self.answer.kind
        if kind is AnswerKind.JSON:
            assert self.answer.read is not None
            return self.answer.read(json_data(request, response), response.secrets)
        raise_for_status(request, response)
        if kind is AnswerKind.TEXT:
            return cast(R, response.body)
        return cast(R, None)


def _is_json_list(body: object) -> bool:
    return isinstance(body, list) and all(isinstance(item, Mapping) for item in body)


def _segment(name: str, value: str) -> str:
    if name == "email":
        return email_path_segment(value)
    if name == "file_path":
        if not isinstance(value, str) or not value:
            raise InvalidInputError(
                f"a language pack file path must be a non-empty str, got {value!r}"
            )
        return "/".join(path_segment(part, what="file path segment") for part in value.split("/"))
    return path_segment(value, what=_WHAT.get(name, name))


def _query(query: Query) -> tuple[tuple[str, str], ...]:
    if isinstance(query, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in query.items():
            if value is None:
                continue
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            pairs.append((key, text))
        return tuple(pairs)
    return tuple(query)


_USER: Final = "/users/{email}"
_SESSIONS: Final = _USER + "/transfer-sessions"
_SESSION: Final = _SESSIONS + "/{tracking_id}"
_TRANSFERS: Final = _USER + "/transfers"
_RECIPIENT: Final = "/transfers/{transfer_id}"
_PRODUCT: Final = "/products/{product_key}"
_REQUIRED: Final = TokenUse.REQUIRED
_OPTIONAL: Final = TokenUse.OPTIONAL

# ------------------------------------------------------------------ the table

REQUEST_CLIENT_ID = Endpoint(
    "request_client_id", "GET", "/clients", one(ClientIdResponse), client_id=False
)
SERVER_STATUS = Endpoint(
    "server_status", "GET", "/status", one(ServerStatus), minor=STATUS_MINOR_VERSION,
    client_id=False,
)  # fmt: skip
VERIFICATION_STATUS = Endpoint(
    "verification_status", "GET", _USER + "/verification", one(VerificationStatus),
    token=_OPTIONAL,
)  # fmt: skip
REQUEST_EMAIL_CODE = Endpoint(
    "request_email_code", "POST", _USER + "/verification/code/email", EMPTY
)
REQUEST_TOKEN = Endpoint(
    "request_token", "POST", _USER + "/verification/token", one(VerificationToken),
    body=VerificationCodeRequest,
)  # fmt: skip
CREATE_SESSION = Endpoint(
    "create_session", "POST", _SESSIONS, CREATED, token=_REQUIRED,
    body=TransferSessionCreate, created_in=_SESSIONS,
)  # fmt: skip
GET_SESSION = Endpoint(
    "get_session", "GET", _SESSION, one(SessionState, redacted=True), token=_REQUIRED
)
# Setting the same values twice gives the same result: safe to retry.
UPDATE_SESSION = Endpoint(
    "update_session", "PATCH", _SESSION, one(SessionState), token=_REQUIRED,
    idempotent=True, body=TransferSessionSettings,
)  # fmt: skip
DELETE_SESSION = Endpoint("delete_session", "DELETE", _SESSION, EMPTY, token=_REQUIRED)
FINALIZE_SESSION = Endpoint(
    "finalize_session", "POST", _SESSION, CREATED, token=_REQUIRED, created_in=_TRANSFERS
)
REGISTER_FILE = Endpoint(
    "register_file", "POST", _SESSION + "/files", CREATED, token=_REQUIRED,
    body=FileRegistration, created_in=_SESSION + "/files",
)  # fmt: skip
# A second PUT replaces the content: idempotent (retried only with a fresh body).
PUT_CONTENT = Endpoint(
    "put_content", "PUT", _SESSION + "/files/{file_id}/content", EMPTY, token=_REQUIRED
)
DELETE_FILE = Endpoint(
    "delete_file", "DELETE", _SESSION + "/files/{file_id}", EMPTY, token=_REQUIRED
)
TRANSFER_STATUS = Endpoint(
    "transfer_status", "GET", _TRANSFERS + "/{tracking_id}", one(TransferStatus, redacted=True),
    token=_REQUIRED,
)  # fmt: skip
REVOKE_TRANSFER = Endpoint(
    "revoke_transfer", "PATCH", _TRANSFERS + "/{tracking_id}", EMPTY, token=_REQUIRED,
    minor=REVOCATION_MINOR_VERSION, idempotent=False, body=RevocationRequest,
)  # fmt: skip
LEGACY_TRANSFERS = Endpoint(
    "legacy_transfers", "GET", _TRANSFERS, many(TransferSummary), token=_REQUIRED
)
SENT_TRANSFERS = Endpoint(
    "sent_transfers", "GET", _TRANSFERS + "/sent-transfers", many(TransferListItem),
    token=_REQUIRED, minor=POLLING_MINOR_VERSION,
)  # fmt: skip
RECEIVED_TRANSFERS = Endpoint(
    "received_transfers", "GET", _TRANSFERS + "/received-transfers", many(TransferListItem),
    token=_REQUIRED, minor=POLLING_MINOR_VERSION,
)  # fmt: skip
# A read-only question to the server: safe to retry.
TRANSFER_POLICY = Endpoint(
    "transfer_policy", "POST", _USER + "/transfer-policy", one(TransferPolicy),
    token=_REQUIRED, idempotent=True, body=TransferPolicyRequest,
)  # fmt: skip
GENERATE_PASSWORD = Endpoint(
    "generate_password", "GET", "/password", one(GeneratedPassword), token=_OPTIONAL
)
VALIDATE_PASSWORD = Endpoint(
    "validate_password", "POST", "/password", one(PasswordValidation), token=_OPTIONAL,
    idempotent=True, body=PasswordBody,
)  # fmt: skip
PASSWORD_REQUIREMENTS = Endpoint(
    "password_requirements", "GET", "/password/requirements", many(PasswordRule),
    token=_OPTIONAL,
)  # fmt: skip
RECIPIENT_INFO = Endpoint("recipient_info", "GET", _RECIPIENT, one(TransferInfo), password=True)
RECIPIENT_FILES = Endpoint(
    "recipient_files", "GET", _RECIPIENT + "/files", many(TransferFile), password=True
)
RECIPIENT_DOWNLOAD = Endpoint(
    "recipient_download", "GET", _RECIPIENT + "/files/{file_id}", STREAM, password=True
)
RECIPIENT_ZIP = Endpoint("recipient_zip", "GET", _RECIPIENT + "/zip", STREAM, password=True)
RECIPIENT_EML = Endpoint("recipient_eml", "GET", _RECIPIENT + "/eml", STREAM, password=True)
RECIPIENT_CHECKSUMS = Endpoint(
    "recipient_checksums", "GET", _RECIPIENT + "/checksums", TEXT, password=True
)
TERMS_OF_USE = Endpoint("terms_of_use", "GET", _PRODUCT + "/legal/terms-of-use", one(TermsOfUse))
IMPRINT = Endpoint("imprint", "GET", _PRODUCT + "/legal/imprint", one(Imprint))
LANGUAGE_PACKS = Endpoint("language_packs", "GET", _PRODUCT + "/language-packs", many(LanguagePack))
LANGUAGE_PACK = Endpoint(
    "language_pack", "GET", _PRODUCT + "/language-packs/{pack_id}", one(LanguagePack)
)
LANGUAGE_PACK_FILE = Endpoint(
    "language_pack_file", "GET", _PRODUCT + "/language-packs/{pack_id}/{file_path}", TEXT
)
CORS_STATUS = Endpoint("cors_status", "GET", _PRODUCT + "/cors", one(CorsStatus))
LOGGING_SETTINGS = Endpoint("logging_settings", "GET", _PRODUCT + "/logging", one(LoggingSettings))
ADD_LOGS = Endpoint("add_logs", "POST", "/logs", EMPTY, body=LogEntry, body_many=True)

ENDPOINTS: Final[tuple[Endpoint[Any], ...]] = tuple(
    value for value in list(globals().values()) if isinstance(value, Endpoint)
)
"""Every row of the table, in declaration order."""
