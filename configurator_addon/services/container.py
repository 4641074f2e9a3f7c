"""The services of one process, wired the same way for the HTTP app and for start-up tasks."""
from __future__ import annotations

from dataclasses import dataclass

from ..jobs.queue import JobQueue
from .configurations import ConfigurationService
from .jobs import JobService
from .products import ProductService
from .template_inspection import TemplateInspector


@dataclass
class Services:
    products: ProductService
    configurations: ConfigurationService
    jobs: JobService


def build_services(settings, pool, store, inspector=None) -> Services:
    products = ProductService(pool, store, inspector or TemplateInspector(settings.blender_path))
    configurations = ConfigurationService(pool, products)
    queue = JobQueue(pool, retry_base_delay_seconds=settings.retry_base_delay_seconds)
    jobs = JobService(queue, products, configurations, max_retries=settings.job_max_retries)
    return Services(products, configurations, jobs)
