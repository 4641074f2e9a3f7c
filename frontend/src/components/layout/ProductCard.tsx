/** A product in the catalogue: its default configuration drawn small, name, description. */
import { Link } from 'react-router';
import { useThumbnail } from '../../hooks/useThumbnail';
import type { ProductSummary } from '../../types/api';

export function ProductCard({ product }: { product: ProductSummary }) {
  const { src, failed } = useThumbnail(product.preview_url);
  const to = `/configure/${product.id}`;
  return (
    <article className="product-card">
      <Link to={to} className="product-card-image" tabIndex={-1} aria-hidden="true">
        {src
          ? <img src={src} alt="" />
          : <ProductPlaceholder name={product.name} waiting={!product.preview_url} busy={Boolean(product.preview_url) && !failed} />}
      </Link>
      <div className="product-card-body">
        <h2><Link to={to}>{product.name}</Link></h2>
        <p>{product.description}</p>
        <Link to={to} className="button button-small" aria-label={`Configure ${product.name}`}>Configure</Link>
      </div>
    </article>
  );
}

function ProductPlaceholder({ name, waiting, busy }: { name: string; waiting: boolean; busy: boolean }) {
  return (
    <div className={`product-placeholder${busy ? ' is-busy' : ''}`}>
      <svg viewBox="0 0 64 64" aria-hidden="true">
        <path d="M32 8 54 20v24L32 56 10 44V20Z" />
        <path d="M10 20l22 12 22-12M32 32v24" />
      </svg>
      {!busy && <span>{waiting ? 'Preview on its way' : name}</span>}
    </div>
  );
}
