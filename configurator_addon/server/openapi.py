"""The OpenAPI 3.1 document of the API, generated from the pydantic models."""
from __future__ import annotations

from functools import lru_cache

from aiohttp import web
from pydantic.json_schema import models_json_schema

from ..schemas import api

routes = web.RouteTableDef()
REF = "#/components/schemas/{model}"
PROBLEM = "application/problem+json"


def _json(model: str) -> dict:
    return {"application/json": {"schema": {"$ref": REF.format(model=model)}}}


def _problems(*statuses: int) -> dict:
    text = {400: "Malformed request", 401: "No valid credential (bad, expired or revoked session or key)",
            403: "Forbidden (a disabled client, a key from an origin it does not allow, or not permitted)",
            404: "Not found (or not yours)", 409: "State conflict",
            413: "Payload too large", 422: "Validation failed", 429: "Too many requests: try again after Retry-After",
            503: "Unavailable"}
    problem = {PROBLEM: {"schema": {"$ref": REF.format(model="Problem")}}}
    responses = {str(s): {"description": text[s], "content": problem} for s in statuses}
    if 429 in statuses:
        responses["429"]["headers"] = {"Retry-After": {
            "description": "Whole seconds until the request may succeed", "required": True,
            "schema": {"type": "integer", "minimum": 1}}}
    return responses


def _ok(model: str, status: int = 200, description: str = "OK") -> dict:
    return {str(status): {"description": description, "content": _json(model)}}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}},
]
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["template"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                   "description": {"type": "string"},
                   "template": {"type": "string", "format": "binary", "contentMediaType": "application/x-blender"}},
}}}}


CREDENTIAL_PROBLEMS = (401, 403)
SECURITY_SCHEMES = {
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "configurator_session",
                      "description": "The session of a logged-in user (`POST /api/v1/auth/login`)"},
    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "sk_… (secret) or pk_… (publishable)",
               "description": "An API key of a client"},
    "webSocketKey": {"type": "apiKey", "in": "query", "name": "access_key",
                     "description": "A publishable key, on a WebSocket upgrade only (browsers cannot send "
                                    "headers with one)"},
}
# Every route needs a credential except those that say `security: []`; the client acted for
# is always the credential's.
SECURITY = [{"sessionCookie": []}, {"apiKey": []}]
NO_BODY_OK = {"204": {"description": "Done"}}
SESSION_COOKIES = {"Set-Cookie": {
    "description": "configurator_session (the access token, Path=/) and configurator_refresh "
                   "(Path=/api/v1/auth); both HttpOnly, SameSite=Lax, Secure over https",
    "schema": {"type": "string"}}}


def _auth_paths() -> dict:
    signed_in = {"200": {"description": "Signed in; the session cookies are set", "headers": SESSION_COOKIES,
                         "content": _json("SignedIn")}}
    return {
        "/api/v1/auth/login": {"post": {
            "operationId": "login", "summary": "Log in with email and password", "security": [{}],
            "requestBody": {"required": True, "content": _json("LoginRequest")},
            "responses": {**signed_in, **_problems(400, 401, 403, 413, 422, 429)}}},
        "/api/v1/auth/refresh": {"post": {
            "operationId": "refreshSession", "summary": "New tokens for the session (the refresh cookie)",
            "security": [{}],
            "responses": {**signed_in, **_problems(401, 403)}}},
        "/api/v1/auth/logout": {"post": {
            "operationId": "logout", "summary": "End the session and clear its cookies", "security": [{}],
            "responses": {"204": {"description": "Logged out", "headers": SESSION_COOKIES}}}},
        "/api/v1/auth/me": {"get": {
            "operationId": "me", "summary": "The signed-in user, their client and the session's CSRF token",
            "security": [{"sessionCookie": []}],
            "responses": {**_ok("Me"), **_problems(401, 403)}}},
        "/api/v1/auth/password": {"post": {
            "operationId": "changePassword",
            "summary": "Change the password; every other session of the user is revoked",
            "security": [{"sessionCookie": []}],
            "requestBody": {"required": True, "content": _json("PasswordChange")},
            "responses": {"204": {"description": "Changed; new session cookies are set", "headers": SESSION_COOKIES},
                          **_problems(400, 401, 403, 413, 422, 429)}}},
    }


SIGNED_IN = [{"sessionCookie": []}, {"apiKey": []}]  # a session or a secret key; no anonymous caller


