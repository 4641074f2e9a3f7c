/** Reading a version's compatibility report (`GET /api/v1/products/{id}/versions/{n}/compatibility`)
 * for people: its changes as lines, breaking ones first; one-sentence summaries of the changes
 * and of the saved configurations the version would refuse, with an example's first problem;
 * and which versions a version can be compared with. Pure: the admin's Versions dialog and the
 * Replace template dialog show what these return (pages/admin/CompatibilityReport). */
import type { IncompatibleConfiguration, ProductVersion, SchemaChange, SchemaChangeKind, VersionCompatibility } from '../types/api';
import { pointerPath } from './problems';

export const CHANGE_LABELS: Record<SchemaChangeKind, string> = {
  added: 'Added',
  removed: 'Removed',
  renamed: 'Renamed',
  type_changed: 'Type changed',
  range_narrowed: 'Range narrowed',
  range_widened: 'Range widened',
  options_removed: 'Options removed',
  options_added: 'Options added',
  default_changed: 'Default changed',
  unit_changed: 'Unit changed',
  format_changed: 'Format changed',
  rules_changed: 'Rules changed',
};

export interface ChangeLine {
  /** Unique among the report's lines (a React key). */
  id: string;
  kind: SchemaChangeKind;
  /** "Range narrowed"; the kind itself for one this app does not know yet. */
  label: string;
  /** The parameter's key (its new one when renamed); null for the rules. */
  parameter: string | null;
  /** The server's message, as a sentence. */
  text: string;
  breaking: boolean;
}

/** "v3". */
export function versionLabel(schemaVersion: number): string {
  return `v${schemaVersion}`;
}

/** First letter up, a full stop at the end unless it has one. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The changes as lines: the breaking ones first, each group in the server's order (the newer
 * version's parameters in order, then the removed ones, then the rules). */
export function changeLines(changes: readonly SchemaChange[]): ChangeLine[] {
  const lines = changes.map((change, index): ChangeLine => ({
    id: `${index}:${change.kind}:${change.key ?? ''}`,
    kind: change.kind,
    label: CHANGE_LABELS[change.kind] ?? change.kind,
    parameter: change.key,
    text: asSentence(change.message || `${CHANGE_LABELS[change.kind] ?? change.kind}${change.key ? ` '${change.key}'` : ''}`),
    breaking: change.breaking,
  }));
  return [...lines.filter((line) => line.breaking), ...lines.filter((line) => !line.breaking)];
}

/** The report's heading: "v3 compared with v2", or "v1" when there is nothing before it. */
export function reportTitle(report: Pick<VersionCompatibility, 'schema_version' | 'compared_to'>): string {
  const version = versionLabel(report.schema_version);
  return report.compared_to === null ? version : `${version} compared with ${versionLabel(report.compared_to)}`;
}

/** One sentence on the changes. */
export function changesSummary(report: Pick<VersionCompatibility, 'schema_version' | 'compared_to' | 'changes'>): string {
  if (report.compared_to === null) {
    return report.schema_version === 1
      ? 'First version: nothing to compare.'
      : 'First version kept (the older ones are no longer stored): nothing to compare.';
  }
  const since = versionLabel(report.compared_to);
  const total = report.changes.length;
  if (total === 0) return `No changes to the parameters since ${since}.`;
  const breaking = report.changes.filter((change) => change.breaking).length;
  const changes = plural(total, 'change', 'changes');
  if (breaking === 0) return `${changes} since ${since}, none of them breaking.`;
  if (breaking === total) return `${changes} since ${since}, ${total === 1 ? 'and it is breaking' : 'all of them breaking'}.`;
  return `${changes} since ${since}, ${breaking} of them breaking.`;
}

/** "3 of 40 saved configurations would no longer validate." and the like. */
export function configurationsSummary(report: Pick<VersionCompatibility, 'configurations'>): string {
  const { total, invalid } = report.configurations;
  if (total === 0) return 'There are no saved configurations of this product to check.';
  if (invalid === 0) {
    return total === 1 ? 'The one saved configuration still validates.' : `All ${total} saved configurations still validate.`;
  }
  return `${invalid} of ${plural(total, 'saved configuration', 'saved configurations')} would no longer validate.`;
}

export interface ExampleLine {
  id: string;
  name: string;
  /** Where its first problem is ("width", "trim › colour"); null: the configuration as a whole. */
  where: string | null;
  /** Its first problem, as a sentence. */
  message: string;
  code: string | null;
  /** How many more problems it has. */
  more: number;
}

/** Each example configuration with its first problem. */
export function exampleLines(examples: readonly IncompatibleConfiguration[]): ExampleLine[] {
  return examples.map((example) => {
    const [first] = example.errors;
    return {
      id: example.id,
      name: example.name.trim() || 'Unnamed configuration',
      where: pointerPath(first?.pointer),
      message: first ? asSentence(first.message) : 'Refused.',
      code: first?.code || null,
      more: Math.max(0, example.errors.length - 1),
    };
  });
}

/** Refused configurations the examples leave out. */
export function unlistedCount(report: Pick<VersionCompatibility, 'configurations'>): number {
  return Math.max(0, report.configurations.invalid - report.configurations.examples.length);
}

export type Verdict = 'first' | 'breaking' | 'refuses' | 'compatible';

/** The report in a word: the first version; breaking changes; no breaking change but saved
 * configurations it refuses (ones that were already invalid, say); or compatible. */
export function verdict(report: Pick<VersionCompatibility, 'compared_to' | 'breaking' | 'changes' | 'configurations'>): Verdict {
  if (report.breaking || report.changes.some((change) => change.breaking)) return 'breaking';
  if (report.configurations.invalid > 0) return 'refuses';
  return report.compared_to === null ? 'first' : 'compatible';
}

/** The versions older than `schemaVersion`, newest first: what it can be compared with. */
export function olderVersions(versions: readonly ProductVersion[], schemaVersion: number): ProductVersion[] {
  return versions.filter((v) => v.schema_version < schemaVersion).sort((a, b) => b.schema_version - a.schema_version);
}

/** The version the server compares `schemaVersion` with by default: the newest stored one before it. */
export function previousVersion(versions: readonly ProductVersion[], schemaVersion: number): number | null {
  return olderVersions(versions, schemaVersion)[0]?.schema_version ?? null;
}
