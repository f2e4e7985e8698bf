"""The structured ``fields`` selection: rendering, model checks, raw syntax."""

from __future__ import annotations

import pytest

from cryptshare_async import InvalidInputError
from cryptshare_async._fields import Fields, render_fields, render_fields_with


def test_spec_example_renders_from_structure() -> None:
    selection = Fields(
        status=["state"],
        transfer=Fields(
            "expiration_date",
            recipients=["to", "cc"],
            security_mode=Fields(config=["password_mode"]),
        ),
    )
    assert render_fields(selection) == (
        "status(state), transfer(expirationDate, recipients(to, cc),"
        " securityMode(config(passwordMode)))"
    )


def test_camel_case_names_are_accepted_and_kept() -> None:
    assert render_fields(Fields("trackingId", status="emlCreationFailed")) == (
        "trackingId, status(emlCreationFailed)"
    )


def test_flat_list_of_names() -> None:
    assert render_fields(["tracking_id", "status", "transfer"]) == "trackingId, status, transfer"


def test_deeply_nested_status_fields() -> None:
    selection = Fields(
        status=Fields(recipients=Fields("mail", file_downloads=Fields(downloads=["download_date"])))
    )
    assert render_fields(selection) == (
        "status(recipients(mail, fileDownloads(downloads(downloadDate))))"
    )


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (Fields("stauts"), "did you mean 'status'"),
        (Fields(status=["state", "bogus"]), "'status.bogus' is not a field of StatusDetails"),
        (Fields(tracking_id=["x"]), "'tracking_id' has no fields to select from"),
        (Fields(transfer=Fields(recipients=["mail"])), "'transfer.recipients.mail'"),
    ],
)
def test_unknown_or_misplaced_names_fail_before_sending(selection: Fields, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render_fields(selection)


@pytest.mark.parametrize(
    "bad",
    [(), ("a b",), ("1abc",), ("",), ("status(state)",)],
)
def test_constructor_rejects_bad_names(bad: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInputError):
        Fields(*bad)


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="selected twice"):
        Fields("tracking_id", "trackingId")
    with pytest.raises(InvalidInputError, match="selected twice"):
        Fields.parse("status, status(state)")


def test_nested_value_of_wrong_type_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="must be a Fields"):
        Fields(status=3)  # type: ignore[arg-type]


def test_raw_string_is_normalised_not_model_checked() -> None:
    assert render_fields(" trackingId ,status( state,sender( email ) ) ") == (
        "trackingId, status(state, sender(email))"
    )
    # Names newer than the library pass through unchanged.
    assert render_fields("futureThing(subField)") == "futureThing(subField)"


@pytest.mark.parametrize(
    "text", ["", "   ", "a,", ",a", "a,,b", "a(", "a(b", "a)", "a()", "a b", "a;b", "a(b))"]
)
def test_malformed_raw_strings_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInputError):
        render_fields(text)


def test_raw_sub_selection_inside_structure_is_not_model_checked() -> None:
    selection = Fields("tracking_id", status=Fields.parse("futureStatusField"))
    assert render_fields(selection) == "trackingId, status(futureStatusField)"


def test_parse_then_render_round_trips_and_compares() -> None:
    parsed = Fields.parse("a, b(c, d(e))")
    assert str(parsed) == "a, b(c, d(e))"
    assert parsed == Fields.parse("a,b(c,d(e))")
    assert hash(parsed) == hash(Fields.parse("a,b(c,d(e))"))
    assert [name for name, _ in parsed] == ["a", "b"]
    assert "Fields.parse" in repr(parsed)


def test_wrong_argument_type() -> None:
    with pytest.raises(InvalidInputError, match="must be a Fields"):
        render_fields(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "rendered", "added"),
    [
        (["status"], "trackingId, status", True),
        (Fields(status=["state"]), "trackingId, status(state)", True),
        (Fields("tracking_id", status=["state"]), "trackingId, status(state)", False),
        (["status", "trackingId"], "status, trackingId", False),
        ("trackingid,status", "trackingid, status", False),  # the server ignores case
        ("status(trackingId)", "trackingId, status(trackingId)", True),  # top level only
        (Fields.parse("TRACKINGID"), "TRACKINGID", False),
    ],
)
def test_a_listing_always_asks_for_the_tracking_id(
    value: Fields | str | list[str], rendered: str, added: bool
) -> None:
    assert render_fields_with(value, "trackingId") == (rendered, added)


def test_the_added_field_does_not_skip_validation() -> None:
    with pytest.raises(InvalidInputError, match="did you mean"):
        render_fields_with(["statu"], "trackingId")
    with pytest.raises(InvalidInputError):
        render_fields_with("status(", "trackingId")
