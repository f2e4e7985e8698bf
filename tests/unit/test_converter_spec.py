"""The strict converter round-trips every openapi-1.8 schema that a model stands for.

Examples are built from the schema itself: each property's ``example`` where it has one,
otherwise a value of the property's type, recursively through ``$ref``, ``anyOf`` and
arrays. Every enum value is exercised (example variant ``k`` picks value ``k`` of each
enum). Structuring uses ``make_converter(strict=True)``, so a wire key a model does not
map, or an enum value it does not know, fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import _models as m
from cryptshare_async._converter import make_converter, structure, unstructure
from cryptshare_async._errors import ResponseParseError

SPEC = json.loads((Path(__file__).parent.parent / "data" / "openapi-1.8.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]

# Schema name -> the model(s) it is read as.
MODELS: dict[str, tuple[type, ...]] = {
    "ClientId": (m.ClientIdResponse,),
    "CorsStatus": (m.CorsStatus,),
    "EidSecurityModeConfig": (m.PolicySecurityModeConfig,),
    "Imprint": (m.LegalText,),
    "LanguagePack": (m.LanguagePack,),
    "LogEntry": (m.LogEntry,),
    "LoggingSettings": (m.LoggingSettings,),
    "QuickSecurityModeConfig": (m.PolicySecurityModeConfig,),
    "TermsOfUse": (m.LegalText,),
    "TermsOfUseInfo": (m.TermsOfUse,),
    "DownloadDto": (m.Download,),
    "EidSecurityMode": (m.PolicySecurityMode,),
    "FailedRecipient": (m.FailedRecipient,),
    "FileDownloadDto": (m.FileDownload,),
    "FileStatusDto": (m.FileStatus,),
    "OneTimePasswordSecurityMode": (m.PolicySecurityMode,),
    "OneTimePasswordSecurityModeConfig": (m.OneTimePasswordConfig, m.PolicySecurityModeConfig),
    "PasswordValidationResult": (m.PasswordValidation,),
    "PasswordValidationRule": (m.PasswordRule,),
    "PasswordWrapper": (m.PasswordBody, m.GeneratedPassword),
    "QuickSecurityMode": (m.PolicySecurityMode,),
    "Recipient": (m.Recipient,),
    "RecipientStatusDto": (m.RecipientStatus,),
    "Recipients": (m.Recipients,),
    "RequestVerificationBody": (m.VerificationCodeRequest,),
    "Sender": (m.SenderContact,),
    "SenderStatusDto": (m.SenderStatus,),
    "StatusDto": (m.StatusDetails,),
    "TransferBasicInfoDto": (m.TransferSummary,),
    "TransferFile": (m.TransferFile,),
    "TransferFileCreationOptionsReq": (m.FileRegistration,),
    "TransferFileCreationOptionsRes": (m.FileRegistrationResult,),
    "TransferInfo": (m.TransferInfo,),
    "TransferNotificationMessage": (m.NotificationMessage,),
    "TransferOneTimePasswordSecurityModeConfigReq": (m.OneTimePasswordConfig,),
    "TransferOneTimePasswordSecurityModeConfigRes": (m.OneTimePasswordConfig,),
    "TransferOneTimePasswordSecurityModeReq": (m.SecurityMode,),
    "TransferOneTimePasswordSecurityModeRes": (m.SecurityMode,),
    "TransferPolicyRequest": (m.TransferPolicyRequest,),
    "TransferPolicyResult": (m.TransferPolicy,),
    "TransferPolicySettings": (m.PolicySettings,),
    "TransferSecurityModeOfobject": (m.SecurityMode,),
    "TransferSession": (m.SessionState,),
    "TransferSessionCreationOptions": (m.TransferSessionCreate,),
    "TransferSessionFile": (m.SessionFile,),
    "TransferSessionOfobject": (m.SessionState,),
    "TransferSessionPatchable": (m.TransferSessionSettings,),
    "TransferStatus": (m.TransferStatus,),
    "VerificationStatus": (m.VerificationStatus,),
    "VerificationToken": (m.VerificationToken,),
}

# Schemas deliberately without a model here, and why.
NOT_MODELLED = {
    "Details": "free-form; kept as a mapping in PasswordRule.details",
    "Error": "error envelope, read by the protocol layer",
    "StreamingResponseBody": "file content, not JSON",
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(schema: dict[str, Any], variant: int = 0) -> Any:
    """A JSON value for ``schema``: its example, else a value of its type."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        options = schema["anyOf"]
        return example(options[variant % len(options)], variant)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][variant % len(schema["enum"])]
    if "example" in schema:
        value = schema["example"]
        # The generator wrote array examples as JSON text.
        return json.loads(value) if kind == "array" and isinstance(value, str) else value
    if kind == "object" or "properties" in schema:
        return {k: example(v, variant) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema["items"], variant)]
    if kind == "string":
        return "text"
    if kind == "integer":
        return 7
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    raise AssertionError(f"no example for {schema}")


