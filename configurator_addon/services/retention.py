"""Retention: the sweep that deletes old jobs, unused cached results, unreferenced GLBs and
unused old template versions. The API process runs it every `RETENTION_INTERVAL_SECONDS`
(`sweep_periodically`, started by the app); SQL in `retention.sql`.

What is deleted, in this order (R = `JOB_RETENTION_DAYS`, G = `BLOB_GRACE_HOURS`):

1. **Jobs** that are COMPLETED, FAILED or CANCELLED and finished (`completed_at`, else
   `updated_at`) more than R ago. PENDING, QUEUED and PROCESSING jobs are never deleted.
2. **GLB blobs** (`{client}/glb/{key}.glb`, and the USDZ results beside them
   `{client}/glb/{key}.usdz`; nothing else in the store) last written more than
   G ago that nothing refers to: no job of any status (by `result_blob_path`, or by the
   client's cache key: a running job writes exactly that blob), no cached result (by path or
   by the client's cache key) and no product preview (the client's product whose current
   default configuration has that key). G protects a GLB a worker has just uploaded for a
   job that is not completed yet; the delete is conditional on the blob being unchanged
   since it was listed, so a GLB written again meanwhile is never removed.
2b. **Textures** (`{client}/textures/{sha256}.{ext}`, `storage/textures.py`) last written
   more than G ago that no GLB left in the store refers to (the URIs in its JSON chunk,
   read without its geometry; only the GLB's own client's folder counts). A worker writes
   every texture again with each GLB that uses it, just before the GLB, unless it wrote it
   within the last ten minutes: so a texture a GLB is being stored with is either too recent
   to be a candidate (G is at least `MIN_BLOB_GRACE_HOURS`) or rewritten since it was
   listed, and the conditional delete leaves it.
3. **Cached results** (`results` rows) created more than R ago that no job and no product
   preview of the same client refers to. Every use of a result leaves a job: a cache hit is
   a job completed at once (`jobs/queries.sql: submit_job`). Jobs are kept R after they
   finish, so a result lives while it was made or used within R, while a job is computing
   it, and for as long as it is a product's preview. Configurations keep no cache key (their
   key follows the product's current template at each submission); their GLBs are kept
   through the jobs submitted for them, and a configuration submitted after that makes its
   GLB again. A result row deleted by this step keeps its GLB until the next sweep (step 2
   runs first): a job that read the row just before it went away has by then recorded the
   GLB as its own result.
4. **Template versions** (`product_versions` rows) other than the product's current one,
   superseded (the next version uploaded) more than R ago, that no configuration was saved
   with and no unfinished job reads; with them their template blob, unless a product or a
   remaining version still names it (the same template uploaded again has the same path).
   Rows and blobs go in one transaction: blobs are deleted before the rows commit, so a
   failed blob delete leaves the rows for the next sweep (never a row without a reason to
   be deleted, and never a blob without a row that a later sweep could find). Only blobs
   inside the product's own template folder are ever deleted.
5. **Template bakes** (`{client}/bakes/{version}.json` and `.blend`, `storage/bakes.py`)
   whose blobs were all last written more than G ago, of a version that no product of the
   same client has (no `product_versions` row, not the current template): after step 4, so a
   version deleted there frees its bake in the same sweep. Each is checked and deleted while
   the sweep holds its bake lock exclusively (skipped if a publish holds it: the next sweep
   sees it), the record first, so an interrupted delete leaves at most a `.blend` without a
   record, which a publish bakes again over and a later sweep collects. A publish holds the
   same lock, shared, in the transaction that stores its version row, and checks there that
   a record it reused is still there (`services/template_bakes.py`). Counted by version.

Nothing is matched across tenants: a reference by cache key counts only within the blob's
or row's client, and a full blob path names its client. Deletions run in batches of
`batch_size`, each its own short statement or transaction, skipping rows others hold.

One sweep runs at a time across all API replicas: it takes a session-level advisory lock
(`pg_try_advisory_lock`) on a connection of its own, and a replica that finds it taken skips
its turn. The connection waits at most `LOCK_TIMEOUT` for a row lock. Each sweep logs what it
deleted; a failed sweep logs the error (with the counts so far) and the next one runs on time.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from ..db.queries import load_queries
from ..engine import glb_textures
from ..errors import BlobNotFoundError, StorageError
from ..settings import Settings
from ..storage import BlobStore
from ..storage.blob_store import RESULT_CONTENT_TYPES, BlobInfo, is_texture_blob
from ..storage.textures import referenced_textures
from .template_bakes import BAKE_LOCK_NAMESPACE, bake_lock_key
from .template_bakes import SQL as BAKE_SQL

SQL = load_queries(os.path.join(os.path.dirname(__file__), "retention.sql"))
log = logging.getLogger("configurator.retention")

# Any fixed bigint works; what matters is that every sweep uses the same one (and no other
# advisory lock does: the migrator's is 7_419_260_152_183_734_001).
ADVISORY_LOCK_KEY = 7_419_260_152_183_734_002
BATCH_SIZE = 500
TEMPLATE_BATCH_SIZE = 50  # versions per transaction; their blobs are deleted inside it
# A rate bucket untouched this long is full again: deleting it changes no limit.
IDLE_BUCKET_SECONDS = 86400.0
LOCK_TIMEOUT = "5s"
# The least grace a host may sweep with: far above the window within which a worker does not
# write a texture again (storage/textures.py, RECENT_WRITE_SECONDS) plus a job's upload.
MIN_BLOB_GRACE_HOURS = 1.0
STATEMENT_TIMEOUT = "5min"

_BAKE_PATH = re.compile(r"(?P<client>[A-Za-z0-9._-]+)/bakes/(?P<version>[A-Za-z0-9_-]+)\.(?:json|blend)")
_GLB_PATH = re.compile(r"(?P<client>[A-Za-z0-9._-]+)/glb/(?P<key>[A-Za-z0-9._-]+)\.(?:"
                       + "|".join(RESULT_CONTENT_TYPES) + ")")


@dataclasses.dataclass
class SweepReport:
    """What one sweep deleted."""

    jobs: int = 0
    glbs: int = 0
    textures: int = 0
    results: int = 0
    template_versions: int = 0
    template_blobs: int = 0
    bakes: int = 0  # versions whose bake was deleted
    rate_buckets: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class RetentionSweep:
    def __init__(self, dsn: str, store: BlobStore, *, job_retention_days: float, blob_grace_hours: float,
                 batch_size: int = BATCH_SIZE, template_batch_size: int = TEMPLATE_BATCH_SIZE):
        if job_retention_days < 0 or blob_grace_hours < 0:
            raise ValueError("retention periods must not be negative")
        self.dsn = dsn
        self.store = store
        self.retention_seconds = job_retention_days * 86400.0
        self.grace = timedelta(hours=blob_grace_hours)

        self.batch_size = batch_size
        self.template_batch_size = template_batch_size

    @classmethod
    def from_settings(cls, settings: Settings, store: BlobStore) -> RetentionSweep:
        """The sweep a host runs; refuses a grace under `MIN_BLOB_GRACE_HOURS`."""
        if settings.blob_grace_hours < MIN_BLOB_GRACE_HOURS:
            raise ValueError(f"BLOB_GRACE_HOURS is {settings.blob_grace_hours:g}: it must be at least "
                             f"{MIN_BLOB_GRACE_HOURS:g} (workers skip writing textures they wrote lately)")
        return cls(settings.database_url, store, job_retention_days=settings.job_retention_days,
                   blob_grace_hours=settings.blob_grace_hours)

    async def run(self) -> SweepReport | None:
        """One sweep; None if another process's sweep is running. Logs what it deleted, or
        the error (then raised) with what it had deleted until then."""
        report = SweepReport()
        started = time.monotonic()
        try:
            conn = await asyncpg.connect(self.dsn, server_settings={
                "application_name": "configurator-retention",
                "lock_timeout": LOCK_TIMEOUT,
                "statement_timeout": STATEMENT_TIMEOUT,
            })
            try:
                if not await conn.fetchval(SQL.try_lock, ADVISORY_LOCK_KEY):
                    log.info("retention sweep skipped: another one is running")
                    return None
                report.jobs = await self._delete_jobs(conn)
                # Blobs written after this moment are never candidates, however long the sweep runs.
                written_before = datetime.now(UTC) - self.grace
                bakes: dict[tuple[uuid.UUID, str], list[BlobInfo]] = {}
                report.glbs, report.textures = await self._collect_glbs_and_textures(conn, written_before, bakes)
                report.results = await self._delete_results(conn)
                await self._delete_template_versions(conn, report)
                report.bakes = await self._delete_unused_bakes(conn, written_before, bakes)
                report.rate_buckets = len(await conn.fetch(SQL.delete_idle_rate_buckets, IDLE_BUCKET_SECONDS))
            finally:
                await _close(conn)  # ends the session, and with it the lock
        except Exception:
            log.exception("retention sweep failed", extra={"deleted": report.as_dict()})
            raise
        log.info("retention sweep", extra={"deleted": report.as_dict(),
                                           "seconds": round(time.monotonic() - started, 3)})
        return report

    # -- the steps ---------------------------------------------------------------------------
    async def _delete_jobs(self, conn) -> int:
        return await self._in_batches(lambda: conn.fetch(SQL.delete_expired_jobs, self.retention_seconds,
                                                         self.batch_size))

    async def _delete_results(self, conn) -> int:
        return await self._in_batches(lambda: conn.fetch(SQL.delete_expired_results, self.retention_seconds,
                                                         self.batch_size))

    async def _in_batches(self, delete_batch: Callable) -> int:
        deleted = 0
        while True:
            rows = await delete_batch()
            deleted += len(rows)
            if len(rows) < self.batch_size:  # done, or the rest is locked: next sweep
                return deleted

    async def _collect_glbs_and_textures(self, conn, written_before: datetime, bakes: dict) -> tuple[int, int]:
        """Steps 2 and 2b from one listing of the store: unreferenced GLBs, then the textures
        no GLB left refers to. How many of each were deleted. Fills `bakes` with every bake
        blob listed, by (client, version), for step 5."""
        deleted_glbs: set[str] = set()
        glbs: list[str] = []  # every GLB listed: what may keep a texture
        textures: list[BlobInfo] = []  # texture candidates
        batch: list[tuple[BlobInfo, uuid.UUID | None, str]] = []
        async for info in self.store.list_blobs(""):
            bake = _BAKE_PATH.fullmatch(info.path)
            if bake is not None:
                client = _client_id(bake["client"])
                if client is not None:
                    bakes.setdefault((client, bake["version"]), []).append(info)
                continue
            if is_texture_blob(info.path):
                if info.last_modified < written_before:
                    textures.append(info)
                continue
            match = _GLB_PATH.fullmatch(info.path)
            if match is None:
                continue
            if info.path.endswith(".glb"):
                glbs.append(info.path)
            if info.last_modified >= written_before:
                continue
            batch.append((info, _client_id(match["client"]), match["key"]))
            if len(batch) == self.batch_size:
                deleted_glbs |= await self._delete_unreferenced_glbs(conn, batch)
                batch = []
        if batch:
            deleted_glbs |= await self._delete_unreferenced_glbs(conn, batch)
        return len(deleted_glbs), await self._delete_unreferenced_textures(
            textures, [path for path in glbs if path not in deleted_glbs])

    async def _delete_unreferenced_textures(self, candidates: list[BlobInfo], glbs: list[str]) -> int:
        """A GLB stored after the listing wrote its textures again just before it, so the
        conditional delete leaves them (module docstring, 2b)."""
        referenced: set[str] = set()
        unknown: set[str] = set()  # clients with a GLB whose references could not be read
        for path in glbs:
            found = await self._textures_of(path)
            if found is None:
                unknown.add(path.split("/", 1)[0])
            else:
                referenced.update(found)
        deleted = 0
        for info in candidates:
            if info.path.split("/", 1)[0] in unknown:
                continue
            if info.path not in referenced and await self.store.delete(
                    info.path, if_unmodified_since=info.last_modified):
                deleted += 1
        return deleted

    async def _textures_of(self, glb_path: str) -> list[str] | None:
        """The textures a stored GLB refers to, from its JSON chunk alone; none if it is gone,
        None if it cannot be read (its client's textures then stay until a later sweep)."""
        try:
            header = b"".join([piece async for piece in self.store.stream(glb_path, 0, 20)])
            length = glb_textures.json_chunk_length(header)
            text = b"".join([piece async for piece in self.store.stream(glb_path, 20, length)])
            document = json.loads(text)
        except BlobNotFoundError:
            return []  # deleted since it was listed: it keeps nothing
        except (StorageError, ValueError) as exc:
            # Storage away, or not a GLB this service wrote: what it uses cannot be known.
            log.warning("texture references of a GLB unreadable; its client's textures kept",
                        extra={"blob_path": glb_path, "error": str(exc)})
            return None
        return referenced_textures(glb_path, document)

    async def _delete_unreferenced_glbs(self, conn, batch) -> set[str]:
        """The GLBs of `batch` that no job or product refers to, deleted; their paths."""
        rows = await conn.fetch(SQL.unreferenced_glbs, [info.path for info, _, _ in batch],
                                [client for _, client, _ in batch], [key for _, _, key in batch])
        unreferenced = {row["path"] for row in rows}
        deleted = set()
        for info, _, _ in batch:
            if info.path in unreferenced and await self.store.delete(
                    info.path, if_unmodified_since=info.last_modified):
                deleted.add(info.path)
        return deleted

    async def _delete_unused_bakes(self, conn, written_before: datetime,
                                   bakes: dict[tuple[uuid.UUID, str], list[BlobInfo]]) -> int:
        """Step 5: the bakes, all of whose blobs are old, of versions no product of their
        client has, each found unused again under its bake lock (module docstring); how many
        were deleted. One query picks the candidates, so a bake in use costs no lock."""
        old = [key for key, blobs in bakes.items() if all(info.last_modified < written_before for info in blobs)]
        deleted = 0
        for client, version in await self._unused_bakes(conn, old):
            key = bake_lock_key(client, version)
            if not await conn.fetchval(BAKE_SQL.try_hold, BAKE_LOCK_NAMESPACE, key):
                continue  # a publish holds it
            try:
                if await self._unused_bakes(conn, [(client, version)]):  # still, now that it is locked
                    deleted += await self._delete_bake(bakes[client, version])
            finally:
                await conn.fetchval(BAKE_SQL.release, BAKE_LOCK_NAMESPACE, key)
        return deleted

    @staticmethod
    async def _unused_bakes(conn, keys: list[tuple[uuid.UUID, str]]) -> list[tuple[uuid.UUID, str]]:
        if not keys:
            return []
        rows = await conn.fetch(BAKE_SQL.unused_bakes, [client for client, _ in keys], [v for _, v in keys])
        return [(row["client_id"], row["version"]) for row in rows]

    async def _delete_bake(self, blobs: list[BlobInfo]) -> bool:
        """The record first; nothing more once a blob was written again since it was listed
        (a publish baking it anew, outside the lock: what it writes stays)."""
        for info in sorted(blobs, key=lambda info: not info.path.endswith(".json")):
            if not await self.store.delete(info.path, if_unmodified_since=info.last_modified):
                return False
        return True

    async def _delete_template_versions(self, conn, report: SweepReport) -> None:
        while True:
            removed = 0
            async with conn.transaction():
                rows = await conn.fetch(SQL.delete_retired_template_versions, self.retention_seconds,
                                        self.template_batch_size)
                folders = {row["template_blob_path"]: f"{row['client_id']}/templates/{row['product_id']}/"
                           for row in rows}
                unreferenced = await conn.fetch(SQL.unreferenced_templates, list(folders)) if rows else []
                for row in unreferenced:
                    path = row["path"]
                    if not _in_folder(path, folders[path]):
                        log.warning("template blob outside its product's folder left in place",
                                    extra={"blob_path": path})
                        continue
                    removed += await self.store.delete(path)
            report.template_versions += len(rows)
            report.template_blobs += removed
            if len(rows) < self.template_batch_size:
                return


async def sweep_periodically(sweep: RetentionSweep, interval_seconds: float) -> None:
    """Run `sweep` every `interval_seconds` (the first one an interval after starting) until
    cancelled. A failed sweep is logged by `run` and does not stop the next."""
    while True:
        await asyncio.sleep(interval_seconds)
        with contextlib.suppress(Exception):
            await sweep.run()


def _client_id(folder: str) -> uuid.UUID | None:
    """The client a GLB folder belongs to; None unless it is a client id written as the
    store writes it (then only references by full path can keep its blobs)."""
    try:
        client = uuid.UUID(folder)
    except ValueError:
        return None
    return client if str(client) == folder else None


def _in_folder(path: str, folder: str) -> bool:
    name = path[len(folder):]
    return path.startswith(folder) and "/" not in name and name.endswith(".blend")


async def _close(conn) -> None:
    try:
        await conn.close(timeout=5)
    except BaseException:
        conn.terminate()
        raise
