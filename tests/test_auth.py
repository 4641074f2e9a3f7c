"""Sessions and the auth endpoints, on a real PostgreSQL: login (and its throttling), me,
logout, refresh-token rotation and reuse, password change, forged tokens, the per-process
cache of session and key state, disabled clients, API keys, and the cookies' attributes."""
from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import ssl
import statistics
import time
import uuid
import warnings
from dataclasses import dataclass
from http.cookies import SimpleCookie

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.accounts import passwords, sessions, tokens
from configurator_addon.server import authentication, keys
from configurator_addon.server.app import create_app
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import api_settings

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = passwords.hash_password(PASSWORD)
SESSION, REFRESH = authentication.SESSION_COOKIE, authentication.REFRESH_COOKIE


@dataclass
class User:
    id: uuid.UUID
    client_id: uuid.UUID
    email: str


@pytest.fixture
async def auth(database, tmp_path, request):
    """The app with a client that keeps no cookies: each test sends the ones it means to."""
    marker = request.node.get_closest_marker("api_settings")
    settings = api_settings(database, str(tmp_path / "var"), **(dict(marker.kwargs) if marker else {}))
    async with TestClient(TestServer(create_app(settings, role="all")), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield client


def pool_of(client):
    return client.server.app[keys.RESOURCES].pool


async def new_client(client, name: str = "Acme Kitchens") -> uuid.UUID:
    return await pool_of(client).fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)


async def new_user(client, client_id=None, *, role: str = "admin", email: str | None = None) -> User:
    client_id = client_id or await new_client(client)
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await pool_of(client).fetchval(
        "INSERT INTO users (client_id, email, name, role, password_hash) VALUES ($1, $2, 'Ada', $3, $4) RETURNING id",
        client_id, email, role, PASSWORD_HASH)
    return User(user_id, client_id, email)


async def new_key(client, client_id, kind: str = "secret", *, role: str = "admin", origins=()) -> str:
    key = tokens.new_api_key(kind)
    await pool_of(client).execute(
        "INSERT INTO api_keys (client_id, kind, role, shown_prefix, key_hash, allowed_origins) "
        "VALUES ($1, $2, $3, $4, $5, $6)", client_id, kind, "storefront" if kind == "publishable" else role,
        key[:tokens.SHOWN_PREFIX_CHARS], tokens.token_hash(key), list(origins))
    return key


async def new_product(client, client_id, name: str = "Cabinet") -> uuid.UUID:
    return await pool_of(client).fetchval(
        "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
        "VALUES ($1, $2, 'templates/x.blend', $3, '{}'::json) RETURNING id", client_id, name, "0" * 64)


def cookies_of(response) -> dict[str, str]:
    return {name: morsel.value for name, morsel in response.cookies.items()}


def cookie_header(**cookies) -> dict:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


# The web app's origin in the test settings (`CORS_ORIGINS`): where a browser's requests come from.
APP_ORIGIN = "http://localhost:5173"
CSRF = "csrf_token"  # where `logged_in` keeps the session's CSRF token beside the cookies


def session_header(cookies: dict) -> dict:
    """The session cookie, and what a page of the web app sends with it: its Origin and the
    session's CSRF token (when `logged_in` fetched it)."""
    header = cookie_header(**{SESSION: cookies[SESSION]})
    if CSRF in cookies:
        header |= {"Origin": APP_ORIGIN, authentication.CSRF_HEADER: cookies[CSRF]}
    return header


def browser_header(cookies: dict) -> dict:
    """Both cookies, as the browser sends them to /api/v1/auth, with the page's Origin and
    CSRF token."""
    return cookie_header(**{SESSION: cookies[SESSION], REFRESH: cookies[REFRESH]}) | {
        "Origin": APP_ORIGIN, authentication.CSRF_HEADER: cookies[CSRF]}


def refresh_header(cookies: dict) -> dict:
    return cookie_header(**{REFRESH: cookies[REFRESH]})


async def login(client, email: str, password: str = PASSWORD, status: int = 200):
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status == status, await response.text()
    return response


async def logged_in(client, user: User) -> dict:
    """The session's cookies, and its CSRF token under `CSRF`."""
    cookies = cookies_of(await login(client, user.email))
    me = await client.get("/api/v1/auth/me", headers=cookie_header(**{SESSION: cookies[SESSION]}))
    assert me.status == 200, await me.text()
    return cookies | {CSRF: (await me.json())["csrf_token"]}


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body["status"] == status
    return body


