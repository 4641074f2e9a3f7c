"""A client's users: email (unique across all clients, whatever its case), name, role and
an argon2id password hash (none until an invited user sets one)."""
from __future__ import annotations

import asyncio
import os
import re

import asyncpg

from ..db.queries import load_queries
from ..errors import BadRequestError, ConflictError, NotFoundError
from . import audit, password_resets
from .clients import OPERATOR, checked_name, in_transaction, parse_id
from .passwords import hash_password, password_problem

SQL = load_queries(os.path.join(os.path.dirname(__file__), "users.sql"))
ROLES = ("admin", "member", "viewer")
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
EMAIL_INDEXES = ("users_by_email", "users_client_id_email_key")


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequestError(f"a user's role is one of {', '.join(ROLES)}, not {role!r}")
    return role


def checked_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email):
        raise BadRequestError(f"{email!r} is not an email address")
    return email


def user_view(row) -> dict:
    return {"id": str(row["id"]), "client_id": str(row["client_id"]), "email": row["email"],
            "name": row["name"], "role": row["role"]}


async def create_user(db, client_id, *, email: str, name: str, role: str, password: str | None,
                      actor: str = OPERATOR, ip: str = "", action: str = "user.created") -> dict:
    """A new user of `client_id`; `password` None leaves it to be set later (an invitation).
    A taken email (in any client) is a ConflictError, an unknown client a NotFoundError."""
    client_id = parse_id(client_id)
    email, name, role = checked_email(email), checked_name(name, "user"), checked_role(role)
    password_hash = None
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise BadRequestError(problem)
        password_hash = await asyncio.to_thread(hash_password, password)  # ~0.1 s of CPU
    async with in_transaction(db) as connection:
        try:
            row = await connection.fetchrow(SQL.create_user, client_id, email, name, role, password_hash)
        except asyncpg.ForeignKeyViolationError:
            raise NotFoundError(f"no client {client_id}") from None
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name not in EMAIL_INDEXES:
                raise
            raise ConflictError(f"a user with the email {email!r} exists already") from None
        await audit.record(connection, action, client_id=client_id, actor=actor,
                           target=f"user:{row['id']}", detail={"email": email, "role": role}, ip=ip)
    return user_view(row)


# -- a client's admins manage its users (server/routes/users.py) ------------------------------
def member_view(row) -> dict:
    """A user as their client's admins see them."""
    return {"id": str(row["id"]), "email": row["email"], "name": row["name"], "role": row["role"],
            "created_at": row["created_at"].isoformat(), "has_password": row["has_password"]}


async def list_users(db, client_id) -> list[dict]:
    return [member_view(row) for row in await db.fetch(SQL.list_users, parse_id(client_id))]


async def invite_user(db, client_id, *, email: str, name: str, role: str, actor: str,
                      ip: str = "") -> tuple[dict, str, str]:
    """A new user without a password and their invitation token (valid 7 days), audited as
    user.invited; returns the user, the token and the client's name."""
    client_id = parse_id(client_id)
    async with in_transaction(db) as connection:
        created = await create_user(connection, client_id, email=email, name=name, role=role, password=None,
                                    actor=actor, ip=ip, action="user.invited")
        token = await password_resets.issue(connection, parse_id(created["id"], "user"),
                                            password_resets.INVITATION_SECONDS)
        row = await connection.fetchrow(SQL.user_of_client, client_id, parse_id(created["id"], "user"))
        client_name = await connection.fetchval(SQL.client_name, client_id)
    return member_view(row), token, client_name


def _would_leave_no_admin(row, admins) -> bool:
    return row["role"] == "admin" and len(admins) <= 1


async def update_user(db, client_id, user_id, *, name: str | None = None, role: str | None = None,
                      actor: str, ip: str = "") -> tuple[dict, list]:
    """Rename or change the role of a user of `client_id` (another client's is NotFoundError).
    Demoting the client's last admin is a ConflictError. Returns the user and, when the role
    changed, the user's live sessions (their role changes with it)."""
    client_id, user_id = parse_id(client_id), parse_id(user_id, "user")
    name = checked_name(name, "user") if name is not None else None
    role = checked_role(role) if role is not None else None
    async with in_transaction(db) as connection:
        admins = await connection.fetch(SQL.lock_admins, client_id)
        row = await connection.fetchrow(SQL.user_of_client, client_id, user_id)
        if row is None:
            raise NotFoundError(f"no user {user_id}")
        changes = {}
        if name is not None and name != row["name"]:
            changes["name"] = {"from": row["name"], "to": name}
        if role is not None and role != row["role"]:
            if _would_leave_no_admin(row, admins):
                raise ConflictError("this is the client's last admin: make another user admin first")
            changes["role"] = {"from": row["role"], "to": role}
        if not changes:
            return member_view(row), []
        row = await connection.fetchrow(SQL.update_user, client_id, user_id, name or row["name"], role or row["role"])
        await audit.record(connection, "user.updated", client_id=client_id, actor=actor, target=f"user:{user_id}",
                           detail=changes, ip=ip)
        sessions = [r["id"] for r in await connection.fetch(SQL.live_sessions, user_id)] if "role" in changes else []
    return member_view(row), sessions


async def remove_user(db, client_id, user_id, *, actor: str, ip: str = "") -> list:
    """Delete a user of `client_id` (another client's is NotFoundError) with their sessions;
    the client's last admin is a ConflictError. Returns the sessions that ended."""
    client_id, user_id = parse_id(client_id), parse_id(user_id, "user")
    async with in_transaction(db) as connection:
        admins = await connection.fetch(SQL.lock_admins, client_id)
        row = await connection.fetchrow(SQL.user_of_client, client_id, user_id)
        if row is None:
            raise NotFoundError(f"no user {user_id}")
        if _would_leave_no_admin(row, admins):
            raise ConflictError("this is the client's last admin: make another user admin first")
        sessions = [r["id"] for r in await connection.fetch(SQL.live_sessions, user_id)]
        await connection.execute(SQL.delete_user, client_id, user_id)
        await audit.record(connection, "user.removed", client_id=client_id, actor=actor, target=f"user:{user_id}",
                           detail={"email": row["email"], "role": row["role"]}, ip=ip)
    return sessions
