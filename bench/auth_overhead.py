"""What authentication costs: logging in, and identifying every request.

One API process (`serve --role api`, its own embedded database and the seeded samples). A
user of the demo client is made in the database with the configured argon2id parameters.

(a) Login: `POST /api/v1/auth/login` one at a time (40; `--quick` 10), p50 and p95; and
    `passwords.verify_password` alone in this process, to show what argon2 is of it.
    Target: login p50 50–250 ms.
(b) GET /api/v1/products, one request at a time over one keep-alive connection each,
    interleaved: anonymous, with the session cookie, with a secret key (`Bearer sk_…`), so
    the three see the same machine (2000 rounds; `--quick` 300). Target: the session cookie
    adds ≤ 1 ms at p50 over anonymous.
(c) In this process: `Authenticator.identify` on a request with the session cookie, cache
    warm (the per-request work: JWT verification and a cache look-up).
Writes bench/results/auth_overhead.json.
"""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import aiohttp
import asyncpg

import bench_common as bc
import service_common as sc
from configurator_addon.accounts import passwords, tokens
from configurator_addon.accounts.sessions import Sessions
from configurator_addon.db.embedded import EmbeddedPostgres
from configurator_addon.db.pool import create_pool
from configurator_addon.server.authentication import SESSION_COOKIE, Authenticator
from configurator_addon.services.seeding import DEMO_CLIENT_ID

LOGINS, QUICK_LOGINS = 40, 10
ROUNDS, QUICK_ROUNDS = 2000, 300
WARMUP = 100
IDENTIFY_CALLS = 20_000
PASSWORD = "a bench password, long enough"
LOGIN_TARGET_MS = (50.0, 250.0)
TARGET_ADDED_MS = 1.0


