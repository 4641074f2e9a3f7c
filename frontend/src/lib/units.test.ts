import { describe, expect, it } from 'vitest';
import { displayUnitFor, formatCentimetres, formatDisplay, fromDisplay, isFraction, niceStep, PERCENT_OF_FRACTION, toDisplay } from './units';

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

describe('fractions as percentages', () => {
  it('takes a 0–1 number without a unit, x-format percent and x-unit fraction as fractions', () => {
    expect(isFraction({ minimum: 0, maximum: 1 })).toBe(true);
    expect(isFraction({ 'x-format': 'percent', minimum: 0, maximum: 0.5 })).toBe(true);
    expect(isFraction({ 'x-unit': 'fraction' })).toBe(true);
  });

  it('leaves lengths, percentages already in 0–100 and other ranges alone', () => {
    expect(isFraction({ 'x-unit': 'm', minimum: 0, maximum: 1 })).toBe(false);
    expect(isFraction({ 'x-unit': '%', minimum: 0, maximum: 100 })).toBe(false);
    expect(isFraction({ minimum: 0, maximum: 2 })).toBe(false);
    expect(isFraction({ minimum: 0.1, maximum: 1 })).toBe(false);
    expect(isFraction({})).toBe(false);
  });

  it('shows 0–1 as 0–100 % and sends fractions back', () => {
    const pct = PERCENT_OF_FRACTION;
    expect(formatDisplay(0.5, pct)).toBe('50%');
    expect(formatDisplay(1, pct)).toBe('100%');
    expect(toDisplay(0.375, pct)).toBe(38);
    expect(fromDisplay(75, pct)).toBe(0.75);
    for (let v = 0; v <= 100; v += 1) expect(toDisplay(fromDisplay(v, pct), pct)).toBe(v);
  });
});
