/** The length unit the shopper chose (cm, mm or inches), remembered in this browser and
 * shared by every component that shows a length: one store, so switching it in the
 * configurator changes the fields, the size read-out and the rule messages in one render,
 * and another tab follows through the storage event. */
import { useSyncExternalStore } from 'react';
import { DEFAULT_LENGTH_UNIT, isLengthUnit, type LengthUnit } from '../lib/units';

export const LENGTH_UNIT_STORAGE_KEY = 'configurator.lengthUnit';

const listeners = new Set<() => void>();
let current: LengthUnit | null = null;

function read(): LengthUnit {
  if (current) return current;
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(LENGTH_UNIT_STORAGE_KEY);
  } catch {
    // Storage blocked (a sandboxed frame, privacy settings): the choice lasts for this page.
  }
  current = isLengthUnit(stored) ? stored : DEFAULT_LENGTH_UNIT;
  return current;
}

export function setLengthUnit(unit: LengthUnit): void {
  current = unit;
  try {
    window.localStorage.setItem(LENGTH_UNIT_STORAGE_KEY, unit);
  } catch {
    // Not remembered, but still used on this page.
  }
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key !== LENGTH_UNIT_STORAGE_KEY) return;
    current = null;
    listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useLengthUnit(): LengthUnit {
  return useSyncExternalStore(subscribe, read, () => DEFAULT_LENGTH_UNIT);
}
