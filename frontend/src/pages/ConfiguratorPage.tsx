/** `/configure/:productId[?c=…]`: the product's controls beside its live 3D preview. */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ConfigurationSummary } from '../components/controls/ConfigurationSummary';
import { ControlsPanel } from '../components/controls/ControlsPanel';
import { copyText, CopyField } from '../components/layout/CopyField';
import { Dialog } from '../components/layout/Dialog';
import { ErrorState, LoadingState } from '../components/layout/StatusViews';
import { PreviewPanel } from '../components/scene/PreviewPanel';
import { useAuth } from '../context/AuthContext';
import { ConfiguratorProvider, useConfigActions, useConfiguredProduct, useConfigValues, useValidation } from '../context/ConfiguratorContext';
import { useToast } from '../context/ToastContext';
import { useProductPage } from '../hooks/useProductPage';
import { rememberLocalSaved } from '../lib/localSaved';
import { nameTaken } from '../lib/nameTaken';
import { metresInUnits } from '../lib/rules';
import { ruleProblemText, serverProblemText } from '../lib/saveProblems';
import { configuratorPath } from '../lib/shareLink';
import { defaultConfig } from '../lib/values';
import { api, ApiError } from '../services/api';
import { loadToolkit, preloadModel } from '../services/modelLoader';
import { webglAvailable } from '../lib/renderer';
import type { ConfigSchema } from '../types/configSchema';
import { NotFoundPage } from './NotFoundPage';

export function ConfiguratorPage() {
  const { productId, product } = useProductPage();
  // The default model and three.js start downloading once the product is known (not before:
  // they would share the line with the product itself, whose text is the page's largest
  // paint), beside the first job's round trip (a default configuration is answered from the
  // cache). three.js only where the model can be drawn (without WebGL it is only measured).
  const previewUrl = product.data?.preview_url;
  const known = product.data !== undefined;
  useEffect(() => {
    if (!known) return;
    if (webglAvailable()) void loadToolkit();
    if (previewUrl) preloadModel(previewUrl);
  }, [known, previewUrl]);

  if (product.error instanceof ApiError && (product.error.status === 404 || product.error.status === 400)) {
    return <NotFoundPage what="product" />;
  }
  if (product.error) return <ErrorState title="This product could not be loaded" error={product.error} onRetry={product.reload} />;
  if (!product.data || product.data.id !== productId) return <LoadingState label="Loading the product" />;
  return (
    <ConfiguratorProvider key={`${product.data.id}@${product.data.schema_version}`} product={product.data}>
      <Configurator />
    </ConfiguratorProvider>
  );
}

/** The page's frame: it reads only what never changes, so a change of the values re-renders
 * the parts that show them, not the whole page. */
function Configurator() {
  const { product, rejectedFromLink } = useConfiguredProduct();
  const [saving, setSaving] = useState(false);
  useLinkNotice(rejectedFromLink);

  return (
    <div className="configurator">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/">Products</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{product.name}</span>
      </nav>
      <div className="configurator-head">
        <div>
          <h1>{product.name}</h1>
          {product.description && <p className="lede">{product.description}</p>}
        </div>
        <ConfigurationActions linkPath={configuratorPath} onSave={() => setSaving(true)} />
      </div>
      <div className="configurator-body">
        <PreviewPanel />
        <aside className="configurator-side">
          <ControlsPanel />
        </aside>
      </div>
      <SaveDialog open={saving} onClose={() => setSaving(false)} />
    </div>
  );
}

/** Once: the link's values that did not fit the product were reset. */
export function useLinkNotice(rejectedFromLink: string[]): void {
  const { notify } = useToast();
  useEffect(() => {
    if (rejectedFromLink.length > 0) {
      notify('Some values in this link do not fit the product any more; they were reset to the defaults.', { tone: 'error' });
    }
  }, [rejectedFromLink, notify]);
}

interface ConfigurationActionsProps {
  /** Path + query of the page showing these values (the link "Copy link" copies). */
  linkPath(productId: string, schema: ConfigSchema, values: Readonly<Record<string, unknown>>): string;
  /** Without it there is no Save button. */
  onSave?(): void;
}

