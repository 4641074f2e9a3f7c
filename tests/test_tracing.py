"""Traces of a real `serve --workers 1`, received by a real OTLP/HTTP endpoint in this test: the
request that submits a job continues the caller's `traceparent`, and the worker process's `job`
span and its stage spans are in that trace. With no exporter configured, no exporter is
imported and nothing is installed. docs/service.md, "Traces"."""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from configurator_addon.services.seeding import DEMO_CLIENT_ID
from conftest import ROOT, free_port
from fixtures_server import ServerProcess

STAGES = ["wait", "load", "apply", "export", "upload"]
TRACING_VARIABLES = ("OTEL_", "APPLICATIONINSIGHTS_")


def _value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _attributes(key_values) -> dict:
    return {kv.key: _value(kv.value) for kv in key_values}


class Receiver:
    """An OTLP/HTTP traces endpoint (POST /v1/traces, protobuf) that keeps every span it is
    sent, each as a dict with its resource's attributes; and Azure Monitor's ingestion
    endpoint (POST /v2.1/track), keeping every envelope."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.spans: list[dict] = []
        self.envelopes: list[dict] = []
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Receiver:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v2.1/track", self._track)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._runner.cleanup()

    @staticmethod
    async def _body(request: web.Request) -> bytes:
        body = await request.read()
        return gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body

    async def _traces(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf", request.content_type
        export = ExportTraceServiceRequest.FromString(await self._body(request))
        for resource_spans in export.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append({
                        "name": span.name, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(), "kind": span.kind,
                        "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                        "attributes": _attributes(span.attributes), "status": span.status.code,
                        "resource": resource})
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def _track(self, request: web.Request) -> web.Response:
        body = json.loads(await self._body(request))
        envelopes = body if isinstance(body, list) else [body]
        self.envelopes.extend(envelopes)
        return web.json_response({"itemsReceived": len(envelopes), "itemsAccepted": len(envelopes), "errors": []})

    async def wait_for(self, matches, what: str, timeout: float = 30.0, log=lambda: "") -> list[dict]:
        deadline = time.monotonic() + timeout
        while not (found := [span for span in self.spans if matches(span)]):
            assert time.monotonic() < deadline, f"no {what} received; got {[s['name'] for s in self.spans]}\n{log()}"
            await asyncio.sleep(0.1)
        return found


SPAN_KIND_SERVER = 2  # opentelemetry.proto.trace.v1.Span.SpanKind
STATUS_ERROR = 2


@pytest.mark.slow
async def test_a_submitted_job_is_traced_from_the_callers_traceparent_through_the_workers_stages(tmp_path):
    async with Receiver() as receiver:
        server = ServerProcess(str(tmp_path / "var"), "--workers", "1", env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"})
        try:
            await server.wait_ready(timeout=240)
            status, listing = await server.request("GET", "/api/v1/products")
            assert status == 200
            cabinet = next(p for p in listing["items"] if p["name"] == "Kitchen base cabinet")

            trace_id, caller_span_id, request_id = uuid.uuid4().hex, uuid.uuid4().hex[:16], uuid.uuid4().hex
            headers = {"traceparent": f"00-{trace_id}-{caller_span_id}-01", "X-Request-Id": request_id}
            submission = {"product_id": cabinet["id"], "config_data": {"width": 0.71}}  # not the seeded preview
            status, job = await server.request("POST", "/api/v1/jobs", json=submission, headers=headers)
            assert status == 202, job
            done = await server.wait_job(job["id"])
            assert done["status"] == "COMPLETED", (done["error_code"], done["error_message"])

            # The request's span: the caller's span is its parent, named by the route's template.
            (http,) = await receiver.wait_for(lambda s: s["attributes"].get("request.id") == request_id,
                                              "span of the submission", log=server.log)
            assert http["name"] == "POST /api/v1/jobs"
            assert (http["trace_id"], http["parent_span_id"]) == (trace_id, caller_span_id)
            assert http["kind"] == SPAN_KIND_SERVER
            assert http["attributes"]["http.route"] == "/api/v1/jobs"
            assert http["attributes"]["http.request.method"] == "POST"
            assert http["attributes"]["http.response.status_code"] == 202
            assert http["attributes"]["configurator.client_id"] == str(DEMO_CLIENT_ID)
            assert (http["attributes"]["job.id"], http["attributes"]["job.shared"]) == (job["id"], False)
            assert http["resource"]["service.name"] == "configurator"
            assert http["resource"]["configurator.role"] == "api"

            # The worker process's job span: in the caller's trace, a child of the request's span.
            (job_span,) = await receiver.wait_for(
                lambda s: s["name"] == "job" and s["attributes"].get("job.id") == job["id"], "job span",
                log=server.log)
            assert (job_span["trace_id"], job_span["parent_span_id"]) == (trace_id, http["span_id"])
            assert job_span["attributes"]["job.attempt"] == 1
            assert job_span["attributes"]["job.cache_key"] == done["cache_key"]
            assert job_span["attributes"]["job.product_id"] == cabinet["id"]
            assert job_span["attributes"]["job.outcome"] == "COMPLETED"
            assert job_span["attributes"]["job.worker_id"] == done["worker_id"]
            assert job_span["resource"]["configurator.role"] == "worker"
            worker_pid = int(done["worker_id"].split(":")[1])
            assert job_span["resource"]["process.pid"] == worker_pid != http["resource"]["process.pid"]

            # Its stages, children of it, one after the other, within it.
            stages = sorted(await receiver.wait_for(lambda s: s["parent_span_id"] == job_span["span_id"],
                                                    "stage spans", log=server.log), key=lambda s: s["start"])
            assert [s["name"] for s in stages] == STAGES
            assert {s["trace_id"] for s in stages} == {trace_id}
            assert all(job_span["start"] <= s["start"] <= s["end"] <= job_span["end"] for s in stages)
            assert all(a["end"] <= b["start"] for a, b in zip(stages, stages[1:], strict=False))
            wait_ms = (stages[0]["end"] - stages[0]["start"]) / 1e6
            assert abs(wait_ms - done["timings"]["wait_ms"]) <= 1.0, (wait_ms, done["timings"])
            assert not [s for s in stages + [job_span, http] if s["status"] == STATUS_ERROR]

            # Polls are named by the template, never by the path with the job's id in it.
            polls = await receiver.wait_for(lambda s: s["attributes"].get("url.path") == f"/api/v1/jobs/{job['id']}",
                                            "span of a poll", log=server.log)
            assert {s["name"] for s in polls} == {"GET /api/v1/jobs/{id}"}
            assert {s["attributes"]["http.route"] for s in polls} == {"/api/v1/jobs/{id}"}
            assert not [s for s in receiver.spans if job["id"] in s["name"]]

            # The seeded previews were submitted outside any request: their job spans start traces.
            previews = [s for s in receiver.spans if s["name"] == "job" and s["attributes"]["job.id"] != job["id"]]
            assert previews and all(s["parent_span_id"] == "" for s in previews)
        finally:
            code = server.stop()
        assert code == 0, server.log()


OFF_SCRIPT = """
import asyncio, json, sys
from aiohttp.test_utils import TestClient, TestServer
from configurator_addon.runtime import serve  # everything a service process imports
from configurator_addon.observability import tracing
from configurator_addon.server.app import create_app
from configurator_addon.settings import Settings

