"""The one error hierarchy of Configurator.

Every error the product raises on purpose derives from `ConfiguratorError`. Each carries a
stable machine-readable `code`, an HTTP-ish `status` for the API layer, and whether a job
that hit it may be retried (`recoverable`). The API turns these into problem+json; the
CLI turns them into exit codes; the job queue reads `recoverable`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One concrete problem: where it is and what is wrong.

    `pointer` is a JSON pointer into the request/configuration (RFC 6901) for validation
    errors; `location` names the template datablock (object/modifier/socket/property) for
    contract errors. `code` is a stable identifier for programs. `suggestion` is a value
    that would be accepted in its place, when there is an obvious one (a free name).
    """

    message: str
    code: str = ""
    pointer: str | None = None
    location: str | None = None
    suggestion: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


_BY_CODE: dict[str, type[ConfiguratorError]] = {}


class ConfiguratorError(Exception):
    code = "INTERNAL_ERROR"
    status = 500
    title = "Internal error"
    recoverable = False
    retry_after_seconds: int | None = None  # set on errors that say "try again shortly" (503)
    retry_limit: int | None = None  # a recoverable error's own cap on a job's retries

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _BY_CODE.setdefault(cls.code, cls)

    def __init__(self, detail: str, errors: list[ErrorDetail] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])

    def as_dict(self) -> dict:
        body = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body

    @classmethod
    def from_dict(cls, body: dict) -> ConfiguratorError:
        """The error `as_dict` described (as a child process reports it), of its own class."""
        error_class = _BY_CODE.get(body.get("code", ""), ConfiguratorError)
        error = error_class(body.get("detail") or body.get("title") or "the engine failed",
                            [ErrorDetail(**e) for e in body.get("errors", [])])
        if error_class is ConfiguratorError and body.get("code"):
            error.code, error.title = body["code"], body.get("title", error.title)
        return error

    def lines(self) -> list[str]:
        """For people: the summary, then one line per problem and where it is."""
        lines = [self.detail]
        for e in self.errors:
            where = e.pointer if e.pointer is not None else e.location
            lines.append(f"{where}: {e.message}" if where else e.message)
        return lines

    def __str__(self) -> str:
        first, *rest = self.lines()
        return "\n".join([first, *(f"  - {line}" for line in rest)])


class TemplateContractError(ConfiguratorError):
    """The template file breaks template contract v1 (or is not a usable .blend)."""

    code = "TEMPLATE_CONTRACT"
    status = 422
    title = "Template breaks the template contract"


class TemplateUnreadableError(TemplateContractError):
    code = "TEMPLATE_UNREADABLE"
    title = "Template file cannot be read"


class ConfigValidationError(ConfiguratorError):
    """A configuration does not satisfy the product's JSON Schema (including rules)."""

    code = "VALIDATION_ERROR"
    status = 422
    title = "Configuration is not valid for this product"


class GenerationError(ConfiguratorError):
    """Blender failed while applying a configuration or exporting (worth a retry)."""

    code = "GENERATION_FAILED"
    status = 500
    title = "Model generation failed"
    recoverable = True


class EngineProcessError(GenerationError):
    """A child engine process gave no answer (crash, missing dependency, time limit). A
    template that crashes Blender will likely do it again: retried once."""

    code = "ENGINE_PROCESS_FAILED"
    title = "The engine process failed"
    retry_limit = 1


class EngineTimedOut(EngineProcessError):
    code = "ENGINE_TIMEOUT"
    title = "The engine process took too long"


class WorkerDied(ConfiguratorError):
    """The worker process running a job exited before finishing it."""

    code = "WORKER_CRASHED"
    title = "The worker processing this job died"
    recoverable = True


class JobTimedOut(ConfiguratorError):
    """Deterministic as far as we know (the same job will likely run as long again): retried
    once, in case the machine was only busy, then failed."""

    code = "TIMEOUT"
    title = "The job exceeded its time limit"
    recoverable = True
    retry_limit = 1


class MemoryLimitExceeded(ConfiguratorError):
    """The engine process grew past ENGINE_MEMORY_LIMIT_MB and was stopped: retried once."""

    code = "MEMORY_LIMIT"
    title = "The job exceeded its memory limit"
    recoverable = True
    retry_limit = 1


