"""The command line's exit statuses, one per outcome a script may want to act on.

====  ==========================================================================
0     done
1     failed (one ``error:`` line on stderr, often with a ``hint:``)
2     usage: a wrong or missing option, argument or setting (nothing was sent)
3     the sender is not verified (``verify --status``, or a command refused for it)
4     sent (or waited for), but the wait for ACTIVE timed out: the transfer exists
130   interrupted (Ctrl-C; a transfer being sent is cleaned up first)
====  ==========================================================================

Example::

    if main(["verify", "--status"]) == EXIT_NOT_VERIFIED:
        main(["verify"])
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_VERIFIED",
    "EXIT_OK",
    "EXIT_STATUS_HELP",
    "EXIT_USAGE",
    "EXIT_WAIT_TIMEOUT",
]

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_VERIFIED: Final = 3
EXIT_WAIT_TIMEOUT: Final = 4
EXIT_INTERRUPTED: Final = 130

#: The exit statuses as ``--help`` lists them.
EXIT_STATUS_HELP: Final = f"""\
exit status:
  {EXIT_OK}    done
  {EXIT_FAILURE}    failed (one "error:" line on stderr; with --json, one JSON document)
  {EXIT_USAGE}    usage error: a wrong or missing option, argument or setting
  {EXIT_NOT_VERIFIED}    the sender is not verified (verify --status, or a refused command)
  {EXIT_WAIT_TIMEOUT}    the transfer was sent (or exists), but the wait for ACTIVE timed out
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C; a transfer being sent is cleaned up first)
"""
