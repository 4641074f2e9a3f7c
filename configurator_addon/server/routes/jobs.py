"""`/api/v1/jobs`: submit, follow (also over WebSocket) and cancel GLB generation."""
from __future__ import annotations

from aiohttp import web

from ...jobs.queue import TERMINAL_STATUSES
from ...observability import metrics
from ...schemas.api import Job, JobCreate, JobEvent
from ...services.submission_limits import limit_submissions
from .. import keys
from ..authorization import configuration_visibility, require_credential
from ..event_sockets import follow
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
        config_data=body.config_data, draco=body.options.draco, morph=body.options.morph,
        file_format=body.options.format, priority=body.options.priority,
        visible=configuration_visibility(caller))
    # 202 while the model is being made (a new job, or an identical one already in flight);
    # 200 when it is already there (answered from the result cache).
    answered_from_cache = row["status"] in TERMINAL_STATUSES
    metrics.result_cache(hit=answered_from_cache)
    status = 200 if answered_from_cache else 202
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
    jobs, tenant, job_id = request.app[keys.RESOURCES].jobs, client_id(request), path_id(request)
    return await follow(request, job_id, lambda: jobs.get(tenant, job_id), lambda row: _event(request, row),
                        finished=lambda row: row["status"] in TERMINAL_STATUSES, poll_seconds=POLL_SECONDS)