class GeometryLimitExceeded(ConfiguratorError):
    """The evaluated model has more vertices or faces than the budget: the same
    configuration always will, so it is not retried."""

    code = "GEOMETRY_LIMIT"
    status = 422
    title = "The model exceeds the geometry budget"


class SandboxUnavailable(ConfiguratorError):
    """The kernel cannot confine the engine process (no Landlock): the engine refuses to
    start unless ENGINE_SANDBOX=0 says to go without."""

    code = "SANDBOX_UNAVAILABLE"
    title = "The engine sandbox cannot be set up on this machine"


class JobCancelled(ConfiguratorError):
    """Raised between stages when cancellation was requested (or the lease was lost)."""

    code = "CANCELLED"
    title = "The job was cancelled"


class BadRequestError(ConfiguratorError):
    code = "BAD_REQUEST"
    status = 400
    title = "Malformed request"


class ForbiddenError(ConfiguratorError):
    code = "FORBIDDEN"
    status = 403
    title = "Forbidden"


class RateLimitedError(ConfiguratorError):
    code = "RATE_LIMITED"
    status = 429
    title = "Too many requests"
    retry_after_seconds = 1


class NotFoundError(ConfiguratorError):
    """Unknown, or belongs to another client (which must look the same)."""

    code = "NOT_FOUND"
    status = 404
    title = "Not found"


class RangeNotSatisfiable(ConfiguratorError):
    code = "RANGE_NOT_SATISFIABLE"
    status = 416
    title = "Range Not Satisfiable"


class ConflictError(ConfiguratorError):
    code = "CONFLICT"
    status = 409
    title = "State conflict"


class DuplicateNameError(ConflictError):
    """A name already taken where names must be unique (a user's saved configurations)."""

    code = "DUPLICATE_NAME"
    title = "Name already taken"


class PayloadTooLargeError(ConfiguratorError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    title = "Payload too large"


class UnauthorizedError(ConfiguratorError):
    """No valid credential: a bad, expired or revoked session or key, or a wrong password."""

    code = "UNAUTHORIZED"
    status = 401
    title = "Unauthorized"


class SessionExpiredError(UnauthorizedError):
    """The access token is past its 15 minutes: the client refreshes it (a forgery is never this)."""

    code = "SESSION_EXPIRED"
    title = "Session expired"


class StorageError(ConfiguratorError):
    """Blob storage failed or is unreachable (transient: worth a retry)."""

    code = "STORAGE_UNAVAILABLE"
    status = 503
    title = "Blob storage unavailable"
    recoverable = True
    retry_after_seconds = 2


class BlobNotFoundError(StorageError):
    code = "BLOB_NOT_FOUND"
    status = 404
    title = "Blob not found"
    recoverable = False
    retry_after_seconds = None


class OverCapacityError(ConfiguratorError):
    """Every slot of a bounded pool is busy (e.g. upload inspection): try again shortly."""

    code = "OVER_CAPACITY"
    status = 503
    title = "Busy: try again shortly"
    recoverable = True
    retry_after_seconds = 5


class BlobPathError(ConfiguratorError, ValueError):
    """A blob path outside the safe alphabet, or one that would leave its namespace."""

    code = "BAD_BLOB_PATH"
    status = 400
    title = "Invalid blob path"


class DatabaseError(ConfiguratorError):
    """The database failed or is unreachable (transient: worth a retry)."""

    code = "DATABASE_UNAVAILABLE"
    status = 503
    title = "Database unavailable"
    recoverable = True
    retry_after_seconds = 2


class EmbeddedDatabaseError(DatabaseError):
    """The embedded PostgreSQL cluster could not be created or started."""

    code = "EMBEDDED_DATABASE_FAILED"
    recoverable = False
    retry_after_seconds = None


class MigrationError(DatabaseError):
    code = "MIGRATION_FAILED"
    recoverable = False
    retry_after_seconds = None


class BlobUrlSignatureInvalid(ForbiddenError):
    """A `/blobs/` URL without a signature, or whose path, expiry or signature was altered."""

    code = "URL_SIGNATURE_INVALID"
    title = "The blob URL's signature is missing or invalid"


class BlobUrlExpired(ForbiddenError):
    """A genuine `/blobs/` URL past its expiry: ask the API for a fresh one."""

    code = "URL_EXPIRED"
    title = "The blob URL has expired"
