import { describe, expect, it } from 'vitest';
import { displayUnitFor, formatCentimetres, formatDisplay, fromDisplay, niceStep, toDisplay } from './units';

describe('units', () => {
  const cm = displayUnitFor('m', 0.3, 1.2);

  it('converts metres to cm and back without float noise', () => {
    expect(toDisplay(0.8, cm)).toBe(80);
    expect(fromDisplay(80, cm)).toBe(0.8);
    expect(fromDisplay(80.5, cm)).toBe(0.805);
    expect(fromDisplay(33.3, cm)).toBe(0.333);
    for (let v = 30; v <= 120; v += 1) expect(toDisplay(fromDisplay(v, cm), cm)).toBe(v);
  });

  it('rounds to the precision of the field', () => {
    expect(toDisplay(0.80049, cm)).toBe(80);
    expect(formatDisplay(0.87, cm)).toBe('87 cm');
    expect(formatDisplay(0.8725, displayUnitFor('m', 0.7, 0.9))).toBe('87.3 cm');
  });

  it('reads out metres in centimetres', () => {
    expect(formatCentimetres(0.8)).toBe('80');
    expect(formatCentimetres(0.805)).toBe('80.5');
    expect(formatCentimetres(0.80049)).toBe('80');
    expect(formatCentimetres(1.2345)).toBe('123.5');
  });

  it('picks 1-2-5 steps', () => {
    expect(niceStep(0.9)).toBe(1);
    expect(niceStep(0.2)).toBe(0.2);
    expect(niceStep(0.15)).toBe(0.2);
    expect(niceStep(0.01)).toBe(0.01);
    expect(niceStep(3)).toBe(5);
  });
});
