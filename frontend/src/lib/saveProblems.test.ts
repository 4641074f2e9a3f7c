import { describe, expect, it } from 'vitest';
import { ruleProblemText, serverProblemText } from './saveProblems';

describe('ruleProblemText', () => {
  it('says nothing when no rule is broken', () => {
    expect(ruleProblemText([])).toBeNull();
  });

  it('names the broken rule in its own words', () => {
    expect(ruleProblemText([{ message: 'Cabinets wider than 90 cm need two doors' }]))
      .toBe("This configuration can't be saved while it breaks a rule: Cabinets wider than 90 cm need two doors.");
  });

  it('counts and lists several', () => {
    expect(ruleProblemText([{ message: 'A.' }, { message: 'B' }]))
      .toBe("This configuration can't be saved while it breaks 2 rules: A. B.");
  });
});

describe('serverProblemText', () => {
  const labels: Record<string, string> = { door_count: 'Door count' };
  const labelOf = (key: string) => labels[key];

  it('lists each error with the label of the value it is about', () => {
    const errors = [
      { pointer: '/door_count', message: 'Cabinets wider than 90 cm need two doors' },
      { pointer: '', message: 'Something else is wrong.' },
    ];
    expect(serverProblemText('1 problem(s) in the configuration', errors as never, labelOf))
      .toBe('Door count: Cabinets wider than 90 cm need two doors. Something else is wrong.');
  });

  it('falls back to the summary without itemised errors', () => {
    expect(serverProblemText('The server is busy.', [], labelOf)).toBe('The server is busy.');
  });
});
