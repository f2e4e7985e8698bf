"""The one cattrs converter: snake_case models <-> the API's camelCase JSON.

Rules, all applied here and nowhere else:

* JSON keys are the camelCase form of the attribute names; a field's ``WIRE`` metadata
  names an irregular key, ``NEST`` a value one object deeper (see ``_models_base``).
* Reading is lenient: unknown keys are ignored, a missing key gives ``None`` (or the
  field's ``ABSENT`` value), an unknown enum value gives ``UNKNOWN``. Each model keeps
  the JSON object it was read from in ``raw``. Types are checked (a string where a
  boolean belongs is an error, never coerced).
* ``make_converter(strict=True)`` builds the converter the tests use: unknown keys and
  unknown enum values are errors, so that any drift between models and spec shows up.
* Date-times are read from ISO 8601 (``Z``, numeric offsets and fractional seconds
  accepted). A date-time without an offset is read as UTC: the API always sends one,
  and UTC is the only reading that does not depend on the machine this runs on.
  They are written as ``2020-10-09T11:51:46+02:00``: ``T``, a numeric offset (never
  ``Z``), seconds precision unless the microseconds are non-zero. Naive date-times are
  refused when a model is built, so they can never be sent.
* Writing drops ``None`` fields, except in PATCH bodies (models with ``UNSET``
  defaults), where ``UNSET`` fields are dropped and ``None`` is sent as ``null``.
  Enums are written as their value, tuples as lists, ``raw`` never.
* Every reading error becomes a :class:`ResponseParseError` naming the model, the JSON
  path and what was expected, never the offending value (it could be a secret). It
  chains nothing, and its text is scrubbed of the ``secrets`` the caller passes (those
  the request carried: a server may echo them, even as a JSON key).

Example::

    >>> from cryptshare_async._models import SessionFile
    >>> f = structure({"id": "a58dFp1Tr7", "fileName": "x.pdf", "state": "uploaded",
    ...                "futureKey": 1}, SessionFile)
    >>> f.file_name, f.state, f.raw["futureKey"]
    ('x.pdf', <FileState.UPLOADED: 'UPLOADED'>, 1)
    >>> unstructure(f)
    {'id': 'a58dFp1Tr7', 'fileName': 'x.pdf', 'state': 'UPLOADED'}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._enums import WireEnum
from ._errors import InvalidInputError, ResponseParseError
from ._models_base import ABSENT, NEST, WIRE, JsonView
from ._scrub import redact
from ._unset import UNSET, Unset

__all__ = [
    "converter",
    "format_datetime",
    "make_converter",
    "parse_datetime",
    "structure",
    "structure_list",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")

_MAX_PROBLEMS = 5
_set_attribute = object.__setattr__


class _ShapeError(ValueError):
    """A value of the wrong JSON type; the message says what was expected, never the value."""


# --- names -------------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON key of a model attribute (``file_name`` -> ``fileName``)."""
    key = attribute.metadata.get(WIRE)
    return key if isinstance(key, str) else _camel(attribute.name)


def _wire_key(cls: Any, name: str) -> str:
    if isinstance(cls, type) and attrs.has(cls):
        attribute = attrs.fields_dict(cls).get(name)
        if attribute is not None:
            return wire_name(attribute)
    return name


# --- date-times ------------------------------------------------------------------------------


