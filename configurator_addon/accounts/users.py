"""A client's users: email (unique across all clients, whatever its case), name, role and
an argon2id password hash (none until an invited user sets one)."""
from __future__ import annotations

import asyncio
import os
import re

import asyncpg

from ..db.queries import load_queries
from ..errors import BadRequestError, ConflictError, NotFoundError
from . import audit
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
                      actor: str = OPERATOR, ip: str = "") -> dict:
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
        await audit.record(connection, "user.created", client_id=client_id, actor=actor,
                           target=f"user:{row['id']}", detail={"email": email, "role": role}, ip=ip)
    return user_view(row)
