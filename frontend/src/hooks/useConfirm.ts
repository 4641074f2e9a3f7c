/** An action asked first (revoke, remove, delete): `ask(item)` opens the confirmation,
 * `confirm()` closes it and runs `act(item)`, which returns what the toast says once done.
 * Done, focus goes to `returnFocus` (the button that asked is gone with its row); failed, the
 * error is a toast. See ConfirmDialog. */
import { useState, type RefObject } from 'react';
import { sentence } from '../components/layout/ProblemList';
import { useToast } from '../context/ToastContext';

export interface Confirmation<T> {
  /** What is being asked about; null while nothing is. */
  pending: T | null;
  ask(item: T): void;
  cancel(): void;
  confirm(): Promise<void>;
  returnFocus: RefObject<HTMLElement | null>;
}

export function useConfirm<T>(
  act: (item: T) => Promise<string>,
  returnFocus: RefObject<HTMLElement | null>,
  errorMessage: (error: Error) => string = (error) => sentence(error.message),
): Confirmation<T> {
  const { notify } = useToast();
  const [pending, setPending] = useState<T | null>(null);

  const confirm = async () => {
    if (pending === null) return;
    const item = pending;
    setPending(null);
    try {
      notify(await act(item));
      setTimeout(() => returnFocus.current?.focus(), 0);
    } catch (error) {
      notify(errorMessage(error as Error), { tone: 'error' });
    }
  };

  return { pending, ask: setPending, cancel: () => setPending(null), confirm, returnFocus };
}
