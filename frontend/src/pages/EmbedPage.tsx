/** `/embed/:productId?key=pk_…[&c=…]`: the configurator of one product alone, for a client's
 * own website (in an iframe): no header, navigation or account, and never logged in. It acts
 * as the storefront with the key in its address, which wins over the page's own. Reset, Copy
 * link (to this embed with the values) and Download GLB; no Save. */
import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ControlsPanel } from '../components/controls/ControlsPanel';
import { EmptyState, ErrorState, LoadingState } from '../components/layout/StatusViews';
import { PreviewPanel } from '../components/scene/PreviewPanel';
import { ConfiguratorProvider, useConfiguredProduct } from '../context/ConfiguratorContext';
import { ToastProvider } from '../context/ToastContext';
import { useProductPage } from '../hooks/useProductPage';
import { embedPath } from '../lib/shareLink';
import { ApiError } from '../services/api';
import { setSession, setStorefrontKey, storefrontKey } from '../services/session';
import type { ConfigSchema } from '../types/configSchema';
import { ConfigurationActions, useLinkNotice } from './ConfiguratorPage';
import { sentence } from '../components/layout/ProblemList';

export function EmbedPage() {
  const [params] = useSearchParams();
  // Before any request of the page: the embed's key, and nobody logged in (a session cookie
  // the browser may hold for this site is not used: the key wins over it).
  const [key] = useState(() => {
    setStorefrontKey(params.get('key'));
    setSession(null);
    return storefrontKey();
  });

  return (
    <ToastProvider>
      <main className="embed" id="main">
        {key ? <EmbeddedProduct embedKey={key} /> : (
          <EmptyState title="This configurator cannot be shown">
            <p>The embed code has no valid key. Copy it again from the admin area (API keys).</p>
          </EmptyState>
        )}
      </main>
    </ToastProvider>
  );
}

function EmbeddedProduct({ embedKey }: { embedKey: string }) {
  const { productId, product } = useProductPage();

  if (product.error instanceof ApiError && (product.error.status === 404 || product.error.status === 400)) {
    return (
      <EmptyState title="This product is not available">
        <p>It may have been removed. Please contact the shop.</p>
      </EmptyState>
    );
  }
  if (product.error instanceof ApiError && (product.error.status === 401 || product.error.status === 403)) {
    return (
      <EmptyState title="This configurator cannot be shown">
        <p>Its key is not valid here any more (revoked, or not allowed for this site).</p>
        {product.error.problem?.detail && <p className="muted">{sentence(product.error.problem.detail)}</p>}
      </EmptyState>
    );
  }
  if (product.error) return <ErrorState title="This product could not be loaded" error={product.error} onRetry={product.reload} />;
  if (!product.data || product.data.id !== productId) return <LoadingState label="Loading the configurator" />;
  return (
    <ConfiguratorProvider key={`${product.data.id}@${product.data.schema_version}`} product={product.data}>
      <EmbeddedConfigurator embedKey={embedKey} />
    </ConfiguratorProvider>
  );
}

function EmbeddedConfigurator({ embedKey }: { embedKey: string }) {
  const { product, rejectedFromLink } = useConfiguredProduct();
  useLinkNotice(rejectedFromLink);
  const linkPath = useCallback(
    (id: string, schema: ConfigSchema, values: Readonly<Record<string, unknown>>) => embedPath(id, embedKey, schema, values),
    [embedKey],
  );

  return (
    <div className="configurator embed-configurator">
      <div className="configurator-head embed-head">
        <h1>{product.name}</h1>
        <ConfigurationActions linkPath={linkPath} />
      </div>
      <div className="configurator-body">
        <PreviewPanel />
        <aside className="configurator-side">
          <ControlsPanel />
        </aside>
      </div>
    </div>
  );
}
