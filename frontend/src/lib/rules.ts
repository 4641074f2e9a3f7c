/** Client-side check of the schema's rules (`allOf` entries with `if`/`then`/`else` and an
 * `x-message`), so a configuration that breaks one is explained next to its field before
 * anything is sent. Covers the keywords templates use: properties, required, const, enum,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, type, pattern, and allOf/anyOf/not
 * inside a rule. The server validates again with a full JSON Schema validator. */
import type { ConfigData, ConfigSchema, ConfigValue, PropertySchema, RuleSchema, SubSchema } from '../types/configSchema';
import { labelFor } from './schemaControls';
import { DEFAULT_LENGTH_UNIT, formatDisplay, isLength, numberDisplayUnit, type DisplayUnit, type LengthUnit } from './units';
import { defaultConfig, isValidValue, schemaTypes } from './values';

export interface RuleFix {
  key: string;
  value: ConfigValue;
}

export interface RuleViolation {
  /** Index of the rule in the schema's `allOf`. */
  rule: number;
  message: string;
  /** Keys of the values the rule asks to change (where the message is shown). */
  keys: string[];
  /** Keys the rule's condition looked at (the values that triggered it). */
  triggers: string[];
  /** One-click repairs, when the rule names the one value it wants. */
  fixes: RuleFix[];
}

/** Keys whose value (or absence) makes `schema` fail for `config`; empty when it holds. */
export function failingKeys(schema: SubSchema, config: ConfigData): string[] {
  const failing = new Set<string>();
  for (const key of schema.required ?? []) {
    if (config[key] === undefined) failing.add(key);
  }
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    // As in JSON Schema, `properties` only constrain values that are present.
    if (config[key] !== undefined && !isValidValue(prop, config[key])) failing.add(key);
  }
  for (const part of schema.allOf ?? []) failingKeys(part, config).forEach((k) => failing.add(k));
  if (schema.anyOf && schema.anyOf.length > 0) {
    const failures = schema.anyOf.map((part) => failingKeys(part, config));
    if (failures.every((f) => f.length > 0)) failures.flat().forEach((k) => failing.add(k));
  }
  if (schema.not && matches(schema.not, config)) keysOf(schema.not).forEach((k) => failing.add(k));
  return [...failing];
}

export function matches(schema: SubSchema, config: ConfigData): boolean {
  return failingKeys(schema, config).length === 0;
}

function keysOf(schema: SubSchema): string[] {
  const keys = new Set<string>([...(schema.required ?? []), ...Object.keys(schema.properties ?? {})]);
  for (const part of [...(schema.allOf ?? []), ...(schema.anyOf ?? [])]) keysOf(part).forEach((k) => keys.add(k));
  if (schema.not) keysOf(schema.not).forEach((k) => keys.add(k));
  return [...keys];
}

function fixFor(key: string, prop: PropertySchema | undefined): RuleFix | null {
  if (!prop) return null;
  if (prop.const !== undefined) return { key, value: prop.const };
  if (prop.enum && prop.enum.length === 1) return { key, value: prop.enum[0] };
  return null;
}

/** A value in a sentence: Yes/No for booleans, numbers as their field shows them (lengths
 * in the shopper's unit, shares as %). */
function wordFor(value: ConfigValue, prop: PropertySchema | undefined, lengthUnit: LengthUnit): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number' && prop && schemaTypes(prop).includes('number')) {
    return formatDisplay(value, numberDisplayUnit(prop, lengthUnit));
  }
  return String(value);
}

function describe(keys: string[], branch: SubSchema, schema: ConfigSchema, lengthUnit: LengthUnit): string {
  const parts = keys.map((key) => {
    const property = schema.properties[key];
    const title = labelFor(key, property);
    const prop = branch.properties?.[key];
    if (prop?.const !== undefined) return `${title} must be ${wordFor(prop.const, property, lengthUnit)}`;
    if (prop?.enum) return `${title} must be one of ${prop.enum.map((v) => wordFor(v, property, lengthUnit)).join(', ')}`;
    return `${title} is not allowed here`;
  });
  return parts.join('; ') || 'This combination is not allowed';
}

