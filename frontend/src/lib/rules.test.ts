import { describe, expect, it } from 'vitest';
import type { ConfigSchema } from '../types/configSchema';
import { cabinetSchema, fireplaceSchema } from './fixtures.test-data';
import { evaluateRules, matches, metresInUnits, sameViolations, standInFor } from './rules';
import { displayUnitFor } from './units';
import { defaultConfig } from './values';

describe('evaluateRules', () => {
  const cabinet = defaultConfig(cabinetSchema);

  it('finds nothing wrong with the defaults', () => {
    expect(evaluateRules(cabinetSchema, cabinet)).toEqual([]);
  });

  it('reports the author\'s message on the value to change, with a one-click fix', () => {
    const violations = evaluateRules(cabinetSchema, { ...cabinet, width: 1.0, door_count: 1 });
    expect(violations).toEqual([{
      rule: 0,
      message: 'Cabinets wider than 90 cm need two doors: a single door that wide would sag and hit the wall when opened.',
      keys: ['door_count'],
      triggers: ['width'],
      fixes: [{ key: 'door_count', value: 2 }],
    }]);
  });

  it('honours exclusiveMinimum exactly at the boundary', () => {
    expect(evaluateRules(cabinetSchema, { ...cabinet, width: 0.9, door_count: 1 })).toEqual([]);
    expect(evaluateRules(cabinetSchema, { ...cabinet, width: 0.901, door_count: 1 })).toHaveLength(1);
    expect(evaluateRules(cabinetSchema, { ...cabinet, width: 1.2, door_count: 2 })).toEqual([]);
  });

  it('checks boolean consts', () => {
    const fireplace = defaultConfig(fireplaceSchema);
    const [violation] = evaluateRules(fireplaceSchema, { ...fireplace, opening_width: 1.1, hearth: false });
    expect(violation.keys).toEqual(['hearth']);
    expect(violation.fixes).toEqual([{ key: 'hearth', value: true }]);
    expect(violation.message).toMatch(/need a hearth/);
  });

  it('supports else, enum, minimum/maximum, exclusiveMaximum and required, and writes a message when none is given', () => {
    const schema: ConfigSchema = {
      properties: {
        style: { type: 'string', enum: ['Box', 'Curved', 'Pyramid'], title: 'Style' },
        width: { type: 'number' },
        height: { type: 'number' },
      },
      allOf: [
        {
          if: { properties: { style: { enum: ['Curved'] } }, required: ['style'] },
          then: { properties: { width: { minimum: 0.8, maximum: 1.0 } } },
          else: { properties: { height: { exclusiveMaximum: 1 } } },
          'x-message': 'Curved hoods come 80–100 cm wide.',
        },
        { if: { properties: { width: { maximum: 0.7 } } }, then: { properties: { style: { enum: ['Box'] } } } },
      ],
    };
    expect(evaluateRules(schema, { style: 'Curved', width: 0.9, height: 2 })).toEqual([]);
    expect(evaluateRules(schema, { style: 'Curved', width: 1.1, height: 0.5 })[0].message).toBe('Curved hoods come 80–100 cm wide.');
    expect(evaluateRules(schema, { style: 'Box', width: 0.9, height: 1 })[0].keys).toEqual(['height']);
    const [narrow] = evaluateRules(schema, { style: 'Pyramid', width: 0.6, height: 0.5 });
    expect(narrow).toMatchObject({ message: 'Style must be one of Box', keys: ['style'], fixes: [{ key: 'style', value: 'Box' }] });
  });

  it('does not apply an if whose required key is missing', () => {
    expect(matches({ properties: { width: { exclusiveMinimum: 0.9 } }, required: ['width'] }, {})).toBe(false);
    expect(matches({ properties: { width: { exclusiveMinimum: 0.9 } } }, {})).toBe(true);
  });
});

describe('sameViolations', () => {
  const cabinet = defaultConfig(cabinetSchema);

  it('tells the same violations from different ones', () => {
    const wide = evaluateRules(cabinetSchema, { ...cabinet, width: 1.0, door_count: 1 });
    const wider = evaluateRules(cabinetSchema, { ...cabinet, width: 1.1, door_count: 1 });
    expect(wide).not.toBe(wider);
    expect(sameViolations(wide, wider)).toBe(true);
    expect(sameViolations([], evaluateRules(cabinetSchema, cabinet))).toBe(true);
    expect(sameViolations(wide, [])).toBe(false);
    expect(sameViolations(wide, [{ ...wide[0], fixes: [] }])).toBe(false);
  });
});

