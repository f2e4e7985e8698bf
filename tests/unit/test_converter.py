"""Reading and writing JSON: leniency, raw, enums, date-times, error messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cattrs import Converter

from cryptshare_async._converter import (
    converter,
    format_datetime,
    make_converter,
    parse_datetime,
    structure,
    structure_list,
    unstructure,
)
from cryptshare_async._enums import (
    FileState,
    PasswordMode,
    RetrievalMethod,
    SecurityModeName,
    TransferState,
    VerificationMethod,
)
from cryptshare_async._errors import InvalidInputError, ResponseParseError
from cryptshare_async._models import (
    ApiVersion,
    Download,
    FileRegistrationResult,
    PasswordRule,
    Recipient,
    RevocationRequest,
    SecurityMode,
    ServerStatus,
    SessionFile,
    SessionState,
    StatusDetails,
    TransferListItem,
    TransferStatus,
    TransferSummary,
    VerificationStatus,
    VerificationToken,
)
from cryptshare_async._unset import UNSET

STRICT = make_converter(strict=True)
CEST = timezone(timedelta(hours=2))


# --- forward compatibility ---------------------------------------------------------------------


def test_unknown_keys_are_ignored_and_kept_in_raw() -> None:
    data = {"id": "f1", "fileName": "a.pdf", "virusScan": {"engine": "x"}, "state": "ACTIVE"}

    file = structure(data, SessionFile)

    assert file == SessionFile(id="f1", file_name="a.pdf", state=FileState.ACTIVE)
    assert file.raw["virusScan"] == {"engine": "x"}
    assert "virusScan" not in unstructure(file)


def test_the_strict_converter_refuses_unknown_keys() -> None:
    with pytest.raises(ResponseParseError, match=r"SessionFile .*\$: unexpected key virusScan"):
        structure({"id": "f1", "virusScan": 1}, SessionFile, conv=STRICT)


def test_raw_holds_each_level_of_the_json_and_is_read_only() -> None:
    data = {"status": {"state": "ACTIVE", "archived": True}, "futureTop": 1}

    status = structure(data, TransferStatus)

    assert status.raw["futureTop"] == 1
    assert status.status is not None
    assert status.status.raw["archived"] is True
    with pytest.raises(TypeError):
        status.raw["futureTop"] = 2  # type: ignore[index]


def test_raw_is_not_settable_from_json_nor_compared_nor_written() -> None:
    a = structure({"mail": "a@example.org", "raw": {"x": 1}}, Recipient)
    b = Recipient("a@example.org")

    assert a == b
    assert hash(a) == hash(b)
    assert b.raw == {}
    assert a.raw == {"mail": "a@example.org", "raw": {"x": 1}}
    assert unstructure(a) == {"mail": "a@example.org"}
    with pytest.raises(TypeError):
        Recipient("a@example.org", raw={})  # type: ignore[call-arg]


def test_missing_keys_are_none_never_invented() -> None:
    status = structure({"transfer": {"securityMode": {}}}, TransferStatus)

    assert status.status is None
    assert status.state is None
    assert status.warnings is None
    assert status.removed_files == ()
    assert status.transfer is not None
    assert status.transfer.files is None
    assert status.transfer.recipients is None
    # SecurityMode defaults its name for callers, but an absent name reads as None.
    assert status.transfer.security_mode == SecurityMode(name=None)
    assert SecurityMode().name is SecurityModeName.ONE_TIME_PASSWORD


def test_explicit_null_reads_as_none() -> None:
    status = structure({"status": {"recipients": [{"downloadUrl": None}]}}, TransferStatus)

    assert status.status is not None
    assert status.status.recipients is not None
    assert status.status.recipients[0].download_url is None


def test_polling_item_with_grouped_recipients() -> None:
    item = structure(
        {
            "trackingId": "20240522-065711-H8UoUSI6",
            "status": {"state": "ACTIVE", "sender": {"email": "a@example.com"}, "recipients": []},
            "transfer": {"recipients": {"to": [{"mail": "b@example.org"}], "cc": [], "bcc": []}},
        },
        TransferListItem,
        conv=STRICT,
    )

    assert item.state is TransferState.ACTIVE
    assert item.transfer is not None
    assert item.transfer.recipients is not None
    assert item.transfer.recipients.to == (Recipient("b@example.org"),)
    assert item.transfer.recipients.cc == ()


# --- enums -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACTIVE", TransferState.ACTIVE),
        ("active", TransferState.ACTIVE),
        ("Deleted_by_revocation", TransferState.DELETED_BY_REVOCATION),
        ("deleted-by-admin", TransferState.DELETED_BY_ADMIN),
        ("Unknown", TransferState.UNKNOWN),
    ],
)
def test_enums_read_case_insensitively(text: str, expected: TransferState) -> None:
    assert structure({"state": text}, StatusDetails).state is expected
    assert structure({"state": text}, StatusDetails, conv=STRICT).state is expected


def test_an_unknown_enum_value_reads_as_unknown_and_keeps_its_text() -> None:
    summary = structure({"trackingId": "t", "state": "ARCHIVED_FOREVER"}, TransferSummary)

    assert summary.state is TransferState.UNKNOWN
    assert summary.raw["state"] == "ARCHIVED_FOREVER"


def test_the_strict_converter_refuses_unknown_enum_values() -> None:
    with pytest.raises(ResponseParseError, match=r"\$\.state: expected a known TransferState"):
        structure({"state": "ARCHIVED_FOREVER"}, TransferSummary, conv=STRICT)


@pytest.mark.parametrize("text", ["clientId", "client_id", "CLIENT_ID", "CLIENTID", "client-id"])
def test_verification_method_spellings(text: str) -> None:
    status = structure({"verificationMethods": ["email", text]}, VerificationStatus)

    assert status.verification_methods == (VerificationMethod.EMAIL, VerificationMethod.CLIENT_ID)


def test_unknown_values_inside_arrays_are_kept_in_raw() -> None:
    status = structure({"verificationMethods": ["EMAIL", "SMART_CARD"]}, VerificationStatus)

    assert status.verification_methods == (VerificationMethod.EMAIL, VerificationMethod.UNKNOWN)
    assert status.raw["verificationMethods"][1] == "SMART_CARD"


def test_enums_are_written_as_plain_strings() -> None:
    written = unstructure(
        Download(datetime(2020, 1, 1, tzinfo=UTC), RetrievalMethod.VIEWED),
    )

    assert written == {"downloadDate": "2020-01-01T00:00:00+00:00", "retrievalMethod": "VIEWED"}
    assert type(written["retrievalMethod"]) is str


# --- date-times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-10-09T11:51:46+02:00", datetime(2020, 10, 9, 11, 51, 46, tzinfo=CEST)),
        ("2020-10-09T09:51:46Z", datetime(2020, 10, 9, 9, 51, 46, tzinfo=UTC)),
        ("2020-10-09T09:51:46.25Z", datetime(2020, 10, 9, 9, 51, 46, 250000, tzinfo=UTC)),
        ("2020-10-09T11:51:46.123456789+02:00", datetime(2020, 10, 9, 11, 51, 46, 123456, CEST)),
        ("2020-10-09T11:51:46+0200", datetime(2020, 10, 9, 11, 51, 46, tzinfo=CEST)),
        # No offset: documented to be read as UTC.
        ("2020-10-09T09:51:46", datetime(2020, 10, 9, 9, 51, 46, tzinfo=UTC)),
    ],
)
def test_datetimes_are_read_from_iso_8601(text: str, expected: datetime) -> None:
    token = structure({"token": "t", "validUntil": text}, VerificationToken)

    assert token.valid_until == expected
    assert token.valid_until is not None
    assert token.valid_until.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2020, 10, 9, 11, 51, 46, tzinfo=CEST), "2020-10-09T11:51:46+02:00"),
        (datetime(2020, 10, 9, 9, 51, 46, tzinfo=UTC), "2020-10-09T09:51:46+00:00"),
        (datetime(2020, 10, 9, 9, 51, 46, 5, tzinfo=UTC), "2020-10-09T09:51:46.000005+00:00"),
        (
            datetime(2020, 10, 9, 9, 51, 46, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "2020-10-09T09:51:46-05:30",
        ),
    ],
)
def test_datetimes_are_written_with_t_and_a_numeric_offset(value: datetime, text: str) -> None:
    assert format_datetime(value) == text
    assert unstructure(SessionState(expiration_date=value)) == {"expirationDate": text}


def test_a_naive_datetime_is_refused_when_writing() -> None:
    with pytest.raises(InvalidInputError, match="naive"):
        format_datetime(datetime(2020, 1, 1))


def test_a_naive_datetime_is_refused_when_building_a_model() -> None:
    with pytest.raises(InvalidInputError, match="expiration_date must be a timezone-aware"):
        SessionState(expiration_date=datetime(2020, 1, 1))


@pytest.mark.parametrize("value", ["yesterday", "", 1602237106, None, "2020-13-45T00:00:00Z"])
def test_parse_datetime_refuses_non_dates(value: Any) -> None:
    with pytest.raises(ValueError, match="expected an ISO 8601 date-time string"):
        parse_datetime(value)


# --- types are checked, not coerced ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "expected"),
    [
        ({"warnings": "false"}, "$.warnings", "expected true or false"),
        ({"warnings": 0}, "$.warnings", "expected true or false"),
        ({"state": 3}, "$.state", "expected a TransferState string"),
        ({"sender": {"email": 5}}, "$.sender.email", "expected a string"),
        ({"files": {"id": "x"}}, "$.files", "expected a JSON array"),
        ({"files": ["x"]}, "$.files[0]", "expected a JSON object"),
        ({"recipients": [{}, {"mail": ["x"]}]}, "$.recipients[1].mail", "expected a string"),
        (
            {"recipients": [{"fileDownloads": [{"downloads": [{"downloadDate": "soon"}]}]}]},
            "$.recipients[0].fileDownloads[0].downloads[0].downloadDate",
            "expected an ISO 8601 date-time",
        ),
    ],
)
def test_wrong_types_name_the_json_path(data: Any, path: str, expected: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        structure(data, StatusDetails)

    assert f"{path}: {expected}" in str(info.value)
    assert str(info.value).startswith("StatusDetails does not match the API's shape: ")


def test_integers_accept_integral_floats_only() -> None:
    assert structure({"id": "f", "size": 10.0}, SessionFile).size == 10
    with pytest.raises(ResponseParseError, match=r"\$\.size: expected an integer"):
        structure({"size": 10.5}, SessionFile)
    with pytest.raises(ResponseParseError, match=r"\$\.size: expected an integer"):
        structure({"size": True}, SessionFile)


def test_a_required_field_missing_is_reported() -> None:
    with pytest.raises(ResponseParseError, match=r"\$\.fileId: required field missing"):
        structure({}, FileRegistrationResult)


def test_a_top_level_that_is_not_an_object_is_reported() -> None:
    with pytest.raises(ResponseParseError, match=r"\$: expected a JSON object"):
        structure(["x"], TransferStatus)


def test_error_messages_never_contain_the_values() -> None:
    secret = "s3cr3t-t0k3n-VALUE"
    bad: dict[str, Any] = {
        "status": {
            "state": {"nested": secret},
            "warnings": secret,
            "recipients": [{"downloadUrl": [secret], "mail": {"x": secret}}],
        },
        "transfer": {"expirationDate": secret, secret: secret},
    }

    for conv in (converter, STRICT):
        with pytest.raises(ResponseParseError) as info:
            structure(bad, TransferStatus, conv=conv)
        text = str(info.value)
        assert secret not in text.replace(f"unexpected key {secret}", "")
        # Neither cause nor context: cattrs' errors hold the values.
        assert info.value.__cause__ is None
        assert info.value.__context__ is None


@pytest.mark.parametrize("conv", [converter, STRICT], ids=["lenient", "strict"])
def test_error_messages_are_scrubbed_of_the_requests_secrets(conv: Converter) -> None:
    # A hostile server echoes a secret as a key (strict: "unexpected key"), long enough
    # that cutting keys at 60 characters before scrubbing would leave half of it.
    secret = "EchoedClientId" + "Q7" * 40
    bad = {"status": {"state": 5}, "transfer": {"expirationDate": "x"}, secret: 1}
    with pytest.raises(ResponseParseError) as info:
        structure(bad, TransferStatus, conv=conv, secrets={secret})
    assert secret[:20] not in str(info.value)
    with pytest.raises(ResponseParseError) as listed:
        structure_list([bad], TransferStatus, conv=conv, secrets={secret})
    assert secret[:20] not in str(listed.value)
    assert listed.value.__context__ is None


def test_long_error_lists_are_cut_short() -> None:
    data = [{"trackingId": n} for n in range(50)]

    with pytest.raises(ResponseParseError) as info:
        structure_list(data, TransferListItem)

    message = str(info.value)
    assert message.startswith("list of TransferListItem does not match the API's shape: ")
    assert "$[0].trackingId: expected a string" in message
    assert "$[4].trackingId" in message
    assert "$[5].trackingId" not in message
    assert message.endswith("and 45 more")


def test_invalid_values_inside_a_model_are_reported_with_the_model_path() -> None:
    with pytest.raises(ResponseParseError, match=r"\$: RevocationRequest\.state must be"):
        structure({"status": {"state": "ACTIVE"}}, RevocationRequest)


# --- lists, mappings and nesting ------------------------------------------------------------------


def test_structure_list_returns_a_tuple() -> None:
    items = structure_list([{"trackingId": "a"}, {"trackingId": "b"}], TransferListItem)

    assert items == (TransferListItem(tracking_id="a"), TransferListItem(tracking_id="b"))


def test_structure_list_refuses_a_non_array() -> None:
    with pytest.raises(ResponseParseError, match=r"\$: expected a JSON array"):
        structure_list({"trackingId": "a"}, TransferListItem)


def test_arrays_are_tuples_in_models_and_lists_in_json() -> None:
    status = structure({"files": [{"id": "f", "removed": False}]}, StatusDetails)

    assert isinstance(status.files, tuple)
    assert unstructure(status) == {"files": [{"id": "f", "removed": False}]}


def test_free_form_objects_are_kept_read_only_and_written_back() -> None:
    rule = structure({"name": "minLength", "details": {"min": 8, "x": [1]}}, PasswordRule)

    assert rule.details == {"min": 8, "x": [1]}
    with pytest.raises(TypeError):
        rule.details["min"] = 1  # type: ignore[index]
    assert json.dumps(unstructure(rule)) == '{"name": "minLength", "details": {"min": 8, "x": [1]}}'


def test_server_status_reads_and_writes_the_nested_shape() -> None:
    data = {
        "apiVersions": {"uiApiVersions": [{"major": 1, "minor": 12}, {"major": 1, "minor": 13}]}
    }

    status = structure(data, ServerStatus, conv=STRICT)

    assert status.api_versions == (ApiVersion(1, 12), ApiVersion(1, 13))
    assert status.max_version == ApiVersion(1, 13)
    assert status.supports(1, 12)
    assert not status.supports(1, 14)
    assert not status.supports(2, 0)
    assert unstructure(status) == data
    assert structure({}, ServerStatus).api_versions is None
    assert structure({"apiVersions": {}}, ServerStatus).max_version is None


def test_server_status_nested_errors_name_the_path() -> None:
    data = {"apiVersions": {"uiApiVersions": [{"major": "1", "minor": 13}], "webApp": []}}

    with pytest.raises(ResponseParseError) as lenient:
        structure(data, ServerStatus)
    with pytest.raises(ResponseParseError) as strict:
        structure(data, ServerStatus, conv=STRICT)

    assert "$.apiVersions.uiApiVersions[0].major: expected an integer" in str(lenient.value)
    assert "$.apiVersions: unexpected key webApp" in str(strict.value)


def test_unset_outside_a_patch_body_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="UNSET may only be used in PATCH bodies"):
        unstructure(SecurityMode(config=UNSET))  # type: ignore[arg-type]


def test_passwords_modes_round_trip_through_the_production_converter() -> None:
    data = {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "manual", "password": "pw"}}

    mode = structure(data, SecurityMode)

    assert mode.config is not None
    assert mode.config.password_mode is PasswordMode.MANUAL
    assert unstructure(mode) == {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "MANUAL", "password": "pw"},
    }


def test_make_converter_builds_independent_converters() -> None:
    assert make_converter() is not converter
    assert make_converter(strict=True).forbid_extra_keys
    assert not converter.forbid_extra_keys
