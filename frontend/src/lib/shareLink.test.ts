import { describe, expect, it } from 'vitest';
import { cabinetSchema, fireplaceSchema } from './fixtures.test-data';
import { configuratorPath, decodeConfig, embedPath, encodeConfig, fromBase64Url, toBase64Url } from './shareLink';
import { defaultConfig } from './values';

describe('share links', () => {
  it('round-trips a configuration exactly', () => {
    const values = { ...defaultConfig(cabinetSchema), width: 0.8, door_count: 2, carcass_finish: 'Oak' };
    const encoded = encodeConfig(cabinetSchema, values);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(fromBase64Url(encoded))).toEqual({ width: 0.8, door_count: 2, carcass_finish: 'Oak' });
    expect(decodeConfig(cabinetSchema, encoded)).toEqual({ values, rejected: [] });
  });

  it('round-trips colours, booleans and non-ASCII text', () => {
    const values = { ...defaultConfig(fireplaceSchema), tile_color: '#a1b2c3', hearth: false };
    expect(decodeConfig(fireplaceSchema, encodeConfig(fireplaceSchema, values)).values).toEqual(values);
    expect(fromBase64Url(toBase64Url('Küche ≥ 90 cm 🪵'))).toBe('Küche ≥ 90 cm 🪵');
  });

  it('encodes the defaults as nothing, giving a clean URL', () => {
    expect(encodeConfig(cabinetSchema, defaultConfig(cabinetSchema))).toBe('');
    expect(configuratorPath('p1', cabinetSchema, defaultConfig(cabinetSchema))).toBe('/configure/p1');
    expect(configuratorPath('p1', cabinetSchema, { ...defaultConfig(cabinetSchema), width: 0.8 })).toBe(
      `/configure/p1?c=${toBase64Url('{"width":0.8}')}`);
  });

  it('keeps the valid values of a link and names the ones that do not fit', () => {
    const encoded = toBase64Url(JSON.stringify({ width: 5, height: 0.8, colour: 'red', door_style: 'Glass' }));
    const { values, rejected } = decodeConfig(cabinetSchema, encoded);
    expect(values).toEqual({ ...defaultConfig(cabinetSchema), height: 0.8 });
    expect(rejected.sort()).toEqual(['colour', 'door_style', 'width']);
  });

  it('falls back to the defaults for a damaged link', () => {
    expect(decodeConfig(cabinetSchema, 'not*base64')).toEqual({ values: defaultConfig(cabinetSchema), rejected: ['*'] });
    expect(decodeConfig(cabinetSchema, toBase64Url('[1,2]')).rejected).toEqual(['*']);
  });
});

describe('embed links', () => {
  it('keep the key and carry the changed values', () => {
    const values = { ...defaultConfig(cabinetSchema), width: 0.8 };
    const path = embedPath('p 1', 'pk_abc', cabinetSchema, values);
    const url = new URL(path, 'https://c.example');
    expect(url.pathname).toBe('/embed/p%201');
    expect(url.searchParams.get('key')).toBe('pk_abc');
    expect(decodeConfig(cabinetSchema, url.searchParams.get('c')).values).toEqual(values);
    expect(embedPath('p1', 'pk_abc', cabinetSchema, defaultConfig(cabinetSchema))).toBe('/embed/p1?key=pk_abc');
    expect(embedPath('p1', null, cabinetSchema, defaultConfig(cabinetSchema))).toBe('/embed/p1');
  });
});
