import { Link } from 'react-router';
import { EmptyState } from '../components/layout/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function NotFoundPage({ what = 'page' }: { what?: string }) {
  useDocumentTitle('Not found');
  return (
    <EmptyState title={`This ${what} does not exist`}>
      <p>The link may be old, or the {what} was removed.</p>
      <Link className="button" to="/">See all products</Link>
    </EmptyState>
  );
}
