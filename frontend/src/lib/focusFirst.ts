/** Focus the first field, in the order of `refs`, that `errors` has a message for. */
import type { RefObject } from 'react';

export function focusFirst<K extends string>(
  refs: Record<K, RefObject<HTMLElement | null>>,
  errors: Partial<Record<K, string | undefined>>,
): void {
  const first = (Object.keys(refs) as K[]).find((key) => errors[key]);
  if (first) refs[first].current?.focus();
}
