"""The checksum-list reader and the version gate, without a server."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from cryptshare_async import (
    ApiVersionUnsupportedError,
    FailedRecipient,
    FailureReason,
    NotFoundError,
    PasswordMode,
    TransferPolicy,
    UnsupportedByServerError,
)
from cryptshare_async import _endpoints as api
from cryptshare_async._checksums import parse_checksums
from cryptshare_async._converter import structure
from cryptshare_async._errors import ResponseParseError
from cryptshare_async._models import ApiVersion, ServerStatus
from cryptshare_async._versions import VersionGate

HEX = hashlib.sha256(b"a").hexdigest()
SHA3 = hashlib.sha3_512(b"b").hexdigest()


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (f"File name,Size (bytes),Checksum,Algorithm\r\na.txt,1,{HEX},SHA-256\r\n",
         [("a.txt", 1, HEX, "SHA-256")]),
        (f"Dateiname,Größe (Bytes),Prüfsumme,Algorithmus\na b.txt,1,{HEX},SHA-256\n",
         [("a b.txt", 1, HEX, "SHA-256")]),
        (f"a.txt,{HEX}\n\"x,y.bin\",{SHA3}\n", [("a.txt", None, HEX, None),
                                                ("x,y.bin", None, SHA3, None)]),
        (f"\ufeffa.txt;x,{HEX},SHA3-512,12\n", [("a.txt;x", 12, HEX, "SHA3-512")]),
        ("Name,Checksum\n", []),
        ("", []),
    ],
)  # fmt: skip
def test_checksum_rows_are_read_by_content(
    text: str, rows: list[tuple[str, int | None, str, str | None]]
) -> None:
    parsed = parse_checksums(text.encode())
    assert [(r.file_name, r.size, r.checksum, r.algorithm) for r in parsed] == rows


@pytest.mark.parametrize(
    "body", [b"a.txt,1,nothex\n", b"\xff\xfe", f",{HEX}\n".encode(), b"a.txt,1,abc,SHA-256\n"]
)
def test_a_checksum_list_without_checksums_is_refused(body: bytes) -> None:
    with pytest.raises(ResponseParseError):
        parse_checksums(body)


def _status(*minors: int) -> ServerStatus:
    return ServerStatus(api_versions=tuple(ApiVersion(1, m) for m in minors))


def test_the_gate_lets_everything_through_until_the_versions_are_known() -> None:
    gate = VersionGate()
    for endpoint in api.ENDPOINTS:
        gate.check(api.SERVER_STATUS.request() if endpoint.params else endpoint.request())


@pytest.mark.parametrize(
    ("offered", "endpoint", "refused"),
    [
        ((10, 11), api.SENT_TRANSFERS, True),
        ((12,), api.SENT_TRANSFERS, False),
        ((9,), api.REVOKE_TRANSFER, True),
        ((13,), api.REVOKE_TRANSFER, False),
        ((8,), api.GET_SESSION, False),
        ((), api.REVOKE_TRANSFER, True),
    ],
)
def test_the_gate_refuses_endpoints_newer_than_the_server(
    offered: tuple[int, ...], endpoint: api.Endpoint[object], refused: bool
) -> None:
    gate = VersionGate()
    gate.status = _status(*offered)
    request = endpoint.request(**{p: "a@b.de" if p == "email" else "T1" for p in endpoint.params})
    if not refused:
        gate.check(request)
        return
    with pytest.raises(UnsupportedByServerError) as caught:
        gate.check(request)
    error = caught.value
    assert error.needed_version == f"1.{endpoint.minor}"
    assert error.server_version == (f"1.{max(offered)}" if offered else None)
    assert error.needed_version in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.needed_version, copy.server_version) == (
        error.needed_version,
        error.server_version,
    )


def test_a_2004_answer_is_the_same_error_and_still_a_not_found() -> None:
    assert issubclass(ApiVersionUnsupportedError, UnsupportedByServerError)
    assert issubclass(ApiVersionUnsupportedError, NotFoundError)
    gate = VersionGate()
    gate.status = _status(11)
    request = api.SENT_TRANSFERS.request(email="a@b.de")
    answer = ApiVersionUnsupportedError(
        status=404, error_code=2004, error_message="nope", method="GET", path="/api/x"
    )
    refused = gate.refused(request, answer)
    assert (refused.needed_version, refused.server_version) == ("1.12", "1.11")
    assert "nope" in str(refused) and "1.12" in str(refused) and "1.11" in str(refused)
    assert refused.status == 404 and refused.error_code == 2004


def test_policy_types_are_enums_and_models() -> None:
    policy = structure(
        {
            "allowed": False,
            "failedRecipients": [
                {"emailAddress": "a@b.de", "reason": "POLICY_MISMATCH"},
                {"emailAddress": "c@d.de", "reason": "SOMETHING_NEW"},
            ],
            "settings": {
                "securityModes": [
                    {"name": "ONE_TIME_PASSWORD", "config": {"allowedPasswordModes": ["MANUAL"]}},
                    {"name": "QUICK", "config": {"defaultIfEstablished": True}},
                    {"name": "EID", "config": {}},
                ]
            },
        },
        TransferPolicy,
    )
    failed = policy.failed_recipients or ()
    assert [f.reason for f in failed] == [FailureReason.POLICY_MISMATCH, FailureReason.UNKNOWN]
    assert failed[1].raw["reason"] == "SOMETHING_NEW"
    assert isinstance(failed[0], FailedRecipient)
    modes = policy.settings.security_modes if policy.settings else None
    assert modes is not None
    assert modes[0].config is not None
    assert modes[0].config.allowed_password_modes == (PasswordMode.MANUAL,)
    assert modes[1].config is not None and modes[1].config.default_if_established is True
    assert modes[2].config is not None and modes[2].config.allowed_password_modes is None
