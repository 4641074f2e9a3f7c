"""OpenTelemetry traces: a server span per HTTP request, and a `job` span per attempt of a job in
the worker with one child per stage (wait, load, apply, export, upload), in the trace of the
request that submitted the job (docs/service.md, "Traces").

Exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, to Azure
Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is, to both when both are. Otherwise tracing
is off, and off costs nothing: no OpenTelemetry module is imported (the Azure exporter alone
takes most of a second to import), the HTTP middleware is not installed, and the worker's job
trace is a stand-in whose methods do nothing.

The API process and the worker processes are apart: what joins a job's spans to the request
that asked for it is the W3C `traceparent` of that request's span, stored on the job row at
submission (`jobs.traceparent`) and read back by the worker that claims it."""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid

from aiohttp import web

from .. import logs
from .http_metrics import UNMATCHED, route_pattern

log = logging.getLogger("configurator.tracing")

SERVICE_NAME = "configurator"
TRACER_NAME = "configurator"
ROLE_ATTRIBUTE = "configurator.role"  # api | worker | all
# The `client.*` attributes of OpenTelemetry's conventions name the network peer, not our tenant.
CLIENT_ATTRIBUTE = "configurator.client_id"
REQUEST_ID_ATTRIBUTE = "request.id"
FLUSH_TIMEOUT_MILLIS = 5000

_provider = None  # the SDK's TracerProvider while tracing is on
_tracer = None


def enabled() -> bool:
    return _provider is not None


def configure_tracing(settings, role: str) -> bool:
    """Turns tracing on for this process if the settings name an exporter; True if they do.
    Called once per process, before the app or the worker is made."""
    global _provider, _tracer
    if _provider is not None or not (settings.otlp_traces_endpoint or settings.applicationinsights_connection_string):
        return _provider is not None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({
        "service.name": SERVICE_NAME,
        "service.instance.id": str(uuid.uuid4()),  # one per process start, as worker ids are
        ROLE_ATTRIBUTE: role,
        "host.name": socket.gethostname(),
        "process.pid": os.getpid(),
    })
    # Spans are ended when flushed from serve's exit paths, not at interpreter exit.
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    # The batch's delay, size and queue come from the standard OTEL_BSP_* variables.
    for exporter in _exporters(settings):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider, _tracer = provider, provider.get_tracer(TRACER_NAME)
    log.info("tracing", extra={"otlp": settings.otlp_traces_endpoint,
                               "azure_monitor": settings.applicationinsights_connection_string is not None})
    return True


def _exporters(settings) -> list:
    exporters = []
    if settings.otlp_traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Headers, compression, timeout and certificates from the standard OTEL_EXPORTER_OTLP_* variables.
        exporters.append(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint))
    if settings.applicationinsights_connection_string:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        # Spans that could not be sent wait on disk under var/, not in a shared temporary folder.
        exporters.append(AzureMonitorTraceExporter(
            connection_string=settings.applicationinsights_connection_string,
            storage_directory=os.path.join(settings.var_dir, "azure-monitor")))
    return exporters


def shutdown_tracing() -> None:
    """Sends the spans still batched and stops the exporters: every exit path of `serve`."""
    global _provider, _tracer
    if _provider is None:
        return
    provider, _provider, _tracer = _provider, None, None
    try:
        provider.force_flush(FLUSH_TIMEOUT_MILLIS)
        provider.shutdown()
    except Exception as exc:  # the collector away at exit: the spans are lost, the exit is not
        log.warning("spans not flushed: %s", exc)


@contextlib.contextmanager
def traced(settings, role: str):
    """Tracing on (if configured) for the `with` block; whatever way it is left, the spans still
    batched are sent before the process goes on to exit."""
    configure_tracing(settings, role)
    try:
        yield
    finally:
        shutdown_tracing()


def serve_role(role: str, workers: int) -> str:
    """What a `serve` process does, as its spans' resource says: `api` (also the supervisor
    beside it), `worker` (one worker process, or a supervisor of workers alone), `all`."""
    if role == "all" and workers > 0:
        return "api"
    return role


# -- context across processes -------------------------------------------------------------------
def current_traceparent() -> str | None:
    """The W3C `traceparent` of the span in progress (the request's), for the job row."""
    if _provider is None:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


def submitted(job_id, created: bool) -> None:
    """On the request's span: the job it submitted (`job.id`, as on the worker's spans), and
    whether it joined one already in flight (`job.shared`), whose spans are in another trace."""
    if _provider is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    span.set_attribute("job.id", str(job_id))
    span.set_attribute("job.shared", not created)


def _context_of(carrier) -> object:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract(carrier)


# -- HTTP ----------------------------------------------------------------------------------------
def setup_tracing(app: web.Application, credential_of) -> None:
    """A server span per request, inside the request id's middleware (so the span carries the
    id) and outside the problem middleware (so it sees the status the client gets).
    `credential_of(request)` gives the request's credential once authenticated, else None.
    Nothing is installed while tracing is off."""
    if _provider is None:
        return
    app.middlewares.append(_tracing_middleware(credential_of))


