/** The allowed origins of a publishable key, as an admin types them (one a line) and as the
 * server takes them: `scheme://host[:port]`, http or https, nothing after. */

/** Meaning "this server itself" (its own pages, such as `/embed/…`), as the server spells it. */
export const SELF_ORIGIN = 'self';

export interface ParsedOrigins {
  origins: string[];
  /** Line number (from 1) → what is wrong with it. */
  problems: { line: number; text: string; message: string }[];
}

/** One origin; null and a reason when it is not one. Lowercase, without a trailing "/" and a
 * default port, as a browser sends it. */
export function normalizeOrigin(text: string): { origin: string | null; message?: string } {
  const raw = text.trim().replace(/\/$/, '');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { origin: null, message: 'is not an address like https://shop.example' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { origin: null, message: 'must start with https:// or http://' };
  if (url.username || url.password) return { origin: null, message: 'must not hold a user name or password' };
  if (raw.includes('*')) return { origin: null, message: 'cannot hold a wildcard: list each site' };
  const rest = raw.slice(raw.indexOf('//') + 2);
  if (/[/?#]/.test(rest)) return { origin: null, message: 'is only scheme, host and port: no path, query or #' };
  return { origin: url.origin };
}

export function parseOrigins(text: string): ParsedOrigins {
  const origins: string[] = [];
  const problems: ParsedOrigins['problems'] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    const { origin, message } = normalizeOrigin(line);
    if (origin) {
      if (!origins.includes(origin)) origins.push(origin);
    } else problems.push({ line: index + 1, text: line.trim(), message: message ?? 'is not an origin' });
  });
  return { origins, problems };
}

/** How a listed origin reads to people. */
export function describeOrigin(origin: string): string {
  return origin === SELF_ORIGIN ? 'this server' : origin;
}
