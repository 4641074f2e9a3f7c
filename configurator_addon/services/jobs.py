"""Submitting and following GLB jobs (the API side of the queue)."""
from __future__ import annotations

from ..engine.config_validation import validate_config
from ..engine.result_keys import export_options, result_cache_key
from ..errors import BadRequestError, ConfigValidationError, ConflictError
from ..jobs.queue import TERMINAL_STATUSES
from ..observability import tracing
from .configurations import EVERY, Visibility
from .rows import found


class JobService:
    def __init__(self, queue, products, configurations, *, max_retries: int):
        self.queue = queue
        self.products = products
        self.configurations = configurations
        self.max_retries = max_retries

    async def submit(self, client_id, user_id, *, product_id=None, configuration_id=None, config_data=None,
                     draco: bool = False, morph: bool = False, file_format: str = "glb",
                     visible: Visibility = EVERY, priority: str = "live"):
        """A saved configuration (one the caller sees: `visible`), or a product with
        configuration values. Returns (job row, created). 422 for an invalid configuration,
        404 for unknown ids. `priority` orders the claim, not the result (not in the cache key)."""
        if configuration_id is not None:
            if product_id is not None or config_data is not None:
                raise BadRequestError("give either configuration_id, or product_id with config_data, not both")
            configuration = await self.configurations.get(client_id, configuration_id, visible)
            product = await self.products.get(client_id, configuration["product_id"])
            try:
                config = validate_config(product["config_schema"], configuration["config_data"])
            except ConfigValidationError as exc:
                raise ConflictError(
                    f"the configuration was saved for schema version {configuration['product_schema_version']}; "
                    f"its values are not valid for the product's current version {product['schema_version']}",
                    exc.errors) from None
        elif product_id is not None:
            product = await self.products.get(client_id, product_id)
            config = validate_config(product["config_schema"], config_data or {})
        else:
            raise BadRequestError("give configuration_id, or product_id with config_data")

        options = export_options(draco, morph, file_format)  # a morph GLB or a USDZ has a key of its own
        cache_key = result_cache_key(product["template_version"], config, options)
        row, created = await self.queue.submit(
            client_id=client_id, product_id=product["id"], configuration_id=configuration_id, user_id=user_id,
            template_blob_path=product["template_blob_path"], template_version=product["template_version"],
            config_data=config, options=options, cache_key=cache_key, max_retries=self.max_retries,
            traceparent=tracing.current_traceparent(),  # the worker's spans join this request's trace
            priority=priority,
        )
        tracing.submitted(row["id"], created)
        return row, created

    async def get(self, client_id, job_id):
        return found(await self.queue.get(job_id, client_id), f"no job {job_id}")

    async def cancel(self, client_id, job_id):
        row = found(await self.queue.request_cancel(job_id, client_id), f"no job {job_id}")
        if row["status"] in TERMINAL_STATUSES and row["status"] != "CANCELLED":
            raise ConflictError(f"job {job_id} is already {row['status']}")
        return row
