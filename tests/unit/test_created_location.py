"""Which ``Location`` headers name a created resource, and which are refused."""

from __future__ import annotations

import json

import pytest

from cryptshare_async import _endpoints as api
from cryptshare_async import _protocol as protocol
from cryptshare_async._errors import ResponseParseError, RuleViolationError
from cryptshare_async._protocol import ApiRequest, ApiResponse
from cryptshare_async._validation import server_id

EMAIL = "a+b@example.com"
ROOT = "https://share.example.com"
USER = "/api/users/a%2Bb@example.com"
TID = "20240522-065711-H8UoUSI6"
SECRET = "S3cr3t" * 10

CREATE = api.CREATE_SESSION.request(email=EMAIL, body={})
REGISTER = api.REGISTER_FILE.request(
    email=EMAIL, tracking_id=TID, body={"fileName": "x", "size": 1}
)
FINALIZE = api.FINALIZE_SESSION.request(email=EMAIL, tracking_id=TID)

# (request, the collection it creates in, the URL it is sent to)
CASES = {
    "create": (CREATE, f"{USER}/transfer-sessions", f"{ROOT}{USER}/transfer-sessions"),
    "register": (
        REGISTER,
        f"{USER}/transfer-sessions/{TID}/files",
        f"{ROOT}{USER}/transfer-sessions/{TID}/files",
    ),
    "finalize": (FINALIZE, f"{USER}/transfers", f"{ROOT}{USER}/transfer-sessions/{TID}"),
}


def answer(location: str | None, body: object = None, status: int = 201) -> ApiResponse:
    headers = {} if location is None else {"Location": location}
    raw = b"" if body is None else json.dumps(body).encode()
    return ApiResponse(status=status, headers=headers, body=raw)


def good_forms(collection: str) -> list[str]:
    return [
        f"{ROOT}{collection}/NEW-1",
        f"{collection}/NEW-1",
        f"{collection}/NEW-1/",
        f"{collection}/NEW-1?x=1#frag",
        f"HTTP://SHARE.EXAMPLE.COM:8443{collection}/NEW-1",  # proxy: scheme/port differ
        f"{collection.replace('%2B', '+')}/NEW-1",  # encoded differently
        f"{collection.replace('a%2Bb@example.com', 'A%2BB@EXAMPLE.COM')}/NEW-1",
        f"{collection}/NEW%2D1",
    ]


def bad_forms(collection: str) -> list[str]:
    parent = collection.rsplit("/", 1)[0]
    return [
        f"{collection}/..",
        f"{collection}/.",
        f"{collection}/%2E%2E",
        f"{collection}/",
        collection,
        f"{collection}//NEW-1",
        f"{collection}/NEW-1/extra",
        f"{collection}/a%2Fb",
        f"{collection}/a b",
        f"{collection}/x/../NEW-1",
        f"{parent}/NEW-1",
        f"/api/users/other@example.com/{collection.rsplit('/', 1)[1]}/NEW-1",
        f"https://evil.example{collection}/NEW-1",
        f"https://user:pw@share.example.com{collection}/NEW-1",
        f"ftp://share.example.com{collection}/NEW-1",
        f"javascript:{collection}/NEW-1",
        f"{collection}/" + "x" * 201,
        f"{collection}/NEW-1" + "/" * 3000,
        f"{collection}/NEW-1?" + "q" * 3000,
        f"{collection}/%00",
        f"{collection}/ümlaut",
        f"https://share.example.com:notaport{collection}/NEW-1",
        "NEW-1",
        "",
        " ",
    ]


@pytest.mark.parametrize("name", CASES)
def test_every_good_form_gives_the_id(name: str) -> None:
    request, collection, url = CASES[name]
    for location in good_forms(collection):
        assert protocol.created_id(request, answer(location), request_url=url) == "NEW-1", location


@pytest.mark.parametrize("name", CASES)
def test_every_bad_form_is_refused_with_the_reason(name: str) -> None:
    request, collection, url = CASES[name]
    for location in bad_forms(collection):
        found = protocol.read_created_id(request, answer(location), request_url=url)
        assert found.id is None, location
        assert found.recovered is None
        assert "unusable Location" in found.problem
        with pytest.raises(ResponseParseError, match="unusable Location"):
            protocol.created_id(request, answer(location), request_url=url)


def test_relative_path_reference_resolves_against_the_request_url() -> None:
    url = f"{ROOT}{USER}/transfer-sessions"
    assert protocol.created_id(CREATE, answer("transfer-sessions/T1"), request_url=url) == "T1"
    # Dot segments are refused rather than resolved.
    with pytest.raises(ResponseParseError):
        protocol.created_id(CREATE, answer("./transfer-sessions/T1"), request_url=url)
    # "T1" alone resolves to /api/users/{email}/T1: another collection.
    with pytest.raises(ResponseParseError):
        protocol.created_id(CREATE, answer("T1"), request_url=url)
    files = f"{ROOT}{USER}/transfer-sessions/{TID}/files"
    assert protocol.created_id(REGISTER, answer("files/F9"), request_url=files) == "F9"


