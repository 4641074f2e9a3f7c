import { describe, expect, it } from 'vitest';
import { cabinetSchema, fireplaceSchema } from './fixtures.test-data';
import { controlFor, controlsFromSchema, formatValue, groupControls, labelFor, sentenceCase, type NumberControl } from './schemaControls';

describe('controlsFromSchema', () => {
  it('keeps the authored order of the properties', () => {
    expect(controlsFromSchema(cabinetSchema).map((c) => c.key)).toEqual([
      'width', 'height', 'depth', 'shelf_count', 'door_count', 'handle_position',
      'door_style', 'handle_style', 'carcass_finish', 'handle_finish',
    ]);
  });

  it('maps a length in metres to a slider shown in cm with its bounds and default', () => {
    const width = controlsFromSchema(cabinetSchema)[0] as NumberControl;
    expect(width).toMatchObject({
      kind: 'number', key: 'width', label: 'Width', minimum: 0.3, maximum: 1.2, defaultValue: 0.6,
      slider: true, schemaUnit: 'm',
    });
    expect(width.unit).toEqual({ symbol: 'cm', factor: 100, decimals: 1, sliderStep: 1 });
    expect(width.description).toMatch(/outside of side panel/);
  });

  it('shows small lengths in mm', () => {
    const control = controlFor('thickness', { type: 'number', minimum: 0.012, maximum: 0.04, 'x-unit': 'm' }) as NumberControl;
    expect(control.unit.symbol).toBe('mm');
    expect(control.unit.factor).toBe(1000);
  });

  it('gives a unitless number a step fitting its range', () => {
    const control = controlFor('depth', { type: 'number', minimum: 0, maximum: 2 }) as NumberControl;
    expect(control.unit).toEqual({ symbol: '', factor: 1, decimals: 2, sliderStep: 0.02 });
  });

  it('shows a number without bounds as a field only', () => {
    const control = controlFor('offset', { type: 'number', default: 0 }) as NumberControl;
    expect(control.slider).toBe(false);
  });

  it('maps an integer to a stepper with its bounds', () => {
    expect(controlFor('door_count', cabinetSchema.properties.door_count)).toMatchObject({
      kind: 'integer', minimum: 1, maximum: 2, step: 1, defaultValue: 1,
    });
  });

  it('maps a short enum to segmented buttons and a long one to a select', () => {
    expect(controlFor('door_style', cabinetSchema.properties.door_style)).toMatchObject({
      kind: 'choice', display: 'segmented', defaultValue: 'Shaker',
      options: [{ value: 'Shaker', label: 'Shaker' }, { value: 'Slab', label: 'Slab' }],
    });
    const many = controlFor('leg', { type: 'string', enum: ['Round', 'Square', 'Tapered', 'Hairpin', 'Sled'] });
    expect(many).toMatchObject({ kind: 'choice', display: 'select' });
  });

  it('maps a material enum to swatches coloured from x-swatches', () => {
    const finish = controlFor('carcass_finish', cabinetSchema.properties.carcass_finish);
    expect(finish).toMatchObject({ kind: 'swatch', defaultValue: 'White Matte' });
    expect(finish?.kind === 'swatch' && finish.options).toContainEqual({ value: 'Oak', label: 'Oak', color: '#b5885a' });
  });

  it('gives a material without a swatch colour a neutral one', () => {
    const control = controlFor('finish', { type: 'string', enum: ['A', 'B'], 'x-kind': 'material', 'x-swatches': { A: '#ff0000' } });
    expect(control?.kind === 'swatch' && control.options.map((o) => o.color)).toEqual(['#ff0000', '#9a9a9a']);
  });

  it('maps a colour and a boolean', () => {
    expect(controlFor('tile_color', fireplaceSchema.properties.tile_color)).toMatchObject({ kind: 'color', defaultValue: '#2e5e4e' });
    expect(controlFor('hearth', fireplaceSchema.properties.hearth)).toMatchObject({ kind: 'toggle', defaultValue: true });
  });

  it('maps a free string to a text field and names an untitled key', () => {
    expect(controlFor('engraving_text', { type: 'string', maxLength: 20 })).toMatchObject({
      kind: 'text', label: 'Engraving text', maxLength: 20, defaultValue: '',
    });
  });
});

