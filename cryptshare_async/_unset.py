"""The ``UNSET`` sentinel: "leave this field alone" in PATCH bodies.

``None`` is a value (sent as JSON ``null``); ``UNSET`` means "not given", and the
field is left out of the body altogether.

Example::

    >>> from cryptshare_async._unset import UNSET, Unset
    >>> UNSET
    UNSET
    >>> bool(UNSET), UNSET is Unset()
    (False, True)
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, TypeVar, final

from . import _public

__all__ = ["UNSET", "Settable", "Unset"]

T = TypeVar("T")


@final
class Unset:
    """The type of :data:`UNSET`; there is exactly one instance."""

    __slots__ = ()
    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> Unset:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Unset:
        return self

    def __reduce__(self) -> str:
        # Pickle by name, so that unpickling yields the module's singleton.
        return "UNSET"


UNSET: Final = Unset()

Settable: TypeAlias = T | Unset
"""``Settable[X]`` is ``X | Unset``: a PATCH field that may be left out."""

_public.claim(globals())
