"""Verification: codes by mail, tokens by code or whitelisted client id.

Example::

    >>> import tempfile, pathlib
    >>> from cryptshare_async.testing import EmulatorConfig
    >>> from cryptshare_async.testing._store import Store
    >>> store = Store(EmulatorConfig(), pathlib.Path(tempfile.mkdtemp()), {"c" * 50})
    >>> token = store.token_by_client_id("a@example.org", "c" * 50)
    >>> store.authenticate(token.value, "a@example.org", "c" * 50) is token
    True
"""

from __future__ import annotations

import time
from datetime import timedelta

from ._errors import ApiError
from ._i18n import text
from ._state import (
    Token,
    new_id,
    now,
)
from ._store_base import StoreBase, key

__all__ = ["Verification"]


class Verification(StoreBase):
    """Codes and tokens: a token is valid for one (email, client id) pair."""

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
