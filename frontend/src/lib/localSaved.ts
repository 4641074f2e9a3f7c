/** Configurations saved in this browser while nobody was logged in. The storefront may create
 * a configuration and read it back by id, but not list them: so the ids are kept here, newest
 * first, and `/saved` asks for each. */

export const LOCAL_SAVED_KEY = 'configurator.saved-configurations';
export const LOCAL_SAVED_LIMIT = 100;

type Store = Pick<Storage, 'getItem' | 'setItem'>;

function defaultStore(): Store | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage blocked (privacy settings, a sandboxed frame)
  }
}

/** The ids kept, newest first; [] when there are none or storage is unreadable. */
export function localSavedIds(store: Store | null = defaultStore()): string[] {
  if (!store) return [];
  try {
    const parsed: unknown = JSON.parse(store.getItem(LOCAL_SAVED_KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return [...new Set(parsed.filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 100))];
  } catch {
    return [];
  }
}

function write(ids: string[], store: Store | null): boolean {
  if (!store) return false;
  try {
    store.setItem(LOCAL_SAVED_KEY, JSON.stringify(ids.slice(0, LOCAL_SAVED_LIMIT)));
    return true;
  } catch {
    return false; // full or blocked
  }
}

/** Keep `id` first in the list; false when the browser would not store it. */
export function rememberLocalSaved(id: string, store: Store | null = defaultStore()): boolean {
  return write([id, ...localSavedIds(store).filter((other) => other !== id)], store);
}

/** Drop `ids` from the list (removed by the shopper, or gone from the server). */
export function forgetLocalSaved(ids: Iterable<string>, store: Store | null = defaultStore()): void {
  const gone = new Set(ids);
  const kept = localSavedIds(store);
  if (kept.some((id) => gone.has(id))) write(kept.filter((id) => !gone.has(id)), store);
}
