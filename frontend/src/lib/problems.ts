/** Reading the itemised errors of a problem+json answer for people. */
import type { ProblemError } from '../types/api';

export interface ProblemLine {
  /** What is at fault: the template's datablock ("Object 'Door' › modifier 'GN' › socket 'Width'"),
   * else the JSON pointer's path ("allowed_origins › 1"); null when the error names nothing. */
  where: string | null;
  message: string;
  code: string | null;
}

/** "/allowed_origins/1" → "allowed_origins › 1"; "" → null. Escapes (~1, ~0) undone. */
export function pointerPath(pointer: string | null | undefined): string | null {
  if (!pointer) return null;
  const parts = pointer.replace(/^\//, '').split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.length ? parts.join(' › ') : null;
}

export function problemLines(errors: readonly ProblemError[]): ProblemLine[] {
  return errors.map((e) => ({
    where: e.location?.trim() || pointerPath(e.pointer),
    message: e.message,
    code: e.code || null,
  }));
}
