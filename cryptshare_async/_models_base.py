"""Building blocks shared by the model modules: the ``raw`` field, secret reprs, checks.

Field metadata understood by the converter (see ``_converter.py``):

* ``WIRE``: the JSON key, when it is not the camelCase form of the attribute name.
* ``NEST``: the value sits one object deeper, under this key
  (``{"apiVersions": {"uiApiVersions": [...]}}``).
* ``ABSENT``: the value to read when the key is missing from the JSON, for the few
  fields whose constructor default is not ``None`` (a missing key is never turned into
  an invented value).

Models spell their ``raw`` and secret attributes out with ``attrs.field`` (no helper
function) so that the attrs mypy plugin sees ``init=False`` and required arguments::

    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)
    token: str = field(repr=mask_secret)

Example::

    >>> from attrs import define, field
    >>> @define(frozen=True)
    ... class Example:
    ...     token: str = field(repr=mask_secret)
    >>> Example("abc")
    Example(token='***')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from ._errors import InvalidInputError

__all__ = [
    "ABSENT",
    "EMPTY_RAW",
    "NEST",
    "WIRE",
    "JsonView",
    "aware_datetime",
    "mask_secret",
    "str_tuple",
]

WIRE: Final = "cryptshare_wire"
NEST: Final = "cryptshare_nest"
ABSENT: Final = "cryptshare_absent"


class JsonView(Mapping[str, Any]):
    """A read-only view of a JSON object the server sent (a model's ``raw``).

    Unlike :class:`types.MappingProxyType` it pickles, so models (and the errors that
    carry them) can cross process boundaries.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"JsonView({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsonView, (dict(self._data),))


EMPTY_RAW: Final[Mapping[str, Any]] = JsonView({})


def mask_secret(value: object) -> str:
    """Repr of a secret: ``'***'`` when set, so a repr shows presence but not content."""
    return "None" if value is None else "'***'"


def aware_datetime(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a ``datetime`` must carry a UTC offset (``None``/``UNSET`` pass)."""
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise InvalidInputError(
            f"{type(instance).__name__}.{attribute.name} must be a timezone-aware datetime "
            "(a naive datetime has no defined instant); "
            "use e.g. datetime.now(timezone.utc) or .astimezone()"
        )


def str_tuple(value: Sequence[str]) -> tuple[str, ...]:
    """attrs converter: a sequence of strings as a tuple; a bare ``str`` is refused.

    A bare string is a sequence of characters, which is never what a caller means.
    """
    if isinstance(value, str):
        raise InvalidInputError("expected a sequence of strings, got a single str")
    return tuple(value)
