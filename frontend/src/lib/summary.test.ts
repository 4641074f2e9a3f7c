import { describe, expect, it } from 'vitest';
import { cabinetSchema, fireplaceSchema } from './fixtures.test-data';
import { controlsFromSchema } from './schemaControls';
import { dimensionsText, summarySections } from './summary';
import { defaultConfig } from './values';

describe('summarySections', () => {
  it('lists every option of the cabinet in words, grouped and ordered as the fields are', () => {
    const values = { ...defaultConfig(cabinetSchema), width: 0.805, door_count: 2, handle_position: 0.5, carcass_finish: 'Oak' };
    const sections = summarySections(controlsFromSchema(cabinetSchema), values);
    expect(sections.map((s) => s.title)).toEqual(['Size', 'Options', 'Finish']);
    expect(Object.fromEntries(sections.flatMap((s) => s.rows).map((r) => [r.label, r.value]))).toEqual({
      Width: '80.5 cm', Height: '87 cm', Depth: '58 cm',
      'Shelf count': '1', 'Door count': '2', 'Handle position': '50%', 'Door style': 'Shaker', 'Handle style': 'Bar Pull',
      'Carcass finish': 'Oak', 'Handle finish': 'Brushed Steel',
    });
  });

  it('words lengths in the shopper\'s unit and switches as Yes/No', () => {
    const values = defaultConfig(fireplaceSchema);
    const rows = summarySections(controlsFromSchema(fireplaceSchema, 'in'), values).flatMap((s) => s.rows);
    const lengths = rows.filter((r) => / in$/.test(r.value));
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    expect(rows.some((r) => r.value === 'Yes' || r.value === 'No')).toBe(true);
    expect(rows.some((r) => / cm$/.test(r.value))).toBe(false);
  });

  it('shows the default of a value the configuration does not hold', () => {
    const rows = summarySections(controlsFromSchema(cabinetSchema), {}).flatMap((s) => s.rows);
    expect(rows.find((r) => r.key === 'width')?.value).toBe('60 cm');
  });
});

describe('dimensionsText', () => {
  it('reads out width, height and depth in the unit', () => {
    expect(dimensionsText([0.6, 0.87, 0.58], 'cm')).toBe('W 60 × H 87 × D 58 cm');
    expect(dimensionsText([0.6, 0.87, 0.58], 'mm')).toBe('W 600 × H 870 × D 580 mm');
    expect(dimensionsText([0.6, 0.87, 0.58], 'in')).toBe('W 23.6 × H 34.3 × D 22.8 in');
  });
});