/** Reset, Copy link, Save. */
export function ConfigurationActions({ linkPath, onSave }: ConfigurationActionsProps) {
  const { product } = useConfiguredProduct();
  const { values, isDefault } = useConfigValues();
  const { applyValues } = useConfigActions();
  const { notify } = useToast();
  const [manualLink, setManualLink] = useState<string | null>(null);

  const copyLink = async () => {
    const url = new URL(linkPath(product.id, product.config_schema, values), window.location.origin).href;
    if (await copyText(url)) notify('Link copied. Anyone with it sees this exact configuration.');
    else setManualLink(url); // no clipboard here (a frame without permission): show it to copy by hand
  };

  return (
    <div className="actions">
      <button type="button" className="button button-ghost" disabled={isDefault}
        onClick={() => applyValues(defaultConfig(product.config_schema))}>
        Reset
      </button>
      <button type="button" className="button button-secondary" onClick={copyLink}>
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1" /></svg>
        Copy link
      </button>
      {onSave && (
        <button type="button" className="button" onClick={onSave}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 4h9l3 3v13H6zM9 4v5h6M9 20v-6h6v6" /></svg>
          Save
        </button>
      )}
      <Dialog
        open={manualLink !== null}
        title="Link to this configuration"
        onClose={() => setManualLink(null)}
        actions={<button type="button" className="button" onClick={() => setManualLink(null)}>Done</button>}
      >
        <CopyField label="Link" value={manualLink ?? ''} hint="Anyone with this link sees this exact configuration." />
      </Dialog>
    </div>
  );
}

const NAME_MISSING = 'Give the configuration a name.';

function SaveDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const { product, controls } = useConfiguredProduct();
  const { values } = useConfigValues();
  const { violations } = useValidation();
  const ruleProblem = ruleProblemText(violations);
  const { status } = useAuth();
  const { notify } = useToast();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The free name the server offered when the one given is taken (lib/nameTaken). */
  const [freeName, setFreeName] = useState<string | null>(null);

  useEffect(() => {
    if (open) {
      setName(`${product.name}, ${new Date().toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`);
      setError(null);
      setFreeName(null);
    }
  }, [open, product.name]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError(NAME_MISSING);
      return;
    }
    if (ruleProblem) {
      setError(ruleProblem);
      return;
    }
    setBusy(true);
    try {
      const saved = await api.createConfiguration(product.id, trimmed, values);
      onClose();
      // A shopper without an account cannot list what they saved: this browser remembers it.
      if (status !== 'authenticated' && !rememberLocalSaved(saved.id)) {
        notify(`Saved “${trimmed}”, but this browser would not keep it in its list. Copy the link to find it again.`, { tone: 'error' });
        return;
      }
      notify(status === 'authenticated' ? `Saved “${trimmed}”.` : `Saved “${trimmed}” in this browser.`,
        { action: { label: 'View saved', to: '/saved' } });
    } catch (err) {
      setFreeName(nameTaken(err)?.suggestion ?? null);
      setError(err instanceof ApiError ? describeSaveError(err) : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  /** The server's words per value, with lengths in the fields' units. */
  function describeSaveError(err: ApiError): string {
    const length = controls.find((c) => c.kind === 'number' && c.length);
    const text = serverProblemText(err.message, err.errors(), (key) => controls.find((c) => c.key === key)?.label);
    return length?.kind === 'number' ? metresInUnits(text, length.unit) : text;
  }

  const shownError = error ?? ruleProblem;
  return (
    <Dialog
      open={open}
      title="Save configuration"
      onClose={onClose}
      onSubmit={submit}
      actions={(
        <>
          <button type="button" className="button button-ghost" onClick={onClose}>Cancel</button>
          <button type="submit" className="button" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
        </>
      )}
    >
      <label className="field-label" htmlFor="save-name">Name</label>
      <input id="save-name" className="text-field" value={name} maxLength={200} autoFocus
        aria-invalid={error === NAME_MISSING || freeName !== null} aria-describedby={shownError ? 'save-error' : status !== 'authenticated' ? 'save-hint' : undefined}
        onChange={(event) => { setName(event.target.value); setFreeName(null); }} />
      {shownError && <p className="field-error" id="save-error" role="alert">{shownError}</p>}
      {freeName && (
        <button type="button" className="link-button"
          onClick={() => { setName(freeName); setFreeName(null); setError(null); document.getElementById('save-name')?.focus(); }}>
          Use “{freeName}”
        </button>
      )}
      {!shownError && status !== 'authenticated' && (
        <p className="field-hint" id="save-hint">Kept in this browser. Log in to keep your configurations with your account.</p>
      )}
      {open && <ConfigurationSummary id="save-summary" />}
    </Dialog>
  );
}
