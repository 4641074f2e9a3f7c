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
    contract errors. `code` is a stable identifier for programs.
    """

    message: str
    code: str = ""
    pointer: str | None = None
    location: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


class ConfiguratorError(Exception):
    code = "INTERNAL_ERROR"
    status = 500
    title = "Internal error"
    recoverable = False

    def __init__(self, detail: str, errors: list[ErrorDetail] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])

    def as_dict(self) -> dict:
        body = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body

    def __str__(self) -> str:
        lines = [self.detail]
        for e in self.errors:
            where = e.pointer if e.pointer is not None else e.location
            lines.append(f"  - {where + ': ' if where else ''}{e.message}")
        return "\n".join(lines)


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


class BadRequestError(ConfiguratorError):
    code = "BAD_REQUEST"
    status = 400
    title = "Malformed request"


class NotFoundError(ConfiguratorError):
    """Unknown, or belongs to another client (which must look the same)."""

    code = "NOT_FOUND"
    status = 404
    title = "Not found"


class ConflictError(ConfiguratorError):
    code = "CONFLICT"
    status = 409
    title = "State conflict"


class PayloadTooLargeError(ConfiguratorError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    title = "Payload too large"


class StorageError(ConfiguratorError):
    """Blob storage failed or is unreachable (transient: worth a retry)."""

    code = "STORAGE_UNAVAILABLE"
    status = 503
    title = "Blob storage unavailable"
    recoverable = True


class BlobNotFoundError(StorageError):
    code = "BLOB_NOT_FOUND"
    status = 404
    title = "Blob not found"
    recoverable = False


class DatabaseError(ConfiguratorError):
    """The database failed or is unreachable (transient: worth a retry)."""

    code = "DATABASE_UNAVAILABLE"
    status = 503
    title = "Database unavailable"
    recoverable = True


class EmbeddedDatabaseError(DatabaseError):
    """The embedded PostgreSQL cluster could not be created or started."""

    code = "EMBEDDED_DATABASE_FAILED"
    recoverable = False


class MigrationError(DatabaseError):
    code = "MIGRATION_FAILED"
    recoverable = False
