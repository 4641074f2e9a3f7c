"""The Azure deployment (deploy/, docs/deploy.md), checked without Azure.

- The Bicep template parses (pycep's grammar of Bicep; a broken copy does not), names only
  symbols it declares, and its parameters file fits it without holding a secret.
- What matters beyond syntax: every environment variable a container gets is a setting the
  service reads (settings.py), every secret it references exists and comes from the vault, the
  API's probes point at /ready and /health on the port it listens on, it keeps two replicas and
  drains longer than the readiness probe takes to notice, the containers' arguments are real
  commands, and the worker's KEDA rules run the tested query files with one job per worker
  process as their target.
- KEDA's count of claimable jobs (deploy/keda/claimable_jobs.sql) is exactly what the real
  queue claims, on a real PostgreSQL holding jobs in every status and retries not yet due.
- An API process told to stop (SIGTERM) answers /ready with 503 before its listener closes.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
import uuid

import aiohttp
import lark
import pytest
from pycep import BicepParser

from configurator_addon import cli
from configurator_addon.jobs.queue import JobQueue
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from conftest import ROOT
from fixtures_server import ServerProcess

DEPLOY = os.path.join(ROOT, "deploy")
TEMPLATE = os.path.join(DEPLOY, "main.bicep")
PARAMETERS = os.path.join(DEPLOY, "parameters", "production.json")
CLAIMABLE_JOBS_SQL = os.path.join(DEPLOY, "keda", "claimable_jobs.sql")
PROCESSING_JOBS_SQL = os.path.join(DEPLOY, "keda", "processing_jobs.sql")
SETTINGS_SOURCE = os.path.join(ROOT, "configurator_addon", "settings.py")


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def template() -> dict:
    return BicepParser().parse(text=read(TEMPLATE))


# -- reading the parsed template ---------------------------------------------------------------------
# pycep gives identifiers and string literals alike as Python strings, function calls as
# {"function": {"type", "parameters"}} and operators as {"operator": {"type", "operands"}}.

def resolve(template: dict, node, params: dict | None = None):
    """`node` with variables replaced by their values and the few functions this template uses
    on them evaluated (`concat`, `string`, `join`, `min`, `empty`, `+`, `json`). Parameters are
    replaced by `params` when given. A conditional between two lists gives both (so a check
    covers every element the template can produce); any other conditional is decided."""
    variables = template["variables"]
    if isinstance(node, str):
        if node in variables:
            return resolve(template, variables[node]["value"], params)
        if params is not None and node in params:
            return params[node]
        return node
    if isinstance(node, list):
        return [resolve(template, item, params) for item in node]
    if not isinstance(node, dict):
        return node
    if "function" in node:
        kind, arguments = node["function"]["type"], node["function"]["parameters"]
        values = [resolve(template, value, params) for value in arguments.values()]
        if kind == "concat":
            return [item for value in values for item in value]
        if kind == "string":
            if isinstance(values[0], str) and values[0] in template["parameters"]:
                return node  # a parameter not given
            return str(values[0]).lower() if isinstance(values[0], bool) else str(values[0])
        if kind == "join":
            return values[1].join(values[0]) if isinstance(values[0], list) else node
        if kind == "min":
            return min(values) if all(isinstance(v, int) for v in values) else node
        if kind == "empty":
            return not values[0]
        if kind == "json":
            try:
                return json.loads(values[0])
            except ValueError:  # a parameter not given
                return node
        if kind == "load_text_content":
            return {"loaded_file": arguments["file_path"]}
        return node
    if "operator" in node:
        kind, operands = node["operator"]["type"], node["operator"]["operands"]
        if kind == "add":
            left, right = (resolve(template, operands[o], params) for o in ("operand_1", "operand_2"))
            return left + right if isinstance(left, int) and isinstance(right, int) else node
        if kind == "conditional":
            true_value = resolve(template, operands["true_value"], params)
            false_value = resolve(template, operands["false_value"], params)
            if isinstance(true_value, list) and isinstance(false_value, list):
                return true_value + false_value
            return true_value if resolve(template, operands["condition"], params) else false_value
        return node
    return {key: resolve(template, value, params) for key, value in node.items()}


def defaults(template: dict) -> dict:
    return {name: p["default"] for name, p in template["parameters"].items() if "default" in p}


def decorator(parameter: dict, kind: str):
    return next((d["argument"] for d in parameter["decorators"] if d["type"] == kind), None)


def properties(template: dict, resource: str) -> dict:
    """The resource's `properties`, also for one deployed only `if (condition)`."""
    config = template["resources"][resource]["config"]
    return (config["config"] if "condition" in config else config)["properties"]


