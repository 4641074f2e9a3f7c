"""The platform operator's command line, `server_entry.py admin …`, run as a child process on
a real PostgreSQL: a `DATABASE_URL`, and the embedded cluster of a `var/` folder, with no
server running and while another process runs it.

Every child runs with `bpy` made unimportable: the admin command must not need Blender."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import asyncpg
import pytest

import processes
from configurator_addon.accounts import clients
from configurator_addon.accounts.passwords import verify_password
from configurator_addon.db import EmbeddedPostgres
from configurator_addon.db.pool import create_pool
from configurator_addon.services.seeding import DEMO_CLIENT_ID

PASSWORD = "correct horse battery staple"
# server_entry.py as `python server_entry.py ARGS` runs it, but where `import bpy` fails.
WITHOUT_BPY = ("import runpy, sys; sys.modules['bpy'] = None; "
               "runpy.run_path('server_entry.py', run_name='__main__')")


def admin(*args: str, env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python server_entry.py admin ARGS` with exactly the service variables of `env`."""
    return subprocess.run([processes.PYTHON, "-c", WITHOUT_BPY, "admin", *args], cwd=processes.ROOT,
                          env=processes.child_environment(env, drop=processes.SERVICE_VARIABLES),
                          input=stdin, capture_output=True, text=True, timeout=180)


def answer(done: subprocess.CompletedProcess):
    assert done.returncode == 0, processes.output_tail(done)
    return json.loads(done.stdout)


def refused(done: subprocess.CompletedProcess, *words: str) -> str:
    """The one stderr line of a rejected input (exit 2, nothing on stdout)."""
    assert done.returncode == 2, processes.output_tail(done)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def query(dsn: str, sql: str, *args):
    async def fetch():
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    return asyncio.run(fetch())


def audit_actions(dsn: str) -> list[tuple]:
    rows = query(dsn, "SELECT client_id, actor, action, target FROM audit_events ORDER BY id")
    return [(str(row["client_id"]), row["actor"], row["action"], row["target"]) for row in rows]


def database_text(dsn: str) -> str:
    """Every row of every table of the database, as text."""
    tables = query(dsn, "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name "
                        "FROM information_schema.tables WHERE table_schema = 'public' "
                        "AND table_type = 'BASE TABLE'")
    assert len(tables) > 5
    return "\n".join(str(row[0]) for table in tables
                     for row in query(dsn, f"SELECT t::text FROM {table['name']} t"))


@pytest.fixture
def url_env(database) -> dict:
    return {"DATABASE_URL": database}


@pytest.fixture
def client_id(database) -> str:
    """A client made as `admin create-client` makes one (the same service, audit included),
    without the second a process costs; that command has tests of its own."""
    async def create():
        pool = await create_pool(database, min_size=1, max_size=1)
        try:
            return (await clients.create_client(pool, "Acme Kitchens"))["id"]
        finally:
            await pool.close()

    return str(asyncio.run(create()))


# -- on DATABASE_URL ------------------------------------------------------------------------


def test_a_client_is_created_listed_and_audited(url_env, database):
    created = answer(admin("create-client", "--name", "  Acme Kitchens ", env=url_env))

    assert set(created) == {"id"}
    rows = query(database, "SELECT name, disabled_at FROM clients WHERE id = $1", uuid.UUID(created["id"]))
    assert [(row["name"], row["disabled_at"]) for row in rows] == [("Acme Kitchens", None)]
    assert audit_actions(database) == [(created["id"], "operator", "client.created", f"client:{created['id']}")]
    listed = answer(admin("list-clients", env=url_env))
    assert {"id": created["id"], "name": "Acme Kitchens", "disabled": False} in listed
    assert {"id": str(DEMO_CLIENT_ID), "name": "Demo Manufacturer", "disabled": False} in listed
    assert all(set(client) == {"id", "name", "disabled"} for client in listed)


def test_the_command_migrates_a_database_that_was_not(empty_database):
    created = answer(admin("create-client", "--name", "First", env={"DATABASE_URL": empty_database}))

    assert query(empty_database, "SELECT name FROM clients WHERE id = $1", uuid.UUID(created["id"]))[0][0] == "First"
    assert query(empty_database, "SELECT count(*) FROM products")[0][0] == 0  # nothing seeded


