/** Why a configuration cannot be saved, in words a shopper can act on: the rules it breaks
 * (checked here before sending), else what the server said about each value. */
import type { ProblemError } from '../types/api';

/** "This configuration can't be saved while it breaks a rule: Cabinets wider than 90 cm need two doors." */
export function ruleProblemText(violations: readonly { message: string }[]): string | null {
  if (violations.length === 0) return null;
  const messages = violations.map((v) => sentence(v.message)).join(' ');
  return violations.length === 1
    ? `This configuration can't be saved while it breaks a rule: ${messages}`
    : `This configuration can't be saved while it breaks ${violations.length} rules: ${messages}`;
}

/** The server's itemised errors, each named by the parameter it is about ("Door count: must be 2."),
 * instead of its summary ("1 problem(s) in the configuration"); the summary when it lists none. */
export function serverProblemText(summary: string, errors: readonly ProblemError[], labelOf: (key: string) => string | undefined): string {
  if (errors.length === 0) return summary;
  return errors
    .map((e) => {
      const key = e.pointer?.replace(/^\//, '').split('/')[0];
      const label = key ? labelOf(key) : undefined;
      return label ? `${label}: ${sentence(e.message)}` : sentence(e.message);
    })
    .join(' ');
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
