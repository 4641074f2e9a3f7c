"""Named SQL kept in `.sql` files (the aiosql / procrastinate convention).

A file holds blocks like::

    -- name: claim_job
    -- Claim the oldest claimable job for this worker.
    WITH next AS (...)
    UPDATE jobs ...

Each block starts at a `-- name: <identifier>` line; the `--` lines right after it are its
documentation (for readers of the file); the SQL runs to the next `-- name:` line. Comments and blank lines may
precede the first block. `load_queries(path).claim_job` is the SQL text, to pass to
asyncpg with `$1`-style arguments. Mistakes (duplicate names, a block without a name or
without SQL) raise `ConfiguratorError` at load time: they are bugs, and surface when the
module that loads the file is imported.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

from ..errors import ConfiguratorError

NAME_LINE = re.compile(r"^--\s*name:(?P<name>.*)$")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class Queries:
    """The queries of one file: `queries.name` (or `queries["name"]`) is the SQL text."""

    __slots__ = ("_sql", "source")

    def __init__(self, sql: dict[str, str], source: str):
        self._sql = dict(sql)
        self.source = source

    def __getattr__(self, name: str) -> str:
        try:
            return self._sql[name]
        except KeyError:
            raise AttributeError(
                f"{self.source} has no query {name!r}; it has {', '.join(self._sql)}") from None

    def __getitem__(self, name: str) -> str:
        return self._sql[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sql

    def __iter__(self):
        return iter(self._sql)

    def __len__(self) -> int:
        return len(self._sql)

    def __repr__(self) -> str:
        return f"<Queries {self.source}: {', '.join(self._sql)}>"


RESERVED_NAMES = frozenset(name for name in dir(Queries) if not name.startswith("_"))


def load_queries(path: str | Path) -> Queries:
    path = Path(path)
    return parse_queries(path.read_text(encoding="utf-8"), source=str(path))


def parse_queries(text: str, source: str = "<string>") -> Queries:
    sql: dict[str, str] = {}
    defined_at: dict[str, int] = {}
    current: str | None = None
    body_lines: list[str] = []

    def finish_block() -> None:
        body = "\n".join(body_lines).strip()
        if not body:
            raise ConfiguratorError(f"{source}:{defined_at[current]}: query {current!r} has no SQL")
        sql[current] = body

    for line_number, line in enumerate(text.splitlines(), start=1):
        header = NAME_LINE.match(line.strip())
        if header:
            if current is not None:
                finish_block()
            current = header.group("name").strip()
            where = f"{source}:{line_number}"
            if not current:
                raise ConfiguratorError(f"{where}: '-- name:' without a name")
            if not IDENTIFIER.match(current) or keyword.iskeyword(current) \
                    or current in RESERVED_NAMES:
                raise ConfiguratorError(
                    f"{where}: query name {current!r} is not usable as an attribute "
                    "(letters, digits and underscores, starting with a letter)")
            if current in defined_at:
                raise ConfiguratorError(f"{where}: query {current!r} is defined twice "
                                     f"(first at line {defined_at[current]})")
            defined_at[current] = line_number
            body_lines = []
        elif current is None:
            if line.strip() and not line.strip().startswith("--"):
                raise ConfiguratorError(
                    f"{source}:{line_number}: SQL before the first '-- name:' line")
        elif not body_lines and line.strip().startswith("--"):
            pass  # the block's documentation
        elif body_lines or line.strip():
            body_lines.append(line.rstrip())
    if current is not None:
        finish_block()
    if not sql:
        raise ConfiguratorError(f"{source}: no '-- name:' blocks")
    return Queries(sql, source)
