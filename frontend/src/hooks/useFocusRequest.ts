/** Focus an element once React has shown what changed: an error message that appears with the
 * same update, a button enabled again. A `setTimeout` is not enough: an update made outside
 * an event handler (after an `await`) may be rendered later than the timer fires. */
import { useCallback, useEffect, useRef, useState } from 'react';

export function useFocusRequest<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [requests, setRequests] = useState(0);
  useEffect(() => {
    if (requests) ref.current?.focus();
  }, [requests]);
  const request = useCallback(() => setRequests((n) => n + 1), []);
  return [ref, request] as const;
}
