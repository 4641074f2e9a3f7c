/** Where to go after logging in: `?next=` is only ever a path of the app's own origin, never
 * another site (`//evil.example`, `https://…`, `/\evil.example`, `javascript:`), and never the
 * login page again. Anything else gives `fallback`. */
export const LOGIN_PATH = '/login';

export function safeNextPath(raw: string | null | undefined, origin: string, fallback = '/'): string {
  if (!raw || raw.length > 2000) return fallback;
  // Browsers read "\" as "/" and drop tabs and newlines in URLs, so "/\evil" or "/\t/evil"
  // would be another host: only a single "/" followed by something else than a slash is a path.
  if (!raw.startsWith('/') || raw.includes('\\') || /^\/\//.test(raw) || hasControlCharacter(raw)) return fallback;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  if (url.pathname === LOGIN_PATH || url.pathname.startsWith(`${LOGIN_PATH}/`)) return fallback;
  return url.pathname + url.search + url.hash;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** `/login?next=…` for coming back to `path` (the current page's path, query and hash). */
export function loginPath(path: string): string {
  const here = safeNextPath(path, 'http://app.invalid', '');
  return here && here !== '/' ? `${LOGIN_PATH}?next=${encodeURIComponent(here)}` : LOGIN_PATH;
}
