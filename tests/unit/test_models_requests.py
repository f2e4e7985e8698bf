"""Request bodies: exact JSON shapes, PATCH semantics, caller-input checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from cryptshare_async._converter import make_converter, structure, unstructure
from cryptshare_async._enums import PasswordMode, SecurityModeName, TransferState
from cryptshare_async._errors import InvalidInputError, ResponseParseError
from cryptshare_async._models import (
    FileRegistration,
    NotificationMessage,
    OneTimePasswordConfig,
    PasswordBody,
    Recipient,
    Recipients,
    RevocationOptions,
    RevocationRequest,
    SecurityMode,
    SenderContact,
    TransferPolicyRequest,
    TransferSessionCreate,
    TransferSessionSettings,
    VerificationCodeRequest,
)
from cryptshare_async._unset import UNSET

STRICT = make_converter(strict=True)


# --- PATCH bodies ------------------------------------------------------------------------------


def test_an_empty_patch_body_is_empty() -> None:
    assert unstructure(TransferSessionSettings()) == {}


def test_patch_bodies_carry_only_the_fields_that_were_set() -> None:
    settings = TransferSessionSettings(
        show_file_names=False,
        expiration_date=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        security_mode=SecurityMode(config=OneTimePasswordConfig(PasswordMode.GENERATED)),
    )

    assert unstructure(settings) == {
        "expirationDate": "2030-01-02T03:04:05+00:00",
        "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "GENERATED"}},
        "showFileNames": False,
    }


def test_none_in_a_patch_body_is_sent_as_null() -> None:
    settings = TransferSessionSettings(classification_id=None, notification_message=None)

    assert unstructure(settings) == {"notificationMessage": None, "classificationId": None}


def test_every_patch_field_can_be_set_and_is_written_camel_case() -> None:
    names = [a.name for a in attrs.fields(TransferSessionSettings)]
    settings = TransferSessionSettings(**{name: None for name in names})

    written = unstructure(settings)

    assert all(value is None for value in written.values())
    assert sorted(written) == sorted(
        [
            "sender",
            "expirationDate",
            "fileChecksumAlgorithm",
            "notificationMessage",
            "senderLanguage",
            "recipientLanguage",
            "securityMode",
            "sendDownloadNotifications",
            "sendDownloadSummary",
            "sendRecipientNotification",
            "sendUploadSummary",
            "showFileNames",
            "showZipFileContent",
            "classificationId",
            "confidentialMessageFileId",
        ]
    )


def test_patch_bodies_have_no_recipients_or_files() -> None:
    names = {a.name for a in attrs.fields(TransferSessionSettings)}

    assert not names & {"recipients", "files"}
    assert all(a.default is UNSET for a in attrs.fields(TransferSessionSettings))


def test_reading_a_patch_body_keeps_unset_and_null_apart() -> None:
    settings = structure(
        {"showFileNames": None, "sendUploadSummary": True, "sender": {"name": "A"}},
        TransferSessionSettings,
        conv=STRICT,
    )

    assert settings.show_file_names is None
    assert settings.send_upload_summary is True
    assert settings.sender == SenderContact("A")
    assert settings.expiration_date is UNSET
    assert unstructure(settings) == {
        "sender": {"name": "A"},
        "sendUploadSummary": True,
        "showFileNames": None,
    }


def test_nested_models_in_a_patch_body_still_drop_their_none_fields() -> None:
    settings = TransferSessionSettings(notification_message=NotificationMessage(subject="Hi"))

    assert unstructure(settings) == {"notificationMessage": {"subject": "Hi"}}


def test_a_naive_expiration_date_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="expiration_date must be a timezone-aware"):
        TransferSessionSettings(expiration_date=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        TransferSessionSettings(expiration_date=datetime(2030, 1, 1))


# --- exact shapes ------------------------------------------------------------------------------


def test_revocation_request_shape() -> None:
    assert unstructure(RevocationRequest()) == {
        "status": {"state": "DELETED_BY_REVOCATION"},
        "revocationOptions": {"notifySender": True, "notifyRecipients": True},
    }
    assert unstructure(
        RevocationRequest(RevocationOptions(notify_sender=False, message="Wrong person"))
    ) == {
        "status": {"state": "DELETED_BY_REVOCATION"},
        "revocationOptions": {
            "notifySender": False,
            "notifyRecipients": True,
            "message": "Wrong person",
        },
    }


def test_revocation_request_cannot_carry_another_state() -> None:
    with pytest.raises(InvalidInputError, match="DELETED_BY_REVOCATION"):
        RevocationRequest(state=TransferState.ACTIVE)


def test_revocation_request_is_read_back() -> None:
    request = structure(
        {"status": {"state": "DELETED_BY_REVOCATION"}, "revocationOptions": {"message": "m"}},
        RevocationRequest,
        conv=STRICT,
    )

    assert request == RevocationRequest(RevocationOptions(message="m"))


def test_file_registration_shape() -> None:
    assert unstructure(FileRegistration("report.pdf", 0)) == {"fileName": "report.pdf", "size": 0}
    assert unstructure(FileRegistration("report.pdf", 13987, "737b6a93")) == {
        "fileName": "report.pdf",
        "size": 13987,
        "checksum": "737b6a93",
    }


@pytest.mark.parametrize(
    ("file_name", "size"),
    [("a.pdf", -1), ("a.pdf", 1.5), ("a.pdf", True), ("a.pdf", "10"), ("", 1), (None, 1)],
)
def test_file_registration_refuses_bad_input(file_name: Any, size: Any) -> None:
    with pytest.raises(InvalidInputError, match="FileRegistration"):
        FileRegistration(file_name, size)


def test_a_file_registration_with_a_bad_size_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match=r"\$: FileRegistration\.size must be an int >= 0"):
        structure({"fileName": "a", "size": -5}, FileRegistration)


def test_session_creation_shape() -> None:
    create = TransferSessionCreate(
        sender=SenderContact("Alice", "+49 1"),
        recipients=Recipients(to=["b@example.org"], bcc=[Recipient("c@example.org")]),
    )

    assert unstructure(create) == {
        "sender": {"name": "Alice", "phone": "+49 1"},
        "recipients": {"to": [{"mail": "b@example.org"}], "bcc": [{"mail": "c@example.org"}]},
    }


def test_verification_code_request_shapes() -> None:
    assert unstructure(VerificationCodeRequest("123456")) == {"verificationCode": "123456"}
    assert unstructure(VerificationCodeRequest()) == {}


def test_policy_and_password_bodies() -> None:
    assert unstructure(TransferPolicyRequest(["a@example.org"])) == {
        "recipients": ["a@example.org"]
    }
    assert unstructure(PasswordBody("pw")) == {"password": "pw"}


def test_security_mode_defaults_to_one_time_password() -> None:
    mode = SecurityMode(config=OneTimePasswordConfig(PasswordMode.MANUAL, "pw"))

    assert mode.name is SecurityModeName.ONE_TIME_PASSWORD
    assert unstructure(mode) == {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "MANUAL", "password": "pw"},
    }


# --- sequences -------------------------------------------------------------------------------


def test_recipients_accept_strings_and_recipients_and_store_tuples() -> None:
    recipients = Recipients(to=["a@example.org", Recipient("b@example.org")], cc=iter(()))  # type: ignore[arg-type]

    assert recipients.to == (Recipient("a@example.org"), Recipient("b@example.org"))
    assert recipients.cc == ()
    assert recipients.bcc is None


@pytest.mark.parametrize(
    "make", [lambda: Recipients(to="a@example.org"), lambda: TransferPolicyRequest("a@example.org")]
)
def test_a_bare_string_is_not_a_list_of_addresses(make: Any) -> None:
    with pytest.raises(InvalidInputError, match="single str"):
        make()


def test_policy_request_stores_a_tuple() -> None:
    request = TransferPolicyRequest(["a@example.org", "b@example.org"])

    assert request.recipients == ("a@example.org", "b@example.org")


def test_models_are_frozen() -> None:
    create = TransferSessionCreate(sender=SenderContact("A"), recipients=Recipients(to=["a@x.org"]))

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        create.sender = SenderContact("B")  # type: ignore[misc]
