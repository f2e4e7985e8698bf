"""The API enums: members, lenient parsing, strict construction, state properties."""

from __future__ import annotations

from enum import StrEnum

import pytest

from cryptshare_async._enums import (
    FileState,
    PasswordMode,
    RetrievalMethod,
    SecurityModeName,
    TransferState,
    VerificationMethod,
    WireEnum,
)

ALL = [
    FileState,
    PasswordMode,
    RetrievalMethod,
    SecurityModeName,
    TransferState,
    VerificationMethod,
]


@pytest.mark.parametrize("cls", ALL)
def test_every_enum_is_a_str_enum_with_unknown(cls: type[WireEnum]) -> None:
    assert issubclass(cls, StrEnum)
    assert cls.parse("UNKNOWN").name == "UNKNOWN"
    assert cls.parse("no such value, surely") is cls.parse("UNKNOWN")
    for member in cls:
        assert member.value == member.name
        assert cls.parse(member.value.lower()) is member
        assert str(member) == member.value


def test_member_lists_are_the_api_s() -> None:
    assert [m.name for m in TransferState] == [
        "PROCESSING",
        "ACTIVE",
        "FAILED",
        "DELETED_BY_REVOCATION",
        "DELETED_BY_EXPIRATION",
        "DELETED_BY_ADMIN",
        "DELETED_BY_SECURITY",
        "PENDING",
        "UNKNOWN",
    ]
    assert [m.name for m in FileState] == [
        "INITIALIZED",
        "UPLOADED",
        "ACTIVE",
        "REMOVED",
        "UNKNOWN",
    ]
    assert [m.name for m in PasswordMode] == ["GENERATED", "MANUAL", "NONE", "UNKNOWN"]
    assert [m.name for m in SecurityModeName] == ["ONE_TIME_PASSWORD", "QUICK", "EID", "UNKNOWN"]
    assert [m.name for m in VerificationMethod] == ["EMAIL", "CLIENT_ID", "UNKNOWN"]
    assert [m.name for m in RetrievalMethod] == ["DOWNLOADED", "VIEWED", "UNKNOWN"]


def test_calling_the_class_ignores_case_but_refuses_unknown_values() -> None:
    assert PasswordMode("generated") is PasswordMode.GENERATED
    assert VerificationMethod("clientId") is VerificationMethod.CLIENT_ID
    with pytest.raises(ValueError, match="is not a valid PasswordMode"):
        PasswordMode("sometimes")
    with pytest.raises(ValueError, match="is not a valid PasswordMode"):
        PasswordMode(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["email", "EMAIL", "Email"])
def test_email_spellings(text: str) -> None:
    assert VerificationMethod.parse(text) is VerificationMethod.EMAIL


@pytest.mark.parametrize("text", ["clientId", "client_id", "CLIENT_ID", "ClientID", "client-id"])
def test_client_id_spellings(text: str) -> None:
    assert VerificationMethod.parse(text) is VerificationMethod.CLIENT_ID


@pytest.mark.parametrize(
    ("state", "deleted", "final"),
    [
        (TransferState.PROCESSING, False, False),
        (TransferState.PENDING, False, False),
        (TransferState.ACTIVE, False, True),
        (TransferState.FAILED, False, True),
        (TransferState.DELETED_BY_REVOCATION, True, True),
        (TransferState.DELETED_BY_EXPIRATION, True, True),
        (TransferState.DELETED_BY_ADMIN, True, True),
        (TransferState.DELETED_BY_SECURITY, True, True),
        (TransferState.UNKNOWN, False, True),
    ],
)
def test_transfer_state_properties(state: TransferState, deleted: bool, final: bool) -> None:
    assert state.is_deleted is deleted
    assert state.is_final is final