def container(template: dict, app: str, params: dict | None = None) -> dict:
    (only,) = resolve(template, properties(template, app)["template"]["containers"], params)
    return only


def app_configuration(template: dict, app: str) -> dict:
    return resolve(template, properties(template, app)["configuration"])


def env_of(template: dict, app: str) -> dict:
    return {item["name"]: item for item in container(template, app)["env"]}


INTERPOLATED = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_]*\s*\()")
BUILT_IN_NAMESPACES = {"az", "sys"}


def references(node):
    """The symbols `node` refers to: roots of property accesses (`registry.properties…`), the
    arguments of `concat`, `dependsOn` entries and names interpolated in strings."""
    if isinstance(node, str):
        yield from INTERPOLATED.findall(node)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        operator = node.get("operator")
        if isinstance(operator, dict) and operator.get("type") == "property_accessor":
            root = operator["operands"]["operand_1"]
            if isinstance(root, str):
                yield root
            else:
                yield from references(root)
            return
        function = node.get("function")
        if isinstance(function, dict) and function.get("type") == "concat":
            yield from (arg for arg in function["parameters"].values() if isinstance(arg, str))
        for key, value in node.items():
            if key == "dependsOn":
                yield from value
            else:
                yield from references(value)


# -- syntax ----------------------------------------------------------------------------------------------

def test_the_template_parses_and_a_broken_copy_does_not():
    text = read(TEMPLATE)
    parsed = BicepParser().parse(text=text)
    assert {"api", "worker", "migrate", "postgres", "storage", "vault", "environment_"} <= set(parsed["resources"])
    broken = text.replace("  properties: {", "  properties {", 1)
    with pytest.raises(lark.exceptions.UnexpectedInput):
        BicepParser().parse(text=broken)


def test_the_template_refers_only_to_symbols_it_declares(template):
    declared = set(template["parameters"]) | set(template["variables"]) | set(template["resources"])
    used = set(references(template["resources"])) | set(references(template["variables"])) \
        | set(references(template["outputs"]))
    assert used - declared - BUILT_IN_NAMESPACES == set()
    # and the check can see a typo:
    assert "registyr" in set(references({"server": {"operator": {"type": "property_accessor", "operands": {
        "operand_1": "registyr", "operand_2": "id"}}}}))


def test_the_parameters_file_fits_the_template_and_holds_no_secret(template):
    given = json.loads(read(PARAMETERS))["parameters"]
    declared = template["parameters"]
    assert set(given) <= set(declared), set(given) - set(declared)
    secure = {name for name, p in declared.items() if any(d["type"] == "secure" for d in p["decorators"])}
    assert secure and not secure & set(given), "secrets are passed at deployment, never kept in the repository"
    required = {name for name, p in declared.items() if "default" not in p}
    assert required - secure <= set(given)
    python_types = {"string": str, "int": int, "bool": bool, "array": list, "object": dict}
    for name, entry in given.items():
        parameter, value = declared[name], entry["value"]
        assert isinstance(value, python_types[parameter["type"]]), name
        allowed = decorator(parameter, "allowed")
        assert allowed is None or value in allowed, name
        low, high = decorator(parameter, "min_value"), decorator(parameter, "max_value")
        assert (low is None or value >= low) and (high is None or value <= high), name


# -- what the containers get -----------------------------------------------------------------------------

def service_setting_names() -> set[str]:
    """The environment variables `Settings.from_env` reads."""
    source = read(SETTINGS_SOURCE)
    return set(re.findall(r'(?:env\.get|_int|_float)\(\s*(?:env,\s*)?"([A-Z][A-Z0-9_]*)"', source))


