/** A name refused because it is taken (409 DUPLICATE_NAME at `/name`): the server's words and
 * the free name it offers, for the field that holds the name. */
import { ApiError } from '../services/api';

export interface NameTaken {
  message: string;
  suggestion: string | null;
}

export function nameTaken(error: unknown): NameTaken | null {
  if (!(error instanceof ApiError) || error.status !== 409 || error.problem?.code !== 'DUPLICATE_NAME') return null;
  const detail = error.errors().find((e) => e.pointer === '/name');
  return { message: detail?.message ?? error.message, suggestion: detail?.suggestion ?? null };
}
