"""What authentication costs: logging in, and identifying every request, side by side with a
server where identifying the caller costs nothing.

Since every /api/v1 route needs a credential, "without authentication" cannot be had by
sending none. So the bench runs, against one database:

- `serve --workers 1` (a separate process: its own embedded PostgreSQL, the seeded samples,
  the API and one supervised worker with a warm engine). It serves the logins and does the
  Blender work of every fresh job, whichever API took the submission.
- two API apps in this bench process, built the way `serve --role api` builds its own
  (`create_app(settings, role="api")`, `runtime.in_process.start_site`), on the same database,
  var dir and settings, each on a port of its own. In each round one of them is
  * "with": the real thing, untouched, and the other
  * "without" (the baseline): the same app, but its `Authenticator.identify` (that one
    instance's, in this bench only) returns a fixed `Credential` of the demo client (the
    bench's secret key's, role admin) without looking at the request; a key's credential
    also skips the CSRF check the middleware makes for sessions. So it does no
    authentication work at all, and everything else the same.
  They take turns, round by round: an A/A run (both real) showed two such apps differing a
  little by themselves (≈ 0.05 ms at p50 on GET /products, 1–1.5 ms on fresh jobs, the first
  one slower), which the turns cancel out.
Why not a second `serve` process as the baseline: its `identify` cannot be replaced without
changing the service; two apps in one process are alike in everything but that.
Both apps see identical requests (the same headers: the session cookie, or the CSRF header and
Origin of a browser's POST, or `Authorization: Bearer sk_…`); the baseline ignores them. They
share the event loop, the client and the CPU with each other, and every measurement alternates
between with and without (which goes first flips every two rounds), so both see the same
machine; the difference of their p50s is what authentication adds (the client's own work is
in both, so the absolute figures are a little above `service_*.py`'s). Each (app, credential)
pair has one keep-alive connection of its own. The submission limits are raised out of the way
(`JOB_SUBMIT_RATE`/`_BURST`: the bench submits far faster than a client may). Jobs submitted with
the session name its user (a foreign key checked on insert); the baseline's name none, so that
small piece of database work counts as the session's. First of all the worker is warmed (with
the configurations the cache answers in (c)), so that its engine starting slows nothing down.
The 1-minute load average as each part begins is in the results: other processes on this
machine (test runs) show there.

(a) Login: `POST /api/v1/auth/login` to the `serve` process one at a time (40; `--quick` 10),
    p50 and p95; and `passwords.verify_password` alone in this process, to show what argon2
    is of it. Target: login p50 50–250 ms, with the argon2id parameters of
    `accounts/passwords.py` (printed in the summary).
(b) GET /api/v1/products, one request at a time, with and without, with the session cookie
    and with a secret key (3000 rounds of 4; `--quick` 300). Target: ≤ 1 ms added at p50.
(c) Submit → COMPLETED, answered from the result cache: POST /api/v1/jobs for a configuration
    done before, which returns 200 COMPLETED at once (2000 rounds of 4, cycling through 8
    configurations; `--quick` 150). With a session the POST carries `X-CSRF-Token` (from
    GET /api/v1/auth/me) and `Origin`, as a browser's. Target: ≤ 1 ms added at p50.
(d) Submit → COMPLETED through the worker: fresh configurations (each used once; the two
    sides of a pair in a round get two of the same shape, the second app's wider by 2 mm ×
    the rounds), 202, then the job's WebSocket events until COMPLETED (the socket with the
    same credential): 100 per (app, credential), `--quick` 8. Blender's own time varies by
    milliseconds from job to job, more than authentication could add, so this is for
    information: beside the p50s, the p50 of latency − the worker's `total_ms` (what the
    service adds around Blender). The authentication work of a fresh job is that of a cached
    one plus the socket's upgrade.
(e) In this process: `authentication_middleware` alone on mocked requests (cache warm: JWT
    verification skipped, session state and key row cached) for a GET and a POST (CSRF) with
    the session, a GET with the secret key, and the baseline's (the same POST): what the
    HTTP figures' differences should be made of.
Beside the difference of the p50s, (b)–(d) give the median of the differences within a round
(paired), a steadier estimate of the same thing, and with/without ratios.
Writes bench/results/auth_overhead.json.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import time
import uuid
from dataclasses import dataclass

import aiohttp
import asyncpg

import bench_common as bc
import service_common as sc
from configurator_addon.accounts import passwords, tokens
from configurator_addon.db.embedded import EmbeddedPostgres
from configurator_addon.runtime.in_process import start_site
from configurator_addon.server.app import create_app
from configurator_addon.server.authentication import (
    AUTHENTICATOR,
    CSRF_HEADER,
    SESSION_COOKIE,
    Credential,
    authentication_middleware,
)
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from configurator_addon.settings import Settings

LOGINS, QUICK_LOGINS = 40, 10
ROUNDS, QUICK_ROUNDS = 3000, 300
CACHED_ROUNDS, QUICK_CACHED_ROUNDS = 2000, 150
FRESH, QUICK_FRESH = 100, 8
WARMUP = 100
CACHED_CONFIGS = 8
MIDDLEWARE_CALLS = 5_000
PASSWORD = "a bench password, long enough"
LOGIN_TARGET_MS = (50.0, 250.0)
TARGET_ADDED_MS = 1.0
UNLIMITED = 10**9
SIDES = ("with", "without")
HASHER = passwords._HASHER  # the parameters the service hashes with
ARGON2 = {"variant": "argon2id", "memory_kib": HASHER.memory_cost, "time_cost": HASHER.time_cost,
          "parallelism": HASHER.parallelism}
ARGON2_TEXT = f"argon2id {HASHER.memory_cost // 1024} MiB, t={HASHER.time_cost}, p={HASHER.parallelism}"


@dataclass
class Bench:
    email: str
    key: str
    key_id: uuid.UUID


async def make_user(dsn: str) -> Bench:
    """A user (admin) of the demo client and a secret key (admin) of it."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    key = tokens.new_api_key("secret")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "INSERT INTO users (client_id, email, name, role, password_hash) VALUES ($1, $2, 'Bench', 'admin', $3)",
            DEMO_CLIENT_ID, email, passwords.hash_password(PASSWORD))
        key_id = await connection.fetchval(
            "INSERT INTO api_keys (client_id, kind, role, shown_prefix, key_hash) "
            "VALUES ($1, 'secret', 'admin', $2, $3) RETURNING id",
            DEMO_CLIENT_ID, key[:tokens.SHOWN_PREFIX_CHARS], tokens.token_hash(key))
    finally:
        await connection.close()
    return Bench(email, key, key_id)


