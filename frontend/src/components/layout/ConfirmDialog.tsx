/** The dialog of a `useConfirm` confirmation: what will happen, a button that keeps things
 * as they are and a danger button that goes ahead. */
import type { ReactNode } from 'react';
import type { Confirmation } from '../../hooks/useConfirm';
import { Dialog } from './Dialog';

interface ConfirmDialogProps<T> {
  confirmation: Confirmation<T>;
  title: string;
  /** The button that closes the dialog and changes nothing ("Keep it"). */
  keepLabel: string;
  /** The button that goes ahead ("Revoke"). */
  confirmLabel: string;
  children: ReactNode;
}

export function ConfirmDialog<T>({ confirmation, title, keepLabel, confirmLabel, children }: ConfirmDialogProps<T>) {
  const { pending, cancel, confirm, returnFocus } = confirmation;
  return (
    <Dialog
      open={pending !== null}
      title={title}
      onClose={cancel}
      returnFocus={returnFocus}
      actions={(
        <>
          <button type="button" className="button button-ghost" onClick={cancel}>{keepLabel}</button>
          <button type="button" className="button button-danger" onClick={() => void confirm()}>{confirmLabel}</button>
        </>
      )}
    >
      {children}
    </Dialog>
  );
}
