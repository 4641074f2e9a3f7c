/** Admin › Products: the client's products with their schema and template versions; add one
 * by uploading a `.blend` template, or replace a product's template. A template that breaks
 * the template contract is refused (422) with one error per datablock at fault: listed, each
 * with the object, modifier or socket it names. A replaced template's new version is shown
 * with its compatibility report at once; "Versions" lists a product's versions, each with its
 * report (./VersionsDialog). */
import { useCallback, useRef, useState, type FormEvent, type RefObject } from 'react';
import { Link } from 'react-router';
import { Dialog } from '../../components/layout/Dialog';
import { ProblemList } from '../../components/layout/ProblemList';
import { EmptyState, Spinner } from '../../components/layout/StatusViews';
import { useToast } from '../../context/ToastContext';
import { useFocusRequest } from '../../hooks/useFocusRequest';
import { useAsync } from '../../hooks/useAsync';
import { ApiError, api } from '../../services/api';
import type { ProductSummary } from '../../types/api';
import { AdminTable } from './AdminTable';
import { VersionReport } from './CompatibilityReport';
import { formatDate, shortVersion } from './format';
import { VersionsDialog } from './VersionsDialog';

const loadProducts = (signal: AbortSignal) => api.listProducts(100, 0, signal);

export function ProductsAdmin() {
  const products = useAsync(loadProducts);
  const { setData } = products;
  const [replacing, setReplacing] = useState<ProductSummary | null>(null);
  const [versionsOf, setVersionsOf] = useState<ProductSummary | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const upsert = useCallback((product: ProductSummary) => setData((d) => d && {
    ...d,
    items: d.items.some((p) => p.id === product.id) ? d.items.map((p) => (p.id === product.id ? product : p)) : [product, ...d.items],
    page: d.items.some((p) => p.id === product.id) ? d.page : { ...d.page, total: d.page.total + 1 },
  }), [setData]);

  return (
    <>
      <section className="panel" aria-labelledby="products-title">
        <h2 id="products-title" tabIndex={-1} ref={heading}>Products</h2>
        <AdminTable
          list={products}
          labelledBy="products-title"
          errorTitle="The products could not be loaded"
          loadingLabel="Loading products"
          empty={<EmptyState title="No products yet"><p>Add the first one below, from its Blender template.</p></EmptyState>}
          columns={['Product', 'Schema', 'Template', 'Updated']}
          actions
          row={(product) => (
            <tr key={product.id} data-id={product.id}>
              <th scope="row">
                <Link to={`/configure/${product.id}`}>{product.name}</Link>
                {product.description && <span className="cell-note">{product.description}</span>}
              </th>
              <td>v{product.schema_version}</td>
              <td><code title={product.template_version}>{shortVersion(product.template_version)}</code></td>
              <td><time dateTime={product.updated_at}>{formatDate(product.updated_at)}</time></td>
              <td className="cell-actions">
                <button type="button" className="button button-small button-ghost" onClick={() => setVersionsOf(product)}>
                  Versions<span className="visually-hidden"> of {product.name}</span>
                </button>{' '}
                <button type="button" className="button button-small button-secondary" onClick={() => setReplacing(product)}>
                  Replace template<span className="visually-hidden"> of {product.name}</span>
                </button>
              </td>
            </tr>
          )}
        />
        {products.data && products.data.page.total > products.data.items.length && (
          <p className="muted">Showing the newest {products.data.items.length} of {products.data.page.total}.</p>
        )}
      </section>
      <AddProduct onAdded={upsert} />
      <ReplaceTemplateDialog product={replacing} onClose={() => setReplacing(null)} onReplaced={upsert} returnFocus={heading} />
      <VersionsDialog product={versionsOf} onClose={() => setVersionsOf(null)} returnFocus={heading} />
    </>
  );
}

function templateTitle(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.status === 422) return 'The template was not accepted.';
  if (error.status === 413) return 'The file is too large.';
  return undefined;
}

