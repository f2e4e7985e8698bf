"""The ``fields`` selection of the polling endpoints: parse it, apply it to a JSON item.

Names match case-insensitively; a name the item does not have selects nothing. A selection
of a list applies to each element.

Example::

    >>> sel = parse_fields("trackingId, status(state, sender(email))")
    >>> project({"trackingId": "t", "status": {"state": "ACTIVE", "warnings": False,
    ...          "sender": {"email": "a@x", "notificationFailed": False}}}, sel)
    {'trackingId': 't', 'status': {'state': 'ACTIVE', 'sender': {'email': 'a@x'}}}
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["DEFAULT_FIELDS", "Selection", "parse_fields", "project"]

#: Selected name (lower-cased) → nested selection, or ``None`` for "the whole value".
Selection = dict[str, "Selection | None"]

DEFAULT_FIELDS: Final = "trackingId, status(sender(email), recipients, state), transfer(recipients)"

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(),]))")


def parse_fields(text: str) -> Selection:
    """Parse ``a, b(c, d(e))``; ``ValueError`` on malformed input."""
    tokens: list[str] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None:
            raise ValueError(f"unexpected character at position {pos}")
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()
    selection, index = _parse_list(tokens, 0)
    if index != len(tokens):
        raise ValueError("unbalanced parentheses")
    return selection


def _parse_list(tokens: list[str], index: int) -> tuple[Selection, int]:
    result: Selection = {}
    while True:
        if index >= len(tokens) or tokens[index] in "(),":
            raise ValueError("a field name was expected")
        name = tokens[index].lower()
        index += 1
        nested: Selection | None = None
        if index < len(tokens) and tokens[index] == "(":
            nested, index = _parse_list(tokens, index + 1)
            if index >= len(tokens) or tokens[index] != ")":
                raise ValueError("unbalanced parentheses")
            index += 1
        previous = result.get(name, {})
        if previous is None or nested is None:
            result[name] = None
        else:
            result[name] = {**previous, **nested}
        if index < len(tokens) and tokens[index] == ",":
            index += 1
            continue
        return result, index


def project(value: Any, selection: Selection | None) -> Any:
    """Keep only the selected parts of ``value`` (a dict, a list of dicts, or a scalar)."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [project(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        lowered = key.lower()
        if lowered in selection:
            out[key] = project(item, selection[lowered])
    return out
