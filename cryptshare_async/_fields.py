"""The ``fields`` selection of the polling endpoints, built from a structure and rendered.

The server's syntax is a comma-separated list of names, each optionally followed by a
parenthesised selection of its own fields::

    trackingId, status(state), transfer(recipients(to, cc), expirationDate)

:class:`Fields` describes such a selection in Python. Names may be written as this
library's attribute names (``tracking_id``, ``expiration_date``) or as the wire's
camelCase names (``trackingId``); both render camelCase. When a :class:`Fields` is
used for a listing it is checked against the list item model
(:class:`~cryptshare_async.TransferListItem`), so a typo fails before anything is sent.

A raw string is accepted too and checked for syntax only (names are sent as written):
that is the escape hatch for fields newer than this library.

Example::

    >>> selection = Fields(
    ...     "tracking_id",
    ...     status=["state"],
    ...     transfer=Fields("expiration_date", recipients=["to", "cc"]),
    ... )
    >>> render_fields(selection)
    'trackingId, status(state), transfer(expirationDate, recipients(to, cc))'
    >>> render_fields("trackingId,status( state )")
    'trackingId, status(state)'
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, Final, TypeAlias, Union

import attrs

from . import _public
from ._converter import wire_name
from ._errors import InvalidInputError
from ._models_base import NEST

__all__ = ["Fields", "FieldsLike", "render_fields", "render_fields_with"]

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN: Final = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(),]))\s*")

#: What a ``fields=`` argument accepts: a :class:`Fields`, a raw selection string, or a
#: flat sequence of top-level names.
FieldsLike: TypeAlias = Union["Fields", str, Sequence[str]]

#: What a nested selection in a :class:`Fields` keyword accepts.
NestedLike: TypeAlias = Union["Fields", str, Sequence[str]]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Fields:
    """An immutable ``fields`` selection.

    Positional arguments select whole values; keyword arguments select a nested value
    restricted to the given sub-selection (a :class:`Fields`, a list of names, or one
    name). The order given is the order rendered.

    Example::

        >>> str(Fields("tracking_id", status=Fields("state", sender=["email"])))
        'trackingId, status(state, sender(email))'
    """

    __slots__ = ("_items", "_raw")

    _items: tuple[tuple[str, Fields | None], ...]
    _raw: bool

    def __init__(self, *names: str, **nested: NestedLike) -> None:
        items: list[tuple[str, Fields | None]] = []
        for name in names:
            items.append((_check_name(name), None))
        for name, sub in nested.items():
            items.append((_check_name(name), _nested(name, sub)))
        self._items = _without_duplicates(items)
        self._raw = False
        if not self._items:
            raise InvalidInputError("a fields selection must name at least one field")

    @classmethod
    def parse(cls, text: str) -> Fields:
        """Read the server syntax; names are kept exactly as written (no model check).

        Raises :class:`~cryptshare_async.InvalidInputError` on malformed text.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"fields must be a str, got {type(text).__name__}")
        tokens = _tokenise(text)
        selection, index = _parse_list(tokens, 0, text)
        if index != len(tokens):
            raise InvalidInputError(f"fields {text!r}: unexpected {tokens[index]!r}")
        return selection

    @classmethod
    def _build(cls, items: list[tuple[str, Fields | None]], *, raw: bool) -> Fields:
        built = cls.__new__(cls)
        built._items = _without_duplicates(items)
        built._raw = raw
        return built

    def __iter__(self) -> Iterator[tuple[str, Fields | None]]:
        """Each selected name with its nested selection (``None``: the whole value)."""
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fields):
            return NotImplemented
        return self._items == other._items and self._raw == other._raw

    def __hash__(self) -> int:
        return hash((self._items, self._raw))

    def __repr__(self) -> str:
        return f"Fields.parse({self.render()!r})" if self._raw else f"Fields<{self.render()}>"

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The selection in the server's syntax (structured names in camelCase)."""
        parts = []
        for name, sub in self._items:
            wire = name if self._raw else _camel(name)
            parts.append(wire if sub is None else f"{wire}({sub.render()})")
        return ", ".join(parts)


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputError(
            f"field name {name!r} must be a name such as 'tracking_id' or 'trackingId'"
        )
    return name


def _nested(name: str, value: object) -> Fields:
    if isinstance(value, Fields):
        return value
    if isinstance(value, str):
        return Fields(value)
    if isinstance(value, Sequence):
        return Fields(*value)
    raise InvalidInputError(
        f"the selection for {name!r} must be a Fields, a name or a list of names,"
        f" got {type(value).__name__}"
    )


def _without_duplicates(
    items: list[tuple[str, Fields | None]],
) -> tuple[tuple[str, Fields | None], ...]:
    seen: set[str] = set()
    for name, _ in items:
        key = _camel(name).lower()
        if key in seen:
            raise InvalidInputError(f"field {name!r} is selected twice")
        seen.add(key)
    return tuple(items)


# ---------------------------------------------------------------- raw syntax


