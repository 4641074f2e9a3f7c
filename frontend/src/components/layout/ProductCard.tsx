/** A product in the catalogue: its default configuration as rendered on the server (no WebGL
 * here: the catalogue loads no three.js and no model), name, description. */
import { Link } from 'react-router';
import { thumbnailImage } from '../../lib/thumbnails';
import type { ProductSummary } from '../../types/api';

export function ProductCard({ product, first = false }: { product: ProductSummary; first?: boolean }) {
  const image = thumbnailImage(product.thumbnails);
  const to = `/configure/${product.id}`;
  return (
    <article className="product-card">
      <Link to={to} className="product-card-image" tabIndex={-1} aria-hidden="true">
        {image
          // The first card is in view at once (often the page's largest paint): fetched first.
          ? <img src={image.src} srcSet={image.srcSet} sizes={image.sizes} width={image.width} height={image.height}
              alt="" decoding="async" loading={first ? 'eager' : 'lazy'} fetchPriority={first ? 'high' : 'auto'} />
          : <ProductPlaceholder />}
      </Link>
      <div className="product-card-body">
        <h2><Link to={to}>{product.name}</Link></h2>
        <p>{product.description}</p>
        <Link to={to} className="button button-small" aria-label={`Configure ${product.name}`}>Configure</Link>
      </div>
    </article>
  );
}

function ProductPlaceholder() {
  return (
    <div className="product-placeholder is-busy">
      <svg viewBox="0 0 64 64" aria-hidden="true">
        <path d="M32 8 54 20v24L32 56 10 44V20Z" />
        <path d="M10 20l22 12 22-12M32 32v24" />
      </svg>
      <span>Preview on its way</span>
    </div>
  );
}