describe('rule messages in the fields\' units', () => {
  const cm = displayUnitFor('m', 0.3, 1.2);
  const mm = displayUnitFor('m', 0.01, 0.05);

  it('rewrites lengths in metres in the unit the fields show', () => {
    expect(metresInUnits('wider than 0.9 m need two doors', cm)).toBe('wider than 90 cm need two doors');
    expect(metresInUnits('openings wider than 1.0 m need a hearth', cm)).toBe('openings wider than 100 cm need a hearth');
    expect(metresInUnits('between 0.6m and 1.25 m', cm)).toBe('between 60 cm and 125 cm');
    expect(metresInUnits('thicker than 0.02 m', mm)).toBe('thicker than 20 mm');
  });

  it('leaves other numbers and units alone', () => {
    expect(metresInUnits('at most 3 shelves, 18 mm boards, 2 min', cm)).toBe('at most 3 shelves, 18 mm boards, 2 min');
  });

  it('uses the unit of the length the rule looks at', () => {
    const fireplace = { ...defaultConfig(fireplaceSchema), opening_width: 1.1, hearth: false };
    const [violation] = evaluateRules(fireplaceSchema, fireplace);
    expect(violation.message).toMatch(/wider than 100 cm need a hearth/);
  });

  it('words a rule without a message with sentence-case labels and Yes/No', () => {
    const schema: ConfigSchema = {
      type: 'object',
      properties: { lights: { type: 'boolean', title: 'Cabinet Lights', default: true }, width: { type: 'number', 'x-unit': 'm', default: 1 } },
      allOf: [{ if: { properties: { width: { minimum: 0.9 } } }, then: { properties: { lights: { const: true } } } }],
    } as ConfigSchema;
    const [violation] = evaluateRules(schema, { lights: false, width: 1 });
    expect(violation.message).toBe('Cabinet lights must be Yes');
  });
});

describe('rule messages in the shopper\'s length unit', () => {
  const wide = { ...defaultConfig(cabinetSchema), width: 1.0, door_count: 1 };

  it('words the lengths of a message in the unit the fields show', () => {
    expect(evaluateRules(cabinetSchema, wide, 'cm')[0].message).toMatch(/^Cabinets wider than 90 cm need two doors/);
    expect(evaluateRules(cabinetSchema, wide, 'mm')[0].message).toMatch(/^Cabinets wider than 900 mm need two doors/);
    expect(evaluateRules(cabinetSchema, wide, 'in')[0].message).toMatch(/^Cabinets wider than 35.43 in need two doors/);
  });

  it('words a rule\'s own values as the fields show them', () => {
    const schema: ConfigSchema = {
      type: 'object',
      properties: {
        depth: { type: 'number', 'x-unit': 'm', minimum: 0.3, maximum: 0.9, default: 0.6 },
        handle: { type: 'number', 'x-format': 'percent', minimum: 0, maximum: 1, default: 1 },
        glass: { type: 'boolean', default: false },
      },
      allOf: [{ if: { properties: { glass: { const: true } }, required: ['glass'] },
        then: { properties: { depth: { const: 0.5 }, handle: { const: 0.5 } } } }],
    } as ConfigSchema;
    const [violation] = evaluateRules(schema, { depth: 0.6, handle: 1, glass: true }, 'in');
    expect(violation.message).toBe('Depth must be 19.69 in; Handle must be 50%');
  });
});

describe('standInFor', () => {
  const cabinet = defaultConfig(cabinetSchema);

  it('needs none while no rule is broken', () => {
    expect(standInFor(cabinetSchema, cabinet)).toBeNull();
  });

  it('offers the nearest valid configuration: the link\'s values with the rules\' fixes applied', () => {
    const link = { ...cabinet, width: 1.0, door_count: 1, carcass_finish: 'Oak' };
    expect(standInFor(cabinetSchema, link)).toEqual({ kind: 'nearest', values: { ...link, door_count: 2 } });
  });

  it('falls back to the defaults when no rule names the value it wants', () => {
    const schema: ConfigSchema = {
      type: 'object',
      properties: { width: { type: 'number', 'x-unit': 'm', minimum: 0.3, maximum: 1.2, default: 0.6 },
        shelves: { type: 'integer', minimum: 0, maximum: 4, default: 1 } },
      allOf: [{ if: { properties: { width: { minimum: 1 } }, required: ['width'] }, then: { properties: { shelves: { minimum: 2 } } } }],
    } as ConfigSchema;
    expect(standInFor(schema, { width: 1.1, shelves: 1 })).toEqual({ kind: 'default', values: { width: 0.6, shelves: 1 } });
  });

  it('offers nothing when the defaults break a rule too', () => {
    const schema: ConfigSchema = {
      type: 'object',
      properties: { shelves: { type: 'integer', minimum: 0, maximum: 4, default: 1 } },
      allOf: [{ properties: { shelves: { minimum: 2 } } }],
    } as unknown as ConfigSchema;
    expect(standInFor(schema, { shelves: 0 })).toBeNull();
  });
});
