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
