"""Request and response bodies of `/api/v1`."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

JobStatus = Literal["PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    limit: int
    offset: int


class Thumbnail(BaseModel):
    url: str = Field(description="Signed, expiring URL of the image (immutable content)")
    width: int = Field(description="Pixels")
    height: int = Field(description="Pixels")
    content_type: str = Field(description="Media type, e.g. image/webp")


class ProductSummary(BaseModel):
    id: UUID
    name: str
    description: str
    template_version: str
    schema_version: int
    preview_url: str | None = Field(None, description="GLB of the default configuration, once generated")
    thumbnails: list[Thumbnail] | None = Field(
        None, description="Images of the default configuration rendered on the server, smallest first; "
        "null until they are made (seconds after the template is published or replaced)")
    created_at: datetime
    updated_at: datetime


class Product(ProductSummary):
    config_schema: dict[str, Any] = Field(
        description="JSON Schema (2020-12) a configuration must satisfy. Each property also carries how to show it: "
        "x-kind (the template's parameter kind), x-unit ('m' for lengths in metres), x-format (the template's display "
        "format: percent, length, angle or plain) and x-swatches (a material option's colour); values stay in the "
        "schema's units")
    parameters: list[dict[str, Any]] = Field(description="Parameters found in the template, in order")


class ProductList(BaseModel):
    items: list[ProductSummary]
    page: Page


class ConfigurationCreate(_Body):
    product_id: UUID
    name: str = Field(min_length=1, max_length=200)
    config_data: dict[str, Any] = Field(default_factory=dict)


class ConfigurationUpdate(_Body):
    """A new name, new values (checked against the product's current schema), or both."""

    name: str | None = Field(None, min_length=1, max_length=200)
    config_data: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _changes_something(self):
        if self.name is None and self.config_data is None:
            raise ValueError("give a name, config_data or both")
        return self


class Configuration(BaseModel):
    id: UUID
    product_id: UUID
    user_id: UUID | None
    name: str
    config_data: dict[str, Any]
    product_schema_version: int
    thumbnails: list[Thumbnail] | None = Field(
        None, description="Images of these values rendered on the server, smallest first; null until they are "
        "made (seconds after the configuration is saved or its values change)")
    created_at: datetime
    updated_at: datetime


class ConfigurationList(BaseModel):
    items: list[Configuration]
    page: Page


JobPriority = Literal["live", "background"]


class JobOptions(_Body):
    draco: bool = Field(False, description="Compress meshes with Draco")
    morph: bool = Field(False, description="A morph GLB: one morph target per number parameter, valid over the "
                        "ranges in the root extras (configurator.morph); never Draco-compressed")
    format: Literal["glb", "usdz"] = Field("glb", description="The result's file: a GLB, or a USDZ for AR "
                                           "(iOS AR Quick Look; served as model/vnd.usdz+zip)")
    priority: JobPriority = Field("live", description="live: someone waits for this model; background: made in "
                                  "case it is asked for (claimed after every live job; a live request for the same "
                                  "result raises it). Not part of the cache key")

    @model_validator(mode="after")
    def _morph_is_not_compressed(self):
        """Draco cannot carry morph targets: asking for both is refused (422), not half-served."""
        if self.morph and self.draco:
            raise ValueError("morph and draco cannot be combined: Draco cannot carry morph targets")
        return self

    @model_validator(mode="after")
    def _usdz_is_plain(self):
        """A USDZ has neither Draco compression nor morph targets: asking for either with it
        is refused (422), not quietly dropped."""
        if self.format == "usdz" and (self.morph or self.draco):
            raise ValueError("format usdz cannot be combined with draco or morph: a USDZ has neither "
                             "Draco compression nor morph targets")
        return self


class JobCreate(_Body):
    """Either a saved configuration, or a product and unsaved values (live preview)."""

    configuration_id: UUID | None = None
    product_id: UUID | None = None
    config_data: dict[str, Any] | None = None
    options: JobOptions = Field(default_factory=JobOptions)


class Job(BaseModel):
    id: UUID
    product_id: UUID
    configuration_id: UUID | None
    status: JobStatus
    progress: int = Field(ge=0, le=100)
    result_url: str | None
    error_code: str | None
    error_message: str | None
    retry_count: int
    max_retries: int
    requesters: int = Field(description="Requests sharing this job; a cancel withdraws one, the job stops at none")
    priority: JobPriority = Field(description="live, or background until a live request joins it")
    worker_id: str | None = Field(description="host:pid:instance of the worker that last took the job")
    cache_key: str
    config_data: dict[str, Any]
    timings: dict[str, Any] = Field(description="Milliseconds: wait, load, apply, export, upload")
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class ProductVersionEvent(BaseModel):
    """One message of `/api/v1/products/{id}/events`: the product's current version."""

    id: UUID
    schema_version: int
    template_version: str
    updated_at: datetime


class JobEvent(BaseModel):
    """One message of `/api/v1/jobs/{id}/events`."""

    id: UUID
    status: JobStatus
    progress: int
    result_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class Health(BaseModel):
    status: Literal["ok", "unhealthy"]
    role: str
    executor_busy_seconds: float = 0.0
    detail: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    database: str
    storage: str


Role = Literal["admin", "member", "viewer"]


class LoginRequest(_Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(_Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024,
                              description="10 to 256 characters")


class AccountUser(BaseModel):
    id: UUID
    email: str
    name: str
    role: Role


class AccountClient(BaseModel):
    id: UUID
    name: str


class SignedIn(BaseModel):
    """Who a session is: the user and their client."""

    user: AccountUser
    client: AccountClient


class Me(SignedIn):
    csrf_token: str = Field(description="Send as X-CSRF-Token with unsafe requests made with the session cookie")


KeyKind = Literal["secret", "publishable"]
KeyRole = Literal["admin", "member", "viewer", "storefront"]


class ApiKeyCreate(_Body):
    kind: KeyKind
    name: str = Field("", max_length=200, description="What the key is for, shown in listings")
    role: KeyRole | None = Field(None, description="A secret key's role: admin, member (default) or viewer, "
                                                   "at most the caller's; a publishable key is the storefront")
    allowed_origins: list[str] = Field(
        default_factory=list, max_length=20,
        description="A publishable key's origins (at least one): scheme://host[:port], http or https, no path; "
                    "a secret key lists none")


class ApiKey(BaseModel):
    """A client's API key as its admins see it: never the key itself."""

    id: UUID
    kind: KeyKind
    role: KeyRole
    name: str
    shown_prefix: str = Field(description="The key's first characters")
    allowed_origins: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: UUID | None = Field(description="The user who created it (null: a key or the operator)")


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The key, shown this once: only its hash is stored")


class ApiKeyList(BaseModel):
    items: list[ApiKey] = Field(description="Newest first, revoked keys too")


class AuditEvent(BaseModel):
    id: int
    actor: str = Field(description="user:<id>, key:<id>, operator or anonymous")
    action: str = Field(description="login.succeeded, key.created, key.revoked, …")
    target: str
    detail: dict[str, Any]
    ip: str
    at: datetime


class AuditEventList(BaseModel):
    items: list[AuditEvent] = Field(description="Newest first")
    next_before: int | None = Field(description="Pass as ?before= for the next page; null on the last page")


class ProblemError(BaseModel):
    message: str
    code: str | None = None
    pointer: str | None = Field(None, description="JSON pointer (RFC 6901) to the value at fault")
    location: str | None = Field(None, description="Template datablock at fault")
    suggestion: str | None = Field(None, description="A value that would be accepted instead (e.g. a free name)")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    code: str | None = None
    instance: str | None = None
    errors: list[ProblemError] = Field(default_factory=list)


# -- password reset, invitations and users (docs/accounts.md) ----------------------------
class PasswordResetRequest(_Body):
    email: str = Field(min_length=1, max_length=320)


class PasswordResetConfirm(_Body):
    token: str = Field(min_length=1, max_length=1024, description="From the link in the email")
    password: str = Field(min_length=1, max_length=1024, description="10 to 256 characters")


class User(BaseModel):
    """A user of the caller's client, as its admins see them."""

    id: UUID
    email: str
    name: str
    role: Role
    created_at: datetime
    has_password: bool = Field(description="False until an invited user has set a password")


class UserList(BaseModel):
    items: list[User]


class UserInvite(_Body):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role


class UserUpdate(_Body):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None


# -- product versions and their compatibility (services/product_versions.py) ------------
class ProductVersion(BaseModel):
    schema_version: int
    template_version: str = Field(description="sha256 of the template's bytes")
    created_at: datetime
    parameter_count: int = Field(description="Properties of the version's config_schema")


class ProductVersionList(BaseModel):
    items: list[ProductVersion] = Field(description="Newest first: the first is the product's current version")


SchemaChangeKind = Literal["added", "removed", "renamed", "type_changed", "range_narrowed", "range_widened",
                           "options_removed", "options_added", "default_changed", "rules_changed", "unit_changed",
                           "format_changed"]


class SchemaChange(BaseModel):
    """One difference between two versions' parameters (services/schema_diff.py)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    kind: SchemaChangeKind
    key: str | None = Field(description="The parameter (its new key when renamed); null for rules_changed")
    from_: Any = Field(alias="from", description="The changed aspect before: a property (removed), the old key "
                                                 "(renamed), {type, kind}, the range bounds, the enum, the default, "
                                                 "the unit or the allOf rules; null for added")
    to: Any = Field(description="The same aspect after; null for removed")
    message: str = Field(description="For people")
    breaking: bool = Field(description="A configuration valid before may be refused now")


class ConfigurationProblemDetail(BaseModel):
    pointer: str = Field(description="JSON pointer (RFC 6901) into the configuration")
    message: str
    code: str = Field(description="SCHEMA_MAXIMUM, SCHEMA_ENUM, UNKNOWN_PARAMETER, RULE_VIOLATED, …")


class IncompatibleConfiguration(BaseModel):
    id: UUID
    name: str
    errors: list[ConfigurationProblemDetail]


class ConfigurationsCompatibility(BaseModel):
    total: int = Field(description="The product's saved configurations, every owner's, whatever their version")
    invalid: int = Field(description="How many of them the version's schema refuses, as saved")
    examples: list[IncompatibleConfiguration] = Field(max_length=10, description="Up to 10 of those, newest first")


class VersionCompatibility(BaseModel):
    """A product version against another one (by default the stored version before it)."""

    product_id: UUID
    schema_version: int
    compared_to: int | None = Field(description="The version compared with; null when there is none before")
    changes: list[SchemaChange] = Field(description="From compared_to to schema_version")
    breaking: bool = Field(description="Any change is breaking")
    configurations: ConfigurationsCompatibility