def test_a_user_gets_an_argon2id_hash_of_the_password_read_from_stdin(url_env, database, client_id):
    created = answer(admin("create-user", "--client", client_id, "--email", "Ann@Acme.example",
                           "--name", "Ann Example", "--role", "admin", env=url_env, stdin=PASSWORD + "\n"))

    assert set(created) == {"id"}
    row = query(database, "SELECT * FROM users WHERE id = $1", uuid.UUID(created["id"]))[0]
    assert (str(row["client_id"]), row["email"], row["name"], row["role"]) == \
        (client_id, "Ann@Acme.example", "Ann Example", "admin")
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert verify_password(row["password_hash"], PASSWORD)
    assert not verify_password(row["password_hash"], PASSWORD + "\n")  # the line end is not part of it
    assert row["password_changed_at"] is not None
    assert audit_actions(database)[-1] == (client_id, "operator", "user.created", f"user:{created['id']}")
    assert PASSWORD not in database_text(database)


def test_an_email_is_taken_in_any_case_and_in_any_client(url_env, database, client_id):
    answer(admin("create-user", "--client", client_id, "--email", "ann@acme.example", "--name", "Ann",
                 "--role", "member", env=url_env, stdin=PASSWORD))
    other = answer(admin("create-client", "--name", "Other", env=url_env))["id"]

    done = admin("create-user", "--client", other, "--email", "ANN@acme.EXAMPLE", "--name", "Ann",
                 "--role", "viewer", env=url_env, stdin=PASSWORD)

    refused(done, "ANN@acme.EXAMPLE", "exists")
    assert query(database, "SELECT count(*) FROM users WHERE lower(email) = 'ann@acme.example'")[0][0] == 1
    assert [action for *_, action, _ in audit_actions(database)].count("user.created") == 1


def first_fast(*cases):
    """Parameters where only the first case runs in the fast loop: each case is a process of
    its own (about a second), and the rules are tested in process too (the HTTP tests)."""
    return [cases[0], *(pytest.param(*case, marks=pytest.mark.slow) for case in cases[1:])]


@pytest.mark.parametrize("arguments, stdin, words", first_fast(
    (["--role", "owner"], PASSWORD, ["admin, member, viewer", "owner"]),
    (["--role", "viewer"], "too short\n", ["at least 10 characters"]),
    (["--role", "viewer"], "", ["at least 10 characters"]),
    (["--role", "viewer", "--email", "not-an-email"], PASSWORD, ["not an email address"]),
    (["--role", "viewer", "--client", str(uuid.UUID(int=7))], PASSWORD, ["no client", str(uuid.UUID(int=7))]),
    (["--role", "viewer", "--client", "acme"], PASSWORD, ["no client", "acme"]),
))
def test_a_user_refused(url_env, database, client_id, arguments, stdin, words):
    options = {"--client": client_id, "--email": "bob@acme.example", "--name": "Bob"}
    for option, value in zip(arguments[::2], arguments[1::2], strict=True):
        options[option] = value
    done = admin("create-user", *[part for item in options.items() for part in item], env=url_env, stdin=stdin)

    refused(done, *words)
    assert query(database, "SELECT count(*) FROM users WHERE client_id <> $1", DEMO_CLIENT_ID)[0][0] == 0
    assert [action for *_, action, _ in audit_actions(database)] == ["client.created"]


def test_a_secret_key_is_shown_once_and_stored_as_its_hash(url_env, database, client_id):
    default = answer(admin("create-key", "--client", client_id, "--kind", "secret", "--name", "ERP", env=url_env))
    viewer = answer(admin("create-key", "--client", client_id, "--kind", "secret", "--role", "viewer",
                          env=url_env))

    assert set(default) == {"id", "key"}
    rows = {str(row["id"]): row for row in query(database, "SELECT * FROM api_keys WHERE client_id = $1",
                                                 uuid.UUID(client_id))}
    assert set(rows) == {default["id"], viewer["id"]}
    for created, role in ((default, "member"), (viewer, "viewer")):
        row, key = rows[created["id"]], created["key"]
        assert key.startswith("sk_") and len(key) > 40
        assert (row["kind"], row["role"], row["allowed_origins"]) == ("secret", role, [])
        assert bytes(row["key_hash"]) == hashlib.sha256(key.encode()).digest()
        assert row["shown_prefix"] == key[:10]
        assert row["revoked_at"] is None
    assert rows[default["id"]]["name"] == "ERP"
    assert audit_actions(database)[-2:] == [
        (client_id, "operator", "key.created", f"key:{default['id']}"),
        (client_id, "operator", "key.created", f"key:{viewer['id']}")]
    text = database_text(database)
    for key in (default["key"], viewer["key"]):
        assert key not in text and key[10:] not in text


