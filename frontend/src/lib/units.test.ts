import { describe, expect, it } from 'vitest';
import {
  DEGREES, displayUnitFor, formatDisplay, formatLengthNumber, fromDisplay, fromDisplayWithin, isFraction, isLength,
  lengthDisplayUnit, niceStep, numberDisplayUnit, PERCENT_OF_FRACTION, toDisplay,
} from './units';

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

  it('picks 1-2-5 steps', () => {
    expect(niceStep(0.9)).toBe(1);
    expect(niceStep(0.2)).toBe(0.2);
    expect(niceStep(0.15)).toBe(0.2);
    expect(niceStep(0.01)).toBe(0.01);
    expect(niceStep(3)).toBe(5);
  });
});

describe('fractions as percentages', () => {
  it('takes a number as a fraction when the template says so (x-format percent, x-unit fraction), not from its range', () => {
    expect(isFraction({ 'x-format': 'percent' })).toBe(true);
    expect(isFraction({ 'x-unit': 'fraction' })).toBe(true);
    expect(isFraction({})).toBe(false);
    expect(numberDisplayUnit({ minimum: 0, maximum: 1 }).symbol).toBe('');
    expect(numberDisplayUnit({ 'x-format': 'percent', minimum: 0, maximum: 1 })).toBe(PERCENT_OF_FRACTION);
  });

  it('leaves lengths and percentages already in 0–100 alone', () => {
    expect(isFraction({ 'x-unit': 'm' })).toBe(false);
    expect(isFraction({ 'x-unit': '%' })).toBe(false);
    expect(formatDisplay(40, numberDisplayUnit({ 'x-unit': '%', minimum: 0, maximum: 100 }))).toBe('40%');
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

describe('x-format', () => {
  it('shows an angle held in radians in whole degrees, and sends radians that read back the same', () => {
    const angle = numberDisplayUnit({ 'x-format': 'angle', minimum: 0, maximum: Math.PI / 2 });
    expect(angle).toBe(DEGREES);
    expect(formatDisplay(Math.PI / 4, angle)).toBe('45°');
    expect(fromDisplay(45, angle)).toBe(0.785);
    for (let v = 0; v <= 90; v += 1) expect(toDisplay(fromDisplay(v, angle), angle)).toBe(v);
  });

  it('takes x-format length as metres and plain as the number it is', () => {
    expect(isLength({ 'x-format': 'length' })).toBe(true);
    expect(isLength({ 'x-unit': 'm', 'x-format': 'plain' })).toBe(false);
    expect(numberDisplayUnit({ 'x-format': 'length', minimum: 0.3, maximum: 1.2 }, 'mm').symbol).toBe('mm');
    expect(formatDisplay(0.5, numberDisplayUnit({ 'x-format': 'plain', minimum: 0, maximum: 1 }))).toBe('0.5');
    expect(formatDisplay(0.5, numberDisplayUnit({ 'x-format': 'unheard-of', minimum: 0, maximum: 1 }))).toBe('0.5');
  });
});

describe('the shopper\'s length unit', () => {
  const width = { 'x-unit': 'm', minimum: 0.3, maximum: 1.2 };

  it('shows a length in cm, mm or inches with a millimetre of precision and a sensible slider step', () => {
    expect(numberDisplayUnit(width, 'cm')).toEqual({ symbol: 'cm', factor: 100, decimals: 1, sliderStep: 1 });
    expect(numberDisplayUnit(width, 'mm')).toEqual({ symbol: 'mm', factor: 1000, decimals: 0, sliderStep: 10 });
    const inches = numberDisplayUnit(width, 'in');
    expect(inches).toMatchObject({ symbol: 'in', decimals: 2, sliderStep: 0.5 });
    expect(formatDisplay(0.6, numberDisplayUnit(width, 'cm'))).toBe('60 cm');
    expect(formatDisplay(0.6, numberDisplayUnit(width, 'mm'))).toBe('600 mm');
    expect(formatDisplay(0.6, inches)).toBe('23.62 in');
  });

  it('keeps small parts in mm when the shopper reads cm, one decimal finer in every unit', () => {
    const thickness = { 'x-unit': 'm', minimum: 0.012, maximum: 0.04 };
    expect(numberDisplayUnit(thickness, 'cm')).toMatchObject({ symbol: 'mm', decimals: 1 });
    expect(numberDisplayUnit(thickness, 'mm')).toMatchObject({ symbol: 'mm', decimals: 1 });
    expect(numberDisplayUnit(thickness, 'in')).toMatchObject({ symbol: 'in', decimals: 3 });
  });

  it('sends what an inch value means, and reads it back as typed', () => {
    const inches = lengthDisplayUnit('in', 0.3, 1.2);
    expect(fromDisplay(23.62, inches)).toBe(0.59995);
    for (let v = 1181; v <= 4724; v += 7) expect(toDisplay(fromDisplay(v / 100, inches), inches)).toBe(v / 100);
  });

  it('lands on a bound exactly when the value shown is the bound', () => {
    const inches = lengthDisplayUnit('in', 0.3, 1.2);
    expect(toDisplay(1.2, inches)).toBe(47.24);
    expect(fromDisplay(47.24, inches)).not.toBe(1.2);
    expect(fromDisplayWithin(47.24, inches, 0.3, 1.2)).toBe(1.2);
    expect(fromDisplayWithin(11.81, inches, 0.3, 1.2)).toBe(0.3);
    expect(fromDisplayWithin(20, inches, 0.3, 1.2)).toBe(0.508);
  });

  it('reads out dimensions in the unit without the symbol', () => {
    expect(formatLengthNumber(0.805, 'cm')).toBe('80.5');
    expect(formatLengthNumber(0.805, 'mm')).toBe('805');
    expect(formatLengthNumber(0.805, 'in')).toBe('31.7');
    expect(formatLengthNumber(0.6, 'in')).toBe('23.6');
  });

  it('keeps cm for callers that name no unit', () => {
    expect(displayUnitFor('m', 0.3, 1.2)).toEqual(numberDisplayUnit(width, 'cm'));
  });
});
