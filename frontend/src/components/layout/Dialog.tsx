/** A modal dialog on the native <dialog> element: focus trap, Escape and backdrop for free. */
import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';

interface DialogProps {
  open: boolean;
  title: string;
  onClose(): void;
  /** When given, the dialog is a form and this runs on submit. */
  onSubmit?(event: FormEvent<HTMLFormElement>): void;
  children: ReactNode;
  actions: ReactNode;
}

export function Dialog({ open, title, onClose, onSubmit, children, actions }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      onClose={onClose}
      onClick={(event) => { if (event.target === ref.current) onClose(); }}
    >
      <form method="dialog" onSubmit={(event) => { if (onSubmit) { event.preventDefault(); onSubmit(event); } }}>
        <h2 id="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">{actions}</div>
      </form>
    </dialog>
  );
}