def test_a_publishable_key_is_a_storefront_key_for_its_origins(url_env, database, client_id):
    created = answer(admin("create-key", "--client", client_id, "--kind", "publishable",
                           "--origin", "https://Shop.Acme.example:443", "--origin", "http://localhost:5173/",
                           "--origin", "https://shop.acme.example", env=url_env))

    row = query(database, "SELECT * FROM api_keys WHERE id = $1 AND client_id = $2",
                uuid.UUID(created["id"]), uuid.UUID(client_id))[0]
    assert created["key"].startswith("pk_")
    assert (row["kind"], row["role"]) == ("publishable", "storefront")
    assert row["allowed_origins"] == ["https://shop.acme.example", "http://localhost:5173"]
    assert bytes(row["key_hash"]) == hashlib.sha256(created["key"].encode()).digest()
    assert created["key"] not in database_text(database)
    assert audit_actions(database)[-1] == (client_id, "operator", "key.created", f"key:{created['id']}")


@pytest.mark.parametrize("arguments, words", first_fast(
    (["--kind", "public"], ["secret, publishable", "public"]),
    (["--kind", "secret", "--role", "storefront"], ["admin, member, viewer", "storefront"]),
    (["--kind", "secret", "--origin", "https://shop.example"], ["only publishable keys"]),
    (["--kind", "publishable"], ["at least one allowed origin"]),
    (["--kind", "publishable", "--role", "admin", "--origin", "https://shop.example"], ["storefront only"]),
    (["--kind", "publishable", "--origin", "https://shop.example/embed"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "shop.example"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "ftp://shop.example"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "https://*.shop.example"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "https://shop.example?x=1"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "https://user@shop.example"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "https://shop.example:99999"], ["not an origin"]),
    (["--kind", "publishable", "--origin", "https://shop.example", "--origin", "null"], ["not an origin"]),
    (["--kind", "secret", "--client", str(uuid.UUID(int=7))], ["no client", str(uuid.UUID(int=7))]),
    (["--kind", "secret", "--client", "acme"], ["no client"]),
))
def test_a_key_refused(url_env, database, client_id, arguments, words):
    client = [] if "--client" in arguments else ["--client", client_id]
    done = admin("create-key", *client, *arguments, env=url_env)

    refused(done, *words)
    assert query(database, "SELECT count(*) FROM api_keys")[0][0] == 0
    assert [action for *_, action, _ in audit_actions(database)] == ["client.created"]


def test_disabling_keeps_the_data_and_enabling_restores(url_env, database, client_id):
    user = answer(admin("create-user", "--client", client_id, "--email", "ann@acme.example", "--name", "Ann",
                        "--role", "admin", env=url_env, stdin=PASSWORD))["id"]

    assert answer(admin("disable-client", client_id, env=url_env)) == \
        {"id": client_id, "name": "Acme Kitchens", "disabled": True}
    first = query(database, "SELECT disabled_at FROM clients WHERE id = $1", uuid.UUID(client_id))[0][0]
    assert first is not None
    listed = {client["id"]: client["disabled"] for client in answer(admin("list-clients", env=url_env))}
    assert listed == {client_id: True, str(DEMO_CLIENT_ID): False}
    answer(admin("disable-client", client_id, env=url_env))  # again: nothing changes
    assert query(database, "SELECT disabled_at FROM clients WHERE id = $1", uuid.UUID(client_id))[0][0] == first
    assert query(database, "SELECT count(*) FROM users WHERE id = $1", uuid.UUID(user))[0][0] == 1

    assert answer(admin("enable-client", client_id, env=url_env))["disabled"] is False
    assert query(database, "SELECT disabled_at FROM clients WHERE id = $1", uuid.UUID(client_id))[0][0] is None
    assert {c["id"]: c["disabled"] for c in answer(admin("list-clients", env=url_env))}[client_id] is False
    target = f"client:{client_id}"
    assert [event for event in audit_actions(database) if event[2].startswith("client.")] == [
        (client_id, "operator", "client.created", target), (client_id, "operator", "client.disabled", target),
        (client_id, "operator", "client.enabled", target)]

    for action in ("disable-client", "enable-client"):
        refused(admin(action, str(uuid.UUID(int=7)), env=url_env), "no client")