def _tracing_middleware(credential_of):
    from opentelemetry.trace import SpanKind, Status, StatusCode

    @web.middleware
    async def tracing_middleware(request: web.Request, handler):
        tracer = _tracer
        if tracer is None:  # turned off (at shutdown) while the app still serves
            return await handler(request)
        route = route_pattern(request)
        # Named by the route's template, never the path with its ids; unmatched: the method alone.
        name = request.method if route == UNMATCHED else f"{request.method} {route}"
        attributes = {"http.request.method": request.method, "url.path": request.path,
                      "url.scheme": request.scheme}
        if route != UNMATCHED:
            attributes["http.route"] = route
        if logs.request_id.get() is not None:
            attributes[REQUEST_ID_ATTRIBUTE] = logs.request_id.get()
        with tracer.start_as_current_span(name, context=_context_of(request.headers), kind=SpanKind.SERVER,
                                          attributes=attributes, record_exception=False,
                                          set_status_on_exception=False) as span:
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except BaseException as exc:
                span.record_exception(exc)
                raise
            finally:
                span.set_attribute("http.response.status_code", status)
                found = credential_of(request)
                if found is not None:
                    span.set_attribute(CLIENT_ATTRIBUTE, str(found.client_id))
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))

    return tracing_middleware


# -- jobs ----------------------------------------------------------------------------------------
class JobTrace:
    """The spans of one attempt of a job in the worker: `job`, a child of the submitting
    request's span, from the moment the job could be claimed (its `wait` stage, timed by the
    database at the claim) to its end; and the stages as children, one after the other.

    `stage(name)` ends the running stage and starts the next; `finish(outcome)` ends both.
    The stages run in the engine process, which is not traced: their spans are kept here, in
    the worker, around the messages that announce each stage. Called from the worker's loop,
    and from Blender's main thread when the engine runs in process, never from both at once."""

    def __init__(self, row, worker_id: str):
        from opentelemetry import trace

        self._trace = trace
        claimed = time.time_ns()
        wait_ms = (row["timings"] or {}).get("wait_ms")
        wait_ns = max(0, int(float(wait_ms) * 1_000_000)) if isinstance(wait_ms, (int, float)) else 0
        started = claimed - wait_ns
        carrier = {"traceparent": row["traceparent"]} if row.get("traceparent") else {}
        self.span = _tracer.start_span("job", context=_context_of(carrier), kind=trace.SpanKind.CONSUMER,
                                       start_time=started, record_exception=False,
                                       set_status_on_exception=False, attributes={
                                           "job.id": str(row["id"]),
                                           "job.product_id": str(row["product_id"]),
                                           "job.attempt": int(row["attempt"]),
                                           "job.cache_key": row["cache_key"],
                                           "job.template_version": row["template_version"],
                                           "job.worker_id": worker_id,
                                           CLIENT_ATTRIBUTE: str(row["client_id"]),
                                       })
        self._context = trace.set_span_in_context(self.span)
        self._stage = None
        self._stage_span("wait", started).end(end_time=claimed)

    def _stage_span(self, name: str, start_time: int | None = None):
        return _tracer.start_span(name, context=self._context, start_time=start_time, record_exception=False,
                                  set_status_on_exception=False, attributes={"job.stage": name})

    def stage(self, name: str) -> None:
        if self._stage is not None:
            self._stage.end()
        self._stage = self._stage_span(name)

    def finish(self, outcome: str, error: BaseException | None = None) -> None:
        """`outcome`: the status the job was left in (COMPLETED, QUEUED for a retry, FAILED,
        CANCELLED) or LEASE_LOST; `error` is recorded on the stage it ended and on the job."""
        from opentelemetry.trace import Status, StatusCode

        failed = error is not None and outcome not in ("COMPLETED", "CANCELLED")
        for span in (self._stage, self.span):
            if span is None:
                continue
            if failed:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:500]))
        self.span.set_attribute("job.outcome", outcome)
        if failed:
            self.span.set_attribute("error.type", getattr(error, "code", None) or type(error).__name__)
        if self._stage is not None:
            self._stage.end()
            self._stage = None
        self.span.end()


class _NoJobTrace:
    """Tracing off: the worker's calls cost one method call each."""

    def stage(self, name: str) -> None:
        pass

    def finish(self, outcome: str, error: BaseException | None = None) -> None:
        pass


_NO_JOB_TRACE = _NoJobTrace()


def job_trace(row, worker_id: str):
    """The spans of this attempt of the claimed job `row`, or a stand-in when tracing is off."""
    if _tracer is None:
        return _NO_JOB_TRACE
    try:
        return JobTrace(row, worker_id)
    except Exception as exc:  # a span must never cost a job
        log.warning("job not traced: %s", exc)
        return _NO_JOB_TRACE
