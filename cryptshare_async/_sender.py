"""`Sender`: everything done as one sender email address.

Example::

    alice = client.sender("alice@example.com")
    await alice.request_email_code()
    await alice.verify_with_code(input("code: "))
    result = await alice.send(["report.pdf"], to=["bob@example.org"], name="Alice", phone="+49 1")
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from . import _batch, _session_scope, _workflow
from . import _protocol as protocol
from ._converter import structure, unstructure
from ._created import claim_created
from ._errors import InvalidInputError
from ._fields import FieldsLike
from ._finishing import run_to_end
from ._models import (
    Recipient,
    Recipients,
    SenderContact,
    TransferListItem,
    TransferPolicy,
    TransferSessionCreate,
    TransferSummary,
    VerificationStatus,
    VerificationToken,
)
from ._paging import Pager, legacy_pager, polling_pager
from ._protocol import ApiRequest, ApiResponse
from ._session import TransferSession
from ._tokens import StoredToken
from ._transfer import Transfer
from ._validation import validate_email, validate_header_value, validate_recipients
from ._verification import Sent

if TYPE_CHECKING:
    from ._requester import Requester
    from ._transport_api import StreamBody

__all__ = ["Sender"]


class Sender:
    """One sender address on one client. Cheap to create; holds no state of its own
    besides the address (tokens live in the client's token store; a session made by
    :meth:`create_session` keeps the token it was created with)."""

    def __init__(self, client: Requester, email: str, *, auto_verify: bool) -> None:
        self._client = client
        self._email = email
        self._auto_verify = auto_verify

    def __repr__(self) -> str:
        return f"Sender({self._email!r})"

    @property
    def email(self) -> str:
        return self._email

    @property
    def client(self) -> Requester:
        return self._client

    # ------------------------------------------------------------ verification

    async def verification_status(self) -> VerificationStatus:
        """Whether the server considers this sender verified (with the stored token, if any)."""
        request = protocol.verification_status_request(self._email)
        response = await self._client.send_as(request, self._email, None)
        data = protocol.json_data(request, response)
        return structure(data, VerificationStatus, secrets=response.secrets)

    async def request_email_code(self, *, language: str | None = None) -> None:
        """Ask the server to mail a verification code to this address.

        Earlier codes may stop working. ``language`` picks the mail's language.
        """
        request = protocol.email_code_request(self._email, language=language)
        protocol.raise_for_status(request, await self._client.request(request))

    async def verify_with_code(self, code: str) -> VerificationToken:
        """Exchange the mailed ``code`` for a token, and store the token."""
        if not isinstance(code, str) or not code.strip():
            raise InvalidInputError("the verification code must be a non-empty str")
        token = await self._request_token(code.strip())
        return token

    async def verify_with_client_id(self) -> VerificationToken:
        """Get a token by client id (works when the administrator whitelisted it)."""
        return await self._request_token(None)

    async def is_verified(self) -> bool:
        """True if a token that is still valid is stored (no request is made)."""
        return await self._client.tokens.cached(self._client.token_key(self._email)) is not None

    async def forget_token(self) -> None:
        """Drop the stored token; the next call verifies again."""
        await self._client.tokens.forget(self._client.token_key(self._email))

    async def _request_token(self, code: str | None) -> VerificationToken:
        request = protocol.token_request(self._email, code)
        response = await self._client.request(request)
        data = protocol.json_data(request, response)
        token = structure(data, VerificationToken, secrets=response.secrets)
        validate_header_value(token.token, what="verification token", secret=True)
        await self._client.tokens.save(
            self._client.token_key(self._email),
            StoredToken(token=token.token, valid_until=token.valid_until),
        )
        return token

    async def _fetch_by_client_id(self) -> StoredToken:
        request = protocol.token_request(self._email, None)
        response = await self._client.request(request)
        data = protocol.json_data(request, response)
        token = structure(data, VerificationToken, secrets=response.secrets)
        validate_header_value(token.token, what="verification token", secret=True)
        return StoredToken(token=token.token, valid_until=token.valid_until)

    async def request(self, request: ApiRequest, *, body: StreamBody | None = None) -> ApiResponse:
        """Send ``request`` with this sender's current token (low level; to send files,
        use :meth:`send`)."""
        return (await self._exchange(request, body=body)).response

    async def _exchange(
        self,
        request: ApiRequest,
        *,
        body: StreamBody | None = None,
        token: StoredToken | None = None,
    ) -> Sent:
        """Send ``request``; with ``token`` (a session's own), that token and no other."""
        client = self._client
        fetch = self._fetch_by_client_id if self._auto_verify else None
        return await client.tokens.send_with_token(
            client.token_key(self._email),
            request,
            lambda value: client.request(request, token=value, body=body),
            fetch,
            bound=token,
        )

    # ------------------------------------------------------------ sessions

    async def create_session(
        self,
        *,
        to: Iterable[str] = (),
        cc: Iterable[str] = (),
        bcc: Iterable[str] = (),
        name: str,
        phone: str,
        language: str | None = None,
    ) -> TransferSession:
        """Open a transfer session to the given recipients (fixed from now on).

        ``language`` (``Accept-Language``) presets the sender and recipient language.
        Every address is checked before anything is sent. An answer whose ``Location``
        does not name the new session usably raises :class:`ResponseParseError`, after
        deleting the session if the answer's body names it (otherwise the message says
        an orphan session may be left until it expires). A create whose answer is lost
        (connection dropped, garbled body, 5xx after the server acted) raises, and
        leaves at most an empty session on the server: it holds no content, nobody can
        finalize it without its tracking id, and it expires on its own, so creating
        again is safe.
        """
        to_list, cc_list, bcc_list = validate_recipients(to, cc, bcc)
        for what, value in (("name", name), ("phone", phone)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"the sender's {what} must be a non-empty str")
        body = TransferSessionCreate(
            sender=SenderContact(name=name, phone=phone),
            recipients=Recipients(
                to=_recipients(to_list), cc=_recipients(cc_list), bcc=_recipients(bcc_list)
            ),
        )
        request = protocol.create_session_request(self._email, unstructure(body), language=language)

        created_with: StoredToken | None = None

        async def create() -> str:
            nonlocal created_with
            sent = await self._exchange(request)
            created_with = sent.token

            async def undo_send(undo: ApiRequest) -> ApiResponse:
                return (await self._exchange(undo, token=created_with)).response

            return await claim_created(
                undo_send,
                request,
                sent.response,
                request_url=str(self._client.url_for(request)),
                undo=lambda tracking_id: protocol.delete_session_request(self._email, tracking_id),
                what="transfer session",
                orphan_hint="it cannot be used and the server removes it when it expires",
            )

        # Cancelled in flight, the session may exist anyway: learn its id and delete it
        # (within the client's clean-up grace period, else in the background).
        tracking_id = await run_to_end(
            create,
            self._client.cleanups,
            "session",
            undo=lambda tid: self._abandon_session(tid, created_with),
        )
        return TransferSession(self, tracking_id, token=created_with)

    async def _abandon_session(self, tracking_id: str, token: StoredToken | None = None) -> None:
        """Delete a session a cancelled ``create_session`` left (failures are recorded)."""
        request = protocol.delete_session_request(self._email, tracking_id)
        protocol.raise_for_status(request, (await self._exchange(request, token=token)).response)

    def resume_session(self, tracking_id: str) -> TransferSession:
        """A handle on an existing, not yet finalized session (no request is made).

        The handle does not know which token created the session, so its requests carry
        the sender's current token: they work while that is the session's token (for
        instance one shared through a :class:`FileTokenStore`). A session from
        :meth:`create_session` always uses the token it was created with instead.
        """
        return TransferSession(self, tracking_id)

    def transfer(self, tracking_id: str) -> Transfer:
        """A handle on a finalized transfer made earlier (no request is made)."""
        return Transfer(self, tracking_id)

    async def transfer_policy(self, recipients: Sequence[str]) -> TransferPolicy:
        """What the server allows when sending from this address to ``recipients``."""
        if isinstance(recipients, str):
            raise InvalidInputError("recipients must be a list of addresses, not a single str")
        checked = [validate_email(r, what="recipient") for r in recipients]
        request = protocol.transfer_policy_request(self._email, checked)
        response = await self.request(request)
        data = protocol.json_data(request, response)
        return structure(data, TransferPolicy, secrets=response.secrets)

    # ------------------------------------------------------------ listings

    def sent_transfers(
        self,
        *,
        active: bool | None = None,
        page_size: int = 100,
        fields: FieldsLike | None = None,
        start_page: int = 1,
        limit: int | None = None,
    ) -> Pager[TransferListItem]:
        """The transfers this address sent, newest first (API 1.12), as an async iterator.

        ``active``: ``True`` only active ones, ``False`` only inactive ones, ``None`` all.
        ``page_size`` (1-100), ``fields`` (a :class:`Fields` selection, a list of names
        or the server's raw syntax) and ``active`` are sent on every page; ``limit``
        caps the number of items. Fields not selected are ``None`` in the items.
        Arguments are checked now; requests start when iteration does.

        Example::

            async for item in alice.sent_transfers(active=True, fields=Fields(
                "tracking_id", status=["state"])):
                print(item.tracking_id, item.state)
        """
        return polling_pager(
            self,
            "sent",
            active=active,
            page_size=page_size,
            fields=fields,
            start_page=start_page,
            limit=limit,
        )

    def received_transfers(
        self,
        *,
        active: bool | None = None,
        page_size: int = 100,
        fields: FieldsLike | None = None,
        start_page: int = 1,
        limit: int | None = None,
    ) -> Pager[TransferListItem]:
        """The transfers this address received (API 1.12); arguments as in
        :meth:`sent_transfers`.

        The server removes download URLs, file ids and the confidential message's file
        id from transfers in which this address is not itself a recipient.

        Example::

            pending = await bob.received_transfers(active=True, limit=50).collect()
        """
        return polling_pager(
            self,
            "received",
            active=active,
            page_size=page_size,
            fields=fields,
            start_page=start_page,
            limit=limit,
        )

    def legacy_transfers(
        self, *, page_size: int = 100, start_page: int = 1, limit: int | None = None
    ) -> Pager[TransferSummary]:
        """The sent transfers through the deprecated ``GET .../transfers`` list.

        .. deprecated::
            The server will remove this endpoint in API 2.0; use :meth:`sent_transfers`.
            Calling this emits a :class:`DeprecationWarning`.
        """
        warnings.warn(
            "legacy_transfers() uses an endpoint the API deprecates (removed in API 2.0);"
            " use sent_transfers()",
            DeprecationWarning,
            stacklevel=2,
        )
        return legacy_pager(self, page_size=page_size, start_page=start_page, limit=limit)

    # ------------------------------------------------------------ workflow

    # The module-level functions, bound as methods (their docstrings show the use).
    send = _workflow.send
    session = _session_scope.open_session
    send_many = _batch.send_many


def _recipients(addresses: tuple[str, ...]) -> tuple[Recipient, ...]:
    return tuple(Recipient(mail=a) for a in addresses)
