"""The one settings object, read from the environment (ARCHITECTURE §9)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace


def _int(env, name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value not in (None, "") else default


def _float(env, name: str, default: float) -> float:
    value = env.get(name)
    return float(value) if value not in (None, "") else default


def default_var_dir() -> str:
    """Where the writable data (embedded database, blobs, keys) lives unless CONFIGURATOR_VAR_DIR
    says: `var` under the working directory for the service run from the repository or its
    image; for an installed extension (imported as `bl_ext.<repository>.<id>`) the folder Blender
    keeps for it, `bpy.utils.extension_path_user` (its own folder is replaced on every update)."""
    if (__package__ or "").startswith("bl_ext."):
        import bpy

        return bpy.utils.extension_path_user(__package__, create=True) or "var"
    return "var"


PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def default_webapp_dir() -> str:
    """The built web app: inside the package for an installed extension (its archive carries it
    as `webapp/`), else the repository's `frontend/dist`."""
    bundled = os.path.join(PACKAGE_DIR, "webapp")
    return bundled if os.path.isdir(bundled) else os.path.join(os.path.dirname(PACKAGE_DIR), "frontend", "dist")


def otlp_traces_endpoint(env) -> str | None:
    """Where OTLP/HTTP spans go, as OpenTelemetry's SDKs read the standard variables: the traces
    endpoint as given, else the base endpoint with the traces path appended."""
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return base.rstrip("/") + "/v1/traces" if base else None


