"""PostgreSQL access: the embedded cluster, the migrator, the asyncpg pool and named SQL.

- `EmbeddedPostgres`: a local cluster under `var/` when `DATABASE_URL` is unset.
- `migrate`: applies `db/migrations/NNNN_name.sql` once each, under an advisory lock.
- `create_pool`: asyncpg pool with json/jsonb as Python objects; `is_transient` and
  `translate_transient_errors` map outages to `DatabaseError`.
- `load_queries`: named SQL from `.sql` files kept beside the code that runs it.
"""
from .embedded import EmbeddedPostgres
from .migrator import migrate
from .pool import create_pool, is_transient
from .queries import load_queries, parse_queries

__all__ = ["EmbeddedPostgres", "create_pool", "is_transient", "load_queries", "migrate", "parse_queries"]
