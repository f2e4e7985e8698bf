"""Sender-side endpoints: verification, clients, status, passwords, policy, sessions, files.

Example::

    app = web.Application()
    add_sender_routes(app)
"""

from __future__ import annotations

import os

from aiohttp import web

from ._errors import ApiError
from ._http import CLOSE_CONNECTION, context, created, json_body, ok
from ._i18n import language_of
from ._keys import PROCESSOR, STORE
from ._rules import PASSWORD_RULES, generate_password, is_email, password_rule_failures
from ._state import Session, Token, iso, new_id
from ._store import Store
from ._upload import receive_content
from ._views import session_href, session_view, transfer_href

__all__ = ["add_sender_routes", "email_of", "location", "verified"]


def email_of(request: web.Request) -> str:
    """The ``{email}`` path variable (already percent-decoded); 400/1005 if not an address."""
    email = request.match_info["email"]
    if not is_email(email):
        raise ApiError.invalid_path("email address")
    return email


def verified(request: web.Request) -> tuple[Store, str, Token]:
    """Store, path email and the request's token, which must be valid for (email, client id)."""
    store = request.app[STORE]
    email = email_of(request)
    ctx = context(request)
    return store, email, store.authenticate(ctx.token, email, ctx.client_id)


def location(store: Store, path: str) -> str:
    return f"{store.root_url}{path}" if store.config.absolute_locations else path


async def server_status(request: web.Request) -> web.Response:
    major_minor = {"major": 1, "minor": request.app[STORE].config.max_minor_version}
    return web.json_response({"apiVersions": {"uiApiVersions": [major_minor]}})


async def new_client_id(request: web.Request) -> web.Response:
    return ok({"clientId": new_id(64)})


async def verification_status(request: web.Request) -> web.Response:
    store, email, ctx = request.app[STORE], email_of(request), context(request)
    token = store.find_token(ctx.token, email, ctx.client_id)
    data: dict[str, object] = {
        "verified": token is not None,
        "verificationMethods": store.verification_methods(ctx.client_id),
    }
    if token is not None:
        data["validUntil"] = iso(token.valid_until)
    return ok(data)


async def request_email_code(request: web.Request) -> web.Response:
    store, email, ctx = request.app[STORE], email_of(request), context(request)
    await request.read()
    store.request_code(email, ctx.client_id, language_of(ctx.accept_language))
    return web.Response(status=200)


async def request_token(request: web.Request) -> web.Response:
    store, email, ctx = request.app[STORE], email_of(request), context(request)
    body = await json_body(request, optional=True)
    code = body.get("verificationCode")
    if code is None:
        token = store.token_by_client_id(email, ctx.client_id)
    elif isinstance(code, str):
        token = store.token_by_code(email, ctx.client_id, code)
    else:
        raise ApiError.invalid("verificationCode")
    return ok({"token": token.value, "validUntil": iso(token.valid_until)})


async def generate(request: web.Request) -> web.Response:
    return ok({"password": generate_password()})


async def validate(request: web.Request) -> web.Response:
    body = await json_body(request)
    password = body.get("password")
    if not isinstance(password, str):
        raise ApiError.invalid("password")
    failures = password_rule_failures(password)
    return ok({"valid": not failures, "rulesNotFulfilled": failures})


async def requirements(request: web.Request) -> web.Response:
    return ok(PASSWORD_RULES)


async def transfer_policy(request: web.Request) -> web.Response:
    """The effective policy for this sender and these recipients (403/3010: sender refused).

    ``failedRecipients`` only when not allowed, ``settings`` only when allowed (schema).
    """
    store, email, _token = verified(request)
    body = await json_body(request)
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ApiError.invalid("recipients")
    policy = store.policy_for(email)
    if not policy.sender_allowed:
        raise ApiError(403, 3010)
    failed = [
        {"emailAddress": r, "reason": "POLICY_MISMATCH"}
        for r in dict.fromkeys(recipients)
        if not policy.recipient_allowed(r)
    ]
    if failed:
        return ok({"allowed": False, "failedRecipients": failed})
    return ok({"allowed": True, "settings": policy.settings()})


