"""The ``cryptshare-async`` command line: send, track, list and download transfers.

Commands: ``verify``, ``send``, ``status``, ``wait``, ``revoke``, ``sent``, ``received``,
``download`` and ``demo`` (a whole transfer against a local emulator). Run
``cryptshare-async --help`` or ``cryptshare-async COMMAND --help`` for the options.

Example::

    from cryptshare_async.cli import main

    raise SystemExit(main(["demo", "--size-mib", "1"]))
"""

from ._main import main

__all__ = ["main"]
