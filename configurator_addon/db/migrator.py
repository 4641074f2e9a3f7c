"""Plain-SQL schema migrations: `migrations/NNNN_name.sql` beside this module, applied in
version order. They live inside the package so an installed extension carries them.

Each pending file runs in one transaction together with its `schema_migrations` row, so
a file is either wholly applied and recorded or not at all. One session-level advisory
lock is held for the whole run, so processes starting at the same time apply each file
once, in turn. An applied file must not change afterwards (its sha256 is recorded): add
a new migration instead. Files that do not end in `.sql` are ignored.

A migration cannot use statements that refuse to run in a transaction block
(`CREATE INDEX CONCURRENTLY`, `VACUUM`), nor its own `BEGIN`/`COMMIT`.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ..errors import ErrorDetail, MigrationError
from .pool import translate_transient_errors
from .queries import load_queries

log = logging.getLogger("configurator.db")

DEFAULT_DIRECTORY = Path(__file__).resolve().with_name("migrations")
# Any fixed bigint works; what matters is that every migrator uses the same one.
ADVISORY_LOCK_KEY = 7_419_260_152_183_734_001
FILE_NAME = re.compile(r"^(?P<version>\d{4})_[a-z0-9]+(?:_[a-z0-9]+)*\.sql$")

SQL = load_queries(Path(__file__).with_name("migrator.sql"))


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name, e.g. "0001_initial.sql"
    sql: str
    checksum: str


def discover_migrations(directory: str | os.PathLike) -> list[Migration]:
    """The migration files of `directory`, in version order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    migrations: dict[int, Migration] = {}
    for file_name in sorted(os.listdir(directory)):
        if not file_name.endswith(".sql"):
            continue
        match = FILE_NAME.match(file_name)
        if not match:
            raise MigrationError(
                f"migration file name {file_name!r} in {directory} is malformed: expected "
                "NNNN_name.sql (four digits, an underscore, lowercase letters, digits and "
                "underscores)")
        version = int(match.group("version"))
        if version in migrations:
            raise MigrationError(f"migrations {migrations[version].name} and {file_name} "
                                 f"share version {version}")
        content = (directory / file_name).read_bytes()
        try:
            sql = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MigrationError(f"migration {file_name} is not UTF-8: {exc}") from exc
        migrations[version] = Migration(version, file_name, sql,
                                        hashlib.sha256(content).hexdigest())
    return [migrations[version] for version in sorted(migrations)]


async def migrate(dsn_or_connection: str | asyncpg.Connection,
                  directory: str | os.PathLike = DEFAULT_DIRECTORY) -> list[str]:
    """Apply the pending migrations of `directory`; return the file names applied.

    Accepts a DSN (a connection is opened and closed here) or a connection that is not
    inside a transaction.
    """
    migrations = discover_migrations(directory)
    if isinstance(dsn_or_connection, str):
        with translate_transient_errors("connecting to migrate"):
            connection = await asyncpg.connect(dsn_or_connection)
    else:
        connection = dsn_or_connection
    try:
        with translate_transient_errors("migrating"):
            await connection.execute(SQL.lock, ADVISORY_LOCK_KEY)
            try:
                return await _apply_pending(connection, migrations, Path(directory))
            finally:
                # A broken connection has lost the lock with the session; don't let the
                # unlock failure hide the error that broke it.
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await connection.execute(SQL.unlock, ADVISORY_LOCK_KEY)
    finally:
        if connection is not dsn_or_connection:
            await connection.close()


async def _apply_pending(connection: asyncpg.Connection, migrations: list[Migration],
                         directory: Path) -> list[str]:
    await connection.execute(SQL.create_schema_migrations)
    applied = {row["version"]: row for row in await connection.fetch(SQL.applied_migrations)}
    on_disk = {migration.version: migration for migration in migrations}
    for version, row in applied.items():
        migration = on_disk.get(version)
        if migration is None:
            # Newer code migrated this database (a rolling deploy); its files are not ours.
            log.warning("database has migration %s, which is not in %s", row["name"], directory)
        elif migration.checksum != row["checksum"]:
            raise MigrationError(
                f"migration {migration.name} was changed after it was applied (sha256 "
                f"{row['checksum'][:12]}… in the database, {migration.checksum[:12]}… on "
                "disk); restore it and add a new migration instead")
        elif migration.name != row["name"]:
            raise MigrationError(f"migration {version} was applied as {row['name']} but is "
                                 f"now named {migration.name}; restore its name")

    names = []
    for migration in migrations:
        if migration.version in applied:
            continue
        await _apply(connection, migration)
        log.info("applied migration %s", migration.name)
        names.append(migration.name)
    return names


async def _apply(connection: asyncpg.Connection, migration: Migration) -> None:
    try:
        async with connection.transaction():
            await connection.execute(migration.sql)
            await connection.execute(SQL.record_migration, migration.version, migration.name,
                                     migration.checksum)
    except asyncpg.PostgresError as exc:
        line = _line_of(migration.sql, exc)
        location = f"{migration.name}:{line}" if line else migration.name
        message = exc.args[0] if exc.args else str(exc)
        raise MigrationError(
            f"migration {migration.name} failed and was rolled back: "
            f"{type(exc).__name__}: {message}",
            [ErrorDetail(message=str(exc), code=exc.sqlstate or "", location=location)],
        ) from exc


def _line_of(sql: str, exc: asyncpg.PostgresError) -> int | None:
    """The line of the failing statement, when PostgreSQL reports a position."""
    position = getattr(exc, "position", None)
    if not position:
        return None
    return sql.count("\n", 0, int(position) - 1) + 1