/** The unit a length property's field shows (in `lengthUnit`, mm for small parts in cm); null for other properties. */
function lengthUnitOf(prop: PropertySchema, lengthUnit: LengthUnit): DisplayUnit | null {
  return isLength(prop) ? numberDisplayUnit(prop, lengthUnit) : null;
}

/** "wider than 0.9 m" → "wider than 90 cm": lengths in metres in a rule's message, in the unit
 * the fields show. Other numbers (and millimetres) are left alone. */
export function metresInUnits(message: string, unit: DisplayUnit): string {
  return message.replace(/(\d+(?:\.\d+)?)\s?m\b/g, (_, number: string) => formatDisplay(Number(number), unit));
}

/** The display unit of the first length the rule looks at (its condition's, then the ones it asks to change). */
function messageUnit(keys: string[], schema: ConfigSchema, lengthUnit: LengthUnit): DisplayUnit | null {
  for (const key of keys) {
    const prop = schema.properties[key];
    const unit = prop ? lengthUnitOf(prop, lengthUnit) : null;
    if (unit) return unit;
  }
  return null;
}

/** True when both lists report the same violations (to keep showing the list already shown). */
export function sameViolations(a: readonly RuleViolation[], b: readonly RuleViolation[]): boolean {
  return a === b || (a.length === b.length && JSON.stringify(a) === JSON.stringify(b));
}

/** Every rule the configuration breaks, with the message the template author wrote (its
 * lengths in `lengthUnit`, the unit the fields show). */
export function evaluateRules(schema: ConfigSchema, config: ConfigData, lengthUnit: LengthUnit = DEFAULT_LENGTH_UNIT): RuleViolation[] {
  const violations: RuleViolation[] = [];
  (schema.allOf ?? []).forEach((rule: RuleSchema, index) => {
    let branch: SubSchema | undefined;
    let triggers: string[] = [];
    if (rule.if) {
      const holds = matches(rule.if, config);
      branch = holds ? rule.then : rule.else;
      triggers = keysOf(rule.if);
    } else {
      branch = rule as SubSchema; // a plain fragment: the configuration must match it
    }
    if (!branch) return;
    const keys = failingKeys(branch, config);
    if (keys.length === 0) return;
    const authored = rule['x-message'];
    const unit = authored ? messageUnit([...triggers, ...keys], schema, lengthUnit) : null;
    violations.push({
      rule: index,
      message: authored ? (unit ? metresInUnits(authored, unit) : authored) : describe(keys, branch, schema, lengthUnit),
      keys,
      triggers: triggers.filter((k) => !keys.includes(k)),
      fixes: keys.map((k) => fixFor(k, branch.properties?.[k])).filter((f): f is RuleFix => f !== null),
    });
  });
  return violations;
}

/** What the viewer shows while the values break a rule and no model of theirs exists (a
 * share link made before a rule, or edited by hand): the values with the rules' own fixes
 * applied — the nearest valid configuration —, else the product's defaults. */
export interface StandIn {
  values: ConfigData;
  kind: 'nearest' | 'default';
}

const FIX_ROUNDS = 3;

/** A valid configuration to show instead of `config`; null when `config` breaks no rule or
 * nothing valid is found (defaults that break a rule: the template is at fault). */
export function standInFor(schema: ConfigSchema, config: ConfigData): StandIn | null {
  let next = config;
  for (let round = 0; round < FIX_ROUNDS; round++) {
    const violations = evaluateRules(schema, next);
    if (violations.length === 0) return round === 0 ? null : { values: next, kind: 'nearest' };
    const fixes = violations.flatMap((v) => v.fixes);
    if (fixes.length === 0) break;
    next = { ...next, ...Object.fromEntries(fixes.map((f) => [f.key, f.value])) };
  }
  const defaults = defaultConfig(schema);
  return evaluateRules(schema, defaults).length === 0 ? { values: defaults, kind: 'default' } : null;
}