# -- (a) login ------------------------------------------------------------------------------
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


# -- the two API apps -----------------------------------------------------------------------
@dataclass
class InProcessApi:
    app: aiohttp.web.Application
    url: str


@contextlib.asynccontextmanager
async def api_app(settings: Settings):
    """`create_app(settings, role="api")` served on `settings.port` as `serve --role api` does."""
    app = create_app(settings, role="api")
    runner = await start_site(app, settings)
    try:
        yield InProcessApi(app, f"http://{settings.host}:{settings.port}")
    finally:
        await runner.cleanup()


class Twins:
    """Two alike apps, one real and one the baseline at any time: the baseline's
    authenticator has an `identify` of its own (this instance's attribute, hiding the
    class's method) that returns `fixed` and does nothing else; the real one has none."""

    def __init__(self, apps: tuple[InProcessApi, InProcessApi], fixed: Credential):
        self.apps = apps

        async def identify(request):
            return fixed

        self._identify = identify

    def make_real(self, index: int) -> None:
        for i, api in enumerate(self.apps):
            authenticator = api.app[AUTHENTICATOR]
            if i == index:
                vars(authenticator).pop("identify", None)
            else:
                authenticator.identify = self._identify

    def plan(self, round_number: int) -> list[tuple[str, int]]:
        """(side, app index) of a round's two requests, the apps made so: they take turns at
        being the real one, round by round, and which side goes first flips every two rounds."""
        real = round_number % 2
        self.make_real(real)
        order = [("with", real), ("without", 1 - real)]
        return order if (round_number // 2) % 2 == 0 else order[::-1]


@dataclass
class Caller:
    """One credential's requests to one app, over one keep-alive connection."""

    session: aiohttp.ClientSession
    url: str
    post_headers: dict  # added to unsafe requests (a browser's CSRF header and Origin)
    ws_headers: dict  # added to the WebSocket upgrade


def make_caller(url: str, headers: dict, post_headers: dict, ws_headers: dict) -> Caller:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), headers=headers,
                                    connector=aiohttp.TCPConnector(limit=1))
    return Caller(session, url, post_headers, ws_headers)