describe('groupControls', () => {
  it('puts lengths under Size, finishes under Finish and the rest under Options', () => {
    const groups = groupControls(controlsFromSchema(fireplaceSchema));
    expect(groups.map((g) => [g.title, g.controls.map((c) => c.key)])).toEqual([
      ['Size', ['opening_width', 'opening_height', 'border_width']],
      ['Options', ['hearth', 'mantel_style']],
      ['Finish', ['tile_color', 'surround_finish']],
    ]);
  });
});

describe('formatValue', () => {
  it('formats values as a customer reads them', () => {
    const [width] = controlsFromSchema(cabinetSchema);
    expect(formatValue(width, 0.8)).toBe('80 cm');
    expect(formatValue(width, 0.805)).toBe('80.5 cm');
    expect(formatValue(controlFor('hearth', fireplaceSchema.properties.hearth)!, false)).toBe('No');
  });
});

describe('labels', () => {
  it('puts the schema\'s Title Case titles in sentence case', () => {
    expect(controlFor('shelf_count', cabinetSchema.properties.shelf_count)?.label).toBe('Shelf count');
    expect(controlFor('opening_width', fireplaceSchema.properties.opening_width)?.label).toBe('Opening width');
    expect(sentenceCase('Handle Position')).toBe('Handle position');
  });

  it('keeps capitals that mean something: acronyms and mixed case', () => {
    expect(sentenceCase('LED Strip Colour')).toBe('LED strip colour');
    expect(sentenceCase('Fits iPad Stand')).toBe('Fits iPad stand');
    expect(sentenceCase('door width')).toBe('Door width');
  });

  it('builds a label from the key when there is no title', () => {
    expect(labelFor('shelf_count', {})).toBe('Shelf count');
    expect(labelFor('shelf_count', { title: '  ' })).toBe('Shelf count');
    expect(labelFor('x', { title: 'Door Count' })).toBe('Door count');
  });
});

describe('fractions', () => {
  it("shows the cabinet's handle position (x-format percent) as a 0–100 % slider", () => {
    const handle = controlFor('handle_position', cabinetSchema.properties.handle_position) as NumberControl;
    expect(handle.kind).toBe('number');
    expect(handle.slider).toBe(true);
    expect(handle.unit.symbol).toBe('%');
    expect(handle.unit.factor).toBe(100);
    expect(handle.unit.sliderStep).toBe(1);
    expect(formatValue(handle, 0.5)).toBe('50%');
    expect(formatValue(handle, 1)).toBe('100%');
  });

  it('shows a 0–1 number the template gives no format as the number it is', () => {
    const { 'x-format': _format, ...unformatted } = cabinetSchema.properties.handle_position;
    const c = controlFor('handle_position', unformatted) as NumberControl;
    expect(_format).toBe('percent');
    expect(formatValue(c, 0.5)).toBe('0.5');
  });

  it('keeps a number with x-unit "%" as authored', () => {
    const c = controlFor('fill', { type: 'number', minimum: 0, maximum: 100, 'x-unit': '%' }) as NumberControl;
    expect(formatValue(c, 40)).toBe('40%');
  });
});

describe('the shopper\'s length unit', () => {
  it('shows every length of the product in it, and nothing else', () => {
    for (const [unit, symbol, shown] of [['cm', 'cm', '60 cm'], ['mm', 'mm', '600 mm'], ['in', 'in', '23.62 in']] as const) {
      const controls = controlsFromSchema(cabinetSchema, unit);
      const lengths = controls.filter((c): c is NumberControl => c.kind === 'number' && c.length);
      expect(lengths.map((c) => c.key)).toEqual(['width', 'height', 'depth']);
      expect(lengths.every((c) => c.unit.symbol === symbol)).toBe(true);
      expect(formatValue(lengths[0], 0.6)).toBe(shown);
      expect(formatValue(controls.find((c) => c.key === 'handle_position')!, 0.5)).toBe('50%');
    }
  });

  it('groups a length named by x-format with the size', () => {
    const controls = controlsFromSchema({ type: 'object', properties: {
      inset: { type: 'number', minimum: 0, maximum: 0.05, 'x-format': 'length' },
      gloss: { type: 'number', minimum: 0, maximum: 1 },
    } });
    expect(groupControls(controls).map((g) => [g.id, g.controls.map((c) => c.key)])).toEqual([
      ['size', ['inset']], ['options', ['gloss']],
    ]);
  });
});
