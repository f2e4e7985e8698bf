"""The emulator's state and every rule that changes it. No HTTP here.

Handlers parse requests and render responses; this module decides. Every method either
returns the affected record or raises :class:`ApiError` with the spec's status and code.

Example::

    >>> import tempfile, pathlib
    >>> store = Store(EmulatorConfig(), pathlib.Path(tempfile.mkdtemp()), {"c" * 50})
    >>> token = store.token_by_client_id("a@example.org", "c" * 50)
    >>> store.authenticate(token.value, "a@example.org", "c" * 50) is token
    True
"""

from __future__ import annotations

import shutil
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._checks import ScanResult, display_name, hash_name
from ._config import EmulatorConfig
from ._errors import ApiError
from ._i18n import language_of, text
from ._outbox import Outbox, OutboxMessage
from ._recycle import ContentRecycler
from ._rules import (
    BOOLEAN_FIELDS,
    PATCHABLE_FIELDS,
    generate_password,
    parse_datetime,
    validate_algorithm,
    validate_language,
    validate_notification,
    validate_recipients,
    validate_security_mode,
    validate_sender,
)
from ._state import (
    DELETED_STATES,
    Download,
    RecipientEntry,
    Session,
    StoredFile,
    Token,
    Transfer,
    iso,
    new_id,
    new_tracking_id,
    now,
)

__all__ = ["Store"]


def key(email: str) -> str:
    """Addresses compare case-insensitively (local part included, as most servers do)."""
    return email.casefold()


