/** `/saved`: saved configurations — open, rename, delete. */
import { useState } from 'react';
import { Link } from 'react-router';
import { Dialog } from '../components/layout/Dialog';
import { EmptyState, ErrorState, LoadingState } from '../components/layout/StatusViews';
import { useToast } from '../context/ToastContext';
import { useAsync } from '../hooks/useAsync';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { controlsFromSchema, formatValue } from '../lib/schemaControls';
import { configuratorPath } from '../lib/shareLink';
import { nonDefaultValues } from '../lib/values';
import { api } from '../services/api';
import type { Configuration, Product } from '../types/api';

const LIMIT = 100;

interface SavedData {
  items: Configuration[];
  total: number;
  products: Map<string, Product>;
}

async function loadSaved(signal: AbortSignal): Promise<SavedData> {
  const list = await api.listConfigurations(LIMIT, 0, signal);
  const ids = [...new Set(list.items.map((c) => c.product_id))];
  const products = await Promise.all(ids.map((id) => api.getProduct(id, signal).catch(() => null)));
  return {
    items: list.items,
    total: list.page.total,
    products: new Map(products.filter((p): p is Product => p !== null).map((p) => [p.id, p])),
  };
}

export function SavedPage() {
  useDocumentTitle('Saved configurations');
  const saved = useAsync(loadSaved);
  const { notify } = useToast();
  const [deleting, setDeleting] = useState<Configuration | null>(null);

  const replace = (updated: Configuration) =>
    saved.setData((d) => d && { ...d, items: d.items.map((c) => (c.id === updated.id ? updated : c)) });

  const confirmDelete = async () => {
    if (!deleting) return;
    const target = deleting;
    setDeleting(null);
    try {
      await api.deleteConfiguration(target.id);
      saved.setData((d) => d && { ...d, items: d.items.filter((c) => c.id !== target.id), total: d.total - 1 });
      notify(`Deleted “${target.name}”.`);
    } catch (error) {
      notify((error as Error).message, { tone: 'error' });
    }
  };

  return (
    <div className="saved">
      <h1>Saved configurations</h1>
      {saved.error && !saved.data ? (
        <ErrorState title="Saved configurations could not be loaded" error={saved.error} onRetry={saved.reload} />
      ) : !saved.data ? (
        <LoadingState label="Loading saved configurations" />
      ) : saved.data.items.length === 0 ? (
        <EmptyState title="Nothing saved yet">
          <p>Configure a product and press <strong>Save</strong> to keep it here.</p>
          <Link className="button" to="/">Browse products</Link>
        </EmptyState>
      ) : (
        <>
          <ul className="saved-list">
            {saved.data.items.map((configuration) => (
              <SavedItem
                key={configuration.id}
                configuration={configuration}
                product={saved.data!.products.get(configuration.product_id)}
                onRenamed={replace}
                onDelete={() => setDeleting(configuration)}
              />
            ))}
          </ul>
          {saved.data.total > saved.data.items.length && (
            <p className="muted">Showing the newest {saved.data.items.length} of {saved.data.total}.</p>
          )}
        </>
      )}
      <Dialog
        open={deleting !== null}
        title="Delete this configuration?"
        onClose={() => setDeleting(null)}
        actions={(
          <>
            <button type="button" className="button button-ghost" onClick={() => setDeleting(null)}>Keep it</button>
            <button type="button" className="button button-danger" onClick={confirmDelete}>Delete</button>
          </>
        )}
      >
        <p>“{deleting?.name}” will be removed for good. Links shared from it keep working.</p>
      </Dialog>
    </div>
  );
}

interface SavedItemProps {
  configuration: Configuration;
  product: Product | undefined;
  onRenamed(configuration: Configuration): void;
  onDelete(): void;
}

function SavedItem({ configuration, product, onRenamed, onDelete }: SavedItemProps) {
  const { notify } = useToast();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(configuration.name);
  const [busy, setBusy] = useState(false);
  const inputId = `rename-${configuration.id}`;

  const stopEditing = () => {
    setEditing(false);
    setName(configuration.name);
  };

  const rename = async () => {
    const trimmed = name.trim();
    if (!trimmed || trimmed === configuration.name) {
      stopEditing();
      return;
    }
    setBusy(true);
    try {
      onRenamed(await api.renameConfiguration(configuration.id, trimmed));
      setEditing(false);
    } catch (error) {
      notify((error as Error).message, { tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  const summary = product ? describe(product, configuration) : [];
  const href = product
    ? configuratorPath(product.id, product.config_schema, configuration.config_data)
    : `/configure/${configuration.product_id}`;
  const updated = new Date(configuration.updated_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  return (
    <li className="saved-item" data-id={configuration.id}>
      <div className="saved-main">
        {editing ? (
          <form className="rename-form" onSubmit={(event) => { event.preventDefault(); void rename(); }}>
            <label className="visually-hidden" htmlFor={inputId}>New name</label>
            <input id={inputId} className="text-field" value={name} maxLength={200} autoFocus disabled={busy}
              onChange={(event) => setName(event.target.value)}
              onKeyDown={(event) => { if (event.key === 'Escape') stopEditing(); }} />
            <button type="submit" className="button button-small" disabled={busy}>Save</button>
            <button type="button" className="button button-small button-ghost" onClick={stopEditing}>Cancel</button>
          </form>
        ) : (
          <h2><Link to={href}>{configuration.name}</Link></h2>
        )}
        <p className="saved-meta">
          <span>{product?.name ?? 'Product no longer available'}</span>
          <span aria-hidden="true">·</span>
          <span>Saved {updated}</span>
        </p>
        {summary.length > 0 ? (
          <ul className="chips" aria-label="Changes from the standard product">
            {summary.map((text) => <li key={text}>{text}</li>)}
          </ul>
        ) : product && <p className="muted">Standard configuration</p>}
      </div>
      <div className="saved-actions">
        <Link className="button button-small" to={href}>Open</Link>
        <button type="button" className="button button-small button-ghost" onClick={() => setEditing(true)} disabled={editing}>Rename</button>
        <button type="button" className="button button-small button-ghost button-danger-text" onClick={onDelete}>Delete</button>
      </div>
    </li>
  );
}

/** "Width: 80 cm", one per value that differs from the product's defaults. */
function describe(product: Product, configuration: Configuration): string[] {
  const changed = nonDefaultValues(product.config_schema, configuration.config_data);
  return controlsFromSchema(product.config_schema)
    .filter((control) => control.key in changed)
    .map((control) => `${control.label}: ${formatValue(control, changed[control.key])}`);
}