async def actions(client, client_id) -> list[str]:
    rows = await pool_of(client).fetch("SELECT action FROM audit_events WHERE client_id = $1 ORDER BY id", client_id)
    return [row["action"] for row in rows]


async def signing_key(client) -> bytes:
    return bytes(await pool_of(client).fetchval("SELECT value FROM service_secrets WHERE name = 'session_signing_key'"))


# -- login, me, logout --------------------------------------------------------------------
async def test_login_answers_who_and_me_gives_the_csrf_token(auth):
    user = await new_user(auth, role="member")
    response = await login(auth, user.email.upper())  # emails match regardless of case
    body = await response.json()
    assert body == {"user": {"id": str(user.id), "email": user.email, "name": "Ada", "role": "member"},
                    "client": {"id": str(user.client_id), "name": "Acme Kitchens"}}
    cookies = cookies_of(response)
    assert set(cookies) == {SESSION, REFRESH}

    me = await auth.get("/api/v1/auth/me", headers=session_header(cookies))
    assert me.status == 200, await me.text()
    me_body = await me.json()
    assert me_body["user"] == body["user"] and me_body["client"] == body["client"]
    session_id = uuid.UUID(jwt.decode(cookies[SESSION], options={"verify_signature": False})["sid"])
    expected = base64.urlsafe_b64encode(hmac.new(await signing_key(auth), b"csrf:" + session_id.bytes,
                                                 hashlib.sha256).digest()).rstrip(b"=").decode()
    assert me_body["csrf_token"] == expected
    assert await actions(auth, user.client_id) == ["login.succeeded"]

    await problem(await auth.get("/api/v1/auth/me"), 401)  # no session


async def test_wrong_password_and_unknown_email_are_the_same_answer_in_the_same_time(auth):
    user = await new_user(auth)
    wrong, unknown = [], []
    bodies = set()
    for _ in range(3):  # below the throttle: 3 failures per email
        for email, times in ((user.email, wrong), ("nobody@example.com", unknown)):
            started = time.perf_counter()
            response = await login(auth, email, "not the password", status=401)
            times.append(time.perf_counter() - started)
            bodies.add(json.dumps(await problem(response, 401), sort_keys=True))
            assert not response.cookies
    assert len(bodies) == 1  # not a byte of difference
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (wrong, unknown)  # both verify an argon2 hash
    assert await actions(auth, user.client_id) == ["login.failed"] * 3
    await problem(await auth.post("/api/v1/auth/login", json={"email": user.email}), 422)


async def test_logout_revokes_the_session_and_clears_the_cookies(auth):
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    response = await auth.post("/api/v1/auth/logout", headers=browser_header(cookies))
    assert response.status == 204
    for name, path in ((SESSION, "/"), (REFRESH, "/api/v1/auth")):
        morsel = response.cookies[name]
        assert morsel.value == "" and morsel["max-age"] == "0" and morsel["path"] == path
    await problem(await auth.get("/api/v1/auth/me", headers=session_header(cookies)), 401)
    await problem(await auth.get("/api/v1/products", headers=session_header(cookies)), 401)
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(cookies)), 401)
    assert await actions(auth, user.client_id) == ["login.succeeded", "logout"]
    # Logging out again, or with nothing, is fine; logging in again works.
    assert (await auth.post("/api/v1/auth/logout", headers=browser_header(cookies))).status == 204
    assert (await auth.post("/api/v1/auth/logout")).status == 204
    await login(auth, user.email)


async def test_logout_with_only_the_refresh_token_revokes_its_session(auth):
    """An expired access cookie is no longer sent by some clients: the refresh cookie names the session."""
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    assert (await auth.post("/api/v1/auth/logout", headers=refresh_header(cookies))).status == 204
    await problem(await auth.get("/api/v1/auth/me", headers=session_header(cookies)), 401)


async def test_a_stale_cookie_does_not_stand_in_the_way_of_logging_in_or_the_web_app(auth):
    user = await new_user(auth)
    stale = cookie_header(**{SESSION: "not-a-token"})
    response = await auth.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}, headers=stale)
    assert response.status == 200
    await problem(await auth.get("/api/v1/products", headers=stale), 401)
    assert (await auth.get("/api/v1/openapi.json", headers=stale)).status == 200
    assert (await auth.get("/health", headers=stale)).status == 200


