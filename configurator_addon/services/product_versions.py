"""A product's versions, and how compatible one is: its schema diff against another version
(`schema_diff.py`) and how many of the product's saved configurations it would refuse.

Every product version the database keeps is listed (the retention sweep may have deleted old
ones that no configuration was saved with). A version is compared, by default, with the
newest stored version before it (usually n-1; none for the first). The saved configurations
checked are all of the client's for the product, whoever made them and whatever schema
version they were saved with, each as saved (`config_data`), with
`engine.config_validation.validate_config` against the version's schema."""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from ..db.queries import load_queries
from ..engine.config_validation import canonical_json, validate_config
from ..errors import ConfigValidationError
from .rows import found
from .schema_diff import diff_versions, is_breaking

SQL = load_queries(os.path.join(os.path.dirname(__file__), "product_versions.sql"))
MAX_EXAMPLES = 10
BATCH = 500  # configurations read and checked at a time
MAX_REMEMBERED = 10_000  # distinct configurations whose verdict is kept while checking


@dataclass
class ConfigurationCheck:
    total: int = 0
    invalid: int = 0
    examples: list[dict] = field(default_factory=list)  # newest first, at most MAX_EXAMPLES


class ProductVersionService:
    def __init__(self, pool, *, batch: int = BATCH, max_examples: int = MAX_EXAMPLES):
        self.pool = pool
        self.batch = batch
        self.max_examples = max_examples

    async def list(self, client_id, product_id) -> list:
        """The product's versions, newest first (404: no such product of this client)."""
        rows = await self.pool.fetch(SQL.list_versions, client_id, product_id)
        return found(rows or None, f"no product {product_id}")

    async def get(self, client_id, product_id, schema_version: int):
        row = await self.pool.fetchrow(SQL.get_version, client_id, product_id, schema_version)
        return found(row, f"no version {schema_version} of product {product_id}")

    async def compatibility(self, client_id, product_id, schema_version: int, against: int | None = None) -> dict:
        """Version `schema_version` against version `against` (default: the one stored before it)."""
        version = await self.get(client_id, product_id, schema_version)
        if against is None:
            compared = await self.pool.fetchrow(SQL.previous_version, client_id, product_id, schema_version)
        else:
            compared = await self.get(client_id, product_id, against)
        changes = [] if compared is None else diff_versions(dict(compared), dict(version))
        check = await self.check_configurations(client_id, product_id, version["config_schema"])
        return {
            "product_id": product_id, "schema_version": schema_version,
            "compared_to": None if compared is None else compared["schema_version"],
            "changes": changes, "breaking": is_breaking(changes),
            "configurations": {"total": check.total, "invalid": check.invalid, "examples": check.examples},
        }

    async def check_configurations(self, client_id, product_id, schema: dict) -> ConfigurationCheck:
        """Every saved configuration of the product against `schema`, a page at a time (the
        checks run off the event loop); identical configurations are checked once."""
        check = ConfigurationCheck()
        verdicts: dict[str, list[dict]] = {}
        after = (None, None)
        while True:
            rows = await self.pool.fetch(SQL.configurations_page, client_id, product_id, *after, self.batch)
            if not rows:
                return check
            problems = await asyncio.to_thread(_check_batch, schema, [row["config_data"] for row in rows], verdicts)
            for row, errors in zip(rows, problems, strict=True):
                check.total += 1
                if errors:
                    check.invalid += 1
                    if len(check.examples) < self.max_examples:
                        check.examples.append({"id": row["id"], "name": row["name"], "errors": errors})
            if len(rows) < self.batch:
                return check
            after = (rows[-1]["created_at"], rows[-1]["id"])


def _check_batch(schema: dict, configurations: list, verdicts: dict[str, list[dict]]) -> list[list[dict]]:
    """Each configuration's problems ([] when valid), remembering verdicts in `verdicts`."""
    out = []
    for config in configurations:
        key = canonical_json(config)
        errors = verdicts.get(key)
        if errors is None:
            errors = _problems(schema, config)
            if len(verdicts) < MAX_REMEMBERED:
                verdicts[key] = errors
        out.append(errors)
    return out


def _problems(schema: dict, config) -> list[dict]:
    try:
        validate_config(schema, config)
    except ConfigValidationError as exc:
        return [{"pointer": e.pointer or "", "message": e.message, "code": e.code} for e in exc.errors]
    return []
