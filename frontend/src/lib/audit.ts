/** Reading audit events for people: who acted, and the event's detail in a line. */
import type { ApiKey, AuditEvent, User } from '../types/api';

export interface Directory {
  users: ReadonlyMap<string, Pick<User, 'name' | 'email'>>;
  keys: ReadonlyMap<string, Pick<ApiKey, 'name' | 'shown_prefix'>>;
}

export const EMPTY_DIRECTORY: Directory = { users: new Map(), keys: new Map() };

export function directoryOf(users: readonly User[] = [], keys: readonly ApiKey[] = []): Directory {
  return { users: new Map(users.map((u) => [u.id, u])), keys: new Map(keys.map((k) => [k.id, k])) };
}

/** `user:<id>` → "Ann Admin (ann@…)", `key:<id>` → "key “Shop” (pk_AbCdEfG…)", as known; else as written. */
export function describeParty(party: string, directory: Directory = EMPTY_DIRECTORY): string {
  const [kind, id] = party.split(/:(.*)/s);
  if (kind === 'user' && id) {
    const user = directory.users.get(id);
    return user ? `${user.name} (${user.email})` : `user ${shortId(id)}`;
  }
  if (kind === 'key' && id) {
    const key = directory.keys.get(id);
    return key ? `key “${key.name || 'unnamed'}” (${key.shown_prefix}…)` : `key ${shortId(id)}`;
  }
  if (party === 'operator') return 'the operator';
  if (party === 'anonymous') return 'someone not logged in';
  return party;
}

function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/** `{email: "a@b", role: {from: "viewer", to: "member"}}` → "email: a@b · role: viewer → member";
 * lists joined by commas, other nested values as JSON. */
export function formatDetail(detail: AuditEvent['detail']): string {
  return Object.entries(detail).map(([key, value]) => `${key}: ${formatValue(value)}`).join(' · ');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.map(String).join(', ');
  if (value && typeof value === 'object' && 'from' in value && 'to' in value && Object.keys(value).length === 2) {
    const change = value as { from: unknown; to: unknown };
    return `${formatValue(change.from)} → ${formatValue(change.to)}`;
  }
  return JSON.stringify(value);
}
