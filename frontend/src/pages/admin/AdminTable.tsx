/** The table of an admin section, with the states of its list: an error (with "Try again")
 * while there is nothing to show, loading, empty, or the rows in a scrollable region named by
 * the section's heading. */
import { useId, type ReactNode } from 'react';
import { ErrorState, LoadingState } from '../../components/layout/StatusViews';
import type { AsyncState } from '../../hooks/useAsync';

interface AdminTableProps<T> {
  list: Pick<AsyncState<{ items: T[] }>, 'data' | 'error' | 'reload'>;
  /** Also shown as loading while this is true (a page being replaced). */
  loading?: boolean;
  /** The id of the section's heading. */
  labelledBy: string;
  errorTitle: string;
  loadingLabel: string;
  /** Shown instead of an empty table; none: the table, however few rows. */
  empty?: ReactNode;
  className?: string;
  caption?: ReactNode;
  columns: string[];
  /** A last column of buttons, its heading for screen readers only. */
  actions?: boolean;
  /** The row (`<tr key=…>`) of an item. */
  row(item: T): ReactNode;
}

export function AdminTable<T>({
  list, loading, labelledBy, errorTitle, loadingLabel, empty, className, caption, columns, actions, row,
}: AdminTableProps<T>) {
  // The scrolling region is named "<heading> table": the section around it is a region named
  // by the heading alone, and two landmarks of one name cannot be told apart.
  const tableWord = useId();
  if (list.error && !list.data) return <ErrorState title={errorTitle} error={list.error} onRetry={list.reload} />;
  if (!list.data || loading) return <LoadingState label={loadingLabel} />;
  if (list.data.items.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <div className="table-wrap" role="region" aria-labelledby={`${labelledBy} ${tableWord}`} tabIndex={0}>
      <span id={tableWord} hidden>table</span>
      <table className={className ? `data-table ${className}` : 'data-table'}>
        {caption}
        <thead>
          <tr>
            {columns.map((column) => <th key={column} scope="col">{column}</th>)}
            {actions && <th scope="col"><span className="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>{list.data.items.map((item) => row(item))}</tbody>
      </table>
    </div>
  );
}
