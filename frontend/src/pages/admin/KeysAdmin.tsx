/** Admin › API keys & embed: the client's keys (newest first, revoked ones too); create a
 * secret key (servers, the Blender add-on) with a role, or a publishable key (the client's
 * website: storefront and embed) with its allowed origins. A new key is shown once, with a
 * copy button; a publishable one also with the embed code of a product. Revoking asks first. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/layout/ConfirmDialog';
import { CopyField } from '../../components/layout/CopyField';
import { ProblemList, sentence } from '../../components/layout/ProblemList';
import { EmptyState } from '../../components/layout/StatusViews';
import { useAsync } from '../../hooks/useAsync';
import { useConfirm } from '../../hooks/useConfirm';
import { useFocusRequest } from '../../hooks/useFocusRequest';
import { directoryOf, describeParty } from '../../lib/audit';
import { embedSnippet, embedUrl } from '../../lib/embedSnippet';
import { focusFirst } from '../../lib/focusFirst';
import { describeOrigin, parseOrigins, SELF_ORIGIN } from '../../lib/origins';
import { pointerPath } from '../../lib/problems';
import { ROLE_LABELS } from '../../lib/roles';
import { ApiError, api } from '../../services/api';
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyKind, ProductSummary, Role } from '../../types/api';
import { AdminTable } from './AdminTable';
import { formatDate } from './format';

const loadKeys = (signal: AbortSignal) => api.listApiKeys(signal);
const loadProducts = (signal: AbortSignal) => api.listProducts(100, 0, signal);
const loadUsers = (signal: AbortSignal) => api.listUsers(signal).catch(() => ({ items: [] }));

const SECRET_ROLES: readonly Role[] = ['viewer', 'member', 'admin'];

export function KeysAdmin() {
  const keys = useAsync(loadKeys);
  const products = useAsync(loadProducts);
  const users = useAsync(loadUsers);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const directory = directoryOf(users.data?.items ?? []);

  const revoke = useConfirm(async (target: ApiKey) => {
    await api.revokeApiKey(target.id);
    const at = new Date().toISOString();
    keys.setData((d) => d && { items: d.items.map((k) => (k.id === target.id ? { ...k, revoked_at: k.revoked_at ?? at } : k)) });
    if (created?.id === target.id) setCreated(null);
    return `Revoked “${target.name || target.shown_prefix}”. It is refused from now on.`;
  }, heading);
  const revoking = revoke.pending;

  return (
    <>
      {created && (
        <NewKey created={created} products={products.data?.items ?? []} onDone={() => { setCreated(null); heading.current?.focus(); }} />
      )}
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title" tabIndex={-1} ref={heading}>API keys</h2>
        <p className="muted">
          Secret keys (<code>sk_…</code>) are for servers and the Blender add-on: keep them out of web pages.
          Publishable keys (<code>pk_…</code>) are for your website: they only act as the storefront, from the sites they list.
        </p>
        <AdminTable
          list={keys}
          labelledBy="keys-title"
          errorTitle="The keys could not be loaded"
          loadingLabel="Loading keys"
          empty={<EmptyState title="No keys yet"><p>Create one below.</p></EmptyState>}
          columns={['Name', 'Kind', 'Key', 'Allowed from', 'Created', 'Last used', 'Status']}
          actions
          row={(key) => (
            <tr key={key.id} data-id={key.id} className={key.revoked_at ? 'is-revoked' : undefined}>
              <th scope="row">{key.name || <span className="muted">Unnamed</span>}</th>
              <td>
                {key.kind === 'publishable' ? 'Publishable' : 'Secret'}
                <span className="cell-note">{key.role === 'storefront' ? 'Storefront' : ROLE_LABELS[key.role]}</span>
              </td>
              <td><code>{key.shown_prefix}…</code></td>
              <td>
                {key.allowed_origins.length ? (
                  <ul className="plain-list">{key.allowed_origins.map((o) => <li key={o} className="cell-break">{describeOrigin(o)}</li>)}</ul>
                ) : <span className="muted">Anywhere (not a browser key)</span>}
              </td>
              <td>
                <time dateTime={key.created_at}>{formatDate(key.created_at)}</time>
                {key.created_by && <span className="cell-note">by {describeParty(`user:${key.created_by}`, directory)}</span>}
              </td>
              <td>{key.last_used_at ? <time dateTime={key.last_used_at}>{formatDate(key.last_used_at)}</time> : <span className="muted">Never</span>}</td>
              <td>
                {key.revoked_at
                  ? <span className="badge badge-muted">Revoked <time dateTime={key.revoked_at}>{formatDate(key.revoked_at)}</time></span>
                  : <span className="badge badge-success">Active</span>}
              </td>
              <td className="cell-actions">
                {!key.revoked_at && (
                  <button type="button" className="button button-small button-ghost button-danger-text" onClick={() => revoke.ask(key)}>
                    Revoke<span className="visually-hidden"> {key.name || key.shown_prefix}</span>
                  </button>
                )}
              </td>
            </tr>
          )}
        />
      </section>
      <CreateKey onCreated={(key) => {
        const { key: _secret, ...listed } = key;
        void _secret;
        keys.setData((d) => d && { items: [listed, ...d.items] });
        setCreated(key);
      }} />
      <ConfirmDialog
        confirmation={revoke}
        title={`Revoke “${revoking?.name || revoking?.shown_prefix || 'this key'}”?`}
        keepLabel="Keep it"
        confirmLabel="Revoke"
      >
        <p>
          Whatever uses this key stops working: at once on this server, within a few seconds on the others.
          {revoking?.kind === 'publishable' && ' Websites that embed the configurator with it show an error.'} This cannot be undone.
        </p>
        {revoking?.allowed_origins.includes(SELF_ORIGIN) && (
          <p className="form-warning">
            This key is allowed from this server itself: it may be the one this server&apos;s own pages use for shoppers who are not
            logged in. Revoked, those pages cannot show products until the server issues a new one at its next start.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}

/** The key just made, this once; for a publishable key the embed code too. */
function NewKey({ created, products, onDone }: { created: ApiKeyCreated; products: ProductSummary[]; onDone(): void }) {
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => { titleRef.current?.focus(); }, [created.id]);
  return (
    <section className="panel panel-highlight new-key" aria-labelledby="new-key-title">
      <h2 id="new-key-title" tabIndex={-1} ref={titleRef}>Your new key{created.name ? ` “${created.name}”` : ''}</h2>
      <p className="form-warning" id="new-key-warning">
        <strong>Copy it now: it is not shown again.</strong> Only its first characters are kept, so a lost key cannot be recovered —
        revoke it and create another.
      </p>
      <CopyField label={created.kind === 'publishable' ? 'Publishable key' : 'Secret key'} value={created.key}
        hint={created.kind === 'publishable'
          ? `Acts as the storefront from ${created.allowed_origins.map(describeOrigin).join(', ')}.`
          : `Acts with the ${created.role} role. Keep it on servers only.`} />
      {created.kind === 'publishable' && <EmbedCode pk={created.key} products={products} />}
      <div className="form-buttons">
        <button type="button" className="button" onClick={onDone}>I have copied it</button>
      </div>
    </section>
  );
}