def make_callers(apps: tuple[InProcessApi, InProcessApi], cookie: str, csrf: str,
                 key: str) -> dict[str, tuple[Caller, Caller]]:
    """Per credential, per app: the same requests to either. A session's POST carries the CSRF
    header and Origin, its socket Origin, as a browser's."""
    def with_session(api: InProcessApi) -> Caller:
        origin = {"Origin": api.url}
        return make_caller(api.url, {"Cookie": f"{SESSION_COOKIE}={cookie}"}, {CSRF_HEADER: csrf, **origin}, origin)

    def with_key(api: InProcessApi) -> Caller:
        return make_caller(api.url, {"Authorization": f"Bearer {key}"}, {}, {})

    return {"session cookie": tuple(map(with_session, apps)), "secret key": tuple(map(with_key, apps))}


async def get_products(caller: Caller) -> float:
    started = time.perf_counter()
    async with caller.session.get(caller.url + "/api/v1/products") as response:
        await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, response.status
    return elapsed


async def submit(caller: Caller, product_id: str, config: dict) -> tuple[int, dict]:
    body = {"product_id": product_id, "config_data": config}
    async with caller.session.post(caller.url + "/api/v1/jobs", json=body, headers=caller.post_headers) as response:
        return response.status, await response.json(content_type=None)


async def wait_completed(caller: Caller, job_id: str) -> str:
    """The job's terminal status, from its WebSocket events."""
    async with asyncio.timeout(sc.JOB_TIMEOUT_SECONDS):
        async with caller.session.ws_connect(f"{caller.url}/api/v1/jobs/{job_id}/events",
                                             headers=caller.ws_headers) as ws:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                status = message.json()["status"]
                if status in sc.TERMINAL:
                    return status
    raise RuntimeError(f"events of job {job_id} ended before a terminal status")


async def run_job(caller: Caller, product_id: str, config: dict, expect_cached: bool | None) -> tuple[float, str]:
    """Submit → COMPLETED in ms, and the job's id. `expect_cached`: True, a 200 from the
    cache is required; False, a new job (202) is; None, either."""
    started = time.perf_counter()
    code, job = await submit(caller, product_id, config)
    if code not in (200, 202):
        raise RuntimeError(f"submit failed: {code} {job}")
    status = job["status"] if job["status"] in sc.TERMINAL else await wait_completed(caller, job["id"])
    elapsed = (time.perf_counter() - started) * 1000
    if status != "COMPLETED":
        raise RuntimeError(f"job {job['id']} ended {status}")
    if expect_cached is not None and (code == 200) != expect_cached:
        expected = "a cache hit" if expect_cached else "a new job"
        raise RuntimeError(f"job {job['id']}: {code} {job['status']}, expected {expected}")
    return elapsed, job["id"]


async def job_row(caller: Caller, job_id: str) -> dict:
    async with caller.session.get(f"{caller.url}/api/v1/jobs/{job_id}") as response:
        assert response.status == 200, response.status
        return await response.json()


# -- (b), (c), (d) ------------------------------------------------------------------------
Samples = dict[str, dict[str, list[float]]]  # credential → side → latencies (ms)


def empty(callers) -> Samples:
    return {name: {side: [] for side in SIDES} for name in callers}


async def bench_products(twins: Twins, callers, rounds: int) -> Samples:
    samples = empty(callers)
    for round_number in range(WARMUP + rounds):
        plan = twins.plan(round_number)
        for name, pair in callers.items():
            for side, index in plan:
                elapsed = await get_products(pair[index])
                if round_number >= WARMUP:
                    samples[name][side].append(elapsed)
    return samples


