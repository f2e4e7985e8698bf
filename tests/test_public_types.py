"""Public signatures mention public types only, and ``Any`` only for raw JSON.

Walks every name in ``__all__`` (both packages): functions, and for classes their public
methods, properties and annotated attributes, through ``typing.get_type_hints``. A type
from a private module (``cryptshare_async._x``) that the package does not export is a
leak: the user can reach it but not name, import or look it up.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterator

import pytest

import cryptshare_async
import cryptshare_async.testing

PACKAGES = [cryptshare_async, cryptshare_async.testing]

#: Dunder methods that are part of a class's public signature.
PUBLIC_DUNDERS = frozenset({"__init__", "__call__", "__aenter__", "__aexit__", "__aiter__"})

#: Where ``Any`` stands for raw JSON (what the server sent or what goes on the wire).
RAW_JSON = frozenset(
    {
        "raw",  # every model's untouched JSON object
        "ApiRequest.json",
        "ApiRequest.__init__:json",
        "PasswordRule.details",
        "PasswordRule.__init__:details",
        "PolicySecurityMode.config",
        "PolicySecurityMode.__init__:config",
        "Pager.__init__:fetch",  # the raw items of a page, structured by `structure`
        "Pager.__init__:structure",
        "Pager.__init__:key",
        "MockTransport.__init__:handler",
        "json_response:document",
        "FaultRule.to_json:return",
        "OutboxMessage.to_json:return",
        "RecordedRequest.to_json:return",
        "RecordedRequest.json",
        "RecordedRequest.__init__:json",
        "Emulator.client_logs:return",
    }
)

#: Known and accepted, with the reason.
ACCEPTED = {
    # Made by the library only (client.sender(), client.recipient_transfer(),
    # sender.open_session()): the constructor takes the client's private protocol.
    "Sender.__init__:client": "cryptshare_async._requester.Requester",
    "RecipientTransfer.__init__:client": "cryptshare_async._requester.Requester",
    "SessionScope.__init__:plan": "cryptshare_async._send_plan.SendPlan",
    # The upload-source protocol (issue 13 item 5 reworks the sources): what open()
    # returns and what ChecksumAlgorithm.new() gives are not public yet.
    "BytesSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "FileSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "StreamSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "UploadSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "ChecksumAlgorithm.new:return": "cryptshare_async._upload._hashing.Hasher",
    "BytesSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    "FileSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    "StreamSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    "UploadSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    "FileObjectSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "FileObjectSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    "SpooledSource.open:return": "cryptshare_async._upload._sources.OpenedSource",
    "SpooledSource.aopen:return": "cryptshare_async._upload._sources.OpenedSource",
    # Made by spool() only: the pre-pass the spooling already computed.
    "SpooledSource.__init__:pre_pass": "cryptshare_async._upload._hashing.PrePass",
    # The emulator's fault and policy machinery, seen by its own dispatch only.
    "FaultRule.action:return": "cryptshare_async.testing._fault_actions.FaultAction",
    "TransferPolicy.for_sender:return": "cryptshare_async.testing._policy.EffectivePolicy",
    # The emulator's in-memory state, which the package's own tests inspect: exporting it
    # would publish the whole emulator model (sessions, tokens, stored files).
    "Emulator.store:return": "cryptshare_async.testing._store.Store",
}


def _namespace() -> dict[str, object]:
    """Every class and capitalised name of every module: what string annotations use."""
    names: dict[str, object] = {}
    for info in pkgutil.walk_packages(cryptshare_async.__path__, "cryptshare_async."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for key, value in vars(module).items():
            if isinstance(value, type) or key[:1].isupper():
                names.setdefault(key, value)
    for package in PACKAGES:
        names.update({name: getattr(package, name) for name in package.__all__})
    return names


NAMESPACE = _namespace()
EXPORTED = {id(getattr(p, name)) for p in PACKAGES for name in p.__all__}


def _types(annotation: object) -> Iterator[object]:
    if annotation is typing.Any:
        yield annotation
        return
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is not None:
        yield origin
    if args or origin is not None:
        for arg in args:
            yield from _types(list(arg) if isinstance(arg, list) else arg)
    elif isinstance(annotation, list):
        for item in annotation:
            yield from _types(item)
    elif isinstance(annotation, type):
        yield annotation


def _private(cls: object) -> bool:
    module = getattr(cls, "__module__", "")
    parts = module.split(".")
    return parts[0] == "cryptshare_async" and any(part.startswith("_") for part in parts)


def _hints(obj: Callable[..., object]) -> dict[str, object]:
    scope = {**NAMESPACE, **getattr(obj, "__globals__", {})}
    return typing.get_type_hints(obj, globalns=scope, localns=NAMESPACE)


def _signatures() -> Iterator[tuple[str, dict[str, object]]]:
    for package in PACKAGES:
        for name in package.__all__:
            value = getattr(package, name)
            if inspect.isfunction(value):
                yield name, _hints(value)
            if not isinstance(value, type):
                continue
            attributes = typing.get_type_hints(value, globalns=NAMESPACE, localns=NAMESPACE)
            yield name, {k: v for k, v in attributes.items() if not k.startswith("_")}
            for attribute, _ in inspect.getmembers(value):
                if attribute.startswith("_") and attribute not in PUBLIC_DUNDERS:
                    continue
                member = inspect.getattr_static(value, attribute)
                if isinstance(member, property):
                    member = member.fget
                elif isinstance(member, staticmethod | classmethod):
                    member = member.__func__
                if inspect.isfunction(member) and member.__module__.startswith("cryptshare_async"):
                    yield f"{name}.{attribute}", _hints(member)


def _problems() -> dict[str, str]:
    found: dict[str, str] = {}
    for where, hints in _signatures():
        for parameter, annotation in hints.items():
            key = f"{where}.{parameter}" if _is_attribute(where) else f"{where}:{parameter}"
            for cls in _types(annotation):
                if cls is typing.Any:
                    if parameter == "raw" or key in RAW_JSON:
                        continue
                    found[key] = "Any"
                elif _private(cls) and id(cls) not in EXPORTED:
                    found[key] = (
                        f"{getattr(cls, '__module__', '')}.{getattr(cls, '__qualname__', '')}"
                    )
    return found


def _is_attribute(where: str) -> bool:
    # A class's own annotations are yielded under the bare class name.
    return "." not in where and isinstance(
        getattr(cryptshare_async, where, getattr(cryptshare_async.testing, where, None)), type
    )


def test_public_signatures_mention_only_public_types() -> None:
    problems = _problems()
    unexpected = {k: v for k, v in problems.items() if ACCEPTED.get(k) != v}
    assert unexpected == {}


def test_the_accepted_list_has_no_stale_entries() -> None:
    problems = _problems()
    assert {k for k in ACCEPTED if problems.get(k) != ACCEPTED[k]} == set()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CryptshareClient.transport:return", "Transport"),
        ("Recipient.mail", "str"),
        ("TransferSession.upload:return", "UploadedFile"),
    ],
)
def test_the_walk_sees_methods_properties_and_attributes(where: str, expected: str) -> None:
    seen: dict[str, object] = {}
    for owner, hints in _signatures():
        for parameter, annotation in hints.items():
            key = f"{owner}.{parameter}" if _is_attribute(owner) else f"{owner}:{parameter}"
            seen[key] = annotation
    assert getattr(seen[where], "__name__", None) == expected


def test_the_walk_would_see_a_private_type() -> None:
    from cryptshare_async._requester import Requester

    assert _private(Requester) and id(Requester) not in EXPORTED
    assert not _private(cryptshare_async.Transport)
    assert set(_types(dict[str, typing.Any])) == {dict, str, typing.Any}


def test_session_settings_are_the_settings_a_send_takes() -> None:
    from cryptshare_async._send_plan import SETTING_NAMES

    hints = typing.get_type_hints(cryptshare_async.SessionSettings)
    assert tuple(hints) == SETTING_NAMES
    assert cryptshare_async.SessionSettings.__optional_keys__ == frozenset(SETTING_NAMES)