# -- throttling ---------------------------------------------------------------------------
async def test_five_failures_then_429_with_retry_after_even_for_the_right_password(auth):
    user = await new_user(auth)
    for _ in range(5):
        await login(auth, user.email, "guess", status=401)
    response = await login(auth, user.email, PASSWORD, status=429)
    body = await problem(response, 429)
    assert body["code"] == "RATE_LIMITED"
    assert 1 <= int(response.headers["Retry-After"]) <= sessions.FAILURE_WINDOW_SECONDS
    other = await new_user(auth)  # another email from the same address is not held up
    await login(auth, other.email)

    # Once the oldest failures leave the window, one more try is allowed.
    await pool_of(auth).execute(
        "UPDATE login_failures SET failed_at = failed_at - interval '16 minutes' "
        "WHERE ctid = (SELECT ctid FROM login_failures WHERE email = lower($1) ORDER BY failed_at LIMIT 1)",
        user.email)
    await login(auth, user.email, PASSWORD)


async def test_a_success_does_not_reset_the_count_and_parallel_guesses_are_all_counted(auth):
    user = await new_user(auth)
    for _ in range(4):
        await login(auth, user.email, "guess", status=401)
    await login(auth, user.email)  # a success between failures does not forget them
    await login(auth, user.email, "guess", status=401)
    await login(auth, user.email, status=429)

    other = await new_user(auth)
    answers = await asyncio.gather(*[
        auth.post("/api/v1/auth/login", json={"email": other.email, "password": "guess"}) for _ in range(9)])
    statuses = sorted(response.status for response in answers)
    assert statuses == [401] * 5 + [429] * 4, statuses


# -- refresh ------------------------------------------------------------------------------
async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(auth):
    user = await new_user(auth)
    first = await logged_in(auth, user)
    response = await auth.post("/api/v1/auth/refresh", headers=refresh_header(first))
    assert response.status == 200, await response.text()
    assert (await response.json())["user"]["id"] == str(user.id)
    second = cookies_of(response)
    assert second[REFRESH] != first[REFRESH] and second[SESSION]
    assert (await auth.get("/api/v1/auth/me", headers=session_header(second))).status == 200

    # The first refresh token again: someone holds a copy. The whole session goes.
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(first)), 401)
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(second)), 401)
    await problem(await auth.get("/api/v1/auth/me", headers=session_header(second)), 401)
    await problem(await auth.get("/api/v1/auth/me", headers=session_header(first)), 401)
    assert await actions(auth, user.client_id) == ["login.succeeded", "session.reused"]

    await problem(await auth.post("/api/v1/auth/refresh"), 401)
    await problem(await auth.post("/api/v1/auth/refresh", headers=cookie_header(**{REFRESH: "made-up"})), 401)


async def test_another_sessions_reuse_does_not_touch_this_one(auth):
    user = await new_user(auth)
    mine, theirs = await logged_in(auth, user), await logged_in(auth, user)
    await auth.post("/api/v1/auth/refresh", headers=refresh_header(theirs))
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(theirs)), 401)
    assert (await auth.get("/api/v1/auth/me", headers=session_header(mine))).status == 200


# -- password change ----------------------------------------------------------------------
async def test_a_password_change_revokes_every_other_session_and_keeps_this_one(auth):
    user = await new_user(auth)
    here, elsewhere = await logged_in(auth, user), await logged_in(auth, user)
    new_password = "a much longer passphrase"

    def change(current, new, cookies=here):
        return auth.post("/api/v1/auth/password", json={"current_password": current, "new_password": new},
                         headers=session_header(cookies))

    assert (await auth.get("/api/v1/auth/me", headers=session_header(elsewhere))).status == 200  # state cached
    await problem(await change("wrong password", new_password), 403)
    body = await problem(await change(PASSWORD, "short"), 422)
    assert body["errors"][0]["pointer"] == "/new_password"
    await problem(await auth.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                                  "new_password": new_password}), 401)
    response = await change(PASSWORD, new_password)
    assert response.status == 204, await response.text()
    renewed = cookies_of(response)
    assert renewed[REFRESH] != here[REFRESH]

    await problem(await auth.get("/api/v1/auth/me", headers=session_header(elsewhere)), 401)
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(elsewhere)), 401)
    assert (await auth.get("/api/v1/auth/me", headers=session_header(here))).status == 200
    assert (await auth.get("/api/v1/auth/me", headers=session_header(renewed))).status == 200
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(here)), 401)  # replaced
    assert (await auth.post("/api/v1/auth/refresh", headers=refresh_header(renewed))).status == 200

    await login(auth, user.email, PASSWORD, status=401)
    await login(auth, user.email, new_password)
    assert "password.changed" in await actions(auth, user.client_id)


