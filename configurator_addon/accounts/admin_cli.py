"""`server_entry.py admin …`: the platform operator's command line (docs/accounts.md).

It works on the embedded database (no `DATABASE_URL`) and on a configured one, whether or
not a server runs: an embedded cluster that a server (or any other process) already runs
is joined as it is and left running; one that runs nowhere is started for the command
and stopped after it. The database is migrated first, as the server does; nothing else
(no sample products) is created.

Answers are JSON on stdout. A rejected input (unknown client, bad role, short password,
taken email, bad origin, …) prints one line to stderr and exits 2; other failures exit 1.
Every change is audited (actor "operator") in the transaction that makes it.
"""
from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import sys

# Only the standard library at import time: every command line builds this parser, and
# the services below load argon2 (and hash once) when imported.


def add_arguments(admin) -> None:
    commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    create_client = commands.add_parser("create-client", help="create a client; prints {\"id\"}")
    create_client.add_argument("--name", required=True)
    create_user = commands.add_parser(
        "create-user", help="create a user of a client, the password read from stdin (one line); "
                            "prints {\"id\"}")
    create_user.add_argument("--client", required=True, metavar="ID")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--role", required=True, help="admin, member or viewer")
    commands.add_parser("list-clients", help="print the clients as a JSON list of {id, name, disabled}")
    for action, what in (("disable", "its users and keys lose access; its data is kept"),
                         ("enable", "its users and keys have access again")):
        command = commands.add_parser(f"{action}-client", help=f"{action} a client: {what}")
        command.add_argument("client", metavar="ID")
    create_key = commands.add_parser("create-key", help="create an API key; prints {\"id\", \"key\"}, "
                                                        "the only time the key is shown")
    create_key.add_argument("--client", required=True, metavar="ID")
    create_key.add_argument("--kind", required=True, help="secret or publishable")
    create_key.add_argument("--role", help="a secret key's role: admin, member (default) or viewer")
    create_key.add_argument("--origin", action="append", default=[], dest="origins", metavar="ORIGIN",
                            help="an origin allowed to use a publishable key, scheme://host[:port] "
                                 "(repeat for several; at least one)")
    create_key.add_argument("--name", default="", help="what the key is for, shown in listings")


def run(args) -> int:
    import asyncpg

    from ..db.pool import translate_transient_errors
    from ..errors import ConfiguratorError
    from ..settings import Settings

    try:
        password = _read_password() if args.admin_command == "create-user" else None
        with translate_transient_errors("the admin command"), _database(Settings.from_env()) as dsn:
            answer = asyncio.run(_execute(dsn, args, password))
    except ConfiguratorError as exc:
        print(_one_line("; ".join(exc.lines())), file=sys.stderr)
        return 2 if 400 <= exc.status < 500 else 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # e.g. a refused password
        print(_one_line(f"the database failed: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False))
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


@contextlib.contextmanager
def _database(settings):
    """The DSN of the migrated database: `DATABASE_URL`, else the embedded cluster, joined
    when another process runs it, else started here and stopped on leaving."""
    from ..db.embedded import EmbeddedPostgres
    from ..db.migrator import migrate

    if settings.database_url:
        asyncio.run(migrate(settings.database_url))
        yield settings.database_url
        return
    cluster = EmbeddedPostgres(os.path.join(settings.var_dir, "postgres"))
    dsn = cluster.start(join_running=True)
    try:
        asyncio.run(migrate(dsn))
        yield dsn
    finally:
        if cluster.owns_server:  # a server another process started since is its own
            cluster.stop()


async def _execute(dsn: str, args, password: str | None):
    import asyncpg

    from ..db.pool import register_json_codecs
    from . import api_keys, clients, users

    connection = await asyncpg.connect(dsn)
    try:
        await register_json_codecs(connection)
        command = args.admin_command
        if command == "create-client":
            return {"id": (await clients.create_client(connection, args.name))["id"]}
        if command == "list-clients":
            return await clients.list_clients(connection)
        if command in ("disable-client", "enable-client"):
            return await clients.set_disabled(connection, args.client, command == "disable-client")
        if command == "create-user":
            user = await users.create_user(connection, args.client, email=args.email, name=args.name,
                                           role=args.role, password=password)
            return {"id": user["id"]}
        if command == "create-key":
            key = await api_keys.create_key(connection, args.client, kind=args.kind, role=args.role,
                                            origins=args.origins, name=args.name)
            return {"id": key["id"], "key": key["key"]}
        raise AssertionError(f"unknown admin command {command!r}")
    finally:
        await connection.close()
