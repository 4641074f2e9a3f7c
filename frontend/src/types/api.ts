/** Bodies of the `/api/v1` endpoints, by name. The types themselves are generated from the
 * server's OpenAPI document into ./openapi.ts (`npm run api-types`, see there); this module
 * only names them, so the app never spells `components["schemas"]`. */
import type { ConfigSchema } from './configSchema';
import type { components } from './openapi';

type Schemas = components['schemas'];

export type Page = Schemas['Page'];

export type ProductSummary = Schemas['ProductSummary'];
/** An image of a product's default configuration, rendered on the server (WebP). */
export type Thumbnail = Schemas['Thumbnail'];
export type ProductList = Schemas['ProductList'];
/** The OpenAPI document can only say that `config_schema` is an object: it is the product's
 * JSON Schema (2020-12), whose parts the app reads are described in ./configSchema. */
export type Product = Omit<Schemas['Product'], 'config_schema'> & { config_schema: ConfigSchema };
/** A product's template versions, newest first (admins: `/api/v1/products/{id}/versions`). */
export type ProductVersion = Schemas['ProductVersion'];
export type ProductVersionList = Schemas['ProductVersionList'];
/** A version against another one (by default the one before it): what changed in its parameters
 * and how many of the product's saved configurations it refuses (`…/versions/{n}/compatibility`). */
export type VersionCompatibility = Schemas['VersionCompatibility'];
export type SchemaChange = Schemas['SchemaChange'];
export type SchemaChangeKind = SchemaChange['kind'];
export type IncompatibleConfiguration = Schemas['IncompatibleConfiguration'];

export type Configuration = Schemas['Configuration'];
export type ConfigurationList = Schemas['ConfigurationList'];
export type ConfigurationCreate = Schemas['ConfigurationCreate'];
export type ConfigurationUpdate = Schemas['ConfigurationUpdate'];

export type Job = Schemas['Job'];
export type JobCreate = Schemas['JobCreate'];
/** One message of the WebSocket `/api/v1/jobs/{id}/events`. */
export type JobEvent = Schemas['JobEvent'];
export type ProductVersionEvent = Schemas['ProductVersionEvent'];
export type JobStatus = Job['status'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** RFC 9457 problem details. */
export type Problem = Schemas['Problem'];
export type ProblemError = Schemas['ProblemError'];

export type AccountUser = Schemas['AccountUser'];
export type AccountClient = Schemas['AccountClient'];
export type LoginRequest = Schemas['LoginRequest'];
/** The answer of login and refresh. */
export type SignedIn = Schemas['SignedIn'];
/** The answer of `GET /api/v1/auth/me`. */
export type Me = Schemas['Me'];
export type PasswordChange = Schemas['PasswordChange'];
export type PasswordResetRequest = Schemas['PasswordResetRequest'];
export type PasswordResetConfirm = Schemas['PasswordResetConfirm'];

/** `viewer` < `member` < `admin`. */
export type Role = AccountUser['role'];
/** A user of the caller's client, as its admins see them (`/api/v1/users`). */
export type User = Schemas['User'];
export type UserList = Schemas['UserList'];
export type UserInvite = Schemas['UserInvite'];
export type UserUpdate = Schemas['UserUpdate'];

export type ApiKey = Schemas['ApiKey'];
export type ApiKeyKind = ApiKey['kind'];
export type ApiKeyCreate = Schemas['ApiKeyCreate'];
/** The answer of creating a key: the only one that holds the key itself. */
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type ApiKeyList = Schemas['ApiKeyList'];

export type AuditEvent = Schemas['AuditEvent'];
export type AuditEventList = Schemas['AuditEventList'];
