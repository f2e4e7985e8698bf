"""Transfer sessions: creation within the policy, PATCH, files, finalization.

Example::

    session = store.create_session(email, token, {"recipients": {...}}, "en")
    transfer = store.finalize(session)   # PROCESSING
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ._errors import ApiError
from ._lifecycle import FileState, TransferState
from ._patch import apply_patch
from ._rules import generate_password, validate_recipients, validate_sender
from ._state import (
    Session,
    StoredFile,
    Token,
    Transfer,
    new_id,
    new_tracking_id,
    now,
)
from ._store_base import key
from ._transfers import Transfers

__all__ = ["Sessions"]


class Sessions(Transfers):
    """Open sessions until they are finalized or deleted."""

    def create_session(
        self, email: str, token: Token, body: dict[str, Any], language: str
    ) -> Session:
        policy = self.policy_for(email)
        if not policy.sender_allowed:
            raise ApiError(403, 3010)
        recipients = validate_recipients(body.get("recipients"))
        refused = [
            m for mails in recipients.values() for m in mails if not policy.recipient_allowed(m)
        ]
        if refused:
            raise ApiError(403, 3011, "A recipient and sender combination is rejected by policy.")
        sender = validate_sender(body.get("sender") or {})
        tracking_id = new_tracking_id()
        while tracking_id in self.sessions or tracking_id in self.transfers:
            tracking_id = new_tracking_id()
        settings = self.default_settings(policy, sender, language)
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
            # A GENERATED password exists from the start: the session shows it.
            password=generate_password()
            if settings["securityMode"]["config"]["passwordMode"] == "GENERATED"
            else None,
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
        """Apply a PATCH atomically (:mod:`._patch`), within the sender's policy."""
        apply_patch(session, self.policy_for(session.email), body)

    def delete_session(self, session: Session) -> None:
        self.sessions.pop(session.tracking_id, None)
        self.recycler.discard_tree(session.directory)

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
        if total > self.policy_for(session.email).max_total_size:
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
        stored.path, stored.received, stored.state = path, size, FileState.UPLOADED

    def delete_file(self, session: Session, stored: StoredFile) -> None:
        session.files.pop(stored.id, None)
        self.recycler.discard(stored.path)
        if session.settings.get("confidentialMessageFileId") == stored.id:
            session.settings["confidentialMessageFileId"] = None

    def finalize(self, session: Session) -> Transfer:
        if not session.files:
            raise ApiError.rule_violation("The transfer session has no file.")
        empty = [f.name for f in session.files.values() if f.path is None]
        if empty:
            raise ApiError.rule_violation(f"The file {empty[0]!r} has no content.")
        if datetime.fromisoformat(session.settings["expirationDate"]) <= now():
            raise ApiError.rule_violation("The expiration date is in the past.")
        self._check_policy_at_finalize(session)
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
            state=TransferState.PROCESSING,
        )
        return transfer

    def _check_policy_at_finalize(self, session: Session) -> None:
        """What only the whole session can show: size, password mode, message (409/2001)."""
        policy = self.policy_for(session.email)
        if sum(f.size for f in session.files.values()) > policy.max_total_size:
            raise ApiError.rule_violation("The maximum total size of the transfer is exceeded.")
        mode = session.settings["securityMode"]["config"]["passwordMode"]
        if mode not in policy.allowed_password_modes:
            raise ApiError.rule_violation(f"The policy does not allow password mode {mode}.")
        if mode == "MANUAL" and not session.password:
            raise ApiError.rule_violation("Password mode MANUAL requires a password.")
        has_message = session.settings.get("confidentialMessageFileId") is not None
        if policy.confidential_message_required and not has_message:
            raise ApiError.rule_violation("The policy requires a confidential message.")