def _enum_sizes(schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> Iterator[int]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            yield from _enum_sizes(SCHEMAS[name], seen | {name})
        return
    if "enum" in schema:
        yield len(schema["enum"])
    for sub in schema.get("anyOf", ()):
        yield from _enum_sizes(sub, seen)
        yield len(schema["anyOf"])
    for sub in schema.get("properties", {}).values():
        yield from _enum_sizes(sub, seen)
    if "items" in schema:
        yield from _enum_sizes(schema["items"], seen)


def _cases() -> Iterator[Any]:
    for name, models in MODELS.items():
        variants = max(_enum_sizes(SCHEMAS[name]), default=1)
        for model in models:
            for variant in range(variants):
                yield pytest.param(name, model, variant, id=f"{name}-{model.__name__}-{variant}")


STRICT = make_converter(strict=True)


def test_every_schema_is_modelled_or_excused() -> None:
    envelopes = {n for n in SCHEMAS if n.startswith("ResponseOf")}
    unaccounted = set(SCHEMAS) - set(MODELS) - set(NOT_MODELLED) - envelopes
    assert not unaccounted


@pytest.mark.parametrize(("schema_name", "model", "variant"), list(_cases()))
def test_strict_round_trip(schema_name: str, model: type, variant: int) -> None:
    data = example(SCHEMAS[schema_name], variant)

    obj: object = structure(data, model, conv=STRICT)
    written = unstructure(obj)

    assert written == data
    assert json.loads(json.dumps(written)) == data
    assert structure(written, model, conv=STRICT) == obj


def test_examples_are_not_trivial() -> None:
    # Guard against the example builder silently producing empty objects.
    data = example(SCHEMAS["TransferStatus"])
    assert data["status"]["recipients"][0]["fileDownloads"][0]["downloads"][0] == {
        "downloadDate": "2020-10-09T11:51:46+02:00",
        "retrievalMethod": "DOWNLOADED",
    }
    assert data["transfer"]["expirationDate"] == "2020-10-09T11:51:46+02:00"
    assert len(data["transfer"]) == len(SCHEMAS["TransferSessionOfobject"]["properties"])


def test_strict_converter_rejects_a_deeply_nested_unmapped_key() -> None:
    data = example(SCHEMAS["TransferStatus"])
    data["status"]["recipients"][0]["fileDownloads"][0]["downloads"][0]["downloadedBy"] = "x"

    with pytest.raises(ResponseParseError) as info:
        structure(data, m.TransferStatus, conv=STRICT)

    assert "$.status.recipients[0].fileDownloads[0].downloads[0]: unexpected key downloadedBy" in (
        str(info.value)
    )


def test_enum_variants_cover_every_state() -> None:
    states = {
        example(SCHEMAS["TransferBasicInfoDto"], v)["state"]
        for v in range(max(_enum_sizes(SCHEMAS["TransferBasicInfoDto"])))
    }
    assert states == set(SCHEMAS["TransferBasicInfoDto"]["properties"]["state"]["enum"])