async def create_session(request: web.Request) -> web.Response:
    store, email, token = verified(request)
    body = await json_body(request)
    language = language_of(context(request).accept_language)
    session = store.create_session(email, token, body, language)
    return created(location(store, session_href(email, session.tracking_id)))


def _session(request: web.Request) -> tuple[Store, Session]:
    store, email, token = verified(request)
    return store, store.session_for(email, request.match_info["tracking_id"], token)


async def get_session(request: web.Request) -> web.Response:
    store, session = _session(request)
    return ok(session_view(store, session))


async def patch_session(request: web.Request) -> web.Response:
    store, session = _session(request)
    store.patch_session(session, await json_body(request))
    return ok(session_view(store, session))


async def delete_session(request: web.Request) -> web.Response:
    store, session = _session(request)
    store.delete_session(session)
    return web.Response(status=204)


async def finalize(request: web.Request) -> web.Response:
    store, session = _session(request)
    await request.read()
    transfer = store.finalize(session)
    request.app[PROCESSOR].schedule(transfer)
    return created(location(store, transfer_href(session.email, transfer.tracking_id)))


async def register_file(request: web.Request) -> web.Response:
    store, session = _session(request)
    stored = store.register_file(session, await json_body(request))
    href = f"{session_href(session.email, session.tracking_id)}/files/{stored.id}"
    return created(location(store, href), {"fileId": stored.id})


async def put_content(request: web.Request) -> web.Response:
    store, session = _session(request)
    stored = store.file_for(session, request.match_info["file_id"])
    # The page says the content "has to" be application/octet-stream: a wrong type is
    # refused, an absent one accepted (clients that send none work with the server).
    raw_type = request.headers.get("Content-Type")
    media_type = (raw_type or "").split(";", 1)[0].strip().lower()
    if raw_type is not None and media_type != "application/octet-stream":
        raise ApiError.invalid("Content-Type (application/octet-stream is required)")
    part = session.directory / f"{stored.id}.{new_id(8)}.part"
    received = await receive_content(
        request, part, store.config.direct_receive_min_bytes, store.recycler.open_for_writing
    )
    if received.direct:
        request[CLOSE_CONNECTION] = True
    if store.sessions.get(session.tracking_id) is not session or stored.id not in session.files:
        part.unlink(missing_ok=True)
        raise ApiError.not_found("file (deleted during the upload)")
    final = session.directory / stored.id
    os.replace(part, final)
    store.content_uploaded(stored, final, received.size)
    return web.Response(status=200)


async def delete_file(request: web.Request) -> web.Response:
    store, session = _session(request)
    store.delete_file(session, store.file_for(session, request.match_info["file_id"]))
    return web.Response(status=204)


def add_sender_routes(app: web.Application) -> None:
    user = "/api/users/{email}"
    session = user + "/transfer-sessions/{tracking_id}"
    app.router.add_get("/api/status", server_status)
    app.router.add_get("/api/clients", new_client_id)
    app.router.add_get("/api/password", generate)
    app.router.add_post("/api/password", validate)
    app.router.add_get("/api/password/requirements", requirements)
    app.router.add_get(user + "/verification", verification_status)
    app.router.add_post(user + "/verification/code/email", request_email_code)
    app.router.add_post(user + "/verification/token", request_token)
    app.router.add_post(user + "/transfer-policy", transfer_policy)
    app.router.add_post(user + "/transfer-sessions", create_session)
    app.router.add_get(session, get_session)
    app.router.add_patch(session, patch_session)
    app.router.add_delete(session, delete_session)
    app.router.add_post(session, finalize)
    app.router.add_post(session + "/files", register_file)
    app.router.add_put(session + "/files/{file_id}/content", put_content)
    app.router.add_delete(session + "/files/{file_id}", delete_file)