settings = Settings.from_env()
print(json.dumps({"configured": tracing.configure_tracing(settings, "api")}))

async def main():
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        health = await client.get("/health")
        refused = await client.post("/api/v1/jobs", json={})
        statuses = [health.status, refused.status, refused.content_type]
    tracing.shutdown_tracing()
    return statuses, [getattr(m, "__name__", "") for m in app.middlewares]

statuses, middlewares = asyncio.run(main())
loaded = sorted(name for name in sys.modules if name.startswith(("opentelemetry", "azure.monitor")))
print(json.dumps({"statuses": statuses, "loaded": loaded, "middlewares": middlewares,
                  "job_trace": type(tracing.job_trace(None, "w")).__name__}))
"""


def run_app_script(database: str, var_dir: str, **env: str) -> list[dict]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(TRACING_VARIABLES)}
    environment.update({"DATABASE_URL": database, "CONFIGURATOR_VAR_DIR": var_dir, **env})
    done = subprocess.run([sys.executable, "-c", OFF_SCRIPT], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


async def test_with_no_exporter_configured_no_exporter_is_imported_and_requests_are_answered(database, tmp_path):
    configured, answered = await asyncio.to_thread(run_app_script, database, str(tmp_path))
    assert configured == {"configured": False}
    assert answered["statuses"] == [200, 401, "application/problem+json"]
    assert answered["loaded"] == []
    assert "tracing_middleware" not in answered["middlewares"] and "problem_middleware" in answered["middlewares"]
    assert answered["job_trace"] == "_NoJobTrace"


async def test_with_a_connection_string_requests_are_sent_to_azure_monitor(database, tmp_path):
    async with Receiver() as receiver:
        connection = f"InstrumentationKey={uuid.uuid4()};IngestionEndpoint={receiver.url}"
        configured, answered = await asyncio.to_thread(
            run_app_script, database, str(tmp_path), APPLICATIONINSIGHTS_CONNECTION_STRING=connection,
            APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true", OTEL_BSP_SCHEDULE_DELAY="100")
    assert configured == {"configured": True}
    assert answered["statuses"] == [200, 401, "application/problem+json"]
    assert "azure.monitor.opentelemetry.exporter" in answered["loaded"]
    assert "tracing_middleware" in answered["middlewares"]
    assert not [name for name in answered["loaded"] if name.startswith("opentelemetry.exporter.otlp")]
    requests = {e["data"]["baseData"]["name"]: e for e in receiver.envelopes
                if e.get("data", {}).get("baseType") == "RequestData"}
    assert set(requests) == {"GET /health", "POST /api/v1/jobs"}, receiver.envelopes
    assert requests["POST /api/v1/jobs"]["data"]["baseData"]["responseCode"] == "401"
    assert requests["GET /health"]["tags"]["ai.cloud.role"] == "configurator"


ATTEMPTS_SCRIPT = """
import sys, uuid
from configurator_addon.errors import JobCancelled, MemoryLimitExceeded
from configurator_addon.observability import tracing
from configurator_addon.settings import Settings

