"""`serve`: run the API, the workers, or both, as one process or under a supervisor.

- `--role api`: the HTTP API only.
- `--role worker --workers 0`: one worker: this process claims jobs and keeps one confined
  engine process warm beside it, which evaluates the templates (`sandbox/`).
- `--role all --workers 0`: both in one process.
- `--workers N` (N > 0, the default from BLENDER_MAX_CONCURRENT): this process serves the
  API (role `all`) and supervises N worker processes.
No service process imports bpy: only the engine processes do.
With no `DATABASE_URL`, a private PostgreSQL cluster under `var/` is started first and
stopped on exit; migrations run and (roles `all`/`api`) sample products are seeded. What each
shape runs on is opened by `services/resources.py`; this module keeps only the shapes.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys

from ..engine_process import child_command
from ..jobs.supervisor import Supervisor
from ..jobs.worker import Worker, templates_dir
from ..logs import configure_logging
from ..observability.listener import start_metrics
from ..observability.metrics import enable_multiprocess
from ..observability.tracing import serve_role, traced
from ..sandbox.sandboxed_engine import SandboxedEngine
from ..server.app import create_app
from ..server.routes import health
from ..services.resources import database, open_resources
from ..services.seeding import DEMO_CLIENT_ID, seed_demo_access, seed_samples
from ..settings import Settings
from .in_process import start_site

ENGINE_NICENESS = 10


def add_arguments(parser) -> None:
    parser.add_argument("--host", help="listen address (default: $HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: $PORT or 8000)")
    parser.add_argument("--role", choices=("all", "api", "worker"), default="all")
    parser.add_argument("--workers", type=int, help="worker processes to supervise (default: "
                        "$BLENDER_MAX_CONCURRENT or 2; 0 = work in this process)")
    parser.add_argument("--no-seed", action="store_true", help="do not create the sample products")


def serve(args) -> int:
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings.from_env(**overrides)
    configure_logging(settings.log_format)
    workers = settings.workers if args.workers is None else args.workers
    # Spans still batched are sent on every way out, the worker processes' too (they serve as well).
    with database(settings) as settings, traced(settings, serve_role(args.role, workers)):
        if settings.metrics_port is not None and workers > 0 and args.role != "api":
            # The workers are processes of their own: each writes its figures to files there,
            # and the listener in this process reads them all (docs/service.md, "Metrics").
            enable_multiprocess(os.path.join(settings.var_dir, "metrics"))
        if args.role in ("all", "api") and not args.no_seed:
            asyncio.run(_seed(settings))
        if workers > 0 and args.role != "api":
            asyncio.run(_serve_with_supervisor(settings, args.role, workers))
        elif args.role == "api":
            asyncio.run(_serve_api(settings))
        else:
            asyncio.run(_serve_worker(settings, with_api=args.role == "all"))
    return 0


async def _seed(settings: Settings) -> None:
    async with open_resources(settings, pool_size=2) as resources:
        first_start = await seed_demo_access(resources.pool)
        await seed_samples(resources, DEMO_CLIENT_ID)
    if first_start:
        print(first_start, file=sys.stderr, flush=True)


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _serve_api(settings: Settings) -> None:
    stop = asyncio.Event()
    _stop_on_signals(asyncio.get_running_loop(), stop)
    app = health.drainable(create_app(settings, role="api"))
    runner = await start_site(app, settings)
    listener = await start_metrics(settings)
    try:
        await stop.wait()
        await health.drain(app, settings.drain_seconds)  # /ready 503 first, then the listener closes
    finally:
        if listener is not None:
            await listener.close()
        await runner.cleanup()


async def _serve_with_supervisor(settings: Settings, role: str, workers: int) -> None:
    stop = asyncio.Event()
    _stop_on_signals(asyncio.get_running_loop(), stop)
    runner = await start_site(create_app(settings, role="api"), settings) if role == "all" else None
    # The workers' figures are served by this process's metrics listener, not by listeners of their own.
    env = {"DATABASE_URL": settings.database_url, "CONFIGURATOR_VAR_DIR": settings.var_dir, "METRICS_PORT": ""}
    listener = await start_metrics(settings)
    command = child_command(["serve", "--role", "worker", "--workers", "0", "--no-seed"], settings.blender_path)
    try:
        async with open_resources(settings, pool_size=2) as resources:
            supervisor = Supervisor(settings, resources.queue, command, workers, env=env)
            supervising = asyncio.create_task(supervisor.run())
            try:
                await stop.wait()
            finally:
                await supervisor.stop()
                supervising.cancel()
                await asyncio.gather(supervising, return_exceptions=True)
    finally:
        if listener is not None:
            await listener.close()
        if runner is not None:
            await runner.cleanup()


async def _serve_worker(settings: Settings, with_api: bool) -> None:
    """One worker and its engine process (and the API beside them, for role `all`)."""
    stop = asyncio.Event()
    _stop_on_signals(asyncio.get_running_loop(), stop)
    runner = await start_site(create_app(settings, role="all"), settings) if with_api else None
    engine = SandboxedEngine(settings, templates_dir(settings), niceness=0 if with_api else ENGINE_NICENESS)
    listener = await start_metrics(settings)
    try:
        async with open_resources(settings, pool_size=4) as resources:
            await engine.start()  # warm before the first job
            worker = Worker(settings, resources.queue, resources.store, engine,
                            status_file=os.environ.get("CONFIGURATOR_WORKER_STATUS_FILE"))
            await worker.run(stop)
    finally:
        if listener is not None:
            await listener.close()
        await engine.close()
        if runner is not None:
            await runner.cleanup()
