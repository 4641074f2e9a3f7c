/** `/`: the catalogue of configurable products. */
import { useEffect } from 'react';
import { Link } from 'react-router';
import { ProductCard } from '../components/layout/ProductCard';
import { EmptyState, ErrorState, LoadingState } from '../components/layout/StatusViews';
import { useAsync } from '../hooks/useAsync';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useAuth } from '../context/AuthContext';
import { loginPath } from '../lib/nextPath';
import { ApiError, api } from '../services/api';

const PAGE_SIZE = 60;
const PREVIEW_POLL_MS = 3000;

const loadProducts = (signal: AbortSignal) => api.listProducts(PAGE_SIZE, 0, signal);

export function HomePage() {
  useDocumentTitle(null);
  const products = useAsync(loadProducts);
  const { status } = useAuth();
  // A server without a storefront key shows its products to its users only.
  const needsLogin = status === 'anonymous' && products.error instanceof ApiError && products.error.status === 401;
  const items = products.data?.items;
  const waiting = items !== undefined && (items.length === 0 || items.some((p) => !p.thumbnails));

  // Products get their thumbnails a few seconds after they are published (the server renders
  // them; a new server publishes its samples as it starts): look again until all are there.
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(products.reload, PREVIEW_POLL_MS);
    return () => clearTimeout(timer);
  }, [waiting, products.data, products.reload]);

  return (
    <div className="home">
      <section className="hero">
        <h1>Make it yours</h1>
        <p className="lede">Choose a product, set the sizes and finishes you need, and see the exact model we will build — in 3D, as you change it.</p>
      </section>
      {needsLogin && !products.data ? (
        <EmptyState title="Log in to see the products">
          <p>This catalogue is for the users of its company.</p>
          <Link className="button" to={loginPath('/')}>Log in</Link>
        </EmptyState>
      ) : products.error && !products.data ? (
        <ErrorState title="The products could not be loaded" error={products.error} onRetry={products.reload} />
      ) : !products.data ? (
        <LoadingState label="Loading products" />
      ) : products.data.items.length === 0 ? (
        <EmptyState title="No products yet"><p>Products appear here once a template is published.</p></EmptyState>
      ) : (
        <div className="product-grid">
          {products.data.items.map((product, index) => <ProductCard key={product.id} product={product} first={index === 0} />)}
        </div>
      )}
    </div>
  );
}