function EmbedCode({ pk, products }: { pk: string; products: ProductSummary[] }) {
  const [productId, setProductId] = useState(products[0]?.id ?? '');
  const pickerId = useId();
  const chosen = products.find((p) => p.id === productId) ?? products[0];
  if (!chosen) return <p className="muted">Add a product to get the code that embeds its configurator.</p>;
  const origin = window.location.origin;
  return (
    <div className="embed-code">
      <h3>Embed a configurator on your website</h3>
      <div className="login-field">
        <label htmlFor={pickerId}>Product</label>
        <select id={pickerId} className="select" value={chosen.id} onChange={(event) => setProductId(event.target.value)}>
          {products.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
      </div>
      <CopyField label="Embed code" multiline value={embedSnippet(origin, chosen.id, chosen.name, pk)}
        hint="Paste it into a page of a site this key allows. It shows this product's configurator alone." />
      <p><a href={embedUrl(origin, chosen.id, pk)} target="_blank" rel="noreferrer">Open the embedded configurator<span className="visually-hidden"> (new tab)</span></a></p>
    </div>
  );
}

interface CreateErrors {
  name?: string;
  role?: string;
  origins?: string;
}

function CreateKey({ onCreated }: { onCreated(key: ApiKeyCreated): void }) {
  const [kind, setKind] = useState<ApiKeyKind>('publishable');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [originsText, setOriginsText] = useState('');
  const [errors, setErrors] = useState<CreateErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const refs = { name: useRef<HTMLInputElement>(null), role: useRef<HTMLSelectElement>(null), origins: useRef<HTMLTextAreaElement>(null) };
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: CreateErrors = {};
    let body: ApiKeyCreate;
    if (kind === 'publishable') {
      const parsed = parseOrigins(originsText);
      if (parsed.problems.length) {
        found.origins = parsed.problems.map((p) => `Line ${p.line} (${p.text}) ${p.message}.`).join(' ');
      } else if (!parsed.origins.length) {
        found.origins = 'List at least one site, like https://shop.example.';
      }
      if (!found.origins && parsed.origins.length > 20) found.origins = 'A key lists at most 20 sites.';
      body = { kind, name: name.trim(), allowed_origins: parsed.origins };
    } else {
      body = { kind, name: name.trim(), role };
    }
    setErrors(found);
    setError(null);
    if (Object.keys(found).length) {
      focusFirst(refs, found);
      return;
    }
    setBusy(true);
    try {
      const created = await api.createApiKey(body);
      onCreated(created);
      setName('');
      setOriginsText('');
    } catch (caught) {
      // A refusal points at the field at fault (/name, /role, /allowed_origins/1).
      const pointed = caught instanceof ApiError && caught.status === 422 ? caught.errors().filter((e) => e.pointer) : [];
      const byField: CreateErrors = {};
      for (const e of pointed) {
        const [field, index] = (e.pointer ?? '').replace(/^\//, '').split('/');
        const message = sentence(e.message);
        if (field === 'name') byField.name ??= message;
        else if (field === 'role' || field === 'kind') byField.role ??= message;
        else if (field === 'allowed_origins') {
          const line = index !== undefined ? originsLine(originsText, Number(index)) : null;
          byField.origins ??= line ? `${line}: ${message}` : message;
        }
      }
      if (Object.keys(byField).length) {
        setErrors(byField);
        focusFirst(refs, byField);
      } else {
        setError(caught);
        focusAlert(); // once shown: an empty alert is not displayed
      }
    } finally {
      setBusy(false);
    }
  };

  const described = (field: keyof CreateErrors, hint?: string) =>
    [errors[field] ? `key-${field}-error` : '', hint ?? ''].filter(Boolean).join(' ') || undefined;

  return (
    <section className="panel" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <form className="form-grid" onSubmit={submit} noValidate aria-busy={busy}>
        <fieldset className="form-wide choice-fieldset">
          <legend className="field-label">Kind</legend>
          <label className="choice">
            <input type="radio" name="key-kind" value="publishable" checked={kind === 'publishable'} onChange={() => setKind('publishable')} />
            <span><strong>Publishable</strong> — for your website: the storefront and embedded configurators</span>
          </label>
          <label className="choice">
            <input type="radio" name="key-kind" value="secret" checked={kind === 'secret'} onChange={() => setKind('secret')} />
            <span><strong>Secret</strong> — for your servers and the Blender add-on</span>
          </label>
        </fieldset>
        <div className="login-field">
          <label htmlFor="key-name">Name <span className="muted">(what it is for)</span></label>
          <input ref={refs.name} id="key-name" className="text-field" value={name} maxLength={200} autoComplete="off"
            placeholder={kind === 'publishable' ? 'Online shop' : 'ERP export'}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={errors.name ? true : undefined} aria-describedby={described('name')} />
          {errors.name && <p id="key-name-error" className="field-error">{errors.name}</p>}
        </div>
        {kind === 'secret' ? (
          <div className="login-field">
            <label htmlFor="key-role">Role</label>
            <select ref={refs.role} id="key-role" className="select" value={role} onChange={(event) => setRole(event.target.value as Role)}
              aria-invalid={errors.role ? true : undefined} aria-describedby={described('role', 'key-role-hint')}>
              {SECRET_ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
            </select>
            <p id="key-role-hint" className="field-hint">What the key may do, as a user of that role.</p>
            {errors.role && <p id="key-role-error" className="field-error">{errors.role}</p>}
          </div>
        ) : (
          <>
            <div className="login-field form-wide">
              <label htmlFor="key-origins">Allowed sites</label>
              <textarea ref={refs.origins} id="key-origins" className="text-field code-text" rows={3} value={originsText}
                placeholder="https://shop.example" spellCheck={false} autoCapitalize="none"
                onChange={(event) => setOriginsText(event.target.value)}
                aria-invalid={errors.origins ? true : undefined} aria-describedby={described('origins', 'key-origins-hint')} />
              <p id="key-origins-hint" className="field-hint">
                One a line: scheme, host and port only (https://shop.example, http://localhost:3000). Only these sites may use
                the key, and only they may frame its embedded configurator (which runs on this server).
              </p>
              {errors.origins && <p id="key-origins-error" className="field-error">{errors.origins}</p>}
            </div>
          </>
        )}
        {error !== null && <div className="form-wide"><ProblemList error={error} ref={alertRef} title="The key was not created." /></div>}
        <div className="form-wide form-buttons">
          <button type="submit" className="button" aria-disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
        </div>
      </form>
    </section>
  );
}

/** "Line 2 (https://x/y)" for the `index`-th origin sent (blank lines were skipped). */
function originsLine(text: string, index: number): string | null {
  const lines = text.split(/\r?\n/).map((l, i) => ({ text: l.trim(), line: i + 1 })).filter((l) => l.text);
  const found = lines[index];
  return found ? `Line ${found.line} (${found.text})` : pointerPath(`/allowed_origins/${index}`);
}