def _key_and_audit_paths() -> dict:
    return {
        "/api/v1/api-keys": {
            "get": {"operationId": "listApiKeys", "summary": "The client's API keys, newest first (admin)",
                    "security": SIGNED_IN, "responses": {**_ok("ApiKeyList"), **_problems(401, 403)}},
            "post": {"operationId": "createApiKey",
                     "summary": "Create an API key (admin); the key is in this answer only",
                     "security": SIGNED_IN, "requestBody": {"required": True, "content": _json("ApiKeyCreate")},
                     "responses": {**_ok("ApiKeyCreated", 201, "Created"), **_problems(400, 401, 403, 413, 422)}},
        },
        "/api/v1/api-keys/{id}": {"delete": {
            "operationId": "revokeApiKey", "summary": "Revoke an API key of the client (admin)",
            "security": SIGNED_IN, "parameters": [ID],
            "responses": {"204": {"description": "Revoked"}, **_problems(401, 403, 404)}}},
        "/api/v1/audit-events": {"get": {
            "operationId": "listAuditEvents", "summary": "The client's audit log, newest first (admin)",
            "security": SIGNED_IN, "parameters": [
                {"name": "before", "in": "query", "description": "next_before of the previous page",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}}],
            "responses": {**_ok("AuditEventList"), **_problems(400, 401, 403)}}},
    }


ADMIN = [{"sessionCookie": []}, {"apiKey": []}]  # an admin's session or an admin secret key


def _password_reset_and_user_paths() -> dict:
    return {
        "/api/v1/auth/password-reset": {"post": {
            "operationId": "requestPasswordReset",
            "summary": "Mail a single-use link (valid 1 h) to set a new password; the same answer for unknown emails",
            "security": [{}], "requestBody": {"required": True, "content": _json("PasswordResetRequest")},
            "responses": {"202": {"description": "Accepted: if the email is a user's, a link is on its way"},
                          **_problems(400, 413, 422, 429)}}},
        "/api/v1/auth/password-reset/confirm": {"post": {
            "operationId": "confirmPasswordReset",
            "summary": "Set the password with a link's token; every session of the user is revoked",
            "security": [{}], "requestBody": {"required": True, "content": _json("PasswordResetConfirm")},
            "responses": {"204": {"description": "The password is set"},
                          **_problems(400, 413, 422)}}},
        "/api/v1/users": {
            "get": {"operationId": "listUsers", "summary": "The client's users (admin)", "security": ADMIN,
                    "responses": {**_ok("UserList"), **_problems(401, 403)}},
            "post": {"operationId": "inviteUser",
                     "summary": "Invite a user (admin): created without a password and mailed a set-password link "
                                "(valid 7 days)",
                     "security": ADMIN, "requestBody": {"required": True, "content": _json("UserInvite")},
                     "responses": {**_ok("User", 201, "Invited"), **_problems(400, 401, 403, 409, 413, 422)}},
        },
        "/api/v1/users/{id}": {
            "patch": {"operationId": "updateUser",
                      "summary": "Rename a user or change their role (admin); the client's last admin stays admin",
                      "security": ADMIN, "parameters": [ID],
                      "requestBody": {"required": True, "content": _json("UserUpdate")},
                      "responses": {**_ok("User"), **_problems(400, 401, 403, 404, 409, 413, 422)}},
            "delete": {"operationId": "removeUser",
                       "summary": "Remove a user and their sessions (admin); not the client's last admin",
                       "security": ADMIN, "parameters": [ID],
                       "responses": {"204": {"description": "Removed"}, **_problems(401, 403, 404, 409)}},
        },
    }


