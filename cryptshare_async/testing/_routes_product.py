"""Product endpoints: legal texts, language packs, CORS status, logging settings, remote logs.

Only the product key ``api.rest`` exists (another one in the path: 400/1005). Two
languages are installed, English (``en-US``) and German (``de-DE``).

Choices where the pages are silent (see ``FIDELITY.md``): the imprint follows the 1.8
schema (one ``{content, type}`` object, in the request's language) although the manual
describes it like the terms of use; a language pack has one file, ``texts/messages.json``;
remote log entries are kept in ``Emulator.client_logs`` (at most :data:`MAX_LOG_ENTRIES`
a request, 403/3004 when remote logging is off).

Example::

    app = web.Application()
    add_product_routes(app)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ._errors import ApiError
from ._http import context, json_value, ok, parse_int
from ._i18n import language_of
from ._keys import STORE
from ._rules import parse_datetime

__all__ = ["LANGUAGE_PACKS", "MAX_LOG_ENTRIES", "add_product_routes"]

MAX_LOG_ENTRIES: Final = 1000
_LEVELS: Final = frozenset({"debug", "error", "info", "trace", "warn"})
_CHANGED: Final = datetime(2024, 1, 15, 9, 30, tzinfo=UTC).isoformat(timespec="seconds")
_LOCALES: Final = {"en": "en-US", "de": "de-DE"}
_TERMS: Final[dict[str, tuple[str, str]]] = {
    "en-US": ("Cryptshare emulator, Terms of Use", "<p>Use this emulator for tests only.</p>"),
    "de-DE": (
        "Cryptshare-Emulator, Nutzungsbedingungen",
        "<p>Nutzen Sie diesen Emulator nur für Tests.</p>",
    ),
}
_IMPRINT: Final[dict[str, str]] = {
    "en-US": "<h1>Imprint</h1><p>Cryptshare emulator (cryptshare-async).</p>",
    "de-DE": "<h1>Impressum</h1><p>Cryptshare-Emulator (cryptshare-async).</p>",
}
#: Pack id → (locale, display name, version, {path: file content}).
LANGUAGE_PACKS: Final[dict[str, tuple[str, str, str, dict[str, bytes]]]] = {
    "en-US_2": (
        "en-US",
        "English (US)",
        "2.1",
        {"texts/messages.json": json.dumps({"download": "Download"}).encode()},
    ),
    "de-DE_2": (
        "de-DE",
        "Deutsch (Deutschland)",
        "2.1",
        {"texts/messages.json": json.dumps({"download": "Herunterladen"}).encode()},
    ),
}


def _product(request: web.Request) -> str:
    product = request.match_info["product_key"]
    if product != "api.rest":
        raise ApiError.invalid_path("product key (only api.rest exists)")
    return product


def _locale(request: web.Request) -> str:
    return _LOCALES.get(language_of(context(request).accept_language), "en-US")


async def terms_of_use(request: web.Request) -> web.Response:
    _product(request)
    active = request.app[STORE].config.terms_of_use_active
    terms = [
        {"locale": locale, "title": title, "content": content, "type": "html"}
        for locale, (title, content) in _TERMS.items()
    ]
    return ok({"active": active, "lastChangeTimestamp": _CHANGED, "terms": terms})


async def imprint(request: web.Request) -> web.Response:
    _product(request)
    return ok({"content": _IMPRINT[_locale(request)], "type": "html"})


def _pack_view(product: str, pack_id: str) -> dict[str, Any]:
    locale, name, version, _files = LANGUAGE_PACKS[pack_id]
    return {
        "id": pack_id,
        "displayName": name,
        "locale": locale,
        "version": version,
        "lastChangeTimestamp": _CHANGED,
        "href": f"/api/products/{product}/language-packs/{pack_id}",
    }


def _pack_id(request: web.Request) -> str:
    pack_id = request.match_info["lp_id"]
    if pack_id not in LANGUAGE_PACKS:
        raise ApiError.not_found("language pack")
    return pack_id


async def language_packs(request: web.Request) -> web.Response:
    product = _product(request)
    raw = request.query.get("major-version")
    major = None
    if raw is not None:
        major = parse_int(raw.strip())
        if major is None:
            raise ApiError.invalid("major-version")
    items = [
        _pack_view(product, pack_id)
        for pack_id, (_locale_, _name, version, _files) in LANGUAGE_PACKS.items()
        if major is None or version.split(".", 1)[0] == str(major)
    ]
    return ok(items)


async def language_pack(request: web.Request) -> web.Response:
    return ok(_pack_view(_product(request), _pack_id(request)))


async def language_pack_file(request: web.Request) -> web.Response:
    _product(request)
    files = LANGUAGE_PACKS[_pack_id(request)][3]
    content = files.get(request.match_info["path"])
    if content is None:
        raise ApiError.not_found("language pack file")
    return web.Response(body=content, content_type="application/json", charset="utf-8")


async def cors(request: web.Request) -> web.Response:
    _product(request)
    origin = request.headers.get("Origin")
    if origin is None:
        raise ApiError.missing("Origin")
    return ok({"active": origin in request.app[STORE].config.cors_origins})


async def logging_settings(request: web.Request) -> web.Response:
    _product(request)
    config = request.app[STORE].config
    return ok({"level": config.client_log_level, "remoteLoggingEnabled": config.remote_logging})


async def add_logs(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = await json_value(request)
    if not store.config.remote_logging:
        raise ApiError(403, 3004, "Remote logging not permitted.")
    if not isinstance(body, list) or len(body) > MAX_LOG_ENTRIES:
        raise ApiError.invalid(f"request body (a list of at most {MAX_LOG_ENTRIES} log entries)")
    entries = []
    for item in body:
        if not isinstance(item, dict) or set(item) - {"level", "message", "timestamp"}:
            raise ApiError.invalid("log entry")
        if item.get("level") not in _LEVELS or not isinstance(item.get("message"), str):
            raise ApiError.invalid("log entry (level and message are required)")
        if "timestamp" in item:
            parse_datetime(item["timestamp"], "log entry timestamp")
        entries.append(dict(item))
    store.client_logs.extend(entries)
    return web.Response(status=201)


def add_product_routes(app: web.Application) -> None:
    product = "/api/products/{product_key}"
    packs = product + "/language-packs"
    app.router.add_get(product + "/legal/terms-of-use", terms_of_use)
    app.router.add_get(product + "/legal/imprint", imprint)
    app.router.add_get(packs, language_packs)
    app.router.add_get(packs + "/{lp_id}", language_pack)
    app.router.add_get(packs + "/{lp_id}/{path:.+}", language_pack_file)
    app.router.add_get(product + "/cors", cors)
    app.router.add_get(product + "/logging", logging_settings)
    app.router.add_post("/api/logs", add_logs)
