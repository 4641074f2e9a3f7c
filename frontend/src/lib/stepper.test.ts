import { describe, expect, it } from 'vitest';
import { parseStepperText, stepperRangeText } from './stepper';

describe('parseStepperText', () => {
  const bounds = { minimum: 0, maximum: 3 };

  it('accepts a whole number in range, with spaces around it', () => {
    expect(parseStepperText(' 2 ', bounds)).toBe(2);
    expect(parseStepperText('0', bounds)).toBe(0);
  });

  it('refuses empty text, fractions, words and values out of range', () => {
    for (const raw of ['', '  ', '1.5', 'two', '4', '-1']) expect(parseStepperText(raw, bounds)).toBeNull();
  });

  it('allows any whole number when there are no bounds', () => {
    expect(parseStepperText('-40', {})).toBe(-40);
  });
});

describe('stepperRangeText', () => {
  it('names the bounds the schema gives', () => {
    expect(stepperRangeText({ minimum: 0, maximum: 3 })).toBe('Enter a whole number from 0 to 3.');
    expect(stepperRangeText({ minimum: 1 })).toBe('Enter a whole number of at least 1.');
    expect(stepperRangeText({ maximum: 9 })).toBe('Enter a whole number of at most 9.');
    expect(stepperRangeText({})).toBe('Enter a whole number.');
  });
});
