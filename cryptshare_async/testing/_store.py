"""The emulator's state and every rule that changes it. No HTTP here.

Handlers parse requests and render responses; the store decides. Every method either
returns the affected record or raises :class:`ApiError` with the spec's status and code.
The rules live in one module per concern: :mod:`._verification`, :mod:`._sessions`,
:mod:`._transfers` (lifecycle and lists, with :mod:`._notices`), :mod:`._recipients`;
the shared state in :mod:`._store_base`.

Example::

    >>> import tempfile, pathlib
    >>> from cryptshare_async.testing import EmulatorConfig
    >>> store = Store(EmulatorConfig(), pathlib.Path(tempfile.mkdtemp()), {"c" * 50})
    >>> token = store.token_by_client_id("a@example.org", "c" * 50)
    >>> store.authenticate(token.value, "a@example.org", "c" * 50) is token
    True
"""

from __future__ import annotations

from ._recipients import Recipients
from ._sessions import Sessions
from ._store_base import key
from ._verification import Verification

__all__ = ["Store", "key"]


class Store(Verification, Sessions, Recipients):
    """All sessions, transfers, tokens and codes of one emulator."""