def test_a_base_path_prefix_may_be_in_the_location_or_not() -> None:
    url = f"{ROOT}/cs{USER}/transfer-sessions"
    good = f"/cs{USER}/transfer-sessions/T1"
    assert protocol.created_id(CREATE, answer(good), request_url=url) == "T1"
    # A server behind a proxy that adds /cs may not know the prefix.
    unaware = f"{USER}/transfer-sessions/T1"
    assert protocol.created_id(CREATE, answer(unaware), request_url=url) == "T1"
    relative = "transfer-sessions/T1"
    assert protocol.created_id(CREATE, answer(relative), request_url=url) == "T1"
    for bad in (f"/other{USER}/transfer-sessions/T1", f"/cs/cs{USER}/transfer-sessions/T1"):
        with pytest.raises(ResponseParseError):
            protocol.created_id(CREATE, answer(bad), request_url=url)


def test_the_body_id_is_used_without_location_and_recovered_with_a_bad_one() -> None:
    url = f"{ROOT}{USER}/transfer-sessions/{TID}/files"
    body = {"data": {"fileId": "F1"}}
    assert protocol.created_id(REGISTER, answer(None, body), request_url=url) == "F1"
    found = protocol.read_created_id(REGISTER, answer("..", body), request_url=url)
    assert (found.id, found.recovered) == (None, "F1")
    created = {"data": {"trackingId": "T1"}}
    found = protocol.read_created_id(CREATE, answer("/x/..", created), request_url=url)
    assert (found.id, found.recovered) == (None, "T1")


@pytest.mark.parametrize("body_id", ["F2", "..", "", 7, None])
def test_a_body_id_that_disagrees_with_location_makes_the_answer_unusable(body_id: object) -> None:
    url = f"{ROOT}{USER}/transfer-sessions/{TID}/files"
    location = f"{USER}/transfer-sessions/{TID}/files/F1"
    found = protocol.read_created_id(
        REGISTER, answer(location, {"data": {"fileId": body_id}}), request_url=url
    )
    assert found.id is None
    assert found.recovered == "F1"
    assert "twice" in found.problem


@pytest.mark.parametrize("body", [None, {"data": {"fileId": "../x"}}, {"data": []}, "not json"])
def test_no_location_and_no_usable_body_id_is_unusable_without_recovery(body: object) -> None:
    found = protocol.read_created_id(REGISTER, answer(None, body))
    assert (found.id, found.recovered) == (None, None)
    assert "without a Location" in found.problem


def test_an_error_status_raises_its_typed_error_first() -> None:
    with pytest.raises(RuleViolationError):
        protocol.read_created_id(FINALIZE, answer("..", {"errorCode": 2001}, status=409))


def test_the_quoted_location_hides_queries_and_token_like_runs_and_is_trimmed() -> None:
    url = f"{ROOT}{USER}/transfer-sessions"
    for location in (
        f"/x/{SECRET}/..",
        f"/x/..?token={SECRET}",
        f"{USER}/transfer-sessions/{SECRET}{SECRET}{SECRET}{SECRET}",
        "/" + "y/" * 1500,
    ):
        with pytest.raises(ResponseParseError) as caught:
            protocol.created_id(CREATE, answer(location), request_url=url)
        text = str(caught.value)
        assert SECRET not in text
        assert len(text) < 500


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("20240522-065711-H8UoUSI6", True),
        ("a58dFp1Tr7", True),
        ("a.b~c_d", True),
        ("x" * 200, True),
        ("x" * 201, False),
        ("", False),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a b", False),
        ("a%2F", False),
        ("é", False),
        (None, False),
        (5, False),
    ],
)
def test_server_id(value: object, ok: bool) -> None:
    assert (server_id(value) is not None) is ok


def test_a_request_without_created_in_uses_its_own_path() -> None:
    request = ApiRequest("POST", "/things")
    assert protocol.created_id(request, answer("/api/things/A1")) == "A1"


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "last",
    [
        "NEW-1",
        "a.b_c~d",
        "..",
        ".",
        "",
        "a b",
        "%2E%2E",
        "NEW%2D1",
        "x" * 200,
        "x" * 201,
        "ü",
        "a?b",
    ],
)
def test_the_quick_path_for_the_usual_answer_agrees_with_the_full_check(
    name: str, last: str
) -> None:
    """``Location`` = the server root, the collection and one segment is decided without
    parsing; a request URL with a query takes the full check, which must say the same."""
    request, collection, url = CASES[name]
    location = f"{ROOT}{collection}/{last}"
    quick = protocol._location_id(request, location, url)
    full = protocol._location_id(request, location, url + "?")
    assert quick[0] == full[0]
