/** Loading, error and empty states shared by the pages. */
import type { ReactNode } from 'react';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="progressbar" aria-label={label} />;
}

export function LoadingState({ label }: { label: string }) {
  return (
    <div className="state-view" aria-busy="true">
      <Spinner label={label} />
      <p>{label}…</p>
    </div>
  );
}

export function ErrorState({ title, error, onRetry }: { title: string; error?: Error; onRetry?: () => void }) {
  return (
    <div className="state-view state-error" role="alert">
      <h2>{title}</h2>
      {error && <p>{error.message}</p>}
      {onRetry && <button type="button" className="button" onClick={onRetry}>Try again</button>}
    </div>
  );
}

/** `level` 1 when the state is the whole page (nothing else says what the page is). */
export function EmptyState({ title, children, level = 2 }: { title: string; children?: ReactNode; level?: 1 | 2 }) {
  const Heading = level === 1 ? 'h1' : 'h2';
  return (
    <div className="state-view">
      <Heading>{title}</Heading>
      {children}
    </div>
  );
}