@dataclass(frozen=True)
class Settings:
    # Database: unset means an embedded PostgreSQL cluster under `var_dir`.
    database_url: str | None = None
    # Blob storage: unset means local files under `var_dir/blobs`.
    azure_storage_connection_string: str | None = None
    azure_container: str = "configurator"
    var_dir: str = field(default_factory=default_var_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    # Prometheus /metrics on a listener of its own (never the public one); no port: off.
    metrics_port: int | None = None  # METRICS_PORT
    metrics_host: str = "127.0.0.1"  # METRICS_HOST
    # After SIGTERM, an API process answers /ready with 503 this long before its listener closes,
    # so the load balancer's readiness probe takes it out of rotation first (docs/deploy.md).
    drain_seconds: float = 0.0  # DRAIN_SECONDS
    # Traces (docs/service.md, "Traces"): OTLP over HTTP to this URL, and/or Azure Monitor; neither: off.
    otlp_traces_endpoint: str | None = None  # OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or _ENDPOINT + /v1/traces
    applicationinsights_connection_string: str | None = None  # APPLICATIONINSIGHTS_CONNECTION_STRING
    log_format: str = "json"  # json | text
    blender_path: str | None = None
    workers: int = 2  # BLENDER_MAX_CONCURRENT: worker processes under the supervisor
    job_timeout_seconds: float = 300.0  # BLENDER_TIMEOUT_SECONDS: per-job limit
    inspection_timeout_seconds: float = 120.0  # an upload's inspection in a child Blender
    job_max_retries: int = 3
    retry_base_delay_seconds: float = 1.0
    heartbeat_seconds: float = 2.0
    worker_recycle_jobs: int = 1000
    worker_recycle_rss_mb: int = 2048
    cors_origins: tuple[str, ...] = field(default_factory=lambda: ("http://localhost:5173",))
    max_upload_bytes: int = 64 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024
    public_base_url: str | None = None  # how clients reach us, for result URLs
    frame_ancestors: str = "'self'"  # CSP frame-ancestors: who may embed the web app
    # Untrusted templates (docs/security.md): limits of every engine process and job.
    engine_sandbox: bool = True  # ENGINE_SANDBOX=0 only where Landlock is missing (logged)
    engine_memory_limit_mb: int = 4096  # ENGINE_MEMORY_LIMIT_MB: one engine process, hard
    geometry_limit_vertices: int = 5_000_000  # GEOMETRY_LIMIT_VERTICES: evaluated, per job
    geometry_limit_faces: int = 5_000_000  # GEOMETRY_LIMIT_FACES: evaluated, per job
    inspection_concurrency: int = 2  # INSPECTION_CONCURRENCY: uploads inspected at once
    bake_resolution: int = 512  # BAKE_RESOLUTION: pixels of a baked procedural material's tile, unless it says
    # Fairness: job submissions per client (a token bucket: rate per second, burst).
    job_submit_rate: float = 20.0  # JOB_SUBMIT_RATE
    job_submit_burst: int = 200  # JOB_SUBMIT_BURST
    # A storefront's writes (publishable keys: jobs, saved configurations), per key and per address.
    storefront_key_rate: float = 20.0  # STOREFRONT_KEY_RATE (the client's job limit caps it anyway)
    storefront_key_burst: int = 400  # STOREFRONT_KEY_BURST
    storefront_ip_rate: float = 5.0  # STOREFRONT_IP_RATE (a shopper dragging a slider, or a few behind one NAT)
    storefront_ip_burst: int = 100  # STOREFRONT_IP_BURST
    # Retention: what is kept, and how often the sweep runs.
    job_retention_days: float = 30.0  # JOB_RETENTION_DAYS: terminal jobs older are deleted
    blob_grace_hours: float = 24.0  # BLOB_GRACE_HOURS: unreferenced GLBs younger are kept
    retention_interval_seconds: float = 3600.0  # RETENTION_INTERVAL_SECONDS
    # GLB URLs handed out (local: signed /blobs/ URLs; Azure: SAS) stay valid this long, at
    # most a quarter longer (rounded up so repeated asks get the same URL).
    blob_url_ttl_seconds: int = 3600  # BLOB_URL_TTL_SECONDS
    # Mail (password resets, invitations): smtp://[user:password@]host[:port], smtps:// for TLS;
    # unset: the message (with its link) is logged instead of sent.
    smtp_url: str | None = None  # SMTP_URL
    mail_from: str = "Configurator <no-reply@localhost>"  # MAIL_FROM
    webapp_dir: str = field(default_factory=default_webapp_dir)

    @property
    def lease_timeout_seconds(self) -> float:
        """A PROCESSING job whose heartbeat is older than this is rescued; longer than the
        job time limit, because a heavy evaluation holds the GIL and stops heartbeats."""
        return self.job_timeout_seconds + max(10.0, 5 * self.heartbeat_seconds)

    @property
    def blob_dir(self) -> str:
        return os.path.join(self.var_dir, "blobs")

    @property
    def blob_url_key_file(self) -> str:
        """The key `/blobs/` URLs are signed with (made on first use, mode 0600)."""
        return os.path.join(self.var_dir, "blob-url.key")

    @classmethod
    def from_env(cls, env=None, **overrides) -> Settings:
        env = os.environ if env is None else env
        origins = env.get("CORS_ORIGINS")
        settings = cls(
            database_url=env.get("DATABASE_URL") or None,
            azure_storage_connection_string=env.get("AZURE_STORAGE_CONNECTION_STRING") or None,
            azure_container=env.get("AZURE_STORAGE_CONTAINER", cls.azure_container),
            var_dir=env.get("CONFIGURATOR_VAR_DIR") or default_var_dir(),
            host=env.get("HOST", cls.host),
            port=_int(env, "PORT", cls.port),
            metrics_port=_int(env, "METRICS_PORT", None),
            metrics_host=env.get("METRICS_HOST") or cls.metrics_host,
            drain_seconds=_float(env, "DRAIN_SECONDS", cls.drain_seconds),
            otlp_traces_endpoint=otlp_traces_endpoint(env),
            applicationinsights_connection_string=env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or None,
            log_format=env.get("LOG_FORMAT", cls.log_format),
            blender_path=env.get("BLENDER_PATH") or None,
            workers=_int(env, "BLENDER_MAX_CONCURRENT", cls.workers),
            job_timeout_seconds=_float(env, "BLENDER_TIMEOUT_SECONDS", cls.job_timeout_seconds),
            inspection_timeout_seconds=_float(env, "INSPECTION_TIMEOUT_SECONDS", cls.inspection_timeout_seconds),
            job_max_retries=_int(env, "JOB_MAX_RETRIES", cls.job_max_retries),
            worker_recycle_jobs=_int(env, "WORKER_RECYCLE_JOBS", cls.worker_recycle_jobs),
            worker_recycle_rss_mb=_int(env, "WORKER_RECYCLE_RSS_MB", cls.worker_recycle_rss_mb),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()) if origins
            else ("http://localhost:5173",),
            public_base_url=env.get("PUBLIC_BASE_URL") or None,
            frame_ancestors=env.get("FRAME_ANCESTORS") or cls.frame_ancestors,
            engine_sandbox=env.get("ENGINE_SANDBOX", "1").strip().lower() not in ("0", "false", "no", "off"),
            engine_memory_limit_mb=_int(env, "ENGINE_MEMORY_LIMIT_MB", cls.engine_memory_limit_mb),
            geometry_limit_vertices=_int(env, "GEOMETRY_LIMIT_VERTICES", cls.geometry_limit_vertices),
            geometry_limit_faces=_int(env, "GEOMETRY_LIMIT_FACES", cls.geometry_limit_faces),
            inspection_concurrency=_int(env, "INSPECTION_CONCURRENCY", cls.inspection_concurrency),
            bake_resolution=_int(env, "BAKE_RESOLUTION", cls.bake_resolution),
            job_submit_rate=_float(env, "JOB_SUBMIT_RATE", cls.job_submit_rate),
            job_submit_burst=_int(env, "JOB_SUBMIT_BURST", cls.job_submit_burst),
            storefront_key_rate=_float(env, "STOREFRONT_KEY_RATE", cls.storefront_key_rate),
            storefront_key_burst=_int(env, "STOREFRONT_KEY_BURST", cls.storefront_key_burst),
            storefront_ip_rate=_float(env, "STOREFRONT_IP_RATE", cls.storefront_ip_rate),
            storefront_ip_burst=_int(env, "STOREFRONT_IP_BURST", cls.storefront_ip_burst),
            job_retention_days=_float(env, "JOB_RETENTION_DAYS", cls.job_retention_days),
            blob_grace_hours=_float(env, "BLOB_GRACE_HOURS", cls.blob_grace_hours),
            retention_interval_seconds=_float(env, "RETENTION_INTERVAL_SECONDS", cls.retention_interval_seconds),
            blob_url_ttl_seconds=_int(env, "BLOB_URL_TTL_SECONDS", cls.blob_url_ttl_seconds),
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            webapp_dir=env.get("CONFIGURATOR_WEBAPP_DIR") or default_webapp_dir(),
        )
        return replace(settings, **overrides)