async def test_a_removed_users_sessions_end_with_it(auth, monkeypatch):
    monkeypatch.setattr(authentication, "CACHE_SECONDS", 0.0)
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    await pool_of(auth).execute("DELETE FROM users WHERE id = $1", user.id)
    assert await pool_of(auth).fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user.id) == 0
    await problem(await auth.get("/api/v1/products", headers=session_header(cookies)), 401)
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(cookies)), 401)


# -- forged tokens ------------------------------------------------------------------------
def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_tampered_and_expired_tokens_are_refused(auth):
    from cryptography.hazmat.primitives.asymmetric import rsa

    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    good = cookies[SESSION]
    key = await signing_key(auth)
    claims = jwt.decode(good, key, algorithms=["HS256"], audience=sessions.AUDIENCE)
    now = int(time.time())
    header, payload, signature = good.split(".")
    other_client = await new_client(auth, "Someone else")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {
        "another key": jwt.encode(claims, b"k" * 32, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "alg none, no signature": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS512 with the right key": _quietly(jwt.encode, claims, key, algorithm="HS512"),
        "RS256": jwt.encode(claims, rsa_key, algorithm="RS256"),
        "RS256 header, HMAC signature": _hs256_with_header({"alg": "RS256", "typ": "JWT"}, claims, key),
        "expired": jwt.encode({**claims, "iat": now - 3600, "exp": now - 60}, key, algorithm="HS256"),
        "tampered payload": f"{header}.{_segment({**claims, 'cid': str(other_client)})}.{signature}",
        "no session claim": jwt.encode({k: v for k, v in claims.items() if k != "sid"}, key, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256"),
        "another audience": jwt.encode({**claims, "aud": "elsewhere"}, key, algorithm="HS256"),
        "another issuer": jwt.encode({**claims, "iss": "elsewhere"}, key, algorithm="HS256"),
        "garbage": "a.b.c",
        "huge": "x" * 5_000,
    }
    for name, token in forged.items():
        for path in ("/api/v1/products", "/api/v1/auth/me"):
            response = await auth.get(path, headers=cookie_header(**{SESSION: token}))
            body = await problem(response, 401)
            # Only a genuine token past its time says so: the web app then refreshes it.
            assert (body["code"] == "SESSION_EXPIRED") == (name == "expired"), (name, body)
    # The same claims, signed properly, are fine: what is refused is the forgery.
    resigned = jwt.encode({**claims, "iat": now}, key, algorithm="HS256")
    assert (await auth.get("/api/v1/auth/me", headers=cookie_header(**{SESSION: resigned}))).status == 200


async def test_an_access_token_that_expires_while_remembered_is_refused(auth, monkeypatch):
    """Verified tokens are remembered a few seconds, their expiry is still checked each time."""
    for module in (sessions, authentication):
        monkeypatch.setattr(module, "CLOCK_LEEWAY_SECONDS", 0)
    user = await new_user(auth)
    claims = jwt.decode((await logged_in(auth, user))[SESSION], options={"verify_signature": False})
    now = int(time.time())
    short = jwt.encode({**claims, "iat": now, "exp": now + 1}, await signing_key(auth), algorithm="HS256")
    assert (await auth.get("/api/v1/products", headers=cookie_header(**{SESSION: short}))).status == 200
    await asyncio.sleep(max(0.0, now + 1.2 - time.time()))
    await problem(await auth.get("/api/v1/products", headers=cookie_header(**{SESSION: short})), 401)


def _quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjwt warns that the key is short for HS512: the forger's concern
        return fn(*args, **kwargs)


def _hs256_with_header(header: dict, claims: dict, key: bytes) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_the_signing_key_is_made_once_and_shared(auth):
    pool = pool_of(auth)
    first, second = sessions.Sessions(pool), sessions.Sessions(pool)  # two processes on one database
    keys_read = await asyncio.gather(first.signing_key(), second.signing_key(),
                                     auth.server.app[authentication.AUTHENTICATOR].sessions.signing_key())
    assert len(set(keys_read)) == 1 and len(keys_read[0]) == 32
    assert await pool.fetchval("SELECT count(*) FROM service_secrets") == 1


# -- the cache of session state -----------------------------------------------------------
async def _refused_within(client, cookies: dict, status: int, limit: float) -> float:
    started = time.monotonic()
    while True:
        response = await client.get("/api/v1/products", headers=session_header(cookies))
        if response.status == status:
            return time.monotonic() - started
        assert response.status == 200, await response.text()
        assert time.monotonic() - started < limit, f"still {response.status} after {limit} s"
        await asyncio.sleep(0.05)


async def test_a_session_revoked_elsewhere_is_refused_within_the_cache_lifetime(auth, monkeypatch):
    monkeypatch.setattr(authentication, "CACHE_SECONDS", 1.0)
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    assert (await auth.get("/api/v1/products", headers=session_header(cookies))).status == 200
    # Revoked by another process: this one learns it when its cached state expires ...
    await pool_of(auth).execute("UPDATE sessions SET revoked_at = now() WHERE user_id = $1", user.id)
    # ... and not before: requests in between cost no database round trip.
    assert (await auth.get("/api/v1/products", headers=session_header(cookies))).status == 200
    assert await _refused_within(auth, cookies, 401, limit=1.5) <= 1.5


async def test_a_disabled_client_is_refused_within_the_cache_lifetime_and_enabling_restores(auth, monkeypatch):
    monkeypatch.setattr(authentication, "CACHE_SECONDS", 1.0)
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    key = await new_key(auth, user.client_id)
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await auth.get("/api/v1/products", headers=bearer)).status == 200
    await pool_of(auth).execute("UPDATE clients SET disabled_at = now() WHERE id = $1", user.client_id)
    await _refused_within(auth, cookies, 403, limit=1.5)
    await asyncio.sleep(1.0)
    body = await problem(await auth.get("/api/v1/products", headers=bearer), 403)
    assert "disabled" in body["detail"]
    await problem(await auth.post("/api/v1/auth/refresh", headers=refresh_header(cookies)), 403)
    await login(auth, user.email, status=403)  # the right password, a disabled client
    await login(auth, user.email, "wrong", status=401)  # and a wrong one says nothing more

    await pool_of(auth).execute("UPDATE clients SET disabled_at = NULL WHERE id = $1", user.client_id)
    await asyncio.sleep(1.0)
    assert (await auth.get("/api/v1/products", headers=session_header(cookies))).status == 200
    assert (await auth.get("/api/v1/products", headers=bearer)).status == 200


# -- API keys and the request's client ----------------------------------------------------
async def test_a_credential_decides_the_client_and_x_client_id_is_ignored(auth):
    user = await new_user(auth)
    theirs = await new_product(auth, user.client_id, "Their cabinet")
    demo = await new_product(auth, DEMO_CLIENT_ID, "Demo cabinet")
    key = await new_key(auth, user.client_id)
    cookies = await logged_in(auth, user)
    for credential in ({"Authorization": f"Bearer {key}"}, session_header(cookies)):
        response = await auth.get("/api/v1/products", headers={**credential, "X-Client-Id": str(DEMO_CLIENT_ID)})
        assert [p["id"] for p in (await response.json())["items"]] == [str(theirs)]
        await problem(await auth.get(f"/api/v1/products/{demo}", headers=credential), 404)
        created = await auth.post("/api/v1/configurations", headers=credential,
                                  json={"product_id": str(theirs), "name": "Mine"})
        assert created.status == 201, await created.text()
    # Without a credential, naming a client grants nothing.
    await problem(await auth.get("/api/v1/products", headers={"X-Client-Id": str(DEMO_CLIENT_ID)}), 401)
    configurations = await pool_of(auth).fetch("SELECT user_id FROM configurations WHERE client_id = $1 "
                                                "ORDER BY created_at", user.client_id)
    assert [row["user_id"] for row in configurations] == [None, user.id]  # a key has no user


async def test_bad_keys_are_401(auth):
    client_id = await new_client(auth)
    key = await new_key(auth, client_id)
    await pool_of(auth).execute("UPDATE api_keys SET revoked_at = now()")
    for value in (key, tokens.new_api_key("secret"), tokens.new_api_key("publishable"), "not-a-key", "sk_" + "x" * 300):
        await problem(await auth.get("/api/v1/products", headers={"Authorization": f"Bearer {value}"}), 401)
    # Another scheme is no credential of ours: as without one.
    await problem(await auth.get("/api/v1/products", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


async def test_a_publishable_key_works_only_from_its_origins(auth):
    client_id = await new_client(auth)
    key = await new_key(auth, client_id, "publishable", origins=["https://shop.example"])
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await auth.get("/api/v1/products", headers={**bearer, "Origin": "https://shop.example"})).status == 200
    assert (await auth.get("/api/v1/products", headers=bearer)).status == 200  # not a browser
    for origin in ("https://evil.example", "https://shop.example.evil.example", "null"):
        await problem(await auth.get("/api/v1/products", headers={**bearer, "Origin": origin}), 403)


# -- cookies ------------------------------------------------------------------------------
def _attributes(response, name: str) -> dict[str, str]:
    for header in response.headers.getall("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            parts = [p.strip() for p in header.split(";")[1:]]
            return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}
    raise AssertionError(f"no {name} cookie")


async def test_cookies_are_httponly_lax_and_not_secure_over_plain_http(auth):
    user = await new_user(auth)
    response = await auth.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD},
                               headers={"X-Forwarded-Proto": "https"})  # a proxy's word is not taken
    for name, path in ((SESSION, "/"), (REFRESH, "/api/v1/auth")):
        attributes = _attributes(response, name)
        assert "httponly" in attributes and attributes["samesite"] == "Lax" and attributes["path"] == path
        assert "secure" not in attributes


