"""An embedded PostgreSQL cluster, for when `DATABASE_URL` is unset (ARCHITECTURE §9, §10).

`EmbeddedPostgres(data_dir).start()` creates the cluster on first use with the system's
`initdb`, starts it with `pg_ctl` on 127.0.0.1, creates the `configurator` role and
database and returns the DSN the service uses. Beside the data directory, in its parent,
live the server log (`<name>.log`), the Unix socket directory (`<name>.sockets`), the
secrets file (`<name>.secrets`) and a lock file that serialises processes starting or
stopping the same cluster.

Every connection, over the socket or TCP, authenticates with a password (SCRAM-SHA-256).
The secrets file (mode 0600) holds two generated passwords: the superuser's (`app`), used
only to create the role and the database, and the password of the `configurator` role,
which the service connects as: LOGIN, NOSUPERUSER, NOCREATEROLE, NOCREATEDB, owner of the
database and so of everything the migrations create there.

A cluster whose `pg_hba.conf` lets anyone in without a password (made by an older version,
which trusted every local connection and ran the service as the superuser), or whose
secrets file is gone, is secured on start: new passwords are written to the secrets file,
set while the server listens on its private socket folder only, `pg_hba.conf` is switched
to SCRAM, and the database with all its objects is handed to the `configurator` role.

`initdb` and `pg_ctl` refuse to run as root. As root we run them as the unprivileged
`postgres` system user (created when missing), which then owns the data directory.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import glob
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import asyncpg

from ..errors import EmbeddedDatabaseError
from ..files import write_atomically

log = logging.getLogger("configurator.db")

DATABASE_NAME = "configurator"
SUPERUSER = "app"  # bootstraps the role and the database; the service never uses it
SERVICE_ROLE = "configurator"  # the service connects as this role, which owns DATABASE_NAME
SERVICE_ROLE_OPTIONS = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS"
SCRAM_ITERATIONS = 4096  # PostgreSQL's default
PASSWORD_METHOD = "scram-sha-256"
# Every connection needs a password, over the socket and over TCP (IPv4 and IPv6).
PASSWORD_HBA = """\
# Written by Configurator: every connection authenticates with a password (SCRAM-SHA-256).
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  scram-sha-256
host    all          all   127.0.0.1/32   scram-sha-256
host    all          all   ::1/128        scram-sha-256
local   replication  all                  scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
host    replication  all   ::1/128        scram-sha-256
"""
# Ends the pg_hba.conf lines of `remote_interfaces` (rewritten at every start).
REMOTE_HBA_MARK = "# remote interface"
# While the passwords are set the server listens on its private socket folder only.
SECURING_HBA = """\
# Written by Configurator while it sets the passwords; replaced when done.
local   all          all                  trust
"""
HOST = "127.0.0.1"
SERVICE_ACCOUNT = "postgres"  # who runs the server when we are root
REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# Debian and Ubuntu keep the server programs off PATH, one directory per major version.
FALLBACK_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# Durability traded for speed; only for throw-away test clusters.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
START_TIMEOUT_SECONDS = 30
COMMAND_TIMEOUT_SECONDS = 120
START_ATTEMPTS = 3
# A Unix socket path must fit sun_path (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100
SOCKET_FILE_NAME = ".s.PGSQL.65535"

INSTALL_ADVICE = (
    "Install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`; "
    "macOS: `brew install postgresql`), or set DATABASE_URL to an existing PostgreSQL "
    "database instead of using the embedded one."
)


def find_bin_dir(search_path: str | None = None, fallback_glob: str | None = None) -> str:
    """The directory holding `initdb`, `pg_ctl` and `postgres`: the first on PATH, else the
    newest `/usr/lib/postgresql/<version>/bin`."""
    search_path = os.environ.get("PATH", "") if search_path is None else search_path
    fallback_glob = FALLBACK_BIN_GLOB if fallback_glob is None else fallback_glob
    for directory in search_path.split(os.pathsep):
        if directory and _has_server_programs(directory):
            return directory
    candidates = [d for d in glob.glob(fallback_glob) if _has_server_programs(d)]
    if candidates:
        return max(candidates, key=_version_key)
    raise EmbeddedDatabaseError(
        "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found on PATH "
        f"or in {fallback_glob}. {INSTALL_ADVICE}"
    )


def _has_server_programs(directory: str) -> bool:
    return all(shutil.which(name, path=directory) for name in REQUIRED_PROGRAMS)


def _version_key(bin_dir: str) -> tuple[int, ...]:
    version = os.path.basename(os.path.dirname(bin_dir))
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (-1,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port` (free port when
    None; kept across `restart()` so DSNs stay valid).

    `fast=True` turns durability off (fsync, synchronous commit, full-page writes): for
    tests only. Usable as a context manager: started on enter, stopped on exit.

    `remote_interfaces` ("10.213.5.1/24", …): also listen on each address, and let clients of
    its network in with a password, for workers on other hosts (tests of many hosts); a
    client there connects to `dsn_at(address)`. Unset: loopback only.
    """

    def __init__(self, data_dir: str, port: int | None = None, *, fast: bool = False,
                 bin_dir: str | None = None, database: str = DATABASE_NAME,
                 remote_interfaces: tuple[str, ...] = ()):
        self.data_dir = os.path.abspath(data_dir)
        self.port = port
        self.fast = fast
        self.database = database
        self.bin_dir = bin_dir
        self.remote_interfaces = tuple(ipaddress.ip_interface(i) for i in remote_interfaces)
        parent, name = os.path.split(self.data_dir)
        self.log_path = os.path.join(parent, f"{name}.log")
        self.socket_dir = os.path.join(parent, f"{name}.sockets")
        self.secrets_path = os.path.join(parent, f"{name}.secrets")
        self._lock_path = os.path.join(parent, f"{name}.lock")
        self._pid_path = os.path.join(self.data_dir, "postmaster.pid")
        self._hba_path = os.path.join(self.data_dir, "pg_hba.conf")
        self._service_account = None  # pwd entry when we are root, else None
        self._server_pid: int | None = None  # the postmaster this object started
        self._secrets: dict[str, str] | None = None  # {"superuser": ..., "service": ...}

    # -- public ---------------------------------------------------------------------------

    @property
    def dsn(self) -> str:
        """The service's DSN: the `configurator` role on the `configurator` database."""
        return self.dsn_for(self.database)

    def dsn_for(self, database: str) -> str:
        """The DSN of `database` for the service's role (not a superuser)."""
        return self._url(SERVICE_ROLE, "service", database)

    def dsn_at(self, address: str, database: str | None = None) -> str:
        """The service's DSN through one of `remote_interfaces`' addresses."""
        return self._url(SERVICE_ROLE, "service", database or self.database, host=address)

    def admin_dsn_for(self, database: str = "postgres") -> str:
        """The superuser's DSN of `database`: for creating roles and databases only."""
        return self._url(SUPERUSER, "superuser", database)

    def start(self, *, join_running: bool = False) -> str:
        """Create (first use) and start the cluster, create the role and the database (or
        secure a cluster that lets anyone in without a password); return the service's DSN.

        `join_running=True`: when a server already runs on this data directory (another
        process of the service started it), use it as it is instead of replacing it; that
        process owns it, so `owns_server` stays False and this object must not stop it."""
        began = time.monotonic()
        if self._server_pid is not None and self._running_postmaster_pid() == self._server_pid:
            return self.dsn
        if self.bin_dir is None:
            self.bin_dir = find_bin_dir()
        self._service_account = _service_account()
        with self._cluster_lock():
            if join_running and self._join_running_server():
                log.info("joined the embedded PostgreSQL %s running on port %s",
                         self.data_dir, self.port)
                return self.dsn
            try:
                self._prepare_directories()
            except OSError as exc:
                raise EmbeddedDatabaseError(
                    f"cannot prepare the embedded database folder {self.data_dir}: {exc}"
                ) from exc
            created = not os.path.exists(os.path.join(self.data_dir, "PG_VERSION"))
            self._secrets = self._read_secrets()
            secured = False
            if created:
                self._secrets = self._secrets or self._new_secrets()
                self._initdb()
            self._clear_previous_server()
            if not created and (self._secrets is None or not self._requires_passwords()):
                self._secure_existing_cluster()
                secured = True
            self._allow_remote_networks()
            self._start_server()
            self._server_pid = self._running_postmaster_pid()
            _run_coroutine(self._bootstrap())
        log.info("embedded PostgreSQL %s on port %s in %.0f ms%s", self.data_dir, self.port,
                 (time.monotonic() - began) * 1000,
                 " (new cluster)" if created else " (now password-protected)" if secured else "")
        return self.dsn

    @property
    def owns_server(self) -> bool:
        """Whether the server running on this data directory is the one this object started."""
        return self._server_pid is not None and self._running_postmaster_pid() == self._server_pid

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the server running on this data directory, if any: a fast shutdown (sessions
        ended, a checkpoint written), or with `immediate` the crash-like one (every process
        exits at once, recovery at the next start), as a host failing would."""
        if self._running_postmaster_pid() is None:
            return
        if self.bin_dir is None:
            self.bin_dir = find_bin_dir()
        self._service_account = _service_account()
        if self._service_account is not None:
            # The folders may have been tightened since the start (pytest does that to its
            # temporary root at every session): the service account must still reach them.
            _grant_traversal(os.path.dirname(self.data_dir))
        with self._cluster_lock():
            if self._running_postmaster_pid() is not None:
                self._pg_ctl("stop", "-m", "immediate" if immediate else "fast", "-w",
                             "-t", str(START_TIMEOUT_SECONDS))

    def restart(self) -> str:
        self.stop()
        return self.start()

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- steps ----------------------------------------------------------------------------

    def _prepare_directories(self) -> None:
        parent = os.path.dirname(self.data_dir)
        os.makedirs(parent, exist_ok=True)
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        if len(os.path.join(self.socket_dir, SOCKET_FILE_NAME)) > MAX_SOCKET_PATH:
            # Deep folders (CI workspaces) overflow sun_path; a short private folder works.
            self.socket_dir = tempfile.mkdtemp(prefix="configurator-pg-")
        os.makedirs(self.socket_dir, mode=0o700, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8"):
            pass
        if self._service_account is not None:
            self._hand_over_to_service_account()

    def _hand_over_to_service_account(self) -> None:
        uid, gid = self._service_account.pw_uid, self._service_account.pw_gid
        _grant_traversal(os.path.dirname(self.data_dir))
        for path in (self.socket_dir, self.log_path):
            os.chown(path, uid, gid)
        if os.stat(self.data_dir).st_uid != uid:
            # A data directory made by another account (e.g. a run as a normal user).
            for folder, dirs, files in os.walk(self.data_dir):
                for name in (folder, *(os.path.join(folder, n) for n in dirs + files)):
                    os.chown(name, uid, gid, follow_symlinks=False)

    def _initdb(self) -> None:
        began = time.monotonic()
        # --no-locale: C collation, so the cluster does not depend on the host's locales.
        # --no-sync then one os.sync(): initdb's own file-by-file fsync took 2.5-4 s here,
        # the single sync ~0.2 s, with the same durability.
        # The password file lives in the private socket folder only while initdb runs.
        password_file = os.path.join(self.socket_dir, ".superuser-password")
        self._write_private(password_file, self._secrets["superuser"] + "\n")
        try:
            self._run(self._program("initdb"), "-D", self.data_dir, "-U", SUPERUSER,
                      f"--auth={PASSWORD_METHOD}", f"--pwfile={password_file}",
                      "-E", "UTF8", "--no-locale", "--no-sync", what="initdb")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(password_file)
        if not self.fast and hasattr(os, "sync"):
            os.sync()
        log.info("initdb %s took %.0f ms", self.data_dir, (time.monotonic() - began) * 1000)

    # -- passwords ------------------------------------------------------------------------

    def _url(self, user: str, secret: str, database: str, host: str = HOST) -> str:
        if self.port is None or self._secrets is None:
            raise EmbeddedDatabaseError("the embedded PostgreSQL cluster has not been started")
        # Generated passwords are URL-safe (letters, digits, '-' and '_').
        return f"postgresql://{user}:{self._secrets[secret]}@{host}:{self.port}/{database}"

    def _read_secrets(self) -> dict[str, str] | None:
        try:
            with open(self.secrets_path, encoding="utf-8") as handle:
                stored = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise EmbeddedDatabaseError(
                f"cannot read the embedded database's secrets file {self.secrets_path}: {exc}; "
                "delete it to set new passwords on the next start") from exc
        if not (isinstance(stored, dict)
                and all(isinstance(stored.get(key), str) and stored[key]
                        for key in ("superuser", "service"))):
            raise EmbeddedDatabaseError(
                f"the embedded database's secrets file {self.secrets_path} is malformed; "
                "delete it to set new passwords on the next start")
        return stored

    def _new_secrets(self) -> dict[str, str]:
        """New passwords, saved (mode 0600, atomically) before the cluster learns them."""
        generated = {"superuser": secrets.token_urlsafe(32), "service": secrets.token_urlsafe(32)}
        try:
            write_atomically(self.secrets_path, json.dumps(generated).encode("utf-8"),
                             durable=True, mode=0o600)
        except OSError as exc:
            raise EmbeddedDatabaseError(
                f"cannot write the embedded database's secrets file {self.secrets_path}: {exc}"
            ) from exc
        return generated

    def _requires_passwords(self) -> bool:
        """Whether every line of pg_hba.conf asks for a SCRAM password."""
        try:
            with open(self._hba_path, encoding="utf-8", errors="replace") as handle:
                rules = [fields for line in handle if (fields := line.split("#", 1)[0].split())]
        except OSError:
            return False
        methods = []
        for fields in rules:
            # `local DATABASE USER METHOD`, `host... DATABASE USER ADDRESS METHOD`; anything
            # else (an include, an address with a separate mask) is not ours.
            position = 3 if fields[0] == "local" else 4
            methods.append(fields[position] if len(fields) > position else None)
        return bool(methods) and all(method == PASSWORD_METHOD for method in methods)

    def _secure_existing_cluster(self) -> None:
        """Give a cluster that lets anyone in (or whose passwords were lost) new passwords
        and a pg_hba.conf that asks for them. Meanwhile the server listens on the private
        socket folder only, where no other account can reach it."""
        log.warning("the embedded PostgreSQL cluster %s accepts connections without a "
                    "password; setting passwords (kept in %s) and requiring them",
                    self.data_dir, self.secrets_path)
        self._secrets = self._secrets or self._new_secrets()
        port = self.port or _free_port()  # names the socket file; nothing binds it
        self._write_private(self._hba_path, SECURING_HBA)
        self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_SECONDS), "-l", self.log_path,
                     "-o", self._server_options(port, listen_addresses=""))
        try:
            _run_coroutine(_set_passwords(self.socket_dir, port, self._secrets))
        finally:
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))
        self._write_private(self._hba_path, PASSWORD_HBA)

    def _allow_remote_networks(self) -> None:
        """pg_hba.conf lines for `remote_interfaces`' networks (password only), in place of
        those of an earlier start."""
        with open(self._hba_path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        kept = [line for line in lines if not line.endswith(REMOTE_HBA_MARK)]
        added = [f"host    all          all   {i.network}   {PASSWORD_METHOD}  {REMOTE_HBA_MARK}"
                 for i in self.remote_interfaces]
        if kept + added != lines:
            self._write_private(self._hba_path, "\n".join(kept + added) + "\n")

    def _write_private(self, path: str, text: str) -> None:
        """Write `path` atomically with mode 0600, owned by whoever runs the server."""
        write_atomically(path, text.encode("utf-8"), durable=True, mode=0o600)
        if self._service_account is not None:
            os.chown(path, self._service_account.pw_uid, self._service_account.pw_gid)

    async def _bootstrap(self) -> None:
        """As the superuser: create the service's role and its database when missing, and
        hand the database over to the role when someone else owns it."""
        try:
            admin = await asyncpg.connect(self.admin_dsn_for("postgres"))
        except asyncpg.InvalidPasswordError as exc:
            raise EmbeddedDatabaseError(
                f"the embedded PostgreSQL cluster {self.data_dir} refused the superuser "
                f"password of {self.secrets_path}; delete that file to set new passwords on "
                "the next start") from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise EmbeddedDatabaseError(
                f"could not connect to the embedded PostgreSQL cluster: {exc}") from exc
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1",
                                        SERVICE_ROLE):
                await admin.execute(
                    f"CREATE ROLE {_quote_identifier(SERVICE_ROLE)} {SERVICE_ROLE_OPTIONS} "
                    f"PASSWORD {_quote_literal(_scram_verifier(self._secrets['service']))}")
                log.info("created the embedded database role %s", SERVICE_ROLE)
            owner = await admin.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
                self.database)
            if owner is None:
                await admin.execute(f"CREATE DATABASE {_quote_identifier(self.database)} "
                                    f"OWNER {_quote_identifier(SERVICE_ROLE)}")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise EmbeddedDatabaseError(
                f"could not create the embedded database {self.database!r}: {exc}") from exc
        finally:
            await admin.close()
        if owner not in (None, SERVICE_ROLE):
            await self._hand_over_database(owner)

    async def _hand_over_database(self, owner: str) -> None:
        """Make the service's role own the database and what `owner` owns in it (its
        tables, sequences, functions...). REASSIGN OWNED would refuse: the bootstrap
        superuser also owns the system catalogs."""
        try:
            connection = await asyncpg.connect(self.admin_dsn_for(self.database))
            try:
                async with connection.transaction():
                    for query in _OWNED_OBJECTS:
                        for kind, name in await connection.fetch(query, owner):
                            await connection.execute(
                                f"ALTER {kind} {name} OWNER TO {_quote_identifier(SERVICE_ROLE)}")
                    await connection.execute(
                        f"ALTER DATABASE {_quote_identifier(self.database)} "
                        f"OWNER TO {_quote_identifier(SERVICE_ROLE)}")
            finally:
                await connection.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise EmbeddedDatabaseError(
                f"could not hand the embedded database {self.database!r} over to the "
                f"{SERVICE_ROLE} role: {exc}") from exc
        log.warning("the embedded database %s and its objects now belong to the %s role "
                    "(they belonged to %s)", self.database, SERVICE_ROLE, owner)

    def _join_running_server(self) -> bool:
        """Take the port of the server running on this data directory (line 4 of its
        postmaster.pid) and the passwords of the secrets file; False when none runs."""
        if self._running_postmaster_pid() is None:
            return False
        try:
            with open(self._pid_path, encoding="ascii", errors="replace") as handle:
                lines = handle.read().splitlines()
            port = int(lines[3])
        except (OSError, ValueError, IndexError):
            return False  # gone meanwhile, or still writing its pid file
        secrets_ = self._read_secrets()
        if secrets_ is None:
            raise EmbeddedDatabaseError(
                f"a PostgreSQL server runs on {self.data_dir} but its secrets file "
                f"{self.secrets_path} is missing; restart the service to secure it")
        self.port, self._secrets = port, secrets_
        return True

    def _clear_previous_server(self) -> None:
        """Cope with what a killed run left: stop a server still running on this data
        directory (so ours gets our port and settings); delete a pid file whose process is
        gone or is not our server (a recycled pid would make postgres refuse to start)."""
        if not os.path.exists(self._pid_path):
            return
        if self._running_postmaster_pid() is not None:
            log.warning("a PostgreSQL server from an earlier run still uses %s; restarting it",
                        self.data_dir)
            try:
                self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))
                return
            except EmbeddedDatabaseError:
                # It may have been dying already (killed, so it leaves its pid file behind).
                if self._running_postmaster_pid() is not None:
                    raise
        if os.path.exists(self._pid_path):
            log.warning("removing stale %s left by a killed run", self._pid_path)
            stale = [self._pid_path]
            # Socket lock files carry the same dead pid; the socket folder is ours alone.
            stale += glob.glob(os.path.join(glob.escape(self.socket_dir), ".s.PGSQL.*"))
            for path in stale:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)

    def _start_server(self) -> None:
        choose_port = self.port is None
        for attempt in range(1, START_ATTEMPTS + 1):
            if choose_port:
                self.port = _free_port()
            log_offset = os.path.getsize(self.log_path)
            try:
                self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_SECONDS),
                             "-l", self.log_path, "-o", self._server_options(listen_addresses=",".join(
                                 [HOST, *(str(i.ip) for i in self.remote_interfaces)])))
                return
            except EmbeddedDatabaseError as exc:
                server_log = self._log_since(log_offset)
                # Another process may take the free port between our probe and the bind.
                lost_port_race = choose_port and "could not bind" in server_log
                # Backends of a killed postmaster take a moment to exit and free its memory.
                old_memory_busy = "pre-existing shared memory block" in server_log
                if attempt < START_ATTEMPTS and (lost_port_race or old_memory_busy):
                    time.sleep(0.2 * attempt)
                    continue
                raise EmbeddedDatabaseError(
                    f"{exc.detail}\nServer log ({self.log_path}):\n{server_log[-2000:]}"
                ) from exc

    def _server_options(self, port: int | None = None, listen_addresses: str = HOST) -> str:
        port = self.port if port is None else port
        options = ["-p", str(port), "-c", f"listen_addresses={listen_addresses}",
                   "-k", self.socket_dir]
        if self.fast:
            for setting in FAST_SETTINGS:
                options += ["-c", setting]
        elif sys.platform.startswith("linux") and self._major_version() >= 14:
            # After a crash PostgreSQL fsyncs every file of the cluster first (3 s for a
            # fresh one here); one syncfs() call gives the same guarantee at once.
            options += ["-c", "recovery_init_sync_method=syncfs"]
        # pg_ctl hands this string to a shell.
        return " ".join(shlex.quote(option) for option in options)

    def _major_version(self) -> int:
        try:
            with open(os.path.join(self.data_dir, "PG_VERSION"), encoding="ascii") as handle:
                return int(handle.read().split(".")[0])
        except (OSError, ValueError):
            return 0

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(offset)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _running_postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid if that process is the server of this data directory."""
        try:
            with open(self._pid_path, encoding="ascii", errors="replace") as handle:
                pid = int(handle.readline().strip())
        except (OSError, ValueError):
            return None
        return pid if _is_postmaster_of(pid, self.data_dir) else None

    # -- running programs -----------------------------------------------------------------

    def _program(self, name: str) -> str:
        return shutil.which(name, path=self.bin_dir) or os.path.join(self.bin_dir, name)

    def _pg_ctl(self, *args: str) -> None:
        self._run(self._program("pg_ctl"), "-D", self.data_dir, *args, what=f"pg_ctl {args[0]}")

    def _run(self, program: str, *args: str, what: str) -> None:
        account = self._service_account
        as_account = {} if account is None else {
            "user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        try:
            # cwd: the service account must be able to enter it (it cannot enter /root).
            done = subprocess.run([program, *args], cwd=os.path.dirname(self.data_dir),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT_SECONDS, **as_account)
        except (OSError, subprocess.SubprocessError) as exc:
            raise EmbeddedDatabaseError(f"{what} could not run: {exc}") from exc
        if done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip())[-2000:]
            raise EmbeddedDatabaseError(
                f"{what} failed for {self.data_dir} (exit {done.returncode}): {output}")

    @contextlib.contextmanager
    def _cluster_lock(self):
        try:
            import fcntl
        except ImportError:  # Windows: no flock; one process per cluster there
            yield
            return
        os.makedirs(os.path.dirname(self._lock_path), exist_ok=True)
        with open(self._lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# -- helpers that know about the operating system --------------------------------------------


def _service_account():
    """The `postgres` account when we are root (created if missing); None otherwise."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import grp
    import pwd

    try:
        return pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        pass
    try:
        grp.getgrnam(SERVICE_ACCOUNT)
        group_option = ["--gid", SERVICE_ACCOUNT]
    except KeyError:
        group_option = ["--user-group"]
    command = ["useradd", "--system", *group_option, "--no-create-home",
               "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_ACCOUNT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise EmbeddedDatabaseError(
            f"PostgreSQL refuses to run as root and the `{SERVICE_ACCOUNT}` account is "
            f"missing; creating it failed ({exc}). Create it (useradd --system "
            f"{SERVICE_ACCOUNT}), run as a normal user, or set DATABASE_URL.") from exc
    try:
        # Look again even on failure: a concurrent starter may have created it.
        return pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        raise EmbeddedDatabaseError(
            f"PostgreSQL refuses to run as root and creating the `{SERVICE_ACCOUNT}` account "
            f"failed: {done.stderr.strip()}") from None


def _grant_traversal(directory: str) -> None:
    """Let other accounts pass through (not list) `directory` and its ancestors, so the
    service account reaches the data directory under a private folder such as /root."""
    opened = []
    path = os.path.abspath(directory)
    while True:
        mode = os.stat(path).st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(path, stat.S_IMODE(mode) | stat.S_IXOTH)
            opened.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if opened:
        log.warning("gave other accounts search (x) permission on %s so the `%s` account "
                    "can reach the embedded database", ", ".join(opened), SERVICE_ACCOUNT)


def _is_postmaster_of(pid: int, data_dir: str) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another account
    proc = f"/proc/{pid}"
    if os.path.isdir("/proc/self"):
        try:
            # The postmaster works inside its data directory; a recycled pid does not.
            return (os.path.basename(os.readlink(f"{proc}/exe")).startswith("postgres")
                    and os.path.realpath(os.readlink(f"{proc}/cwd")) == os.path.realpath(data_dir))
        except OSError:
            return False
    try:
        command = subprocess.run(["ps", "-o", "comm=", "-p", str(pid)], capture_output=True,
                                 text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return os.path.basename(command).startswith("postgres")


# Objects of the application's schemas that a role owns, as (kind, name) for ALTER ... OWNER,
# one query per pass: sequences after tables (a table takes the sequences of its columns
# along, and those refuse to change alone). Objects of extensions stay with the extension.
_NOT_SYSTEM = "{nsp} NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, "\
    "'pg_toast'::regnamespace)"
_NOT_EXTENSION = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass "
                  "AND d.objid = {oid} AND d.deptype = 'e')")
_OWNED_OBJECTS = (
    "SELECT 'SCHEMA', quote_ident(nspname) FROM pg_namespace n WHERE nspowner = $1::regrole "
    "AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND "
    + _NOT_EXTENSION.format(catalog="pg_namespace", oid="n.oid"),
    "SELECT CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' "
    "WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, c.oid::regclass::text "
    "FROM pg_class c WHERE relowner = $1::regrole AND relkind IN ('r', 'p', 'v', 'm', 'f', 'c') "
    "AND " + _NOT_SYSTEM.format(nsp="relnamespace") + " AND "
    + _NOT_EXTENSION.format(catalog="pg_class", oid="c.oid"),
    "SELECT 'SEQUENCE', c.oid::regclass::text FROM pg_class c WHERE relowner = $1::regrole "
    "AND relkind = 'S' AND " + _NOT_SYSTEM.format(nsp="relnamespace") + " AND "
    + _NOT_EXTENSION.format(catalog="pg_class", oid="c.oid"),
    "SELECT 'ROUTINE', p.oid::regprocedure::text FROM pg_proc p WHERE proowner = $1::regrole "
    "AND " + _NOT_SYSTEM.format(nsp="pronamespace") + " AND "
    + _NOT_EXTENSION.format(catalog="pg_proc", oid="p.oid"),
    "SELECT CASE typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text "
    "FROM pg_type t WHERE typowner = $1::regrole AND typtype IN ('d', 'e', 'r') AND "
    + _NOT_SYSTEM.format(nsp="typnamespace") + " AND "
    + _NOT_EXTENSION.format(catalog="pg_type", oid="t.oid"),
)


async def _set_passwords(socket_dir: str, port: int, passwords: dict[str, str]) -> None:
    """Over the socket, as the superuser: set its password and the service role's (when
    the role exists; otherwise it is created with its password later)."""
    try:
        connection = await asyncpg.connect(host=socket_dir, port=port, user=SUPERUSER,
                                           database="postgres")
        try:
            await connection.execute(f"ALTER ROLE {_quote_identifier(SUPERUSER)} PASSWORD "
                                     f"{_quote_literal(_scram_verifier(passwords['superuser']))}")
            if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1",
                                         SERVICE_ROLE):
                await connection.execute(
                    f"ALTER ROLE {_quote_identifier(SERVICE_ROLE)} {SERVICE_ROLE_OPTIONS} "
                    f"PASSWORD {_quote_literal(_scram_verifier(passwords['service']))}")
        finally:
            await connection.close()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise EmbeddedDatabaseError(
            f"could not set the passwords of the embedded PostgreSQL cluster: {exc}") from exc


def _scram_verifier(password: str, iterations: int = SCRAM_ITERATIONS) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802, 7677). Sending this
    instead of the password keeps the password itself out of the server and its log."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return (f"SCRAM-SHA-256${iterations}:{_b64(salt)}"
            f"${_b64(stored_key)}:{_b64(server_key)}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run_coroutine(coroutine) -> None:
    """Run `coroutine` to completion from synchronous code, even when the caller is itself
    inside a running event loop (the server starts the cluster from its startup hook)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()
