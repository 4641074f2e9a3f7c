"""Password reset, invitations and the users endpoints, with a real local SMTP server
(aiosmtpd) receiving what the service sends: links arrive, set a password once and not
after they expire, unknown emails get the same answer and no mail; the users endpoints
answer only a client's admins, never touch another client's users, and keep one admin."""
from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
import socket
import statistics
import threading
import time
import urllib.parse
import uuid

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from configurator_addon.accounts import password_resets, passwords, tokens
from configurator_addon.server.app import create_app
from fixtures_api import api_settings
from test_auth import (
    PASSWORD,
    actions,
    cookies_of,
    logged_in,
    login,
    new_client,
    new_key,
    new_user,
    pool_of,
    problem,
    session_header,
)

NEW_PASSWORD = "a brand new password of mine"
LINK = re.compile(r"(https?://\S+/reset-password\?token=\S+)")


class Inbox:
    """What the SMTP server received: (recipients, parsed message) in order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [message for rcpts, message in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


async def _app(database, tmp_path, **settings):
    app = create_app(api_settings(database, str(tmp_path / "var"), **settings), role="all")
    return TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar())


@pytest.fixture
async def service(database, tmp_path, smtp, request):
    """The app sending mail to `smtp`; `@pytest.mark.api_settings(…)` adds settings."""
    marker = request.node.get_closest_marker("api_settings")
    client = await _app(database, tmp_path, smtp_url=smtp.url, **(dict(marker.kwargs) if marker else {}))
    async with client:
        yield client
        await password_resets.settled()


async def ask_reset(client, address: str, status: int = 202, headers=None):
    response = await client.post("/api/v1/auth/password-reset", json={"email": address}, headers=headers)
    assert response.status == status, await response.text()
    await password_resets.settled()  # the lookup and the mail happen after the answer
    return response


def link_in(message) -> str:
    found = LINK.findall(message.get_content())
    assert len(found) == 1, message.get_content()
    return found[0]


def token_of(link: str) -> str:
    (token,) = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"]
    return token


async def confirm(client, token: str, password: str = NEW_PASSWORD, status: int | None = 204):
    response = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": password})
    if status is not None:
        assert response.status == status, await response.text()
    return response


# -- password reset -------------------------------------------------------------------------
async def test_a_mailed_link_sets_a_new_password_and_ends_every_session(service, smtp):
    user = await new_user(service, role="member")
    first, second = await logged_in(service, user), await logged_in(service, user)
    assert (await service.get("/api/v1/auth/me", headers=session_header(first))).status == 200  # its state cached

    response = await ask_reset(service, user.email.upper())  # any case names the user
    assert await response.read() == b""
    (message,) = smtp.to(user.email)
    assert message["To"] == user.email and message["Subject"] == "Reset your Configurator password"
    assert message["From"] == "Configurator <no-reply@localhost>"
    link = link_in(message)
    assert link.startswith(f"http://127.0.0.1:{service.server.port}/reset-password?token=")
    expires = await pool_of(service).fetchval(
        "SELECT expires_at - created_at FROM password_resets WHERE user_id = $1", user.id)
    assert expires.total_seconds() == 3600

    await confirm(service, token_of(link))
    await login(service, user.email, PASSWORD, status=401)
    await login(service, user.email, NEW_PASSWORD)
    for cookies in (first, second):
        await problem(await service.get("/api/v1/auth/me", headers=session_header(cookies)), 401)
    assert await actions(service, user.client_id) == [
        "login.succeeded", "login.succeeded", "password.reset_requested", "password.reset", "login.failed",
        "login.succeeded"]
    detail = await pool_of(service).fetchval("SELECT detail FROM audit_events WHERE action = 'password.reset'")
    assert detail == {"sessions_revoked": 2, "first_password": False}


async def test_a_link_works_once_and_not_once_expired_and_says_not_which(service, smtp, monkeypatch):
    hashed = []
    hash_password = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda password: hashed.append(1) or hash_password(password))
    user = await new_user(service)
    await ask_reset(service, user.email)
    used = token_of(link_in(smtp.to(user.email)[0]))
    await confirm(service, used)
    again = await problem(await confirm(service, used, "yet another password", status=400), 400)

    await ask_reset(service, user.email)
    expired = token_of(link_in(smtp.to(user.email)[1]))
    await pool_of(service).execute("UPDATE password_resets SET expires_at = now() - interval '1 second' "
                                   "WHERE token_hash = $1", tokens.token_hash(expired))
    late = await problem(await confirm(service, expired, "yet another password", status=400), 400)
    unknown = await problem(await confirm(service, tokens.new_token(), "yet another password", status=400), 400)
    assert again == late == unknown  # used, expired and unknown look alike
    assert len(hashed) == 1  # and cost no password hash
    await login(service, user.email, NEW_PASSWORD)  # none of them changed the password
    await login(service, user.email, "yet another password", status=401)


async def test_a_link_used_or_expired_while_the_password_is_hashed_is_refused(service, smtp, monkeypatch):
    """The token is checked again when it is spent: hashing takes a while, and meanwhile the
    link may be used by a parallel request or expire."""
    hash_password = passwords.hash_password

    def slow_hash(password):
        time.sleep(0.6)
        return hash_password(password)

    monkeypatch.setattr(passwords, "hash_password", slow_hash)
    user = await new_user(service)
    await ask_reset(service, user.email)
    token = token_of(link_in(smtp.to(user.email)[0]))
    answers = await asyncio.gather(confirm(service, token, status=None), confirm(service, token, status=None))
    assert sorted(response.status for response in answers) == [204, 400]

    await ask_reset(service, user.email)
    token = token_of(link_in(smtp.to(user.email)[1]))
    late = asyncio.create_task(confirm(service, token, "yet another password", status=None))
    await asyncio.sleep(0.3)  # checked, now being hashed
    await pool_of(service).execute("UPDATE password_resets SET expires_at = now() - interval '1 second' "
                                   "WHERE token_hash = $1", tokens.token_hash(token))
    await problem(await late, 400)
    await login(service, user.email, NEW_PASSWORD)


async def test_setting_a_password_spends_the_users_other_links(service, smtp):
    user = await new_user(service)
    await ask_reset(service, user.email)
    await ask_reset(service, user.email)
    older, newer = (token_of(link_in(message)) for message in smtp.to(user.email))
    await confirm(service, newer)
    await confirm(service, older, "yet another password", status=400)
    await login(service, user.email, NEW_PASSWORD)


async def test_a_refused_password_keeps_the_link(service, smtp):
    user = await new_user(service)
    await ask_reset(service, user.email)
    token = token_of(link_in(smtp.to(user.email)[0]))
    body = await problem(await confirm(service, token, "short", status=422), 422)
    assert body["errors"][0]["pointer"] == "/password"
    await confirm(service, token)


async def test_an_unknown_email_gets_the_same_answer_in_about_the_same_time_and_no_mail(service, smtp):
    known, unknown = [], []
    for _ in range(3):
        user = await new_user(service)
        for address, times in ((user.email, known), (f"nobody-{uuid.uuid4().hex[:6]}@example.com", unknown)):
            started = time.perf_counter()
            response = await service.post("/api/v1/auth/password-reset", json={"email": address})
            times.append(time.perf_counter() - started)
            assert response.status == 202 and await response.read() == b""
    await password_resets.settled()
    assert len(smtp.messages) == 3 and all(rcpts[0].startswith("user-") for rcpts, _ in smtp.messages)
    # Neither answer waits for the lookup or the mail: the same few database round trips.
    assert statistics.median(known) < 3 * statistics.median(unknown) + 0.05, (known, unknown)
    assert await pool_of(service).fetchval("SELECT count(*) FROM password_resets") == 3


async def test_reset_requests_are_throttled_per_email_and_address_alike_for_unknown_emails(service, smtp):
    user = await new_user(service)
    for address in (user.email, "nobody@example.com"):
        for _ in range(5):
            await ask_reset(service, address)
        response = await ask_reset(service, address.upper(), status=429)
        assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
        await problem(response, 429)
    assert len(smtp.to(user.email)) == 3  # a user is mailed 3 links an hour at most
    await ask_reset(service, "someone-else@example.com")  # another email is not held up
    assert (await login(service, user.email)).status == 200  # nor are this user's logins


async def test_a_reset_asked_through_an_untrusted_host_mails_no_link(service, smtp):
    user = await new_user(service)
    await ask_reset(service, user.email, headers={"Host": "attacker.example"})
    assert smtp.to(user.email) == []


@pytest.mark.api_settings(public_base_url="https://configurator.example/")
async def test_links_use_the_public_address_when_there_is_one(service, smtp):
    user = await new_user(service)
    await ask_reset(service, user.email, headers={"Host": "attacker.example"})
    assert link_in(smtp.to(user.email)[0]).startswith("https://configurator.example/reset-password?token=")


async def test_without_smtp_the_link_is_logged_and_a_failing_server_changes_no_answer(database, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="configurator.mail")
    async with await _app(database, tmp_path) as client:
        user = await new_user(client)
        await ask_reset(client, user.email)
        assert LINK.search(caplog.text) and user.email in caplog.text
    caplog.clear()
    async with await _app(database, tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}") as client:  # nobody there
        await ask_reset(client, user.email)
        assert "not sent" in caplog.text and "ConnectionRefusedError" in caplog.text
        cookies = await logged_in(client, user)
        response = await client.post("/api/v1/users", json={"email": "new@example.com", "name": "N", "role": "viewer"},
                                     headers=session_header(cookies))
        assert response.status == 201, await response.text()
        await password_resets.settled()


# -- invitations ------------------------------------------------------------------------------
async def test_an_invited_user_sets_a_password_with_the_mailed_link_and_logs_in(service, smtp):
    admin = await new_user(service, role="admin")
    cookies = await logged_in(service, admin)
    response = await service.post("/api/v1/users", json={"email": "Grace@Example.com", "name": "Grace",
                                                         "role": "member"}, headers=session_header(cookies))
    assert response.status == 201, await response.text()
    invited = await response.json()
    assert response.headers["Location"] == f"/api/v1/users/{invited['id']}"
    assert {k: invited[k] for k in ("email", "name", "role", "has_password")} == {
        "email": "Grace@Example.com", "name": "Grace", "role": "member", "has_password": False}
    await password_resets.settled()
    (message,) = smtp.to("Grace@Example.com")
    assert message["Subject"] == "You are invited to Acme Kitchens on Configurator"
    expires = await pool_of(service).fetchval(
        "SELECT expires_at - created_at FROM password_resets WHERE user_id = $1", uuid.UUID(invited["id"]))
    assert expires.days == 7

    await login(service, "grace@example.com", NEW_PASSWORD, status=401)  # no password yet
    await confirm(service, token_of(link_in(message)))
    body = await (await login(service, "grace@example.com", NEW_PASSWORD)).json()
    assert body["user"]["role"] == "member" and body["client"]["id"] == str(admin.client_id)
    listed = await (await service.get("/api/v1/users", headers=session_header(cookies))).json()
    assert [(u["email"], u["has_password"]) for u in listed["items"]] == [(admin.email, True),
                                                                            ("Grace@Example.com", True)]
    assert await actions(service, admin.client_id) == ["login.succeeded", "user.invited", "login.failed",
                                                       "password.reset", "login.succeeded"]
    again = await service.post("/api/v1/users", json={"email": "grace@EXAMPLE.com", "name": "G", "role": "viewer"},
                               headers=session_header(cookies))
    await problem(again, 409)  # emails are unique whatever their case


# -- the users endpoints ----------------------------------------------------------------------
async def _calls(client, client_id):
    """Each users endpoint, with a fresh target user (of `client_id`) where it needs one."""
    async def target():
        return (await new_user(client, client_id, role="viewer")).id
    return [
        ("GET", lambda: "/api/v1/users", None, 200),
        ("POST", lambda: "/api/v1/users",
         lambda: {"email": f"invitee-{uuid.uuid4().hex[:8]}@example.com", "name": "I", "role": "viewer"}, 201),
        ("PATCH", target, lambda: {"name": "Renamed", "role": "member"}, 200),
        ("DELETE", target, None, 204),
    ]


async def test_only_a_clients_admins_may_use_the_users_endpoints(service):
    admin = await new_user(service, role="admin")
    client_id = admin.client_id
    member = await new_user(service, client_id, role="member")
    viewer = await new_user(service, client_id, role="viewer")
    credentials = {
        "anonymous": ({}, 401),
        "viewer": (session_header(await logged_in(service, viewer)), 403),
        "member": (session_header(await logged_in(service, member)), 403),
        "member key": ({"Authorization": f"Bearer {await new_key(service, client_id, role='member')}"}, 403),
        "publishable key": ({"Authorization": f"Bearer {await new_key(service, client_id, 'publishable', origins=['https://shop.example'])}"}, 403),  # noqa: E501
        "admin": (session_header(await logged_in(service, admin)), None),
        "admin key": ({"Authorization": f"Bearer {await new_key(service, client_id, role='admin')}"}, None),
    }
    for method, path, body, ok in await _calls(service, client_id):
        for who, (headers, refused) in credentials.items():
            target = await path() if method in ("PATCH", "DELETE") else None
            url = f"/api/v1/users/{target}" if target else path()
            response = await service.request(method, url, json=body() if body else None, headers=headers)
            assert response.status == (refused or ok), (method, who, await response.text())
            if refused and target:  # a refused change changed nothing
                row = await pool_of(service).fetchrow("SELECT name, role FROM users WHERE id = $1", target)
                assert dict(row) == {"name": "Ada", "role": "viewer"}, (method, who)


async def test_another_clients_user_is_not_found_and_untouched(service):
    admin = await new_user(service, role="admin")
    headers = session_header(await logged_in(service, admin))
    other = await new_user(service, await new_client(service, "Other Kitchens"), role="admin")
    for method, body in (("PATCH", {"name": "Taken over", "role": "viewer"}), ("DELETE", None)):
        await problem(await service.request(method, f"/api/v1/users/{other.id}", json=body, headers=headers), 404)
    await problem(await service.patch(f"/api/v1/users/{uuid.uuid4()}", json={"name": "X"}, headers=headers), 404)
    await problem(await service.delete("/api/v1/users/not-an-id", headers=headers), 404)
    row = await pool_of(service).fetchrow("SELECT name, role FROM users WHERE id = $1", other.id)
    assert dict(row) == {"name": "Ada", "role": "admin"}
    listed = await (await service.get("/api/v1/users", headers=headers)).json()
    assert [u["id"] for u in listed["items"]] == [str(admin.id)]
    await login(service, other.email)
    assert await actions(service, other.client_id) == ["login.succeeded"]


async def test_the_clients_last_admin_can_be_neither_demoted_nor_removed(service):
    admin = await new_user(service, role="admin")
    headers = session_header(await logged_in(service, admin))
    mine = f"/api/v1/users/{admin.id}"
    await problem(await service.patch(mine, json={"role": "member"}, headers=headers), 409)
    await problem(await service.delete(mine, headers=headers), 409)
    key = {"Authorization": f"Bearer {await new_key(service, admin.client_id, role='admin')}"}
    await problem(await service.delete(mine, headers=key), 409)  # not by a key either
    assert (await service.patch(mine, json={"name": "Still admin", "role": "admin"}, headers=headers)).status == 200

    second = await new_user(service, admin.client_id, role="member")
    promoted = await service.patch(f"/api/v1/users/{second.id}", json={"role": "admin"}, headers=headers)
    assert (await promoted.json())["role"] == "admin"
    assert (await service.patch(mine, json={"role": "viewer"}, headers=headers)).status == 200
    await problem(await service.get("/api/v1/users", headers=headers), 403)  # the new role applies at once
    await problem(await service.delete(f"/api/v1/users/{second.id}", headers=key), 409)  # now the last one
    assert await actions(service, admin.client_id) == ["login.succeeded", "user.updated", "user.updated",
                                                       "user.updated"]


async def test_parallel_demotions_keep_one_admin(service):
    first = await new_user(service, role="admin")
    second = await new_user(service, first.client_id, role="admin")
    key = {"Authorization": f"Bearer {await new_key(service, first.client_id, role='admin')}"}
    answers = await asyncio.gather(*(service.patch(f"/api/v1/users/{user.id}", json={"role": "member"}, headers=key)
                                     for user in (first, second)))
    assert sorted(response.status for response in answers) == [200, 409]
    assert await pool_of(service).fetchval(
        "SELECT count(*) FROM users WHERE client_id = $1 AND role = 'admin'", first.client_id) == 1


async def test_a_removed_user_is_logged_out_at_once_and_audited(service):
    admin = await new_user(service, role="admin")
    headers = session_header(await logged_in(service, admin))
    leaving = await new_user(service, admin.client_id, role="member")
    their = session_header(await logged_in(service, leaving))
    assert (await service.get("/api/v1/auth/me", headers=their)).status == 200
    response = await service.delete(f"/api/v1/users/{leaving.id}", headers=headers)
    assert response.status == 204
    await problem(await service.get("/api/v1/auth/me", headers=their), 401)
    await problem(await service.get("/api/v1/products", headers=their), 401)
    await login(service, leaving.email, status=401)
    row = await pool_of(service).fetchrow(
        "SELECT actor, target, detail FROM audit_events WHERE action = 'user.removed'")
    assert dict(row) == {"actor": f"user:{admin.id}", "target": f"user:{leaving.id}",
                         "detail": {"email": leaving.email, "role": "member"}}
    await problem(await service.delete(f"/api/v1/users/{leaving.id}", headers=headers), 404)


async def test_user_changes_are_checked_and_audited(service):
    admin = await new_user(service, role="admin")
    headers = session_header(await logged_in(service, admin))
    user = await new_user(service, admin.client_id, role="viewer")
    url = f"/api/v1/users/{user.id}"
    await problem(await service.patch(url, json={"role": "owner"}, headers=headers), 422)
    await problem(await service.patch(url, json={"name": "   "}, headers=headers), 400)
    await problem(await service.post("/api/v1/users", json={"email": "not an email", "name": "N", "role": "viewer"},
                                     headers=headers), 400)
    unchanged = await service.patch(url, json={}, headers=headers)
    assert (await unchanged.json())["name"] == "Ada"
    changed = await (await service.patch(url, json={"name": "Ada L.", "role": "member"}, headers=headers)).json()
    assert (changed["name"], changed["role"]) == ("Ada L.", "member")
    detail = await pool_of(service).fetchval("SELECT detail FROM audit_events WHERE action = 'user.updated'")
    assert detail == {"name": {"from": "Ada", "to": "Ada L."}, "role": {"from": "viewer", "to": "member"}}
    assert cookies_of(unchanged) == {}
