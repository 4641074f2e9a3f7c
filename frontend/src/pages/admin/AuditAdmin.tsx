/** Admin › Audit log: the client's events, newest first, a page at a time (keyset paging:
 * "Older" asks for the events before the last one shown). */
import { useCallback, useRef, useState } from 'react';
import { EmptyState } from '../../components/layout/StatusViews';
import { useAsync } from '../../hooks/useAsync';
import { describeParty, directoryOf, formatDetail } from '../../lib/audit';
import { api } from '../../services/api';
import { AdminTable } from './AdminTable';
import { formatDate } from './format';

const PAGE_SIZE = 50;
const loadUsers = (signal: AbortSignal) => api.listUsers(signal).catch(() => ({ items: [] }));
const loadKeys = (signal: AbortSignal) => api.listApiKeys(signal).catch(() => ({ items: [] }));

export function AuditAdmin() {
  // The `before` of each page shown so far; the last is the page on screen (null: the newest).
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const before = cursors[cursors.length - 1];
  const load = useCallback((signal: AbortSignal) => api.listAuditEvents(before, PAGE_SIZE, signal), [before]);
  const events = useAsync(load);
  const users = useAsync(loadUsers);
  const keys = useAsync(loadKeys);
  const directory = directoryOf(users.data?.items ?? [], keys.data?.items ?? []);
  const heading = useRef<HTMLHeadingElement>(null);
  const page = cursors.length;

  const go = (next: (number | null)[]) => {
    setCursors(next);
    heading.current?.focus();
  };

  return (
    <section className="panel" aria-labelledby="audit-title">
      <div className="panel-head">
        <h2 id="audit-title" tabIndex={-1} ref={heading}>Audit log</h2>
        <button type="button" className="button button-small button-ghost" onClick={() => (page === 1 ? events.reload() : go([null]))}>
          Show the newest
        </button>
      </div>
      <p className="muted">Who did what for your company: logins, changes of users, keys and products. Newest first.</p>
      <AdminTable
        list={events}
        loading={events.loading}
        labelledBy="audit-title"
        errorTitle="The audit log could not be loaded"
        loadingLabel="Loading events"
        empty={<EmptyState title={page === 1 ? 'Nothing recorded yet' : 'No older events'} />}
        className="audit-table"
        caption={<caption className="visually-hidden">Page {page}, newest first</caption>}
        columns={['When', 'Who', 'What', 'Target', 'Details', 'Address']}
        row={(event) => (
          <tr key={event.id} data-action={event.action}>
            <td><time dateTime={event.at}>{formatDate(event.at)}</time></td>
            <td className="cell-break">{describeParty(event.actor, directory)}</td>
            <td><code>{event.action}</code></td>
            <td className="cell-break">{describeParty(event.target, directory)}</td>
            <td className="cell-break cell-detail">{formatDetail(event.detail)}</td>
            <td>{event.ip || <span className="muted">—</span>}</td>
          </tr>
        )}
      />
      <nav className="pager" aria-label="Audit log pages">
        <button type="button" className="button button-small button-secondary" disabled={page === 1}
          onClick={() => go(cursors.slice(0, -1))}>
          Newer
        </button>
        <span className="muted">Page {page}</span>
        <button type="button" className="button button-small button-secondary"
          disabled={!events.data?.next_before || events.loading}
          onClick={() => events.data?.next_before && go([...cursors, events.data.next_before])}>
          Older
        </button>
      </nav>
    </section>
  );
}