@pytest.mark.api_settings(public_base_url="https://configurator.example")
async def test_cookies_are_secure_when_the_public_address_is_https(auth):
    user = await new_user(auth)
    response = await login(auth, user.email)
    for name in (SESSION, REFRESH):
        attributes = _attributes(response, name)
        assert "secure" in attributes and "httponly" in attributes and attributes["samesite"] == "Lax"
    logout = await auth.post("/api/v1/auth/logout", headers=browser_header(await logged_in(auth, user)))
    assert "secure" in _attributes(logout, SESSION)


def _self_signed(tmp_path) -> ssl.SSLContext:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


async def test_cookies_are_secure_over_https(database, tmp_path):
    server = TestServer(create_app(api_settings(database, str(tmp_path / "var")), role="all"))
    await server.start_server(ssl=_self_signed(tmp_path))
    async with TestClient(server, cookie_jar=aiohttp.DummyCookieJar()) as client:
        user = await new_user(client)
        response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}, ssl=False)
        assert response.status == 200, await response.text()
        for name in (SESSION, REFRESH):
            assert "secure" in _attributes(response, name)


# -- CSRF -----------------------------------------------------------------------------------
@pytest.mark.parametrize("forged", [
    {"Origin": APP_ORIGIN},  # no token
    {"Origin": APP_ORIGIN, authentication.CSRF_HEADER: "not-the-token"},
    {"Origin": "https://evil.example", authentication.CSRF_HEADER: None},  # the right token, another site
    {authentication.CSRF_HEADER: None},  # the right token, no Origin
], ids=["no-token", "wrong-token", "foreign-origin", "no-origin"])
async def test_an_unsafe_request_with_a_session_needs_its_csrf_token_and_origin(auth, forged):
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    headers = cookie_header(**{SESSION: cookies[SESSION]}) | {
        name: cookies[CSRF] if value is None else value for name, value in forged.items()}
    change = {"current_password": PASSWORD, "new_password": "a brand new password"}
    await problem(await auth.post("/api/v1/auth/password", json=change, headers=headers), 403)
    await login(auth, user.email)  # the password did not change
    response = await auth.post("/api/v1/auth/password", json=change, headers=session_header(cookies))
    assert response.status == 204, await response.text()
    await login(auth, user.email, "a brand new password")


async def test_requests_with_an_api_key_need_no_csrf_token(auth):
    user = await new_user(auth)
    key = await new_key(auth, user.client_id, role="admin")
    response = await auth.post("/api/v1/api-keys", json={"kind": "secret", "role": "viewer"},
                               headers={"Authorization": f"Bearer {key}", "Origin": "https://evil.example"})
    assert response.status == 201, await response.text()


async def test_a_password_change_spends_the_users_outstanding_reset_links(auth):
    user = await new_user(auth)
    cookies = await logged_in(auth, user)
    await pool_of(auth).execute(
        "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
        tokens.token_hash("an emailed link"), user.id)
    change = {"current_password": PASSWORD, "new_password": "a brand new password"}
    assert (await auth.post("/api/v1/auth/password", json=change, headers=session_header(cookies))).status == 204
    confirm = {"token": "an emailed link", "password": "yet another password"}
    assert (await auth.post("/api/v1/auth/password-reset/confirm", json=confirm)).status == 400
