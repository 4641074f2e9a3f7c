import { describe, expect, it } from 'vitest';
import {
  asSentence, CHANGE_LABELS, changeLines, changesSummary, configurationsSummary, exampleLines, olderVersions, previousVersion,
  reportTitle, unlistedCount, verdict,
} from './compatibility';
import type { ProductVersion, SchemaChange, VersionCompatibility } from '../types/api';

const change = (kind: SchemaChange['kind'], key: string | null, breaking: boolean, message = `${kind} ${key}`): SchemaChange =>
  ({ kind, key, from: null, to: null, message, breaking });

function report(overrides: Partial<VersionCompatibility> = {}): VersionCompatibility {
  return {
    product_id: 'p-1',
    schema_version: 2,
    compared_to: 1,
    changes: [],
    breaking: false,
    configurations: { total: 0, invalid: 0, examples: [] },
    ...overrides,
  };
}

const version = (n: number): ProductVersion => ({
  schema_version: n, template_version: `${n}`.repeat(64), created_at: '2030-01-01T00:00:00Z', parameter_count: 3,
});

describe('compatibility report: changes', () => {
  it('puts the breaking changes first, each group in the server\'s order', () => {
    const lines = changeLines([
      change('range_widened', 'width', false),
      change('removed', 'trim', true),
      change('default_changed', 'height', false),
      change('rules_changed', null, true),
    ]);
    expect(lines.map((line) => [line.kind, line.breaking])).toEqual([
      ['removed', true], ['rules_changed', true], ['range_widened', false], ['default_changed', false],
    ]);
    expect(new Set(lines.map((line) => line.id)).size).toBe(4);
    expect(lines[1].parameter).toBeNull();
  });

  it('labels every kind and makes the server\'s message a sentence', () => {
    expect(Object.keys(CHANGE_LABELS).sort()).toEqual([
      'added', 'default_changed', 'format_changed', 'options_added', 'options_removed', 'range_narrowed', 'range_widened', 'removed', 'renamed',
      'rules_changed', 'type_changed', 'unit_changed',
    ]);
    const [line] = changeLines([change('range_narrowed', 'width', true, "'width' (Width): 0–10 is now 0–5")]);
    expect(line.label).toBe('Range narrowed');
    expect(line.text).toBe("'width' (Width): 0–10 is now 0–5.");
    expect(changeLines([change('added', 'colour', false, 'new parameter \'colour\', default "#ffffff"')])[0].text)
      .toBe('New parameter \'colour\', default "#ffffff".');
    expect(changeLines([change('removed', 'trim', true, '')])[0].text).toBe("Removed 'trim'.");
  });

  it('writes sentences', () => {
    expect(asSentence('  refused ')).toBe('Refused.');
    expect(asSentence('Done!')).toBe('Done!');
    expect(asSentence('(see the rules)')).toBe('(see the rules)');
    expect(asSentence('')).toBe('');
  });

  it('titles and sums up the changes', () => {
    expect(reportTitle(report())).toBe('v2 compared with v1');
    expect(reportTitle(report({ schema_version: 1, compared_to: null }))).toBe('v1');
    expect(changesSummary(report({ schema_version: 1, compared_to: null }))).toBe('First version: nothing to compare.');
    expect(changesSummary(report({ schema_version: 7, compared_to: null }))).toMatch(/^First version kept .*nothing to compare\.$/);
    expect(changesSummary(report())).toBe('No changes to the parameters since v1.');
    expect(changesSummary(report({ changes: [change('default_changed', 'a', false)] }))).toBe('1 change since v1, none of them breaking.');
    expect(changesSummary(report({ changes: [change('removed', 'a', true)] }))).toBe('1 change since v1, and it is breaking.');
    expect(changesSummary(report({ changes: [change('removed', 'a', true), change('renamed', 'b', true)] })))
      .toBe('2 changes since v1, all of them breaking.');
    expect(changesSummary(report({ schema_version: 5, compared_to: 3, changes: [change('removed', 'a', true), change('added', 'b', false)] })))
      .toBe('2 changes since v3, 1 of them breaking.');
  });

  it('gives a verdict', () => {
    expect(verdict(report({ breaking: true, changes: [change('removed', 'a', true)] }))).toBe('breaking');
    expect(verdict(report({ configurations: { total: 3, invalid: 1, examples: [] } }))).toBe('refuses');
    expect(verdict(report({ changes: [change('range_widened', 'a', false)] }))).toBe('compatible');
    expect(verdict(report({ schema_version: 1, compared_to: null }))).toBe('first');
    expect(verdict(report({ schema_version: 1, compared_to: null, configurations: { total: 2, invalid: 2, examples: [] } }))).toBe('refuses');
  });
});

describe('compatibility report: saved configurations', () => {
  it('counts the ones it would refuse', () => {
    const of = (total: number, invalid: number) => configurationsSummary(report({ configurations: { total, invalid, examples: [] } }));
    expect(of(40, 3)).toBe('3 of 40 saved configurations would no longer validate.');
    expect(of(1, 1)).toBe('1 of 1 saved configuration would no longer validate.');
    expect(of(12, 0)).toBe('All 12 saved configurations still validate.');
    expect(of(1, 0)).toBe('The one saved configuration still validates.');
    expect(of(0, 0)).toBe('There are no saved configurations of this product to check.');
  });

  it('shows each example with its first problem, and how many are left out', () => {
    const examples = [
      { id: 'c-1', name: 'Tall door', errors: [
        { pointer: '/height', message: 'must be at most 2.4', code: 'SCHEMA_MAXIMUM' },
        { pointer: '/trim', message: 'unknown parameter', code: 'UNKNOWN_PARAMETER' },
      ] },
      { id: 'c-2', name: '  ', errors: [{ pointer: '', message: 'a rule is not met', code: 'RULE_VIOLATED' }] },
      { id: 'c-3', name: 'Odd', errors: [] },
      { id: 'c-4', name: 'Nested', errors: [{ pointer: '/trim/colour~1hex', message: 'bad colour.', code: '' }] },
    ];
    expect(exampleLines(examples)).toEqual([
      { id: 'c-1', name: 'Tall door', where: 'height', message: 'Must be at most 2.4.', code: 'SCHEMA_MAXIMUM', more: 1 },
      { id: 'c-2', name: 'Unnamed configuration', where: null, message: 'A rule is not met.', code: 'RULE_VIOLATED', more: 0 },
      { id: 'c-3', name: 'Odd', where: null, message: 'Refused.', code: null, more: 0 },
      { id: 'c-4', name: 'Nested', where: 'trim › colour/hex', message: 'Bad colour.', code: null, more: 0 },
    ]);
    expect(unlistedCount(report({ configurations: { total: 50, invalid: 14, examples: examples.slice(0, 4) } }))).toBe(10);
    expect(unlistedCount(report({ configurations: { total: 5, invalid: 2, examples: examples.slice(0, 2) } }))).toBe(0);
  });
});

describe('versions to compare with', () => {
  const versions = [version(5), version(3), version(2)];

  it('are the older ones, newest first; the default is the newest of those', () => {
    expect(olderVersions(versions, 5).map((v) => v.schema_version)).toEqual([3, 2]);
    expect(olderVersions([version(2), version(5), version(3)], 4).map((v) => v.schema_version)).toEqual([3, 2]);
    expect(previousVersion(versions, 5)).toBe(3);
    expect(previousVersion(versions, 3)).toBe(2);
    expect(previousVersion(versions, 2)).toBeNull();
  });
});