function AddProduct({ onAdded }: { onAdded(product: ProductSummary): void }) {
  const { notify } = useToast();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ name?: string; file?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found = {
      name: name.trim() ? undefined : 'Give the product a name.',
      file: file ? (file.name.toLowerCase().endsWith('.blend') ? undefined : 'Choose a .blend file.') : 'Choose the product\'s template (.blend).',
    };
    setFieldErrors(found);
    setError(null);
    if (found.name || found.file) {
      (found.name ? nameRef : fileRef).current?.focus();
      return;
    }
    setBusy(true);
    try {
      const product = await api.createProduct(name.trim(), description.trim(), file!);
      onAdded(product);
      notify(`Added “${product.name}”. Its preview is made in a moment.`);
      setName('');
      setDescription('');
      setFile(null);
      form.current?.reset();
      nameRef.current?.focus();
    } catch (caught) {
      setError(caught);
      focusAlert(); // once shown: an empty alert is not displayed
    } finally {
      setBusy(false);
    }
  };

  const described = (field: 'name' | 'file', hint?: string) =>
    [fieldErrors[field] ? `add-product-${field}-error` : '', hint ?? '', error ? 'add-product-problem' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <section className="panel" aria-labelledby="add-product-title">
      <h2 id="add-product-title">Add a product</h2>
      <form ref={form} className="form-grid" onSubmit={submit} noValidate aria-busy={busy}>
        <div className="login-field">
          <label htmlFor="add-product-name">Name</label>
          <input ref={nameRef} id="add-product-name" className="text-field" value={name} maxLength={200}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={fieldErrors.name ? true : undefined} aria-describedby={described('name')} />
          {fieldErrors.name && <p id="add-product-name-error" className="field-error">{fieldErrors.name}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="add-product-description">Description <span className="muted">(optional)</span></label>
          <textarea id="add-product-description" className="text-field" rows={2} value={description} maxLength={10000}
            onChange={(event) => setDescription(event.target.value)} />
        </div>
        <div className="login-field form-wide">
          <label htmlFor="add-product-template">Template</label>
          <input ref={fileRef} id="add-product-template" className="file-field" type="file" accept=".blend"
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
            aria-invalid={fieldErrors.file ? true : undefined} aria-describedby={described('file', 'add-product-template-hint')} />
          <p id="add-product-template-hint" className="field-hint">
            A .blend file made to the template contract: one product collection, its parameters, no files or scripts it reads.
          </p>
          {fieldErrors.file && <p id="add-product-template-error" className="field-error">{fieldErrors.file}</p>}
        </div>
        {error !== null && <div className="form-wide"><ProblemList error={error} id="add-product-problem" ref={alertRef} title={templateTitle(error)} /></div>}
        <div className="form-wide form-buttons">
          <button type="submit" className="button" aria-disabled={busy}>
            {busy ? <><Spinner label="Uploading" /> Uploading and checking…</> : 'Add product'}
          </button>
        </div>
      </form>
    </section>
  );
}

interface ReplaceProps {
  product: ProductSummary | null;
  onClose(): void;
  onReplaced(product: ProductSummary): void;
  returnFocus: RefObject<HTMLElement | null>;
}

/** Once replaced, the dialog shows the new version and its compatibility report (what the new
 * template breaks) until "Done". */
function ReplaceTemplateDialog({ product, onClose, onReplaced, returnFocus }: ReplaceProps) {
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [shownFor, setShownFor] = useState<string | null>(null);
  const [replaced, setReplaced] = useState<ProductSummary | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();
  const [doneRef, focusDone] = useFocusRequest<HTMLParagraphElement>();

  // A fresh form each time it opens.
  if ((product?.id ?? null) !== shownFor) {
    setShownFor(product?.id ?? null);
    setFile(null);
    setFileError(null);
    setError(null);
    setReplaced(null);
  }

  const submit = async () => {
    if (!product || busy || replaced) return;
    const problem = file ? (file.name.toLowerCase().endsWith('.blend') ? null : 'Choose a .blend file.') : 'Choose the new template (.blend).';
    setFileError(problem);
    setError(null);
    if (problem) {
      fileRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const updated = await api.replaceTemplate(product.id, file!);
      onReplaced(updated);
      setReplaced(updated);
      focusDone(); // the form it replaces had focus
    } catch (caught) {
      setError(caught);
      focusAlert(); // once shown: an empty alert is not displayed
    } finally {
      setBusy(false);
    }
  };

  if (product && replaced) {
    return (
      <Dialog
        open
        title={`The template of ${replaced.name} is replaced`}
        onClose={onClose}
        returnFocus={returnFocus}
        wide
        actions={<button type="button" className="button" onClick={onClose}>Done</button>}
      >
        <p className="form-notice" ref={doneRef} tabIndex={-1}>
          Now schema v{replaced.schema_version}, template <code>{shortVersion(replaced.template_version)}</code>: new models use it from now on.
          Here is what it changes for the product&apos;s saved configurations.
        </p>
        <VersionReport productId={replaced.id} schemaVersion={replaced.schema_version} />
      </Dialog>
    );
  }

  return (
    <Dialog
      open={product !== null}
      title={product ? `Replace the template of ${product.name}` : 'Replace the template'}
      onClose={() => { if (!busy) onClose(); }}
      onSubmit={() => void submit()}
      returnFocus={returnFocus}
      wide
      actions={(
        <>
          <button type="button" className="button button-ghost" onClick={onClose} disabled={busy}>Cancel</button>
          <button type="submit" className="button" aria-disabled={busy}>{busy ? 'Uploading and checking…' : 'Replace template'}</button>
        </>
      )}
    >
      <p>
        The new template applies to new models at once. Saved configurations keep their values; values the new template no longer
        has are dropped when they are opened.
      </p>
      {product && (
        <p className="muted">Now: schema v{product.schema_version}, template <code>{shortVersion(product.template_version)}</code> of {formatDate(product.updated_at)}.</p>
      )}
      <label className="field-label" htmlFor="replace-template">New template</label>
      <input key={shownFor ?? 'closed'} ref={fileRef} id="replace-template" className="file-field" type="file" accept=".blend" autoFocus
        onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        aria-invalid={fileError ? true : undefined}
        aria-describedby={[fileError ? 'replace-template-error' : '', error ? 'replace-template-problem' : ''].filter(Boolean).join(' ') || undefined} />
      {fileError && <p id="replace-template-error" className="field-error">{fileError}</p>}
      {error !== null && <ProblemList error={error} id="replace-template-problem" ref={alertRef} title={templateTitle(error)} />}
    </Dialog>
  );
}