async def make_user(dsn: str) -> tuple[str, str]:
    """A user of the demo client and a secret key of it; returns (email, key)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    key = tokens.new_api_key("secret")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "INSERT INTO users (client_id, email, name, role, password_hash) VALUES ($1, $2, 'Bench', 'admin', $3)",
            DEMO_CLIENT_ID, email, passwords.hash_password(PASSWORD))
        await connection.execute(
            "INSERT INTO api_keys (client_id, kind, role, shown_prefix, key_hash) "
            "VALUES ($1, 'secret', 'admin', $2, $3)",
            DEMO_CLIENT_ID, key[:tokens.SHOWN_PREFIX_CHARS], tokens.token_hash(key))
    finally:
        await connection.close()
    return email, key


async def bench_logins(url: str, email: str, count: int) -> tuple[list[float], str]:
    latencies, cookie = [], ""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        for _ in range(count):
            started = time.perf_counter()
            body = {"email": email, "password": PASSWORD}
            async with session.post(url + "/api/v1/auth/login", json=body) as response:
                await response.read()
                assert response.status == 200, response.status
                cookie = response.cookies[SESSION_COOKIE].value
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies, cookie


def bench_verify(count: int) -> list[float]:
    stored = passwords.hash_password(PASSWORD)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        assert passwords.verify_password(stored, PASSWORD)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def bench_products(url: str, cookie: str, key: str, rounds: int) -> dict[str, list[float]]:
    variants = {
        "anonymous": {},
        "session cookie": {"Cookie": f"{SESSION_COOKIE}={cookie}"},
        "secret key": {"Authorization": f"Bearer {key}"},
    }
    sessions = {name: aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), headers=headers,
                                            connector=aiohttp.TCPConnector(limit=1))
                for name, headers in variants.items()}
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for round_number in range(WARMUP + rounds):
            for name, session in sessions.items():
                started = time.perf_counter()
                async with session.get(url + "/api/v1/products") as response:
                    await response.read()
                    assert response.status == 200, (name, response.status)
                if round_number >= WARMUP:
                    latencies[name].append((time.perf_counter() - started) * 1000)
    finally:
        for session in sessions.values():
            await session.close()
    return latencies


async def bench_identify(dsn: str, cookie: str) -> list[float]:
    from aiohttp.test_utils import make_mocked_request

    pool = await create_pool(dsn, max_size=2)
    try:
        authenticator = Authenticator(Sessions(pool))
        request = make_mocked_request("GET", "/api/v1/products", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
        await authenticator.identify(request)  # the key read, the session's state cached
        latencies = []
        for _ in range(IDENTIFY_CALLS):
            started = time.perf_counter()
            await authenticator.identify(request)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies
    finally:
        await pool.close()


async def main(quick: bool) -> dict:
    logins, rounds = (QUICK_LOGINS, QUICK_ROUNDS) if quick else (LOGINS, ROUNDS)
    async with sc.running_service("--role", "api") as service:
        dsn = EmbeddedPostgres(os.path.join(service.var_dir, "postgres")).start(join_running=True)
        email, key = await make_user(dsn)
        bc.log(f"{logins} logins")
        login_ms, cookie = await bench_logins(service.url, email, logins)
        verify_ms = bench_verify(max(10, logins // 2))
        bc.log(f"{rounds} rounds of GET /api/v1/products (anonymous, session cookie, secret key)")
        products = await bench_products(service.url, cookie, key, rounds)
        identify_ms = await bench_identify(dsn, cookie)

    p50 = {name: bc.p50(values) for name, values in products.items()}
    added = p50["session cookie"] - p50["anonymous"]
    added_key = p50["secret key"] - p50["anonymous"]
    login_p50 = bc.p50(login_ms)
    bc.print_table("GET /api/v1/products, interleaved, one at a time", ["credential", "p50 ms", "p95 ms", "p99 ms"],
                   [[name, bc.p50(v), bc.p95(v), bc.percentile(v, 99)] for name, v in products.items()])
    summary = [
        bc.summary_row("login p50 (argon2id 46 MiB, t=2, p=1)", login_p50,
                       f"{LOGIN_TARGET_MS[0]:.0f}–{LOGIN_TARGET_MS[1]:.0f} ms",
                       LOGIN_TARGET_MS[0] <= login_p50 <= LOGIN_TARGET_MS[1], " ms"),
        bc.summary_row("login p95", bc.p95(login_ms), unit=" ms"),
        bc.summary_row("argon2id verify alone p50", bc.p50(verify_ms), unit=" ms"),
        bc.summary_row("products p50 anonymous", p50["anonymous"], unit=" ms"),
        bc.summary_row("products p50 session cookie", p50["session cookie"], unit=" ms"),
        bc.summary_row("products p50 secret key", p50["secret key"], unit=" ms"),
        bc.summary_row("session cookie adds (p50)", added, f"≤ {TARGET_ADDED_MS:.0f} ms", added <= TARGET_ADDED_MS,
                       " ms"),
        bc.summary_row("secret key adds (p50)", added_key, unit=" ms"),
        bc.summary_row("identify() in process p50, cache warm", bc.p50(identify_ms) * 1000, unit=" µs"),
    ]
    data = {
        "login_ms": {"p50": login_p50, "p95": bc.p95(login_ms), "count": len(login_ms)},
        "verify_ms": {"p50": bc.p50(verify_ms)},
        "products_ms": {name: {"p50": bc.p50(v), "p95": bc.p95(v), "p99": bc.percentile(v, 99), "count": len(v)}
                        for name, v in products.items()},
        "added_p50_ms": {"session cookie": added, "secret key": added_key},
        "identify_us": {"p50": bc.p50(identify_ms) * 1000, "p99": bc.percentile(identify_ms, 99) * 1000},
    }
    return bc.save_results("auth_overhead", summary, data, quick=quick)


if __name__ == "__main__":
    arguments = bc.parse_args(__doc__)
    results = asyncio.run(main(arguments.quick))
    raise SystemExit(0 if bc.all_passed(results["summary"]) else 1)
