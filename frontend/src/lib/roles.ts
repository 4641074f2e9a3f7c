/** Roles of a client's users: `viewer` < `member` < `admin`. */
import type { Role } from '../types/api';

export const ROLES: readonly Role[] = ['viewer', 'member', 'admin'];

const RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3 };

/** Whether `role` (null: nobody logged in) is `needed` or above. */
export function hasRole(role: Role | null | undefined, needed: Role): boolean {
  return role != null && RANK[role] >= RANK[needed];
}

export const ROLE_LABELS: Record<Role, string> = { viewer: 'Viewer', member: 'Member', admin: 'Admin' };

/** What each role may do, in a sentence (for pickers). */
export const ROLE_HINTS: Record<Role, string> = {
  viewer: 'sees products and their own saved configurations',
  member: 'also sees every saved configuration of the company',
  admin: 'also manages products, users, keys and reads the audit log',
};