def _tokenise(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidInputError(
                f"fields {text!r}: unexpected character {text[position]!r} at {position}"
            )
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    if not tokens:
        raise InvalidInputError("fields must not be empty")
    return tokens


def _parse_list(tokens: list[str], index: int, text: str) -> tuple[Fields, int]:
    items: list[tuple[str, Fields | None]] = []
    while True:
        if index >= len(tokens) or tokens[index] in "(),":
            raise InvalidInputError(f"fields {text!r}: a field name is missing")
        name = tokens[index]
        index += 1
        sub: Fields | None = None
        if index < len(tokens) and tokens[index] == "(":
            sub, index = _parse_list(tokens, index + 1, text)
            if index >= len(tokens) or tokens[index] != ")":
                raise InvalidInputError(f"fields {text!r}: a ')' is missing")
            index += 1
        items.append((name, sub))
        if index < len(tokens) and tokens[index] == ",":
            index += 1
            continue
        return Fields._build(items, raw=True), index


# ---------------------------------------------------------------- model check


@attrs.frozen
class _Node:
    """The selectable fields of one model: wire name → node (``None``: a plain value)."""

    children: Mapping[str, _Node | None]
    #: lower-cased wire name or camelCased attribute name → wire name
    aliases: Mapping[str, str]
    model: str


def _attrs_class(annotation: Any) -> type | None:
    """The attrs class inside ``X | None`` or ``tuple[X, ...]``, if there is one."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType) or origin is tuple:
        for arg in typing.get_args(annotation):
            found = _attrs_class(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and attrs.has(annotation):
        return annotation
    return None


@cache
def _node_for(cls: type) -> _Node:
    hints = typing.get_type_hints(cls)
    children: dict[str, _Node | None] = {}
    aliases: dict[str, str] = {}
    for attribute in attrs.fields(cls):
        if attribute.name == "raw":
            continue
        if NEST in attribute.metadata:
            continue  # not part of any list item
        wire = wire_name(attribute)
        nested = _attrs_class(hints.get(attribute.name))
        children[wire] = _node_for(nested) if nested is not None else None
        aliases[wire.lower()] = wire
        aliases.setdefault(_camel(attribute.name).lower(), wire)
    return _Node(children=children, aliases=aliases, model=cls.__name__)


def _list_item_node() -> _Node:
    from ._models import TransferListItem

    return _node_for(TransferListItem)


def _render_checked(selection: Fields, node: _Node, path: str) -> str:
    """Check ``selection`` against ``node`` and render it with the model's wire names."""
    parts = []
    for name, sub in selection:
        wire = node.aliases.get(_camel(name).lower())
        where = f"{path}.{name}" if path else name
        if wire is None:
            hint = difflib.get_close_matches(_camel(name), list(node.children), n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            known = ", ".join(sorted(node.children))
            raise InvalidInputError(
                f"fields: {where!r} is not a field of {node.model} ({known}){suggestion}"
                " (pass a raw string to select fields this library does not know)"
            )
        child = node.children[wire]
        if sub is None:
            parts.append(wire)
            continue
        if child is None:
            raise InvalidInputError(f"fields: {where!r} has no fields to select from")
        inner = sub.render() if sub._raw else _render_checked(sub, child, where)
        parts.append(f"{wire}({inner})")
    return ", ".join(parts)


def render_fields(value: FieldsLike) -> str:
    """Validate a ``fields=`` argument and render it in the server's syntax.

    A :class:`Fields` (or a sequence of names) is checked against the list item model;
    a raw string is checked for syntax only and normalised (spaces after commas).

    Example::

        >>> render_fields(["tracking_id", "status"])
        'trackingId, status'
    """
    if isinstance(value, str):
        return Fields.parse(value).render()
    if isinstance(value, Fields):
        selection = value
    elif isinstance(value, Sequence):
        selection = Fields(*value)
    else:
        raise InvalidInputError(
            f"fields must be a Fields, a str or a list of names, got {type(value).__name__}"
        )
    if selection._raw:
        return selection.render()
    return _render_checked(selection, _list_item_node(), "")


def render_fields_with(value: FieldsLike, name: str) -> tuple[str, bool]:
    """Like :func:`render_fields`, with the top-level field ``name`` (a wire name) made sure
    of: ``(rendered, added)``, where ``added`` says it was not selected and was put first.

    Names match case-insensitively, as the server matches them, so a raw ``trackingid``
    counts. A listing uses it to always get the tracking id it de-duplicates by, and
    removes the added field from the items again.

    Example::

        >>> render_fields_with(["status"], "trackingId")
        ('trackingId, status', True)
        >>> render_fields_with("trackingid, status(state)", "trackingId")
        ('trackingid, status(state)', False)
    """
    rendered = render_fields(value)
    selected = {selected.lower() for selected, _ in Fields.parse(rendered)}
    if name.lower() in selected:
        return rendered, False
    return f"{name}, {rendered}", True


_public.claim(globals())
