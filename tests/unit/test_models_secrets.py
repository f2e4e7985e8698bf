"""Secrets never appear in a model's repr (nor in str, nor through nesting)."""

from __future__ import annotations

from typing import Any

import pytest

from cryptshare_async._converter import structure
from cryptshare_async._enums import PasswordMode
from cryptshare_async._models import (
    ClientIdResponse,
    GeneratedPassword,
    OneTimePasswordConfig,
    PasswordBody,
    RecipientStatus,
    SecurityMode,
    TransferSessionSettings,
    TransferStatus,
    VerificationCodeRequest,
    VerificationToken,
)

SECRET = "Sup3rS3cretValue0123456789"


@pytest.mark.parametrize(
    "obj",
    [
        OneTimePasswordConfig(PasswordMode.MANUAL, SECRET),
        SecurityMode(config=OneTimePasswordConfig(PasswordMode.MANUAL, SECRET)),
        TransferSessionSettings(
            security_mode=SecurityMode(config=OneTimePasswordConfig(PasswordMode.MANUAL, SECRET))
        ),
        VerificationToken(SECRET),
        ClientIdResponse(SECRET),
        RecipientStatus(download_url=f"https://share.example.com/download?pw={SECRET}"),
        PasswordBody(SECRET),
        GeneratedPassword(SECRET),
        VerificationCodeRequest(SECRET),
    ],
    ids=lambda obj: type(obj).__name__,
)
def test_secrets_are_masked_in_repr(obj: Any) -> None:
    assert SECRET not in repr(obj)
    assert SECRET not in str(obj)
    assert "'***'" in repr(obj)


def test_an_absent_secret_shows_as_none() -> None:
    assert "password=None" in repr(OneTimePasswordConfig(PasswordMode.GENERATED))
    assert "download_url=None" in repr(RecipientStatus())


def test_secrets_read_from_json_stay_out_of_repr_including_raw() -> None:
    status = structure(
        {
            "transfer": {
                "securityMode": {
                    "name": "ONE_TIME_PASSWORD",
                    "config": {"passwordMode": "MANUAL", "password": SECRET},
                }
            },
            "status": {"recipients": [{"mail": "b@example.org", "downloadUrl": f"u?{SECRET}"}]},
        },
        TransferStatus,
    )
    token = structure(
        {"token": SECRET, "validUntil": "2020-10-09T11:51:46+02:00"}, VerificationToken
    )
    client = structure({"clientId": SECRET}, ClientIdResponse)

    for obj in (status, token, client):
        assert SECRET not in repr(obj)
    # The values are still there for the code that needs them.
    assert token.token == SECRET
    assert client.client_id == SECRET
    assert status.status is not None
    assert status.status.recipients is not None
    assert status.status.recipients[0].download_url == f"u?{SECRET}"
