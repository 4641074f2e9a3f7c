import { describe, expect, it } from 'vitest';
import { describeParty, directoryOf, formatDetail } from './audit';
import type { ApiKey, User } from '../types/api';

const user: User = { id: 'u-1', email: 'ann@acme.example', name: 'Ann Admin', role: 'admin', created_at: '2030-01-01T00:00:00Z', has_password: true };
const key = { id: 'k-1', name: 'Shop', shown_prefix: 'pk_AbCdEfG' } as ApiKey;

describe('audit events', () => {
  it('names the users and keys it knows', () => {
    const directory = directoryOf([user], [key]);
    expect(describeParty('user:u-1', directory)).toBe('Ann Admin (ann@acme.example)');
    expect(describeParty('key:k-1', directory)).toBe('key “Shop” (pk_AbCdEfG…)');
    expect(describeParty('user:0b6c3f0e-aaaa-bbbb-cccc-1234567890ab')).toBe('user 0b6c3f0e…');
    expect(describeParty('operator')).toBe('the operator');
    expect(describeParty('anonymous')).toBe('someone not logged in');
    expect(describeParty('client:c-1')).toBe('client:c-1');
  });

  it('puts the detail on one line', () => {
    expect(formatDetail({ email: 'a@b.example', role: 'viewer' })).toBe('email: a@b.example · role: viewer');
    expect(formatDetail({ role: { to: 'member', from: 'viewer' }, n: 2 })).toBe('role: viewer → member · n: 2');
    expect(formatDetail({ allowed_origins: ['https://shop.example', 'self'] })).toBe('allowed_origins: https://shop.example, self');
    expect(formatDetail({ extra: { a: 1 } })).toBe('extra: {"a":1}');
    expect(formatDetail({ name: null })).toBe('name: null');
    expect(formatDetail({})).toBe('');
  });
});
