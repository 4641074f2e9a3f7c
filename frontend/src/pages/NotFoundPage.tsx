import { Link } from 'react-router';
import { EmptyState } from '../components/layout/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

/** `level` 2 inside a page that has its own heading (the admin area); else the page's h1. */
export function NotFoundPage({ what = 'page', level = 1 }: { what?: string; level?: 1 | 2 }) {
  useDocumentTitle('Not found');
  return (
    <EmptyState title={`This ${what} does not exist`} level={level}>
      <p>The link may be old, or the {what} was removed.</p>
      <Link className="button" to="/">See all products</Link>
    </EmptyState>
  );
}
