"""A storefront (a publishable key) is open to anyone on the client's website, so what it
writes (job submissions, saved configurations) is limited per key and per shopper's address,
besides the client's own limit on jobs (settings `STOREFRONT_KEY_RATE`/`_BURST`,
`STOREFRONT_IP_RATE`/`_BURST`; 429 with Retry-After)."""
from __future__ import annotations

from aiohttp import web

from ..services.submission_limits import RateLimiter
from . import keys
from .authentication import Credential
from .requests import remote_address


async def limit_storefront(request: web.Request, caller: Credential) -> None:
    if caller.kind != "publishable_key":
        return
    settings, pool = request.app[keys.SETTINGS], request.app[keys.RESOURCES].pool
    await RateLimiter(pool, rate=settings.storefront_key_rate, burst=settings.storefront_key_burst).take(
        f"key:{caller.key_id}", "this storefront key makes requests")
    await RateLimiter(pool, rate=settings.storefront_ip_rate, burst=settings.storefront_ip_burst).take(
        f"ip:{remote_address(request)}", "this address makes requests")
