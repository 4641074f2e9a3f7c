"""Who may do what inside a client (docs/accounts.md, "Roles"): `viewer` < `member` <
`admin`; a secret key acts with its own role; a publishable key only as the storefront.

Routes call `require_role(request, "admin")`: no credential is 401, too small a role 403.
The client always comes from the credential (`requests.client_id`)."""
from __future__ import annotations

from aiohttp import web

from ..errors import ForbiddenError, UnauthorizedError
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