def parse_datetime(text: object) -> datetime:
    """Read an ISO 8601 date-time; one without an offset is taken as UTC.

    Example::

        >>> parse_datetime("2020-10-09T09:51:46.5Z")
        datetime.datetime(2020, 10, 9, 9, 51, 46, 500000, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(text, str):
        raise _ShapeError("expected an ISO 8601 date-time string")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _ShapeError("expected an ISO 8601 date-time string") from None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value


def format_datetime(value: datetime) -> str:
    """Write an aware date-time as the API wants it; a naive one is refused.

    Example::

        >>> from datetime import timezone
        >>> format_datetime(datetime(2020, 10, 9, 9, 51, 46, tzinfo=timezone.utc))
        '2020-10-09T09:51:46+00:00'
    """
    if value.utcoffset() is None:
        raise InvalidInputError("a naive datetime cannot be sent: attach a timezone")
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


# --- primitives ------------------------------------------------------------------------------


def _structure_str(obj: object, _: Any) -> str:
    if isinstance(obj, str):
        return obj
    raise _ShapeError("expected a string")


def _structure_int(obj: object, _: Any) -> int:
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    raise _ShapeError("expected an integer")


def _structure_float(obj: object, _: Any) -> float:
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return float(obj)
    raise _ShapeError("expected a number")


def _structure_bool(obj: object, _: Any) -> bool:
    if isinstance(obj, bool):
        return obj
    raise _ShapeError("expected true or false")


def _structure_datetime(obj: object, _: Any) -> datetime:
    return parse_datetime(obj)


def _structure_json_object(obj: object, _: Any) -> Mapping[str, Any]:
    if isinstance(obj, Mapping):
        return JsonView(obj) if isinstance(obj, dict) else obj
    raise _ShapeError("expected a JSON object")


def _unstructure_unset(_: Unset) -> None:
    raise InvalidInputError("UNSET may only be used in PATCH bodies (TransferSessionSettings)")


# --- type predicates -------------------------------------------------------------------------


def _union_args(t: Any) -> tuple[Any, ...]:
    origin = get_origin(t)
    return get_args(t) if origin is Union or origin is UnionType else ()


def _is_settable(t: Any) -> bool:
    return Unset in _union_args(t)


def _is_optional(t: Any) -> bool:
    args = _union_args(t)
    return len(args) == 2 and NoneType in args


def _is_homogeneous_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_json_object(t: Any) -> bool:
    return get_origin(t) is Mapping


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


def _is_patch_body(cls: type) -> bool:
    return any(a.default is UNSET for a in attrs.fields(cls))


# --- the converter ---------------------------------------------------------------------------


def make_converter(*, strict: bool = False) -> Converter:
    """Build a converter with the library's rules; ``strict`` rejects unknown keys and values.

    Example::

        >>> from cryptshare_async._models import Recipient
        >>> structure({"mail": "a@example.org", "id": "x"}, Recipient,
        ...           conv=make_converter(strict=True))
        Traceback (most recent call last):
        ...
        cryptshare_async._errors.ResponseParseError: Recipient does not match ...: $: unexpected key id
    """  # noqa: E501
    conv = Converter(forbid_extra_keys=strict, detailed_validation=True)

    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(Unset, _unstructure_unset)
    conv.register_unstructure_hook(tuple, lambda value: [conv.unstructure(v) for v in value])
    conv.register_unstructure_hook(JsonView, dict)

    conv.register_structure_hook_factory(_is_json_object, lambda _: _structure_json_object)
    conv.register_unstructure_hook_factory(_is_json_object, lambda _: dict)
    # Registered by class, not by predicate: a StrEnum is a str, and class hooks win.
    conv.register_structure_hook(WireEnum, _enum_hook(strict))
    conv.register_unstructure_hook(WireEnum, _enum_value)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, lambda t: _tuple_hook(conv, t))
    conv.register_unstructure_hook_factory(
        _is_homogeneous_tuple, lambda t: _tuple_unstructure_hook(conv, t)
    )
    conv.register_structure_hook_factory(_is_optional, lambda t: _optional_hook(conv, t))
    conv.register_structure_hook_factory(_is_settable, lambda t: _settable_hook(conv, t))
    conv.register_structure_hook_factory(_is_model, lambda t: _model_hook(conv, t, strict))
    conv.register_unstructure_hook_factory(_is_model, lambda t: _model_unstructure_hook(conv, t))
    return conv


def _enum_hook(strict: bool) -> Callable[[object, type[WireEnum]], WireEnum]:
    def structure_enum(obj: object, cls: type[WireEnum]) -> WireEnum:
        if not isinstance(obj, str):
            raise _ShapeError(f"expected a {cls.__name__} string")
        member = cls.parse(obj)
        if strict and member.value == "UNKNOWN" and obj.upper() != "UNKNOWN":
            raise _ShapeError(f"expected a known {cls.__name__} value")
        return member

    return structure_enum


def _enum_value(member: WireEnum) -> str:
    return member.value


def _tuple_hook(conv: Converter, t: Any) -> Callable[[object, Any], tuple[Any, ...]]:
    item_type = get_args(t)[0]
    item_hook = conv.get_structure_hook(item_type)

    def structure_tuple(obj: object, _: Any) -> tuple[Any, ...]:
        if obj.__class__ is not list and not isinstance(obj, (list, tuple)):
            raise _ShapeError("expected a JSON array")
        try:
            return tuple([item_hook(item, item_type) for item in obj])
        except Exception:
            pass
        # Slow path, only on failure: find every bad item and say where it is.
        errors: list[Exception] = []
        for index, item in enumerate(obj):
            try:
                item_hook(item, item_type)
            except Exception as exc:
                note = IterableValidationNote(f"item {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", ()), note]
                errors.append(exc)
        raise IterableValidationError("While structuring a JSON array", errors, t)

    return structure_tuple


def _tuple_unstructure_hook(conv: Converter, t: Any) -> Callable[[tuple[Any, ...]], list[Any]]:
    item_hook = conv.get_unstructure_hook(get_args(t)[0])
    return lambda value: [item_hook(item) for item in value]


def _optional_str(obj: object, _: Any) -> str | None:
    if obj is None or obj.__class__ is str:
        return obj
    return _structure_str(obj, _)


def _optional_bool(obj: object, _: Any) -> bool | None:
    if obj is None or obj is True or obj is False:
        return obj
    raise _ShapeError("expected true or false")


def _optional_int(obj: object, _: Any) -> int | None:
    if obj is None or obj.__class__ is int:
        return obj
    return _structure_int(obj, _)


# The hot path of list pages: one call per optional primitive instead of two.
_FUSED_OPTIONAL: dict[Any, Callable[[object, Any], Any]] = {
    str: _optional_str,
    bool: _optional_bool,
    int: _optional_int,
}


def _optional_hook(conv: Converter, t: Any) -> Callable[[object, Any], Any]:
    inner = next(arg for arg in get_args(t) if arg is not NoneType)
    fused = _FUSED_OPTIONAL.get(inner)
    if fused is not None:
        return fused
    inner_hook = conv.get_structure_hook(inner)
    return lambda obj, _: None if obj is None else inner_hook(obj, inner)


def _settable_hook(conv: Converter, t: Any) -> Callable[[object, Any], Any]:
    # Present in the JSON means set: read it as the type without Unset.
    rest = tuple(arg for arg in get_args(t) if arg is not Unset)
    inner: Any = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
    inner_hook = conv.get_structure_hook(inner)
    return lambda obj, _: inner_hook(obj, inner)


def _nest_hook(conv: Converter, t: Any, key: str, strict: bool) -> Callable[[object, Any], Any]:
    inner_hook = conv.get_structure_hook(t)

    def structure_nested(obj: object, _: Any) -> Any:
        if not isinstance(obj, Mapping):
            raise _ShapeError("expected a JSON object")
        try:
            if strict and obj.keys() - {key}:
                raise ForbiddenExtraKeysError("", dict, set(obj.keys() - {key}))
            return inner_hook(obj.get(key), t)
        except Exception as exc:
            if isinstance(exc, ForbiddenExtraKeysError):
                raise
            exc.__notes__ = [*getattr(exc, "__notes__", ()), AttributeValidationNote(key, key, t)]
            raise ClassValidationError(f"While structuring {key}", [exc], dict) from None

    return structure_nested


def _model_hook(conv: Converter, cls: type, strict: bool) -> Callable[[object, Any], Any]:
    attrs.resolve_types(cls)
    overrides: dict[str, Any] = {}  # Any: cattrs types **kwargs like its bool options
    keep_raw = False
    absent: list[tuple[str, str, Any]] = []
    for a in attrs.fields(cls):
        if a.name == "raw" and not a.init:
            keep_raw = True
            overrides[a.name] = override(omit=True)
            continue
        key = wire_name(a)
        nest = a.metadata.get(NEST)
        if nest is None:
            overrides[a.name] = override(rename=key)
        else:
            overrides[a.name] = override(
                rename=key, struct_hook=_nest_hook(conv, a.type, nest, strict)
            )
        if ABSENT in a.metadata:
            absent.append((a.name, key, a.metadata[ABSENT]))
    base: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cls, conv, **overrides)

    def structure_model(obj: object, _: Any) -> Any:
        if obj.__class__ is dict:
            instance = base(obj, cls)
            if keep_raw:
                _set_attribute(instance, "raw", JsonView(obj))
        elif isinstance(obj, Mapping):
            instance = base(obj, cls)
            if keep_raw:
                _set_attribute(instance, "raw", obj)
        else:
            raise _ShapeError(f"expected a JSON object ({cls.__name__})")
        for name, key, value in absent:
            if key not in obj:
                _set_attribute(instance, name, value)
        return instance

    return structure_model


def _model_unstructure_hook(conv: Converter, cls: type) -> Callable[[Any], Any]:
    attrs.resolve_types(cls)
    patch = _is_patch_body(cls)
    overrides: dict[str, Any] = {}  # Any: cattrs types **kwargs like its bool options
    for a in attrs.fields(cls):
        if a.name == "raw" and not a.init:
            overrides[a.name] = override(omit=True)
            continue
        key = wire_name(a)
        nest = a.metadata.get(NEST)
        hook = None
        if nest is not None:
            inner = conv.get_unstructure_hook(a.type)
            hook = _nested_writer(inner, nest)
        overrides[a.name] = override(
            rename=key, unstruct_hook=hook, omit_if_default=patch and a.default is UNSET
        )
    base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, conv, **overrides)

    def unstructure_model(instance: Any) -> Any:
        if instance.__class__ is not cls:
            # Not what the field's type says (UNSET misplaced, a subclass): go by the value.
            return conv.unstructure(instance)
        written = base(instance)
        return written if patch else {k: v for k, v in written.items() if v is not None}

    return unstructure_model


def _nested_writer(inner: Callable[[Any], Any], key: str) -> Callable[[Any], Any]:
    return lambda value: None if value is None else {key: inner(value)}


converter: Converter = make_converter()
"""The production converter: lenient, built once at import."""


# --- public helpers --------------------------------------------------------------------------


def structure(
    data: Any, cls: type[T], *, conv: Converter = converter, secrets: Iterable[str] = ()
) -> T:
    """Read ``data`` (parsed JSON) as ``cls``; raise :class:`ResponseParseError` if it cannot.

    Pass the answer's ``secrets`` (:attr:`ApiResponse.secrets`): the error's text is
    scrubbed of them.

    Example::

        >>> from cryptshare_async._models import FileRegistrationResult
        >>> structure({"fileId": "a58dFp1Tr7"}, FileRegistrationResult).file_id
        'a58dFp1Tr7'
    """
    result: T = _structured(data, cls, cls.__name__, conv, secrets)
    return result


def structure_list(
    data: Any, cls: type[T], *, conv: Converter = converter, secrets: Iterable[str] = ()
) -> tuple[T, ...]:
    """Read a JSON array of ``cls`` objects as a tuple (errors as in :func:`structure`).

    Example::

        >>> from cryptshare_async._models import Recipient
        >>> structure_list([{"mail": "a@example.org"}], Recipient)
        (Recipient(mail='a@example.org'),)
    """
    target: Any = tuple[cls, ...]  # type: ignore[valid-type]
    result: tuple[T, ...] = _structured(data, target, f"list of {cls.__name__}", conv, secrets)
    return result


def _structured(data: Any, cls: Any, what: str, conv: Converter, secrets: Iterable[str]) -> Any:
    try:
        return conv.structure(data, cls)
    except StructureHandlerNotFoundError:
        raise
    except Exception as exc:
        message = _message(what, exc, frozenset(secrets))
    # Raised outside the handler, so cattrs' errors (which hold the answer's values) are
    # neither its cause nor its context.
    raise ResponseParseError(message)


def unstructure(obj: Any) -> Any:
    """Write a model (or a list of them) as JSON-ready data: camelCase, no ``UNSET``.

    Example::

        >>> from cryptshare_async._models import FileRegistration
        >>> unstructure(FileRegistration("a.pdf", 3))
        {'fileName': 'a.pdf', 'size': 3}
    """
    return converter.unstructure(obj)


# --- error messages --------------------------------------------------------------------------


def _message(what: str, exc: BaseException, secrets: frozenset[str]) -> str:
    problems = _problems(exc, "$", None, secrets)
    if len(problems) > _MAX_PROBLEMS:
        more = len(problems) - _MAX_PROBLEMS
        problems = [*problems[:_MAX_PROBLEMS], f"and {more} more"]
    return redact(f"{what} does not match the API's shape: " + "; ".join(problems), secrets)


def _problems(exc: BaseException, path: str, expected: Any, secrets: frozenset[str]) -> list[str]:
    if isinstance(exc, ClassValidationError):
        out: list[str] = []
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            out += _problems(sub, f"{path}.{_wire_key(exc.cl, note.name)}", note.type, secrets)
        for sub in without:
            out += _problems(sub, path, None, secrets)
        return out
    if isinstance(exc, IterableValidationError):
        out = []
        items, rest = exc.group_exceptions()
        for sub, item_note in items:
            out += _problems(sub, f"{path}[{item_note.index}]", item_note.type, secrets)
        for sub in rest:
            out += _problems(sub, path, None, secrets)
        return out
    return [f"{path}: {_reason(exc, expected, secrets)}"]


def _reason(exc: BaseException, expected: Any, secrets: frozenset[str]) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        # Keys come from the answer: redacted before they are cut, so none is half-cut.
        keys = sorted(redact(str(k), secrets)[:60] for k in exc.extra_fields)
        return f"unexpected key{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
    if isinstance(exc, (_ShapeError, InvalidInputError)):
        # Messages written in this package: they never contain the offending value.
        return str(exc)
    if isinstance(exc, KeyError):
        return "required field missing"
    if expected is not None:
        return f"expected {_type_name(expected)}"
    return f"invalid value ({type(exc).__name__})"


def _type_name(t: Any) -> str:
    if _is_optional(t):
        return _type_name(next(arg for arg in get_args(t) if arg is not NoneType)) + " or null"
    if _is_homogeneous_tuple(t):
        return "a JSON array"
    return getattr(t, "__name__", str(t))