assert tracing.configure_tracing(Settings.from_env(), "worker")
job = {"id": uuid.uuid4(), "product_id": uuid.uuid4(), "client_id": uuid.uuid4(), "cache_key": "k" * 64,
       "template_version": "v1", "traceparent": sys.argv[1], "timings": {"wait_ms": 12.5}}
first = tracing.job_trace({**job, "attempt": 1}, "host:1:a")  # the engine grew too big while applying
first.stage("load")
first.stage("apply")
first.finish("QUEUED", MemoryLimitExceeded("the engine process grew past 4096 MiB"))
second = tracing.job_trace({**job, "attempt": 2}, "host:1:a")  # the retry, cancelled before export
second.stage("load")
second.stage("apply")
second.finish("CANCELLED", JobCancelled("export"))
tracing.shutdown_tracing()
print(job["id"])
"""


async def test_each_attempt_is_a_job_span_under_the_submitter_and_an_error_marks_its_stage_and_job(tmp_path):
    trace_id, submitter = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    async with Receiver() as receiver:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(TRACING_VARIABLES)}
        environment.update({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "CONFIGURATOR_VAR_DIR": str(tmp_path)})
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", ATTEMPTS_SCRIPT,
                                                        f"00-{trace_id}-{submitter}-01"],
                                       cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-4000:]
    job_id = done.stdout.split()[-1]
    jobs = sorted((s for s in receiver.spans if s["name"] == "job"), key=lambda s: s["attributes"]["job.attempt"])
    assert [(s["attributes"]["job.attempt"], s["attributes"]["job.outcome"]) for s in jobs] == \
        [(1, "QUEUED"), (2, "CANCELLED")]
    assert {(s["trace_id"], s["parent_span_id"], s["attributes"]["job.id"]) for s in jobs} == \
        {(trace_id, submitter, job_id)}
    first, second = jobs
    stages = {job["span_id"]: {s["name"]: s for s in receiver.spans if s["parent_span_id"] == job["span_id"]}
              for job in jobs}
    # The memory limit: an error on the job and on the stage it ended, with its code.
    assert first["status"] == STATUS_ERROR and first["attributes"]["error.type"] == "MEMORY_LIMIT"
    assert stages[first["span_id"]]["apply"]["status"] == STATUS_ERROR
    assert stages[first["span_id"]]["load"]["status"] != STATUS_ERROR
    assert (first["end"] - first["start"]) >= 12_500_000  # the wait it began with
    # A cancel is an outcome, not an error.
    assert second["status"] != STATUS_ERROR and "error.type" not in second["attributes"]
    assert sorted(stages[second["span_id"]]) == ["apply", "load", "wait"]
    assert not [s for s in stages[second["span_id"]].values() if s["status"] == STATUS_ERROR]
