"""The server's product endpoints as the authoring tool uses them, over the standard library
only (`urllib.request`): it runs in Blender's own Python, in the GUI and in background
build scripts alike, where the server's dependencies may be missing. No bpy here.

Every request carries `Authorization: Bearer sk_…`. A refusal is raised as the server's own
problem+json error, rebuilt as its `ConfiguratorError` class (`TemplateContractError` for a
422 with the contract errors, `ConflictError` for 409…), with the HTTP status it came with
as `http_status` (`answered_status(error)`; None for errors that never reached a server).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

from ..accounts.tokens import PUBLISHABLE_KEY_PREFIX, SECRET_KEY_PREFIX
from ..errors import ConfiguratorError

USER_AGENT = "Configurator-Blender-Authoring/1"
ERROR_BODY_CHARS = 300


class ServerUnreachable(ConfiguratorError):
    code = "SERVER_UNREACHABLE"
    status = 503
    title = "The server cannot be reached"


class NotASecretKey(ConfiguratorError):
    code = "NOT_A_SECRET_KEY"
    status = 401
    title = "Publishing needs a secret API key"


def normalized_server_url(url: str) -> str:
    """`HTTP://Host:8000/` -> `http://host:8000`: one spelling per server, to remember
    which product a file became on which server."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfiguratorError(f"the server URL {url!r} is not an http:// or https:// address")
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def check_secret_key(api_key: str) -> str:
    key = api_key.strip()
    if not key:
        raise NotASecretKey("no API key: set one in the add-on's preferences (a secret key, sk_…)")
    if key.startswith(PUBLISHABLE_KEY_PREFIX):
        raise NotASecretKey("a publishable key (pk_…) can only configure products; publishing needs a secret "
                            "key (sk_…) of an admin")
    if not key.startswith(SECRET_KEY_PREFIX):
        raise NotASecretKey("the API key does not look like a secret key (sk_…)")
    return key


def multipart_body(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """`multipart/form-data` (RFC 7578): text fields, then files as `name: (filename, data)`.
    Returns the body and its Content-Type."""
    boundary = "configurator-" + uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                      'Content-Type: text/plain; charset=utf-8\r\n\r\n'.encode())
        chunks.append(value.encode("utf-8") + b"\r\n")
    for name, (filename, data) in files.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      'Content-Type: application/octet-stream\r\n\r\n'.encode())
        chunks.append(data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class PublishClient:
    def __init__(self, server_url: str, api_key: str, timeout: float = 300):
        self.server_url = normalized_server_url(server_url)
        self.api_key = check_secret_key(api_key)
        self.timeout = timeout

    # -- the endpoints ---------------------------------------------------------------------
    def create_product(self, name: str, description: str, template: bytes) -> dict:
        body, content_type = multipart_body({"name": name, "description": description},
                                            {"template": ("template.blend", template)})
        return self.request("POST", "/api/v1/products", body, content_type)

    def replace_template(self, product_id: str, template: bytes) -> dict:
        body, content_type = multipart_body({}, {"template": ("template.blend", template)})
        return self.request("PUT", f"/api/v1/products/{product_id}/template", body, content_type)

    def get_product(self, product_id: str) -> dict:
        return self.request("GET", f"/api/v1/products/{product_id}")

    def compatibility(self, product_id: str, schema_version: int) -> dict:
        """What changed from the previous schema version and how many saved configurations
        would no longer validate (admins)."""
        return self.request("GET", f"/api/v1/products/{product_id}/versions/{schema_version}/compatibility")

    # -- one request -----------------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json",
                   "User-Agent": USER_AGENT}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.server_url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as refused:
            with refused:
                raise server_error(refused.code, refused.read(), refused.headers.get("Content-Type", "")) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerUnreachable(f"cannot reach {self.server_url}: {reason}") from None


def server_error(status: int, body: bytes, content_type: str) -> ConfiguratorError:
    """The server's problem+json as its own error class; anything else (a proxy's HTML page)
    as a plain error quoting the start of the body."""
    problem = None
    if "json" in content_type:
        try:
            problem = json.loads(body)
        except ValueError:
            pass
    if isinstance(problem, dict) and ("code" in problem or "detail" in problem):
        error = ConfiguratorError.from_dict(problem)
    else:
        text = body.decode("utf-8", errors="replace").strip()[:ERROR_BODY_CHARS]
        error = ConfiguratorError(f"the server answered HTTP {status}" + (f": {text}" if text else ""))
    error.http_status = status
    return error


def answered_status(error: Exception) -> int | None:
    """The HTTP status a server refused with, or None."""
    return getattr(error, "http_status", None)
