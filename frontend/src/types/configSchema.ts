/** Configuration values and the product's JSON Schema as this app reads them. The API
 * serves the schema as a free-form object (`Product.config_schema`); its shape is the
 * templates' own, so it is written here by hand. */

export type ConfigValue = number | string | boolean;
export type ConfigData = Record<string, ConfigValue>;

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
  /** How a value is shown, e.g. 'percent' for a 0–1 fraction. */
  'x-format'?: string;
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
