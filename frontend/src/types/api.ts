/** Bodies of the `/api/v1` endpoints (see `configurator_addon/schemas/api.py`). */

export interface Page {
  total: number;
  limit: number;
  offset: number;
}

export interface ProductSummary {
  id: string;
  name: string;
  description: string;
  template_version: string;
  schema_version: number;
  preview_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface Product extends ProductSummary {
  config_schema: ConfigSchema;
  parameters: Parameter[];
}

export interface ProductList {
  items: ProductSummary[];
  page: Page;
}

export type ConfigValue = number | string | boolean;
export type ConfigData = Record<string, ConfigValue>;

export interface Configuration {
  id: string;
  product_id: string;
  user_id: string | null;
  name: string;
  config_data: ConfigData;
  product_schema_version: number;
  created_at: string;
  updated_at: string;
}

export interface ConfigurationList {
  items: Configuration[];
  page: Page;
}

export type JobStatus = 'PENDING' | 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface Job {
  id: string;
  product_id: string;
  configuration_id: string | null;
  status: JobStatus;
  progress: number;
  result_url: string | null;
  error_code: string | null;
  error_message: string | null;
  cache_key: string;
  config_data: ConfigData;
  timings: Record<string, unknown>;
}

/** One message of the WebSocket `/api/v1/jobs/{id}/events`. */
export interface JobEvent {
  id: string;
  status: JobStatus;
  progress: number;
  result_url?: string | null;
  error_code?: string | null;
  error_message?: string | null;
}

/** RFC 9457 problem details. */
export interface ProblemError {
  message: string;
  code?: string | null;
  pointer?: string | null;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string | null;
  errors?: ProblemError[];
}

/** One parameter as the template inspection lists it (`Product.parameters`). */
export interface Parameter {
  key: string;
  title: string;
  type: string;
  kind: string;
  default: ConfigValue;
  description?: string;
  minimum?: number;
  maximum?: number;
  options?: string[];
  unit?: string;
  swatches?: Record<string, string>;
}

export type JsonSchemaType = 'number' | 'integer' | 'string' | 'boolean' | 'object' | 'array' | 'null';

/** The subset of JSON Schema 2020-12 the templates produce and this app reads. */
export interface PropertySchema {
  type?: JsonSchemaType | JsonSchemaType[];
  title?: string;
  description?: string;
  default?: ConfigValue;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  enum?: ConfigValue[];
  const?: ConfigValue;
  pattern?: string;
  maxLength?: number;
  'x-unit'?: string;
  'x-kind'?: string;
  'x-swatches'?: Record<string, string>;
}

export interface RuleSchema {
  if?: SubSchema;
  then?: SubSchema;
  else?: SubSchema;
  'x-message'?: string;
}

/** A schema fragment inside a rule: object-level keywords over the configuration. */
export interface SubSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
  allOf?: SubSchema[];
  anyOf?: SubSchema[];
  not?: SubSchema;
}

export interface ConfigSchema {
  $schema?: string;
  title?: string;
  type?: 'object';
  additionalProperties?: boolean;
  properties: Record<string, PropertySchema>;
  required?: string[];
  allOf?: RuleSchema[];
}