async def bench_cached(twins: Twins, callers, product_id: str, configs: list[dict], rounds: int) -> Samples:
    samples = empty(callers)
    warmup = WARMUP // 2
    for round_number in range(warmup + rounds):
        config = configs[round_number % len(configs)]
        plan = twins.plan(round_number)
        for name, pair in callers.items():
            for side, index in plan:
                elapsed, _ = await run_job(pair[index], product_id, config, expect_cached=True)
                if round_number >= warmup:
                    samples[name][side].append(elapsed)
    return samples


async def bench_fresh(twins: Twins, callers, product_id: str, configs: tuple[list[dict], list[dict]],
                      per_pair: int) -> tuple[Samples, Samples]:
    """Latencies, and latency − the worker's total_ms, of fresh jobs. `configs`: two lists
    alike index by index but for the width (so Blender's work is the same): in each round the
    two sides of a pair get the same index, the first app's from one list, the second's from
    the other."""
    samples, around = empty(callers), empty(callers)
    for round_number in range(per_pair):
        plan = twins.plan(round_number)
        for number, (name, pair) in enumerate(callers.items()):
            k = 2 * round_number + number
            for side, index in plan:
                elapsed, job_id = await run_job(pair[index], product_id, configs[index][k], expect_cached=False)
                samples[name][side].append(elapsed)
                around[name][side].append(elapsed - (await job_row(pair[index], job_id))["timings"]["total_ms"])
    return samples, around


# -- (e) ------------------------------------------------------------------------------------
async def bench_middleware(variants: dict[str, tuple]) -> dict[str, list[float]]:
    """µs per `authentication_middleware` call for each variant (app, method, headers),
    interleaved, each call on a new mocked request (so that its cookies and query are parsed,
    as a real request's are), cache warm. The collector is off while a call is timed: the
    mocks' garbage is none of the middleware's."""
    from aiohttp.test_utils import make_mocked_request

    async def handler(request):
        return None

    def request_of(app, method: str, headers: dict):
        return make_mocked_request(method, "/api/v1/jobs", headers=headers, app=app)

    for variant in variants.values():
        await authentication_middleware(request_of(*variant), handler)  # caches filled
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(MIDDLEWARE_CALLS):
        for name, variant in variants.items():
            request = request_of(*variant)
            gc.disable()
            try:
                started = time.perf_counter()
                await authentication_middleware(request, handler)
                latencies[name].append((time.perf_counter() - started) * 1e6)
            finally:
                gc.enable()
    return latencies


# -- figures --------------------------------------------------------------------------------
def compared(pair: dict[str, list[float]]) -> dict:
    with_, without = pair["with"], pair["without"]
    return {
        "with": {"p50": bc.p50(with_), "p95": bc.p95(with_), "p99": bc.percentile(with_, 99), "count": len(with_)},
        "without": {"p50": bc.p50(without), "p95": bc.p95(without), "p99": bc.percentile(without, 99),
                    "count": len(without)},
        "added_p50": bc.p50(with_) - bc.p50(without),
        "added_p95": bc.p95(with_) - bc.p95(without),
        # The same round's two requests paired: with − without, the median of those.
        "added_paired_median": bc.p50([w - wo for w, wo in zip(with_, without, strict=True)]),
        "ratio_p50": bc.p50(with_) / bc.p50(without),
    }


def table_rows(label: str, figures: dict[str, dict]) -> list[list]:
    return [[f"{label}, {name}", f["without"]["p50"], f["with"]["p50"], f"{f['added_p50']:.2f}",
             f"{f['added_paired_median']:.2f}", f"{f['ratio_p50']:.3f}", f["without"]["p95"], f["with"]["p95"]]
            for name, f in figures.items()]


