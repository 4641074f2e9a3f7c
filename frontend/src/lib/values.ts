/** Configuration values against the product schema: defaults, per-value checks, the
 * canonical key of a configuration. */
import type { ConfigData, ConfigSchema, ConfigValue, PropertySchema } from '../types/configSchema';

const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;

/** A colour value as the templates take it: `#rrggbb`. */
export function isHexColour(value: string): boolean {
  return HEX_COLOUR.test(value);
}

export function schemaTypes(prop: PropertySchema): string[] {
  if (Array.isArray(prop.type)) return prop.type;
  return prop.type ? [prop.type] : [];
}

/** The value a property starts at: its default, else the first valid value we can name. */
export function defaultValue(prop: PropertySchema): ConfigValue {
  if (prop.default !== undefined) return prop.default;
  if (prop.const !== undefined) return prop.const;
  if (prop.enum?.length) return prop.enum[0];
  const types = schemaTypes(prop);
  if (types.includes('boolean')) return false;
  if (types.includes('number') || types.includes('integer')) return prop.minimum ?? prop.maximum ?? 0;
  if (prop['x-kind'] === 'color') return '#808080';
  return '';
}

export function defaultConfig(schema: ConfigSchema): ConfigData {
  const out: ConfigData = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) out[key] = defaultValue(prop);
  return out;
}

/** True when `value` satisfies the property on its own (type, enum, bounds, pattern). */
export function isValidValue(prop: PropertySchema, value: unknown): value is ConfigValue {
  const types = schemaTypes(prop);
  const typeOk = types.length === 0 || types.some((t) => {
    switch (t) {
      case 'number': return typeof value === 'number' && Number.isFinite(value);
      case 'integer': return typeof value === 'number' && Number.isInteger(value);
      case 'string': return typeof value === 'string';
      case 'boolean': return typeof value === 'boolean';
      default: return false;
    }
  });
  if (!typeOk) return false;
  if (prop.const !== undefined && value !== prop.const) return false;
  if (prop.enum && !prop.enum.includes(value as ConfigValue)) return false;
  if (typeof value === 'number') {
    if (prop.minimum !== undefined && value < prop.minimum) return false;
    if (prop.maximum !== undefined && value > prop.maximum) return false;
    if (prop.exclusiveMinimum !== undefined && value <= prop.exclusiveMinimum) return false;
    if (prop.exclusiveMaximum !== undefined && value >= prop.exclusiveMaximum) return false;
  }
  if (typeof value === 'string') {
    if (prop.maxLength !== undefined && value.length > prop.maxLength) return false;
    if (prop['x-kind'] === 'color' && !isHexColour(value)) return false;
    if (prop.pattern !== undefined) {
      try {
        if (!new RegExp(prop.pattern, 'u').test(value)) return false;
      } catch {
        // A pattern JavaScript cannot compile is left to the server.
      }
    }
  }
  return true;
}

/** Values that differ from the defaults (what a share link carries). Saved configurations
 * come from the server as any JSON values: they are compared and kept as they are. */
export function nonDefaultValues<V>(schema: ConfigSchema, values: Readonly<Record<string, V>>): Record<string, V> {
  const defaults = defaultConfig(schema);
  const out: Record<string, V> = {};
  for (const key of Object.keys(schema.properties ?? {})) {
    if (key in values && !sameValue(values[key], defaults[key])) out[key] = values[key];
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && a.startsWith('#') && b.startsWith('#')) {
    return a.toLowerCase() === b.toLowerCase();
  }
  return a === b;
}

/** One string per distinct configuration: keys sorted, so key order never matters. */
export function configKey(values: ConfigData): string {
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
}