# -- on the embedded cluster ----------------------------------------------------------------


@pytest.fixture
def var_dir():
    # Not under pytest's basetemp (as root the cluster runs as `postgres`: see fixtures_db).
    folder = tempfile.mkdtemp(prefix="configurator-test-admin-")
    yield folder
    EmbeddedPostgres(os.path.join(folder, "postgres")).stop()  # if a test left it running
    shutil.rmtree(folder, ignore_errors=True)


def _postmaster_pid(var_dir: str) -> int | None:
    try:
        with open(os.path.join(var_dir, "postgres", "postmaster.pid"), encoding="ascii") as handle:
            return int(handle.readline())
    except FileNotFoundError:
        return None


def test_with_no_server_running_the_command_starts_the_embedded_cluster_and_stops_it(var_dir):
    env = {"CONFIGURATOR_VAR_DIR": var_dir}
    created = answer(admin("create-client", "--name", "Acme Kitchens", env=env))
    assert _postmaster_pid(var_dir) is None  # stopped again
    key = answer(admin("create-key", "--client", created["id"], "--kind", "secret", "--role", "admin", env=env))
    assert _postmaster_pid(var_dir) is None

    with EmbeddedPostgres(os.path.join(var_dir, "postgres")) as cluster:
        rows = query(cluster.dsn, "SELECT client_id, key_hash FROM api_keys WHERE id = $1", uuid.UUID(key["id"]))
        assert [(str(row[0]), bytes(row[1])) for row in rows] == \
            [(created["id"], hashlib.sha256(key["key"].encode()).digest())]
        assert query(cluster.dsn, "SELECT count(*) FROM products")[0][0] == 0  # nothing seeded
        assert [event[2] for event in audit_actions(cluster.dsn)] == ["client.created", "key.created"]


def test_while_another_process_runs_the_embedded_cluster_the_command_uses_it_and_leaves_it_running(var_dir):
    env = {"CONFIGURATOR_VAR_DIR": var_dir}
    with EmbeddedPostgres(os.path.join(var_dir, "postgres")) as cluster:  # as the server does
        pid = _postmaster_pid(var_dir)
        held = asyncio.new_event_loop()
        connection = held.run_until_complete(asyncpg.connect(cluster.dsn))  # a server's pooled connection
        try:
            created = answer(admin("create-client", "--name", "Acme Kitchens", env=env))
            user = answer(admin("create-user", "--client", created["id"], "--email", "ann@acme.example",
                                "--name", "Ann", "--role", "viewer", env=env, stdin=PASSWORD + "\n"))
            answer(admin("disable-client", created["id"], env=env))
            listed = answer(admin("list-clients", env=env))

            assert _postmaster_pid(var_dir) == pid  # the same server, still running
            assert held.run_until_complete(connection.fetchval(
                "SELECT disabled_at IS NOT NULL FROM clients WHERE id = $1", uuid.UUID(created["id"])))
        finally:
            held.run_until_complete(connection.close())
            held.close()
        assert {"id": created["id"], "name": "Acme Kitchens", "disabled": True} in listed
        stored = query(cluster.dsn, "SELECT password_hash FROM users WHERE id = $1", uuid.UUID(user["id"]))[0][0]
        assert verify_password(stored, PASSWORD)
        refused(admin("create-user", "--client", created["id"], "--email", "ANN@acme.example", "--name", "Ann",
                      "--role", "viewer", env=env, stdin=PASSWORD), "exists")
        assert _postmaster_pid(var_dir) == pid
