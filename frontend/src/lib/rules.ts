/** Client-side check of the schema's rules (`allOf` entries with `if`/`then`/`else` and an
 * `x-message`), so a configuration that breaks one is explained next to its field before
 * anything is sent. Covers the keywords templates use: properties, required, const, enum,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, type, pattern, and allOf/anyOf/not
 * inside a rule. The server validates again with a full JSON Schema validator. */
import type { ConfigData, ConfigSchema, ConfigValue, PropertySchema, RuleSchema, SubSchema } from '../types/configSchema';
import { isValidValue } from './values';

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

function describe(keys: string[], branch: SubSchema, schema: ConfigSchema): string {
  const parts = keys.map((key) => {
    const title = schema.properties[key]?.title ?? key;
    const prop = branch.properties?.[key];
    if (prop?.const !== undefined) return `${title} must be ${String(prop.const)}`;
    if (prop?.enum) return `${title} must be one of ${prop.enum.join(', ')}`;
    return `${title} is not allowed here`;
  });
  return parts.join('; ') || 'This combination is not allowed';
}

/** True when both lists report the same violations (to keep showing the list already shown). */
export function sameViolations(a: readonly RuleViolation[], b: readonly RuleViolation[]): boolean {
  return a === b || (a.length === b.length && JSON.stringify(a) === JSON.stringify(b));
}

/** Every rule the configuration breaks, with the message the template author wrote. */
export function evaluateRules(schema: ConfigSchema, config: ConfigData): RuleViolation[] {
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
    violations.push({
      rule: index,
      message: rule['x-message'] ?? describe(keys, branch, schema),
      keys,
      triggers: triggers.filter((k) => !keys.includes(k)),
      fixes: keys.map((k) => fixFor(k, branch.properties?.[k])).filter((f): f is RuleFix => f !== null),
    });
  });
  return violations;
}
