/** The integer stepper's field: what a typed text means, and what to say when it is refused. */
import type { IntegerControl } from './schemaControls';

type Bounds = Pick<IntegerControl, 'minimum' | 'maximum'>;

/** The typed text as an allowed whole number, or null (empty, not a whole number, out of range). */
export function parseStepperText(raw: string, { minimum, maximum }: Bounds): number | null {
  const trimmed = raw.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  if (!Number.isInteger(n)) return null;
  if ((minimum !== undefined && n < minimum) || (maximum !== undefined && n > maximum)) return null;
  return n;
}

/** "Enter a whole number from 0 to 3." */
export function stepperRangeText({ minimum, maximum }: Bounds): string {
  if (minimum !== undefined && maximum !== undefined) return `Enter a whole number from ${minimum} to ${maximum}.`;
  if (minimum !== undefined) return `Enter a whole number of at least ${minimum}.`;
  if (maximum !== undefined) return `Enter a whole number of at most ${maximum}.`;
  return 'Enter a whole number.';
}
