/** Short notices ("Link copied", "Saved") announced to screen readers, with an optional action.
 * A toast's countdown pauses while the pointer is over it or focus is inside it. */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { createPausableTimer, type PausableTimer } from '../lib/toastTimer';

export interface ToastAction {
  label: string;
  to: string;
}

interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
  action?: ToastAction;
}

interface ToastApi {
  notify(message: string, options?: { tone?: Toast['tone']; action?: ToastAction }): void;
}

const ToastContext = createContext<ToastApi>({ notify: () => undefined });

export function useToast(): ToastApi {
  return useContext(ToastContext);
}

const VISIBLE_MS = 4500;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, PausableTimer>());

  const dismiss = useCallback((id: number) => {
    timers.current.get(id)?.cancel();
    timers.current.delete(id);
    setToasts((list) => list.filter((t) => t.id !== id));
  }, []);
  const notify = useCallback<ToastApi['notify']>((message, options) => {
    const id = nextId.current++;
    setToasts((list) => {
      // Only the last three are kept; the dropped ones' timers go with them.
      const kept = list.slice(-2);
      for (const t of list) if (!kept.includes(t)) { timers.current.get(t.id)?.cancel(); timers.current.delete(t.id); }
      return [...kept, { id, message, tone: options?.tone ?? 'info', action: options?.action }];
    });
    timers.current.set(id, createPausableTimer(VISIBLE_MS, () => dismiss(id)));
  }, [dismiss]);
  useEffect(() => {
    const all = timers.current;
    return () => { for (const t of all.values()) t.cancel(); all.clear(); };
  }, []);
  const pause = (id: number, reason: string) => timers.current.get(id)?.pause(reason);
  const resume = (id: number, reason: string) => timers.current.get(id)?.resume(reason);
  const api = useMemo(() => ({ notify }), [notify]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className={`toast toast-${toast.tone}`}
            onPointerEnter={() => pause(toast.id, 'pointer')}
            onPointerLeave={() => resume(toast.id, 'pointer')}
            onFocus={() => pause(toast.id, 'focus')}
            onBlur={(e) => { if (!e.currentTarget.contains(e.relatedTarget as Node | null)) resume(toast.id, 'focus'); }}
          >
            <span>{toast.message}</span>
            {toast.action && (
              <Link className="toast-action" to={toast.action.to} onClick={() => dismiss(toast.id)}>
                {toast.action.label}
              </Link>
            )}
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>×</button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
