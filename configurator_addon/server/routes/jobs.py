"""`/api/v1/jobs`: submit, follow (also over WebSocket) and cancel GLB generation."""
from __future__ import annotations

import asyncio

from aiohttp import web

from ...jobs.queue import TERMINAL_STATUSES
from ...schemas.api import Job, JobCreate, JobEvent
from ...services.submission_limits import limit_submissions
from .. import keys
from ..authorization import configuration_visibility, require_credential
from ..cors import require_allowed_origin
from ..requests import client_id, path_id, read_json
from ..responses import model_response
from ..storefront_limits import limit_storefront

routes = web.RouteTableDef()
POLL_SECONDS = 2.0


def _server_timing(row) -> dict:
    timings = row["timings"] or {}
    parts = [f"{name[:-3]};dur={value}" for name, value in timings.items()
             if name.endswith("_ms") and isinstance(value, (int, float))]
    return {"Server-Timing": ", ".join(parts)} if parts else {}


async def _with_fresh_url(request: web.Request, row) -> dict:
    """Result URLs are made when answering: signed storage URLs expire, stored ones would go stale."""
    data = dict(row)
    if data.get("result_blob_path"):
        data["result_url"] = await request.app[keys.RESOURCES].store.url(
            data["result_blob_path"], request.app[keys.SETTINGS].public_base_url)
    return data


async def job_body(request: web.Request, row) -> Job:
    return Job.model_validate(await _with_fresh_url(request, row))


@routes.post("/api/v1/jobs")
async def submit_job(request: web.Request) -> web.Response:
    caller = require_credential(request)
    body = await read_json(request, JobCreate)
    resources, tenant = request.app[keys.RESOURCES], caller.client_id
    # Every submission costs the client a token, also one answered from the result cache or
    # joined to a job in flight; without one it is refused (429) before anything is written.
    # A storefront's also cost its key and the shopper's address one.
    await limit_storefront(request, caller)
    await limit_submissions(resources.pool, request.app[keys.SETTINGS], tenant)
    row, _ = await resources.jobs.submit(
        tenant, caller.user_id, product_id=body.product_id, configuration_id=body.configuration_id,
        config_data=body.config_data, draco=body.options.draco, visible=configuration_visibility(caller))
    # 202 while the model is being made (a new job, or an identical one already in flight);
    # 200 when it is already there (answered from the result cache).
    status = 200 if row["status"] in TERMINAL_STATUSES else 202
    headers = {"Location": f"/api/v1/jobs/{row['id']}", **_server_timing(row)}
    return model_response(await job_body(request, row), status=status, headers=headers)


@routes.get("/api/v1/jobs/{id}")
async def get_job(request: web.Request) -> web.Response:
    row = await request.app[keys.RESOURCES].jobs.get(client_id(request), path_id(request))
    return model_response(await job_body(request, row), headers=_server_timing(row))


@routes.post("/api/v1/jobs/{id}/cancel")
async def cancel_job(request: web.Request) -> web.Response:
    row = await request.app[keys.RESOURCES].jobs.cancel(client_id(request), path_id(request))
    return model_response(await job_body(request, row), status=200)


async def _event(request: web.Request, row) -> str:
    return JobEvent.model_validate(await _with_fresh_url(request, row)).model_dump_json()


@routes.get("/api/v1/jobs/{id}/events")
async def job_events(request: web.Request) -> web.WebSocketResponse:
    """Status/progress messages until the job reaches a terminal state, then the socket closes."""
    caller = require_credential(request)
    if caller.kind != "publishable_key":  # whose origins the key's own list decided
        require_allowed_origin(request, request.app[keys.SETTINGS].cors_origins)
    jobs = request.app[keys.RESOURCES].jobs
    tenant, job_id = caller.client_id, path_id(request)
    hub = request.app[keys.JOB_EVENTS]
    events = hub.subscribe(str(job_id))  # before the first read, so no change falls in between
    try:
        row = await jobs.get(tenant, job_id)  # 404 before the upgrade
    except BaseException:
        hub.unsubscribe(str(job_id), events)
        raise
    socket = web.WebSocketResponse(heartbeat=20)
    await socket.prepare(request)
    reader = asyncio.create_task(_read_until_closed(socket, events))
    try:
        last = None
        while True:
            message = await _event(request, row)
            if message != last:
                await socket.send_str(message)
                last = message
            if row["status"] in TERMINAL_STATUSES:
                break
            try:
                await asyncio.wait_for(events.get(), POLL_SECONDS)
            except TimeoutError:
                pass
            if socket.closed:
                break
            row = await jobs.get(tenant, job_id)
    finally:
        reader.cancel()
        hub.unsubscribe(str(job_id), events)
        if not socket.closed:
            await socket.close()
    return socket


async def _read_until_closed(socket: web.WebSocketResponse, events: asyncio.Queue) -> None:
    """The client sends nothing we need, but its close must be read to be answered at once
    (not after the client's close timeout); then the loop above is woken to end."""
    async for _ in socket:
        pass
    if not events.full():
        events.put_nowait(None)