def test_every_variable_a_container_gets_is_a_setting_of_the_service(template):
    settings = service_setting_names()
    assert {"DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING", "CORS_ORIGINS", "DRAIN_SECONDS"} <= settings
    for app in ("api", "worker", "migrate"):
        names = set(env_of(template, app))
        assert names - settings == set(), app
        assert "DATABASE_URL" in names
    assert "SMTP_URL" in env_of(template, "api")  # from the branch with an SMTP URL given


def test_every_secret_a_container_references_comes_from_the_vault(template):
    vault_secrets = {name for name, resource in template["resources"].items()
                     if resource["type"] == "Microsoft.KeyVault/vaults/secrets"}
    for app in ("api", "worker", "migrate"):
        secrets = {s["name"]: s for s in app_configuration(template, app)["secrets"]}
        referenced = {e["secretRef"] for e in env_of(template, app).values() if "secretRef" in e}
        assert referenced <= set(secrets), app
        for secret in secrets.values():
            (root,) = set(references(secret["keyVaultUrl"]))
            assert root in vault_secrets and set(references(secret["identity"])) == {"identity"}, secret
        assert not any("value" in e and "secretRef" in e for e in env_of(template, app).values())
    # The connection secrets are never plain values.
    for app in ("api", "worker"):
        env = env_of(template, app)
        assert env["DATABASE_URL"] == {"name": "DATABASE_URL", "secretRef": "database-url"}
        assert set(env["AZURE_STORAGE_CONNECTION_STRING"]) == {"name", "secretRef"}
        assert set(env["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == {"name", "secretRef"}  # traces


def test_the_containers_run_commands_the_service_has(template):
    parser = cli.build_parser()
    for app, command in (("api", "serve"), ("worker", "serve"), ("migrate", "migrate")):
        spec = container(template, app)
        assert spec["command"] == ["python", "server_entry.py"]
        assert parser.parse_args(spec["args"]).command == command
    assert container(template, "api")["args"][:3] == ["serve", "--role", "api"]
    assert container(template, "worker")["args"][:3] == ["serve", "--role", "worker"]


def test_the_api_is_probed_on_ready_and_health_and_drains_before_it_is_stopped(template):
    params = defaults(template)
    api = properties(template, "api")
    configuration = app_configuration(template, "api")
    assert configuration["activeRevisionsMode"] == "Single"
    port = resolve(template, "appPort")
    assert configuration["ingress"]["targetPort"] == port and configuration["ingress"]["external"] is True
    env = env_of(template, "api")
    assert env["PORT"]["value"] == str(port) and env["HOST"]["value"] == "0.0.0.0"
    probes = {p["type"]: p for p in container(template, "api")["probes"]}
    assert (probes["Readiness"]["httpGet"]["path"], probes["Liveness"]["httpGet"]["path"]) == ("/ready", "/health")
    assert probes["Startup"]["httpGet"]["path"] == "/health"
    assert {p["httpGet"]["port"] for p in probes.values()} == {port}
    # At least two replicas, so one drains while another answers.
    scale = resolve(template, api["template"]["scale"], params)
    assert scale["minReplicas"] >= 2 and decorator(template["parameters"]["apiMinReplicas"], "min_value") >= 2
    # The drain outlasts the readiness probe's notice, and the platform waits for the drain.
    readiness = probes["Readiness"]
    noticed_within = readiness["periodSeconds"] * readiness["failureThreshold"]
    drain = params["drainSeconds"]
    assert drain > noticed_within
    assert resolve(template, env["DRAIN_SECONDS"]["value"], params) == str(drain)
    assert resolve(template, api["template"]["terminationGracePeriodSeconds"], params) > drain
    # The web origins are the API's CORS origins and the storage account's.
    assert resolve(template, env["CORS_ORIGINS"]["value"], {"webOrigins": ["https://a", "https://b"]}) \
        == "https://a,https://b"
    blob_service = resolve(template, properties(template, "blobService"))
    (rule,) = blob_service["cors"]["corsRules"]
    assert rule["allowedOrigins"] == "webOrigins" and {"GET", "HEAD"} <= set(rule["allowedMethods"])
    container_name = template["resources"]["blobContainer"]["config"]["name"]
    assert resolve(template, container_name) == env["AZURE_STORAGE_CONTAINER"]["value"]


def test_the_worker_scales_on_the_tested_claimable_jobs_query(template):
    params = defaults(template)
    worker = properties(template, "worker")
    configuration = app_configuration(template, "worker")
    assert "ingress" not in configuration
    rules = {rule["name"]: rule for rule in resolve(template, worker["template"]["scale"]["rules"], params)}
    assert set(rules) == {"claimable-jobs", "processing-jobs"}
    busy = rules["processing-jobs"]["custom"]
    assert os.path.normpath(os.path.join(DEPLOY, busy["metadata"]["query"]["loaded_file"])) == PROCESSING_JOBS_SQL
    custom = rules["claimable-jobs"]["custom"]
    assert custom["type"] == "postgresql"
    loaded = os.path.normpath(os.path.join(DEPLOY, custom["metadata"]["query"]["loaded_file"]))
    assert loaded == CLAIMABLE_JOBS_SQL
    assert custom["auth"] == [{"secretRef": "database-url", "triggerParameter": "connection"}]
    # One claimable job per worker process of a replica: KEDA asks for ceil(count / target) replicas.
    processes_per_replica = {e["name"]: e for e in container(template, "worker")["env"]}["BLENDER_MAX_CONCURRENT"]
    for unresolved in resolve(template, worker["template"]["scale"]["rules"]):
        assert unresolved["custom"]["metadata"]["targetQueryValue"] == processes_per_replica["value"] == {
            "function": {"type": "string", "parameters": {"value_to_convert": "workerProcessesPerReplica"}}}
        assert unresolved["custom"]["auth"] == custom["auth"]
    env = resolve(template, {e["name"]: e for e in container(template, "worker")["env"]}, params)
    # Alive while its supervisor answers on the metrics listener (its only one).
    (liveness,) = container(template, "worker", params)["probes"]
    assert liveness["type"] == "Liveness" and liveness["httpGet"]["path"] == "/metrics"
    assert str(liveness["httpGet"]["port"]) == env["METRICS_PORT"]["value"]
    assert env["METRICS_HOST"]["value"] == "0.0.0.0"
    # A stopping replica's supervisor gives its workers the job time limit; the platform waits longer.
    grace = resolve(template, worker["template"]["terminationGracePeriodSeconds"], params)
    assert grace > int(env["BLENDER_TIMEOUT_SECONDS"]["value"]) and grace <= 600
    for shorter in (10, 120, 539):
        assert resolve(template, "workerGraceSeconds", {**params, "jobTimeoutSeconds": shorter}) > shorter


# Container Apps' bounds on probes and on the grace period (its API refuses values outside them).
PROBE_BOUNDS = {"failureThreshold": (1, 10), "periodSeconds": (1, 240), "initialDelaySeconds": (0, 60),
                "timeoutSeconds": (1, 240)}


def test_probes_and_grace_periods_are_within_what_container_apps_accepts(template):
    params = defaults(template)
    for app in ("api", "worker"):
        for probe in container(template, app, params).get("probes", []):
            for field, (low, high) in PROBE_BOUNDS.items():
                assert low <= probe.get(field, low) <= high, (app, probe["type"], field)
        grace = resolve(template, properties(template, app)["template"]["terminationGracePeriodSeconds"], params)
        assert 0 < grace <= 600, app


def mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)(Gi|Mi)", quantity).groups()
    return int(float(number) * (1024 if unit == "Gi" else 1))


def test_the_engines_memory_limits_fit_in_a_worker_replica(template):
    """Each engine process may grow to ENGINE_MEMORY_LIMIT_MB before its worker kills it; the
    replica must hold all of them with room for the worker processes (Python, ~0.3 GiB each),
    or the platform kills the whole replica first, and every job on it."""
    params = defaults(template)
    worker = container(template, "worker", params)
    env = {e["name"]: e.get("value") for e in worker["env"]}
    engines = int(env["BLENDER_MAX_CONCURRENT"])
    assert engines * (int(env["ENGINE_MEMORY_LIMIT_MB"]) + 300) + 300 <= mebibytes(worker["resources"]["memory"])


# -- KEDA's count against the real queue ---------------------------------------------------------------

async def new_product(pool, client_id) -> uuid.UUID:
    return await pool.fetchval(
        "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
        "VALUES ($1, 'Deploy test', 'x/templates/p/v.blend', 'v', '{\"type\": \"object\"}') RETURNING id", client_id)


async def add_jobs(pool, client_id, product_id, count: int, status: str, run_after: str = "now()") -> None:
    await pool.execute(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        f"status, run_after) SELECT $1, $2, 'p', 'v', '{{}}', 'key-' || gen_random_uuid(), $3, {run_after} "
        "FROM generate_series(1, $4)", client_id, product_id, status, count)


async def test_the_keda_query_counts_exactly_the_jobs_the_queue_claims(pool):
    """The claimable count is what the queue then claims; the busy-replicas count, what workers hold."""
    other_client = await pool.fetchval("INSERT INTO clients (name) VALUES ('Other') RETURNING id")
    for client_id, due in ((DEMO_CLIENT_ID, 3), (other_client, 2)):
        product_id = await new_product(pool, client_id)
        await add_jobs(pool, client_id, product_id, due, "QUEUED", "now() - interval '1 minute'")
        await add_jobs(pool, client_id, product_id, 2, "QUEUED", "now() + interval '1 hour'")  # retries waiting
        for status in ("PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"):
            await add_jobs(pool, client_id, product_id, 2, status)
    query = read(CLAIMABLE_JOBS_SQL)
    counted = await pool.fetchval(query)

    queue, claimed = JobQueue(pool), 0
    while await queue.claim(f"deploy-test-{claimed}") is not None:
        claimed += 1
    assert (counted, claimed) == (5, 5)
    assert await pool.fetchval(query) == 0  # what is left (PROCESSING, waiting, terminal) scales nothing
    # The second rule keeps the replicas that hold them: the 4 made PROCESSING and the 5 claimed.
    assert await pool.fetchval(read(PROCESSING_JOBS_SQL)) == 4 + 5
    # A retry becomes claimable when its backoff is over; the count follows.
    await pool.execute("UPDATE jobs SET run_after = now() - interval '1 second' WHERE run_after > now()")
    assert await pool.fetchval(query) == 4
    while await queue.claim("deploy-test-late") is not None:
        claimed += 1
    assert claimed == 9


# -- the drain -------------------------------------------------------------------------------------------

async def poll(session: aiohttp.ClientSession, url: str) -> int | None:
    """The status of GET `url`, None once nothing listens."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return None


@pytest.mark.slow
async def test_sigterm_makes_ready_answer_503_before_the_listener_closes(tmp_path, empty_database):
    drain = 3.0
    server = ServerProcess(str(tmp_path / "var"), "--role", "api", "--no-seed",
                           env={"DATABASE_URL": empty_database, "DRAIN_SECONDS": str(drain)})
    try:
        await server.wait_ready()
        async with aiohttp.ClientSession() as session:
            server.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            while (status := await poll(session, server.url + "/ready")) == 200:
                assert time.monotonic() - started < 30, "still ready 30 s after SIGTERM"
                await asyncio.sleep(0.05)
            noticed = time.monotonic()
            # Draining: not ready, yet alive and still serving.
            assert status == 503, f"/ready answered {status} after SIGTERM instead of 503:\n{server.log()}"
            assert await poll(session, server.url + "/health") == 200
            async with session.get(server.url + "/ready") as response:
                assert (await response.json())["status"] == "unavailable"
            while (status := await poll(session, server.url + "/ready")) == 503:
                assert time.monotonic() - noticed < 30, "still draining 30 s after SIGTERM"
                await asyncio.sleep(0.05)
            assert status is None  # then the listener closed
        closed_after = time.monotonic() - started
        assert closed_after >= drain - 0.5, closed_after
    finally:
        code = server.stop()
    assert code == 0, server.log()
