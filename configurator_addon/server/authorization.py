"""Who may do what inside a client (docs/accounts.md, "Roles"): `viewer` < `member` <
`admin`; a secret key acts with its own role; a publishable key only as the storefront.

Routes call `require_role(request, "admin")`: no credential is 401, too small a role 403.
The client always comes from the credential (`requests.client_id`). Which saved
configurations a credential sees is `configuration_visibility`: a viewer its own, a member
or admin all of the client's, a publishable key those made with it."""
from __future__ import annotations

from aiohttp import web

from ..errors import ForbiddenError, UnauthorizedError
from ..services.configurations import EVERY, Maker, Visibility
from .authentication import Credential, credential

ROLE_RANK = {"storefront": 0, "viewer": 1, "member": 2, "admin": 3}


def require_credential(request: web.Request) -> Credential:
    found = credential(request)
    if found is None:
        raise UnauthorizedError("this needs a session (log in) or an API key")
    return found


def require_role(request: web.Request, role: str) -> Credential:
    """The request's credential, if its role is at least `role`."""
    found = require_credential(request)
    if ROLE_RANK[found.role] < ROLE_RANK[role]:
        raise ForbiddenError(f"this needs the {role} role; this credential has {found.role}")
    return found


def configuration_visibility(found: Credential) -> Visibility:
    if found.kind != "publishable_key" and ROLE_RANK[found.role] >= ROLE_RANK["member"]:
        return EVERY
    if found.user_id is not None:
        return Visibility(user_id=found.user_id)
    return Visibility(api_key_id=found.key_id)


def maker(found: Credential) -> Maker:
    return Maker(user_id=found.user_id, api_key_id=found.key_id)


def actor(found: Credential) -> str:
    """Who the audit log says acted: the user, or the key when a key calls."""
    return f"user:{found.user_id}" if found.user_id is not None else f"key:{found.key_id}"
