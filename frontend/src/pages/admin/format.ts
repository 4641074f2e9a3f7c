/** Dates and versions in the admin tables. */

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A template version (a content hash) cut to what tells versions apart at a glance. */
export function shortVersion(version: string): string {
  return version.length > 12 ? version.slice(0, 12) : version;
}
