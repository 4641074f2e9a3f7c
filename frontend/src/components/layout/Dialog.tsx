/** A modal dialog on the native <dialog> element: focus trap, Escape and backdrop for free.
 * Closing gives focus back to what had it before (the browser does), or to `returnFocus`
 * when that is gone from the page (a row just removed). */
import { useEffect, useId, useRef, type FormEvent, type ReactNode, type RefObject } from 'react';

interface DialogProps {
  open: boolean;
  title: string;
  onClose(): void;
  /** When given, the dialog is a form and this runs on submit. */
  onSubmit?(event: FormEvent<HTMLFormElement>): void;
  children: ReactNode;
  actions: ReactNode;
  /** Where focus goes on closing when the element that opened the dialog is gone. */
  returnFocus?: RefObject<HTMLElement | null>;
  /** A wider dialog (lists, code). */
  wide?: boolean;
}

export function Dialog({ open, title, onClose, onSubmit, children, actions, returnFocus, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
    if (!open && opener.current) {
      const back = opener.current.isConnected ? opener.current : returnFocus?.current;
      opener.current = null;
      // After the browser's own restoring, which does not know about removed elements.
      setTimeout(() => { if (back?.isConnected && !ref.current?.open) back.focus(); }, 0);
    }
  }, [open, returnFocus]);

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(event) => { if (event.target === ref.current) onClose(); }}
    >
      <form method="dialog" onSubmit={(event) => { if (onSubmit) { event.preventDefault(); onSubmit(event); } }}>
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">{actions}</div>
      </form>
    </dialog>
  );
}
