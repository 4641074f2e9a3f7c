/** Share links: `?c=` carries the base64url JSON of the values that differ from the
 * defaults, so a link stays short and survives new defaults for untouched values. */
import type { ConfigData, ConfigSchema } from '../types/configSchema';
import { defaultConfig, isValidValue, nonDefaultValues } from './values';

export const SHARE_PARAM = 'c';

export function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  bytes.forEach((b) => (binary += String.fromCharCode(b)));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(encoded: string): string {
  const base64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** '' when every value is the default. */
export function encodeConfig(schema: ConfigSchema, values: Readonly<Record<string, unknown>>): string {
  const changed = nonDefaultValues(schema, values);
  return Object.keys(changed).length ? toBase64Url(JSON.stringify(changed)) : '';
}

export interface DecodedConfig {
  values: ConfigData;
  /** Keys in the link that this product does not have or whose value does not fit it. */
  rejected: string[];
}

/** The complete configuration a link describes: defaults, overridden by the link's valid values. */
export function decodeConfig(schema: ConfigSchema, encoded: string | null | undefined): DecodedConfig {
  const values = defaultConfig(schema);
  const rejected: string[] = [];
  if (!encoded) return { values, rejected };
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(encoded));
  } catch {
    return { values, rejected: ['*'] };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { values, rejected: ['*'] };
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const prop = schema.properties[key];
    if (prop && isValidValue(prop, value)) values[key] = value;
    else rejected.push(key);
  }
  return { values, rejected };
}

/** Path + query of the configurator showing `values`. */
export function configuratorPath(productId: string, schema: ConfigSchema, values: Readonly<Record<string, unknown>>): string {
  const encoded = encodeConfig(schema, values);
  return `/configure/${encodeURIComponent(productId)}${encoded ? `?${SHARE_PARAM}=${encoded}` : ''}`;
}

/** Path + query of the embeddable configurator (`/embed/…?key=…`) showing `values`. */
export function embedPath(productId: string, key: string | null, schema: ConfigSchema, values: Readonly<Record<string, unknown>>): string {
  const params = new URLSearchParams();
  if (key) params.set('key', key);
  const encoded = encodeConfig(schema, values);
  if (encoded) params.set(SHARE_PARAM, encoded);
  const query = params.toString();
  return `/embed/${encodeURIComponent(productId)}${query ? `?${query}` : ''}`;
}