VERSION = {"name": "n", "in": "path", "required": True, "description": "A schema version of the product",
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def _product_version_paths() -> dict:
    return {
        "/api/v1/products/{id}/versions": {"get": {
            "operationId": "listProductVersions", "summary": "The product's template versions, newest first (admin)",
            "security": ADMIN, "parameters": [ID],
            "responses": {**_ok("ProductVersionList"), **_problems(400, 404)}}},
        "/api/v1/products/{id}/versions/{n}/compatibility": {"get": {
            "operationId": "getVersionCompatibility",
            "summary": "Version n's schema diff against the version before it (or ?against=m), and how many of "
                       "the product's saved configurations it refuses (admin)",
            "security": ADMIN, "parameters": [ID, VERSION, {
                "name": "against", "in": "query", "description": "Compare with this version instead",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
            "responses": {**_ok("VersionCompatibility"), **_problems(400, 404)}}},
    }


def _with_credential_problems(paths: dict) -> dict:
    """Any `/api/v1` request needs a credential (401 without), which may be refused (403)."""
    for path, operations in paths.items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth/"):
            continue
        for operation in operations.values():
            operation["responses"].update(_problems(*CREDENTIAL_PROBLEMS))
    return paths


def _paths() -> dict:
    return _with_credential_problems({**_service_paths(), **_auth_paths(), **_key_and_audit_paths(),
                                      **_password_reset_and_user_paths(), **_product_version_paths()})


def _service_paths() -> dict:
    return {
        "/health": {"get": {"operationId": "health", "summary": "Liveness", "security": [],
                            "responses": {**_ok("Health"), "503": {"description": "Unhealthy",
                                                                   "content": _json("Health")}}}},
        "/ready": {"get": {"operationId": "ready", "summary": "Database and storage reachable", "security": [],
                           "responses": {**_ok("Readiness"), "503": {"description": "Not ready",
                                                                     "content": _json("Readiness")}}}},
        "/api/v1/products": {
            "get": {"operationId": "listProducts", "parameters": [*PAGING],
                    "responses": {**_ok("ProductList"), **_problems(400)}},
            "post": {"operationId": "createProduct", "summary": "Create a product by uploading a template",
                     "requestBody": UPLOAD,
                     "responses": {**_ok("Product", 201, "Created"), **_problems(400, 413, 422)}},
        },
        "/api/v1/products/{id}": {"get": {
            "operationId": "getProduct", "parameters": [ID],
            "responses": {**_ok("Product"), **_problems(400, 404)}}},
        "/api/v1/products/{id}/events": {"get": {
            "operationId": "productEvents",
            "summary": "WebSocket: ProductVersionEvent messages, at once and at each new template version",
            "parameters": [ID], "security": [*SECURITY, {"webSocketKey": []}],
            "responses": {"101": {"description": "Switching to WebSocket; messages are ProductVersionEvent"},
                          **_problems(400, 404)}}},
        "/api/v1/products/{id}/template": {"put": {
            "operationId": "replaceTemplate", "summary": "Upload a new template version",
            "parameters": [ID], "requestBody": UPLOAD,
            "responses": {**_ok("Product"), **_problems(400, 404, 409, 413, 422)}}},
        "/api/v1/configurations": {
            "get": {"operationId": "listConfigurations", "parameters": [
                *PAGING, {"name": "product_id", "in": "query", "schema": {"type": "string", "format": "uuid"}}],
                "responses": {**_ok("ConfigurationList"), **_problems(400)}},
            "post": {"operationId": "createConfiguration",
                     "requestBody": {"required": True, "content": _json("ConfigurationCreate")},
                     "responses": {**_ok("Configuration", 201, "Created"),
                                   **_problems(400, 404, 409, 413, 422, 429)}},
        },
        "/api/v1/configurations/{id}": {
            "get": {"operationId": "getConfiguration", "parameters": [ID],
                    "responses": {**_ok("Configuration"), **_problems(400, 404)}},
            "patch": {"operationId": "renameConfiguration", "parameters": [ID],
                      "requestBody": {"required": True, "content": _json("ConfigurationUpdate")},
                      "responses": {**_ok("Configuration"), **_problems(400, 404, 409, 413, 422)}},
            "delete": {"operationId": "deleteConfiguration", "parameters": [ID],
                       "responses": {"204": {"description": "Deleted"}, **_problems(400, 404)}},
        },
        "/api/v1/jobs": {"post": {
            "operationId": "submitJob",
            "requestBody": {"required": True, "content": _json("JobCreate")},
            "responses": {**_ok("Job", 200, "Already complete (from the result cache)"),
                          **_ok("Job", 202, "Accepted: being generated"),
                          **_problems(400, 404, 409, 413, 422, 429)}}},
        "/api/v1/jobs/{id}": {"get": {
            "operationId": "getJob", "parameters": [ID],
            "responses": {**_ok("Job"), **_problems(400, 404)}}},
        "/api/v1/jobs/{id}/cancel": {"post": {
            "operationId": "cancelJob", "parameters": [ID],
            "responses": {**_ok("Job"), **_problems(400, 404, 409)}}},
        "/api/v1/jobs/{id}/events": {"get": {
            "operationId": "jobEvents", "summary": "WebSocket: JobEvent messages until a terminal state",
            "parameters": [ID], "security": [*SECURITY, {"webSocketKey": []}],
            "responses": {"101": {"description": "Switching to WebSocket; messages are JobEvent"},
                          **_problems(400, 404)}}},
    }


MODELS = [api.Health, api.Readiness, api.Product, api.ProductSummary, api.ProductList, api.Configuration,
          api.ConfigurationCreate, api.ConfigurationUpdate, api.ConfigurationList, api.Job, api.JobCreate,
          api.JobEvent, api.Problem, api.Page, api.LoginRequest, api.PasswordChange, api.SignedIn, api.Me,
          api.ApiKeyCreate, api.ApiKey, api.ApiKeyCreated, api.ApiKeyList, api.AuditEventList,
          api.PasswordResetRequest, api.PasswordResetConfirm, api.User, api.UserList, api.UserInvite,
          api.UserUpdate, api.ProductVersionList, api.VersionCompatibility, api.ProductVersionEvent]


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    _, schemas = models_json_schema([(m, "validation") for m in MODELS], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Configurator API", "version": "1.0.0",
                 "description": "Parametric product templates in, exact GLB models out."},
        "paths": _paths(),
        "security": SECURITY,
        "components": {"schemas": schemas["$defs"], "securitySchemes": SECURITY_SCHEMES},
    }


@routes.get("/api/v1/openapi.json")
async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