async def main(quick: bool) -> dict:
    logins, rounds, cached_rounds, fresh_per_pair = (
        (QUICK_LOGINS, QUICK_ROUNDS, QUICK_CACHED_ROUNDS, QUICK_FRESH) if quick
        else (LOGINS, ROUNDS, CACHED_ROUNDS, FRESH))
    started = time.monotonic()
    load: dict[str, float] = {}  # the 1-minute load average as each part began
    async with sc.running_service("--workers", "1") as service:
        dsn = EmbeddedPostgres(os.path.join(service.var_dir, "postgres")).start(join_running=True)
        bench = await make_user(dsn)
        base = Settings.from_env(service.environment, database_url=dsn, job_submit_rate=float(UNLIMITED),
                                 job_submit_burst=UNLIMITED, retention_interval_seconds=float(UNLIMITED))
        fixed = Credential("secret_key", DEMO_CLIENT_ID, "admin", key_id=bench.key_id)
        async with (api_app(dataclasses.replace(base, port=sc.free_port())) as first,
                    api_app(dataclasses.replace(base, port=sc.free_port())) as second):
            twins = Twins((first, second), fixed)
            twins.make_real(0)
            real = first
            # The worker warmed first (its engine starting would slow the logins down), with
            # the configurations that the cache will answer later.
            warming = make_caller(real.url, {"Authorization": f"Bearer {bench.key}"}, {}, {})
            try:
                async with warming.session.get(real.url + "/api/v1/products?limit=100") as response:
                    listing = await response.json()
                product_id = next(p["id"] for p in listing["items"] if p["name"] == sc.CABINET)
                async with warming.session.get(f"{real.url}/api/v1/products/{product_id}") as response:
                    schema = (await response.json())["config_schema"]
                cached_configs = sc.cabinet_configs(schema, CACHED_CONFIGS, start_mm=1150)
                # Widths 300 mm up, and as many alike but 2 × fresh_per_pair mm wider (one door either way).
                fresh_configs = (sc.cabinet_configs(schema, fresh_per_pair * 2, start_mm=300),
                         sc.cabinet_configs(schema, fresh_per_pair * 2, start_mm=300 + fresh_per_pair * 2))
                bc.log(f"the worker warmed with the {CACHED_CONFIGS} configurations to be answered from the cache")
                for config in cached_configs:
                    await run_job(warming, product_id, config, expect_cached=False)
            finally:
                await warming.session.close()

            load["login"] = os.getloadavg()[0]
            bc.log(f"{logins} logins")
            login_ms, cookie = await bench_logins(service.url, bench.email, logins)
            verify_ms = bench_verify(max(10, logins // 2))
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as plain:
                async with plain.get(real.url + "/api/v1/auth/me",
                                     headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}) as response:
                    assert response.status == 200, response.status
                    csrf = (await response.json())["csrf_token"]
            callers = make_callers(twins.apps, cookie, csrf, bench.key)
            try:
                load["products"] = os.getloadavg()[0]
                bc.log(f"{rounds} rounds of GET /api/v1/products (session cookie, secret key; with, without)")
                products = await bench_products(twins, callers, rounds)
                load["cached"] = os.getloadavg()[0]
                bc.log(f"{cached_rounds} rounds of cached submit → COMPLETED")
                cached = await bench_cached(twins, callers, product_id, cached_configs, cached_rounds)
                load["fresh"] = os.getloadavg()[0]
                bc.log(f"{fresh_per_pair} rounds of fresh submit → COMPLETED (through the worker)")
                fresh, fresh_around = await bench_fresh(twins, callers, product_id, fresh_configs, fresh_per_pair)

                twins.make_real(0)  # the first app real, the second the baseline
                origin = {"Origin": real.url, "Host": real.url.removeprefix("http://")}
                session_headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
                post = {**session_headers, CSRF_HEADER: csrf, **origin}
                middleware = await bench_middleware({
                    "GET, session cookie": (real.app, "GET", session_headers),
                    "POST, session cookie (CSRF)": (real.app, "POST", post),
                    "GET, secret key": (real.app, "GET", {"Authorization": f"Bearer {bench.key}"}),
                    "baseline (fixed credential), the POST": (second.app, "POST", post),
                })
            finally:
                for pair in callers.values():
                    for caller in pair:
                        await caller.session.close()
    elapsed_s = time.monotonic() - started

    figures = {
        "products": {name: compared(pair) for name, pair in products.items()},
        "cached": {name: compared(pair) for name, pair in cached.items()},
        "fresh": {name: compared(pair) for name, pair in fresh.items()},
        "fresh_around_blender": {name: compared(pair) for name, pair in fresh_around.items()},
    }
    bc.print_table("Authentication with and without, interleaved, one request at a time (ms; ratio = with/without)",
                   ["measurement, credential", "p50 without", "p50 with", "added p50", "paired Δ median", "ratio",
                    "p95 without", "p95 with"],
                   table_rows("GET /products", figures["products"])
                   + table_rows("cached submit→COMPLETED", figures["cached"])
                   + table_rows("fresh submit→COMPLETED", figures["fresh"])
                   + table_rows("fresh, latency − total_ms", figures["fresh_around_blender"]))
    bc.print_table(f"authentication_middleware alone, in process, cache warm ({MIDDLEWARE_CALLS} calls, µs)",
                   ["request", "p50 µs", "p99 µs"],
                   [[name, bc.p50(v), bc.percentile(v, 99)] for name, v in middleware.items()])

    login_p50 = bc.p50(login_ms)
    target = f"≤ {TARGET_ADDED_MS:g} ms"
    summary = [
        bc.summary_row(f"login p50 ({ARGON2_TEXT})", login_p50,
                       f"{LOGIN_TARGET_MS[0]:.0f}–{LOGIN_TARGET_MS[1]:.0f} ms",
                       LOGIN_TARGET_MS[0] <= login_p50 <= LOGIN_TARGET_MS[1], " ms"),
        bc.summary_row("login p95", bc.p95(login_ms), unit=" ms"),
        bc.summary_row("argon2id verify alone p50", bc.p50(verify_ms), unit=" ms"),
    ]
    for key, label, verdict in (("products", "GET /products", True), ("cached", "cached submit→COMPLETED", True),
                                ("fresh", "fresh submit→COMPLETED", False)):
        for name, f in figures[key].items():
            summary.append(bc.summary_row(f"{label} p50 without → with, {name}",
                                          f"{f['without']['p50']:.2f} → {f['with']['p50']:.2f} ms"))
            summary.append(bc.summary_row(f"{label}, {name} adds (p50)", f["added_p50"],
                                          target if verdict else "— (Blender's noise)",
                                          f["added_p50"] <= TARGET_ADDED_MS if verdict else None, " ms"))
    summary.append(bc.summary_row("middleware in process p50, session cookie POST (CSRF)",
                                  bc.p50(middleware["POST, session cookie (CSRF)"]), unit=" µs"))
    data = {
        "setup": "one `serve --workers 1` process (logins, the worker) and, in the bench process on its database, "
                 "the API app as `serve --role api` builds it twice, taking turns round by round at being 'with' "
                 "(real) and 'without' (identify() returning a fixed secret-key credential: no authentication, "
                 "no CSRF check); identical requests to both, with and without alternated",
        "argon2": ARGON2,
        "login_ms": {"p50": login_p50, "p95": bc.p95(login_ms), "count": len(login_ms)},
        "verify_ms": {"p50": bc.p50(verify_ms), "count": len(verify_ms)},
        "products_ms": figures["products"],
        "cached_submit_ms": {**figures["cached"], "configurations": CACHED_CONFIGS},
        "fresh_submit_ms": figures["fresh"],
        "fresh_latency_minus_total_ms": figures["fresh_around_blender"],
        "middleware_us": {name: {"p50": bc.p50(v), "p99": bc.percentile(v, 99)} for name, v in middleware.items()},
        "rounds": {"products": rounds, "cached": cached_rounds, "fresh_per_pair": fresh_per_pair},
        "load_average_1m_by_part": load,
        "elapsed_s": elapsed_s,
    }
    return bc.save_results("auth_overhead", summary, data, quick=quick)


if __name__ == "__main__":
    arguments = bc.parse_args(__doc__)
    results = asyncio.run(main(arguments.quick))
    raise SystemExit(0 if bc.all_passed(results["summary"]) else 1)