class Store:
    """All sessions, transfers, tokens and codes of one emulator."""

    def __init__(self, config: EmulatorConfig, storage: Path, whitelist: Iterable[str]) -> None:
        self.config = config
        self.storage = storage
        self.recycler = ContentRecycler(storage / ".recycle", config.recycle_content_bytes)
        self.whitelist = set(whitelist)
        self.outbox = Outbox()
        self.failing_addresses = {key(a) for a in config.failing_notification_addresses}
        self.root_url = ""
        self.demo_client_id = ""
        self._tokens: dict[str, Token] = {}
        self._codes: dict[tuple[str, str], str] = {}
        self._code_requests: dict[str, list[float]] = defaultdict(list)
        self.sessions: dict[str, Session] = {}
        self.transfers: dict[str, Transfer] = {}
        self._by_sender: dict[str, list[Transfer]] = defaultdict(list)
        self._by_recipient: dict[str, list[Transfer]] = defaultdict(list)
        self._by_transfer_id: dict[str, tuple[Transfer, RecipientEntry]] = {}
        self._sequence = 0
        #: Log entries clients sent with ``POST /api/logs``, oldest first.
        self.client_logs: list[dict[str, Any]] = []

    def scratch_path(self, suffix: str) -> Path:
        """A fresh path for a file made for one answer (a ZIP, an EML)."""
        directory = self.storage / ".scratch"
        directory.mkdir(exist_ok=True)
        return directory / f"{new_id(16)}{suffix}"

    # -- verification -------------------------------------------------------------------

    def request_code(self, email: str, client_id: str, language: str) -> str:
        """Mail a fresh code (older ones die); 429/2007 when asked too often."""
        window = self.config.verification_code_window_seconds
        moment = time.monotonic()
        recent = [t for t in self._code_requests[key(email)] if moment - t < window]
        if len(recent) >= self.config.verification_code_limit:
            self._code_requests[key(email)] = recent
            raise ApiError(429, 2007)
        recent.append(moment)
        self._code_requests[key(email)] = recent
        code = new_id(10)
        self._codes[(key(email), client_id)] = code
        self.deliver(
            kind="verification_code",
            to=email,
            language=language,
            subject=text("code_subject", language),
            body=text("code_body", language, code=code),
            code=code,
        )
        return code

    def token_by_code(self, email: str, client_id: str, code: str) -> Token:
        expected = self._codes.get((key(email), client_id))
        if expected is None or expected != code:
            raise ApiError.verification("The verification code is invalid.")
        del self._codes[(key(email), client_id)]
        return self._issue_token(email, client_id)

    def token_by_client_id(self, email: str, client_id: str) -> Token:
        if client_id not in self.whitelist:
            raise ApiError.verification("This client id is not whitelisted.")
        return self._issue_token(email, client_id)

    def _issue_token(self, email: str, client_id: str) -> Token:
        valid_until = now() + timedelta(seconds=self.config.token_validity_seconds)
        token = Token(new_id(64), key(email), client_id, valid_until)
        self._tokens[token.value] = token
        return token

    def find_token(self, value: str | None, email: str, client_id: str) -> Token | None:
        """The token if it is valid for (email, client id) right now."""
        token = self._tokens.get(value) if value else None
        if token is None or token.email_key != key(email) or token.client_id != client_id:
            return None
        if now() >= token.valid_until:
            return None
        return token

    def authenticate(self, value: str | None, email: str, client_id: str) -> Token:
        """403/3002 unless the token is valid for (email, client id)."""
        token = self.find_token(value, email, client_id)
        if token is None:
            raise ApiError.verification("Missing, invalid or expired verification token.")
        return token

    def verification_methods(self, client_id: str) -> list[str]:
        return ["EMAIL", "CLIENT_ID"] if client_id in self.whitelist else ["EMAIL"]

    # -- sessions -------------------------------------------------------------------------

    def create_session(
        self, email: str, token: Token, body: dict[str, Any], language: str
    ) -> Session:
        recipients = validate_recipients(body.get("recipients"))
        sender = validate_sender(body.get("sender") or {})
        tracking_id = new_tracking_id()
        while tracking_id in self.sessions or tracking_id in self.transfers:
            tracking_id = new_tracking_id()
        expiration = now() + timedelta(days=self.config.default_expiration_days)
        settings: dict[str, Any] = {
            "sender": sender,
            "expirationDate": iso(expiration),
            "fileChecksumAlgorithm": self.config.checksum_algorithm,
            "notificationMessage": {"subject": "", "body": ""},
            "senderLanguage": language,
            "recipientLanguage": language,
            "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "GENERATED"}},
            "sendDownloadNotifications": False,
            "sendDownloadSummary": False,
            "sendRecipientNotification": True,
            "sendUploadSummary": True,
            "showFileNames": True,
            "showZipFileContent": False,
            "classificationId": None,
            "confidentialMessageFileId": None,
        }
        directory = self.storage / tracking_id
        directory.mkdir()
        session = Session(
            tracking_id=tracking_id,
            email=email,
            email_key=key(email),
            token=token.value,
            client_id=token.client_id,
            settings=settings,
            recipients=recipients,
            directory=directory,
            password=generate_password(),  # GENERATED by default: shown in the session
        )
        self.sessions[tracking_id] = session
        return session

    def session_for(self, email: str, tracking_id: str, token: Token) -> Session:
        """The open session; 404/2003 if unknown, 401/3002 for another token."""
        session = self.sessions.get(tracking_id)
        if session is None or session.email_key != key(email):
            raise ApiError.not_found("transfer session")
        if session.token != token.value:
            raise ApiError.verification(
                "The verification token differs from the one the session was created with.",
                status=401,
            )
        return session

    def patch_session(self, session: Session, body: dict[str, Any]) -> None:
        """Apply a PATCH atomically: everything is validated before anything changes."""
        if "recipients" in body or "files" in body:
            raise ApiError.invalid("recipients and files cannot be patched")
        changes: dict[str, Any] = {}
        password = session.password
        for name, value in body.items():
            if name not in PATCHABLE_FIELDS:
                continue  # unknown members are ignored, as on create
            if name in BOOLEAN_FIELDS:
                if not isinstance(value, bool):
                    raise ApiError.invalid(name)
                changes[name] = value
            elif name == "sender":
                changes[name] = {**session.settings["sender"], **validate_sender(value)}
            elif name == "expirationDate":
                moment = parse_datetime(value, name)
                if moment <= now():
                    raise ApiError.rule_violation("The expiration date is in the past.")
                limit = now() + timedelta(days=self.config.max_retention_days)
                if moment > limit:
                    raise ApiError.rule_violation(
                        "The expiration date exceeds the maximum retention period."
                    )
                changes[name] = iso(moment)
            elif name == "fileChecksumAlgorithm":
                changes[name] = validate_algorithm(value)
            elif name == "notificationMessage":
                changes[name] = {**session.settings[name], **validate_notification(value)}
            elif name in ("senderLanguage", "recipientLanguage"):
                changes[name] = validate_language(value, name)
            elif name == "securityMode":
                mode, password = validate_security_mode(value)
                if mode == "GENERATED":
                    # Kept while the mode stays GENERATED; a new one when it is chosen anew.
                    same = session.settings["securityMode"]["config"]["passwordMode"] == mode
                    password = session.password if same and session.password else None
                    password = password or generate_password()
                changes[name] = {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": mode}}
            elif name == "classificationId":
                if value is not None and not isinstance(value, str):
                    raise ApiError.invalid(name)
                changes[name] = value
            elif name == "confidentialMessageFileId":
                if value is not None and not isinstance(value, str):
                    raise ApiError.invalid(name)
                if value is not None and value not in session.files:
                    raise ApiError.rule_violation("The confidential message file is unknown.")
                changes[name] = value
        session.settings.update(changes)
        session.password = password

    def delete_session(self, session: Session) -> None:
        self.sessions.pop(session.tracking_id, None)
        self.recycler.discard_tree(session.directory)

    # -- files ---------------------------------------------------------------------------

    def register_file(self, session: Session, body: dict[str, Any]) -> StoredFile:
        """fileName must be unique per session: a duplicate is a rule violation (409/2001)."""
        name, size, checksum = body.get("fileName"), body.get("size"), body.get("checksum")
        if not isinstance(name, str) or not name.strip() or "/" in name or "\\" in name:
            raise ApiError.invalid("fileName")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ApiError.invalid("size")
        if checksum is not None and (not isinstance(checksum, str) or not checksum):
            raise ApiError.invalid("checksum")
        if any(f.name == name for f in session.files.values()):
            raise ApiError.rule_violation(f"A file named {name!r} is already registered.")
        total = size + sum(f.size for f in session.files.values())
        if total > self.config.max_total_size:
            raise ApiError.rule_violation("The maximum total size of the transfer is exceeded.")
        file_id = new_id(10)
        while file_id in session.files:
            file_id = new_id(10)
        stored = StoredFile(id=file_id, name=name, size=size, checksum=checksum)
        session.files[file_id] = stored
        return stored

    def file_for(self, session: Session, file_id: str) -> StoredFile:
        stored = session.files.get(file_id)
        if stored is None:
            raise ApiError.not_found("file")
        return stored

    def content_uploaded(self, stored: StoredFile, path: Path, size: int) -> None:
        """Record a finished PUT; the previous content (if another path) is removed."""
        if stored.path is not None and stored.path != path:
            self.recycler.discard(stored.path)
        stored.path, stored.received, stored.state = path, size, "UPLOADED"

    def delete_file(self, session: Session, stored: StoredFile) -> None:
        session.files.pop(stored.id, None)
        self.recycler.discard(stored.path)
        if session.settings.get("confidentialMessageFileId") == stored.id:
            session.settings["confidentialMessageFileId"] = None

    # -- finalization and processing ------------------------------------------------------

    def finalize(self, session: Session) -> Transfer:
        if not session.files:
            raise ApiError.rule_violation("The transfer session has no file.")
        empty = [f.name for f in session.files.values() if f.path is None]
        if empty:
            raise ApiError.rule_violation(f"The file {empty[0]!r} has no content.")
        if datetime.fromisoformat(session.settings["expirationDate"]) <= now():
            raise ApiError.rule_violation("The expiration date is in the past.")
        mode = session.settings["securityMode"]["config"]["passwordMode"]
        # MANUAL: the sender's; GENERATED: the one the session showed; NONE: an internal one.
        password = session.password if mode != "NONE" else generate_password()
        del self.sessions[session.tracking_id]
        transfer = self._add_transfer(
            tracking_id=session.tracking_id,
            email=session.email,
            token=session.token,
            settings=session.settings,
            recipients=session.recipients,
            files=session.files,
            password=password,
            directory=session.directory,
            state="PROCESSING",
        )
        return transfer

    def _add_transfer(
        self,
        *,
        tracking_id: str,
        email: str,
        token: str,
        settings: dict[str, Any],
        recipients: dict[str, list[str]],
        files: dict[str, StoredFile],
        password: str | None,
        directory: Path | None,
        state: str,
    ) -> Transfer:
        entries = []
        for kind in ("to", "cc", "bcc"):
            for mail in recipients.get(kind, []):
                transfer_id = new_id(10)
                while transfer_id in self._by_transfer_id:
                    transfer_id = new_id(10)
                entries.append(RecipientEntry(transfer_id, mail, kind))
        self._sequence += 1
        transfer = Transfer(
            tracking_id=tracking_id,
            email=email,
            email_key=key(email),
            token=token,
            settings=settings,
            recipients=recipients,
            files=files,
            entries=entries,
            password=password,
            expires_at=datetime.fromisoformat(settings["expirationDate"]),
            sequence=self._sequence,
            directory=directory,
            state=state,
        )
        self.transfers[tracking_id] = transfer
        self._by_sender[transfer.email_key].append(transfer)
        for mail_key in dict.fromkeys(key(e.mail) for e in entries):
            self._by_recipient[mail_key].append(transfer)
        for entry in entries:
            self._by_transfer_id[entry.transfer_id] = (transfer, entry)
        return transfer

    def scan_jobs(self, transfer: Transfer) -> list[tuple[StoredFile, Path]]:
        """The files processing must read (those with content)."""
        return [(f, f.path) for f in transfer.files.values() if f.path is not None]

    def complete_processing(self, transfer: Transfer, results: dict[str, ScanResult]) -> None:
        """Apply the checks' results; ACTIVE if a file survives, else FAILED; notify."""
        if transfer.state != "PROCESSING":
            transfer.processed.set()
            return
        for stored in transfer.files.values():
            result = results.get(stored.id)
            stored.removal = self._removal_for(stored, result)
            if stored.removal is None and result is not None:
                stored.state, stored.digest = "ACTIVE", result.digest
            else:
                stored.state = "REMOVED"
                if stored.path is not None:
                    stored.path.unlink(missing_ok=True)
                    stored.path = None
        survivors = any(f.state == "ACTIVE" for f in transfer.files.values())
        transfer.state = "ACTIVE" if survivors else "FAILED"
        if survivors:
            self._notify_provided(transfer)
        transfer.processed.set()

    def _removal_for(
        self, stored: StoredFile, result: ScanResult | None
    ) -> tuple[str, dict[str, object]] | None:
        params: dict[str, object] = {"name": stored.name}
        suffix = Path(stored.name).suffix.lower()
        if suffix in {e.lower() for e in self.config.blocked_extensions}:
            return "blocked_extension", params
        if result is None or result.size != stored.size:
            actual = result.size if result is not None else 0
            return "size_mismatch", {**params, "actual": actual, "expected": stored.size}
        if stored.checksum is not None and stored.checksum.lower() != result.digest:
            return "checksum_mismatch", params
        if result.infected:
            return "virus", params
        return None

    # -- notifications -------------------------------------------------------------------

    def deliver(self, *, kind: str, to: str, language: str, **fields: Any) -> bool:
        """Put a mail into the outbox; ``False`` when the address is set to fail."""
        if key(to) in self.failing_addresses:
            return False
        self.outbox.append(OutboxMessage(kind=kind, to=to, language=language, **fields))
        return True

    def download_url(
        self, transfer: Transfer, entry: RecipientEntry, *, with_password: bool
    ) -> str:
        url = f"{self.root_url}/download.php?id={entry.transfer_id}"
        if with_password and transfer.password is not None:
            url += f"&password={quote(transfer.password, safe='')}"
        return url

    def _notify_provided(self, transfer: Transfer) -> None:
        settings = transfer.settings
        mode = transfer.password_mode
        if settings["sendRecipientNotification"]:
            language = settings["recipientLanguage"]
            file_list = _file_list(transfer, language)
            custom = settings["notificationMessage"]
            sender_name = settings["sender"].get("name") or transfer.email
            for entry in transfer.entries:
                url = self.download_url(transfer, entry, with_password=mode == "NONE")
                delivered = self.deliver(
                    kind="recipient_notification",
                    to=entry.mail,
                    language=language_of(language),
                    subject=custom.get("subject")
                    or text("notification_subject", language, sender=sender_name),
                    body=(custom.get("body") or "")
                    + "\n"
                    + text("notification_body", language, url=url)
                    + file_list,
                    tracking_id=transfer.tracking_id,
                    transfer_id=entry.transfer_id,
                    download_url=url,
                    password=transfer.password if mode == "GENERATED" else None,
                )
                entry.notification_failed = not delivered
        if settings["sendUploadSummary"]:
            language = settings["senderLanguage"]
            delivered = self.deliver(
                kind="upload_summary",
                to=transfer.email,
                language=language_of(language),
                subject=text("upload_subject", language, tracking_id=transfer.tracking_id),
                body=text("upload_body", language, tracking_id=transfer.tracking_id),
                tracking_id=transfer.tracking_id,
            )
            transfer.sender_notification_failed = not delivered

    # -- transfers -----------------------------------------------------------------------

    def transfer_for(self, email: str, tracking_id: str) -> Transfer:
        """A transfer of this sender; another sender's transfer is not found (404/2003)."""
        transfer = self.transfers.get(tracking_id)
        if transfer is None or transfer.email_key != key(email):
            raise ApiError.not_found("transfer")
        return transfer

    def revoke(self, transfer: Transfer, options: dict[str, Any], language: str | None) -> None:
        """Only ACTIVE transfers: deleted ones answer 410/2006, others 409/2001."""
        if transfer.state in DELETED_STATES or transfer.expires_at <= now():
            raise ApiError.deleted()  # past its expiry, the cleanup has only not run yet
        if transfer.state != "ACTIVE":
            raise ApiError.rule_violation(f"A {transfer.state} transfer cannot be revoked.")
        self._delete(transfer, "DELETED_BY_REVOCATION")
        tracking_id = transfer.tracking_id
        message = options.get("message")
        if options.get("notifySender", True):
            lang = language or transfer.settings["senderLanguage"]
            transfer.sender_notification_failed |= not self.deliver(
                kind="revocation_sender",
                to=transfer.email,
                language=language_of(lang),
                subject=text("revocation_subject", lang, tracking_id=tracking_id),
                body=message or text("revocation_sender_body", lang, tracking_id=tracking_id),
                tracking_id=tracking_id,
            )
        if options.get("notifyRecipients", True):
            lang = language or transfer.settings["recipientLanguage"]
            for entry in transfer.entries:
                entry.notification_failed |= not self.deliver(
                    kind="revocation_recipient",
                    to=entry.mail,
                    language=language_of(lang),
                    subject=text("revocation_subject", lang, tracking_id=tracking_id),
                    body=message or text("revocation_recipient_body", lang),
                    tracking_id=tracking_id,
                    transfer_id=entry.transfer_id,
                )

    def _delete(self, transfer: Transfer, state: str) -> None:
        transfer.state = state
        # Content of a transfer may be being downloaded or checked: deleted, never recycled.
        for stored in transfer.files.values():
            if stored.path is not None:
                stored.path.unlink(missing_ok=True)
                stored.path = None
        if transfer.directory is not None:
            shutil.rmtree(transfer.directory, ignore_errors=True)
        transfer.processed.set()

    def admin_delete(self, tracking_id: str) -> Transfer:
        transfer = self._transfer(tracking_id)
        if transfer.state not in DELETED_STATES:
            self._delete(transfer, "DELETED_BY_ADMIN")
        return transfer

    def expire(self, tracking_id: str) -> Transfer:
        """Move the expiration date into the past; the cleanup task deletes it later."""
        transfer = self._transfer(tracking_id)
        transfer.expires_at = now() - timedelta(seconds=1)
        transfer.settings["expirationDate"] = iso(transfer.expires_at)
        return transfer

    def cleanup(self) -> list[str]:
        """The cleanup task: expired ACTIVE transfers become DELETED_BY_EXPIRATION."""
        moment = now()
        expired = [
            t for t in self.transfers.values() if t.state == "ACTIVE" and t.expires_at <= moment
        ]
        for transfer in expired:
            self._delete(transfer, "DELETED_BY_EXPIRATION")
            if transfer.settings["sendDownloadSummary"]:
                lang = transfer.settings["senderLanguage"]
                self.deliver(
                    kind="download_summary",
                    to=transfer.email,
                    language=language_of(lang),
                    subject=text("summary_subject", lang, tracking_id=transfer.tracking_id),
                    body=text("summary_body", lang, tracking_id=transfer.tracking_id),
                    tracking_id=transfer.tracking_id,
                )
        return [t.tracking_id for t in expired]

    def _transfer(self, tracking_id: str) -> Transfer:
        transfer = self.transfers.get(tracking_id)
        if transfer is None:
            raise KeyError(f"no transfer {tracking_id}")
        return transfer

    def seed_transfers(
        self, sender: str, count: int, *, recipients: Iterable[str], state: str
    ) -> list[str]:
        """Add ``count`` finished transfers without files, cheaply (for list benchmarks)."""
        mails = list(recipients)
        created = []
        for _ in range(count):
            tracking_id = new_tracking_id()
            while tracking_id in self.transfers or tracking_id in self.sessions:
                tracking_id = new_tracking_id()
            expiration = now() + timedelta(days=self.config.default_expiration_days)
            settings: dict[str, Any] = {
                "sender": {},
                "expirationDate": iso(expiration),
                "fileChecksumAlgorithm": self.config.checksum_algorithm,
                "notificationMessage": {"subject": "", "body": ""},
                "senderLanguage": "en",
                "recipientLanguage": "en",
                "securityMode": {
                    "name": "ONE_TIME_PASSWORD",
                    "config": {"passwordMode": "GENERATED"},
                },
                "sendDownloadNotifications": False,
                "sendDownloadSummary": False,
                "sendRecipientNotification": False,
                "sendUploadSummary": False,
                "showFileNames": True,
                "showZipFileContent": False,
                "classificationId": None,
                "confidentialMessageFileId": None,
            }
            transfer = self._add_transfer(
                tracking_id=tracking_id,
                email=sender,
                token="",
                settings=settings,
                recipients={"to": mails, "cc": [], "bcc": []},
                files={},
                password=generate_password(),
                directory=None,
                state=state,
            )
            transfer.processed.set()
            created.append(tracking_id)
        return created

    # -- lists ---------------------------------------------------------------------------

    def sent(self, email: str, active: bool | None) -> list[Transfer]:
        """This sender's transfers, newest first."""
        return _filtered(self._by_sender.get(key(email), []), active)

    def received(self, email: str, active: bool | None) -> list[Transfer]:
        """Transfers with this address among the recipients, newest first."""
        return _filtered(self._by_recipient.get(key(email), []), active)

    # -- recipient side ------------------------------------------------------------------

    def recipient_transfer(
        self, transfer_id: str, password: str | None
    ) -> tuple[Transfer, RecipientEntry]:
        """Resolve a recipient's transfer id and check the password.

        Deleted, or past its expiry (cleaned up or not): 410/2006. Not (yet) available
        (PROCESSING, FAILED): 404/2003. Locked by an administrator: 403/2005. No
        password: 401/3003, not counted (a client asking before it knows the password is
        no attack). Wrong password: 401/3003, counted; the last allowed failure deletes
        the transfer (DELETED_BY_SECURITY). Password mode NONE needs no password.
        """
        found = self._by_transfer_id.get(transfer_id)
        if found is None:
            raise ApiError.not_found("transfer")
        transfer, entry = found
        if transfer.state in DELETED_STATES or transfer.expires_at <= now():
            raise ApiError.deleted()
        if transfer.state != "ACTIVE":
            raise ApiError.not_found("transfer (not available)")
        if transfer.locked:
            raise ApiError(403, 2005)
        if transfer.password_mode != "NONE" and password != transfer.password:
            if password is None:
                raise ApiError(401, 3003, "A password is required for this transfer.")
            transfer.wrong_passwords += 1
            if transfer.wrong_passwords >= self.config.max_wrong_passwords:
                self._delete(transfer, "DELETED_BY_SECURITY")
            raise ApiError(401, 3003)
        return transfer, entry

    def set_locked(self, tracking_id: str, locked: bool) -> Transfer:
        """Lock (or unlock) a transfer as an administrator would: recipients get 403/2005."""
        transfer = self._transfer(tracking_id)
        transfer.locked = locked
        return transfer

    def record_view(self, tracking_id: str, recipient: str, file_id: str) -> None:
        """A recipient viewed a file in the Web App's content viewer (``VIEWED``)."""
        transfer = self._transfer(tracking_id)
        entry = next((e for e in transfer.entries if key(e.mail) == key(recipient)), None)
        if entry is None or file_id not in transfer.files:
            raise KeyError(f"no recipient {recipient!r} or file {file_id!r} in {tracking_id}")
        entry.downloads.setdefault(file_id, []).append(Download(now(), "VIEWED"))

    def record_download(
        self, transfer: Transfer, entry: RecipientEntry, stored: StoredFile
    ) -> None:
        entry.downloads.setdefault(stored.id, []).append(Download(now()))
        if transfer.settings["sendDownloadNotifications"]:
            lang = transfer.settings["senderLanguage"]
            self.deliver(
                kind="download_notification",
                to=transfer.email,
                language=language_of(lang),
                subject=text("download_subject", lang, tracking_id=transfer.tracking_id),
                body=text("download_body", lang, recipient=entry.mail, name=stored.name),
                tracking_id=transfer.tracking_id,
                transfer_id=entry.transfer_id,
            )

    def eml_subject(self, transfer: Transfer, language: str) -> str:
        """The EML's subject: the notification's custom subject, else the standard one."""
        custom: str = transfer.settings["notificationMessage"].get("subject") or ""
        sender = transfer.settings["sender"].get("name") or transfer.email
        return custom or text("notification_subject", language, sender=sender)

    def checksum_algorithm(self, transfer: Transfer) -> str:
        algorithm: str = transfer.settings["fileChecksumAlgorithm"]
        return display_name(algorithm) if hash_name(algorithm) else algorithm


def _file_list(transfer: Transfer, language: str) -> str:
    """The notification's list of files: names only if ``showFileNames``, and the entries
    of ZIP files only if ``showZipFileContent`` too; empty otherwise."""
    settings = transfer.settings
    if not settings["showFileNames"]:
        return ""
    lines = ["", text("files_heading", language)]
    for stored in transfer.files.values():
        if stored.state != "ACTIVE":
            continue
        lines.append(f"- {stored.name}")
        if settings["showZipFileContent"] and stored.path is not None:
            lines.extend(f"  - {member}" for member in _zip_members(stored.path))
    return "\n".join(lines)


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return []  # not a ZIP archive (whatever its name)


def _filtered(transfers: list[Transfer], active: bool | None) -> list[Transfer]:
    if active is None:
        return transfers[::-1]
    return [t for t in reversed(transfers) if (t.state == "ACTIVE") is active]
