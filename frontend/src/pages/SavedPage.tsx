/** `/saved`: saved configurations. Logged in: the account's (the server decides which: a
 * viewer's own, all of the company's for members and admins) — open, rename, delete. Nobody
 * logged in: the storefront cannot list configurations, so the ones saved in this browser
 * (their ids kept in localStorage) — open, remove from this list.
 *
 * Each shows its own picture, rendered on the server seconds after it was saved: a placeholder
 * of the same size until then (the list looks again while a recent one is still without). A
 * name the user already has is refused by the server (409) and said at the name field, with
 * the free name it offers one press away. */
import { useCallback, useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { Link } from 'react-router';
import { ConfirmDialog } from '../components/layout/ConfirmDialog';
import { EmptyState, ErrorState, LoadingState } from '../components/layout/StatusViews';
import { useAuth } from '../context/AuthContext';
import { useToast } from '../context/ToastContext';
import { useAsync, type AsyncState } from '../hooks/useAsync';
import { useConfirm } from '../hooks/useConfirm';
import { useFocusRequest } from '../hooks/useFocusRequest';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useLengthUnit } from '../hooks/useLengthUnit';
import { forgetLocalSaved, localSavedIds } from '../lib/localSaved';
import { nameTaken, type NameTaken } from '../lib/nameTaken';
import { loginPath } from '../lib/nextPath';
import { controlsFromSchema, formatValue } from '../lib/schemaControls';
import { configuratorPath } from '../lib/shareLink';
import type { LengthUnit } from '../lib/units';
import { nonDefaultValues } from '../lib/values';
import { api, ApiError } from '../services/api';
import type { Configuration, Product } from '../types/api';
import { thumbnailImage } from '../lib/thumbnails';

const LIMIT = 100;
const THUMBNAIL_POLL_MS = 3000;
/** A configuration saved or changed longer ago than this without a picture will not get one
 * soon (its render failed, or the server restarted meanwhile): the list stops looking. */
const THUMBNAIL_WAIT_MS = 600_000;
/** The picture's box on the card (CSS `.saved-thumbnail`), for `sizes`. */
const THUMBNAIL_SIZES = '96px';

interface SavedData {
  items: Configuration[];
  total: number;
  products: Map<string, Product>;
  /** Kept in this browser but not readable just now (not gone: those are forgotten). */
  unavailable: number;
}

async function productsOf(items: Configuration[], signal: AbortSignal): Promise<Map<string, Product>> {
  const ids = [...new Set(items.map((c) => c.product_id))];
  const products = await Promise.all(ids.map((id) => api.getProduct(id, signal).catch(() => null)));
  return new Map(products.filter((p): p is Product => p !== null).map((p) => [p.id, p]));
}

async function loadAccountSaved(signal: AbortSignal): Promise<SavedData> {
  const list = await api.listConfigurations(LIMIT, 0, signal);
  return { items: list.items, total: list.page.total, products: await productsOf(list.items, signal), unavailable: 0 };
}

/** Each id kept in this browser, asked for; those the server no longer has are forgotten. */
async function loadBrowserSaved(signal: AbortSignal): Promise<SavedData> {
  const ids = localSavedIds();
  const answers = await Promise.allSettled(ids.map((id) => api.getConfiguration(id, signal)));
  const gone: string[] = [];
  const failures: unknown[] = [];
  const items: Configuration[] = [];
  answers.forEach((answer, index) => {
    if (answer.status === 'fulfilled') items.push(answer.value);
    else if (answer.reason instanceof ApiError && (answer.reason.status === 404 || answer.reason.status === 400)) gone.push(ids[index]);
    else failures.push(answer.reason);
  });
  if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  forgetLocalSaved(gone);
  if (items.length === 0 && failures.length > 0) throw failures[0];
  return { items, total: items.length, products: await productsOf(items, signal), unavailable: failures.length };
}

/** Whether a configuration's picture is still to come: none yet, and saved or changed recently. */
function awaitingThumbnail(configuration: Configuration, now = Date.now()): boolean {
  return !configuration.thumbnails && now - new Date(configuration.updated_at).getTime() < THUMBNAIL_WAIT_MS;
}

/** Every few seconds while a configuration's picture is still to come, ask for those
 * configurations again (not the list and its products) and take their pictures: only
 * `thumbnails` is taken, so a rename meanwhile is never undone. */
function useThumbnailPolling(saved: AsyncState<SavedData>) {
  const waiting = saved.data?.items.filter((c) => awaitingThumbnail(c)).map((c) => c.id).join(' ') ?? '';
  const { setData } = saved;
  useEffect(() => {
    if (!waiting) return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      const answers = await Promise.allSettled(waiting.split(' ').map((id) => api.getConfiguration(id, controller.signal)));
      const pictures = new Map(answers.flatMap((a) => (a.status === 'fulfilled' ? [[a.value.id, a.value] as const] : [])));
      if (controller.signal.aborted) return;
      setData((data) => data && {
        ...data,
        items: data.items.map((c) => {
          const fresh = pictures.get(c.id);
          // Still waiting: a copy with a newer updated_at keeps it waiting, and polled again.
          return fresh ? { ...c, thumbnails: fresh.thumbnails, updated_at: fresh.updated_at } : c;
        }),
      });
    }, THUMBNAIL_POLL_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [waiting, setData, saved.data]);
}

/** The list without the configuration `id` (deleted, or removed from this browser's list). */
const without = (id: string) => (data: SavedData | undefined) =>
  data && { ...data, items: data.items.filter((c) => c.id !== id), total: data.total - 1 };

export function SavedPage() {
  useDocumentTitle('Saved configurations');
  const { status } = useAuth();
  const heading = useRef<HTMLHeadingElement>(null);
  return (
    <div className="saved">
      <h1 tabIndex={-1} ref={heading}>Saved configurations</h1>
      {status === 'loading' ? <LoadingState label="Loading saved configurations" />
        : status === 'authenticated' ? <AccountSaved heading={heading} />
          : <BrowserSaved heading={heading} />}
    </div>
  );
}

/** Where focus goes when the row of `id` is removed with its buttons: the next row's name,
 * else the previous one's, else the page's heading. Both exist before and after the removal. */
function focusAfterRemoval(items: readonly Configuration[], id: string, heading: HTMLElement | null): HTMLElement | null {
  const index = items.findIndex((c) => c.id === id);
  const next = items[index + 1] ?? items[index - 1];
  const link = next && document.querySelector<HTMLElement>(`.saved-item[data-id="${CSS.escape(next.id)}"] h2 a`);
  return link ?? heading;
}

function AccountSaved({ heading }: { heading: RefObject<HTMLHeadingElement | null> }) {
  const saved = useAsync(loadAccountSaved);
  useThumbnailPolling(saved);
  const afterDelete = useRef<HTMLElement | null>(null);

  const replace = (updated: Configuration) =>
    saved.setData((d) => d && { ...d, items: d.items.map((c) => (c.id === updated.id ? updated : c)) });

  const deleting = useConfirm(async (target: Configuration) => {
    await api.deleteConfiguration(target.id);
    afterDelete.current = focusAfterRemoval(saved.data?.items ?? [], target.id, heading.current);
    saved.setData(without(target.id));
    return `Deleted “${target.name}”.`;
  }, afterDelete, (error) => error.message);

  return (
    <>
      <SavedList
        saved={saved}
        emptyTitle="Nothing saved yet"
        renderActions={(configuration) => ({
          onRenamed: replace,
          extra: (
            <button type="button" className="button button-small button-ghost button-danger-text" onClick={() => deleting.ask(configuration)}>
              Delete
            </button>
          ),
        })}
      />
      <ConfirmDialog confirmation={deleting} title="Delete this configuration?" keepLabel="Keep it" confirmLabel="Delete">
        <p>“{deleting.pending?.name}” will be removed for good. Links shared from it keep working.</p>
      </ConfirmDialog>
    </>
  );
}

function BrowserSaved({ heading }: { heading: RefObject<HTMLHeadingElement | null> }) {
  const saved = useAsync(loadBrowserSaved);
  useThumbnailPolling(saved);
  const { notify } = useToast();

  const remove = (configuration: Configuration) => {
    // The button is gone with its row: focus goes to the neighbouring one, else the heading.
    focusAfterRemoval(saved.data?.items ?? [], configuration.id, heading.current)?.focus();
    forgetLocalSaved([configuration.id]);
    saved.setData(without(configuration.id));
    notify(`Removed “${configuration.name}” from this list.`);
  };

  const here = loginPath('/saved');
  return (
    <>
      <p className="form-notice saved-notice">
        These are the configurations saved in this browser. <Link to={here}>Log in</Link> to keep what you save with your
        account, on any device.
      </p>
      <SavedList
        saved={saved}
        emptyTitle="Nothing saved in this browser yet"
        renderActions={(configuration) => ({
          extra: (
            <button type="button" className="button button-small button-ghost" onClick={() => remove(configuration)}>
              Remove from this list
            </button>
          ),
        })}
      />
    </>
  );
}

interface ItemActions {
  /** Given: the item can be renamed. */
  onRenamed?(configuration: Configuration): void;
  extra: ReactNode;
}

function SavedList({ saved, emptyTitle, renderActions }: {
  saved: AsyncState<SavedData>;
  emptyTitle: string;
  renderActions(configuration: Configuration): ItemActions;
}) {
  if (saved.error && !saved.data) return <ErrorState title="Saved configurations could not be loaded" error={saved.error} onRetry={saved.reload} />;
  if (!saved.data) return <LoadingState label="Loading saved configurations" />;
  if (saved.data.items.length === 0 && saved.data.unavailable === 0) {
    return (
      <EmptyState title={emptyTitle}>
        <p>Configure a product and press <strong>Save</strong> to keep it here.</p>
        <Link className="button" to="/">Browse products</Link>
      </EmptyState>
    );
  }
  const data = saved.data;
  return (
    <>
      <ul className="saved-list">
        {data.items.map((configuration) => (
          <SavedItem
            key={configuration.id}
            configuration={configuration}
            product={data.products.get(configuration.product_id)}
            {...renderActions(configuration)}
          />
        ))}
      </ul>
      {data.unavailable > 0 && (
        <p className="muted">
          {data.unavailable === 1 ? 'One more could not be loaded just now.' : `${data.unavailable} more could not be loaded just now.`}{' '}
          <button type="button" className="link-button" onClick={saved.reload}>Try again</button>
        </p>
      )}
      {data.total > data.items.length && (
        <p className="muted">Showing the newest {data.items.length} of {data.total}.</p>
      )}
    </>
  );
}

interface SavedItemProps extends ItemActions {
  configuration: Configuration;
  product: Product | undefined;
}

function SavedItem({ configuration, product, onRenamed, extra }: SavedItemProps) {
  const { notify } = useToast();
  const lengthUnit = useLengthUnit();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(configuration.name);
  const [busy, setBusy] = useState(false);
  const [taken, setTaken] = useState<NameTaken | null>(null);
  // The title's height when the form opened: the form keeps it (a name on two lines included).
  const [titleHeight, setTitleHeight] = useState<number | undefined>();
  const title = useRef<HTMLDivElement>(null);
  const [renameButton, focusRename] = useFocusRequest<HTMLButtonElement>();
  const [nameLink, focusName] = useFocusRequest<HTMLAnchorElement>();
  const [nameInput, focusInput] = useFocusRequest<HTMLInputElement>();
  const inputId = `rename-${configuration.id}`;
  const errorId = `rename-error-${configuration.id}`;

  const startEditing = () => {
    setTitleHeight(title.current?.offsetHeight);
    setEditing(true);
  };

  const stopEditing = useCallback(() => {
    setEditing(false);
    setName(configuration.name);
    setTaken(null);
    focusRename(); // once the form is gone
  }, [configuration.name, focusRename]);

  const rename = async () => {
    if (busy) return;
    const trimmed = name.trim();
    if (!onRenamed || !trimmed || trimmed === configuration.name) {
      stopEditing();
      return;
    }
    setBusy(true);
    try {
      onRenamed(await api.renameConfiguration(configuration.id, trimmed));
      setEditing(false);
      setTaken(null);
      focusName(); // the new name, once the form is gone
    } catch (error) {
      const refused = nameTaken(error);
      if (refused) {
        setTaken(refused);
        focusInput(); // the message is read with the field it is about
      } else {
        notify((error as Error).message, { tone: 'error' });
      }
    } finally {
      setBusy(false);
    }
  };

  const summary = product ? describe(product, configuration, lengthUnit) : [];
  const href = product
    ? configuratorPath(product.id, product.config_schema, configuration.config_data)
    : `/configure/${configuration.product_id}`;
  const updated = new Date(configuration.updated_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  return (
    <li className="saved-item" data-id={configuration.id}>
      <SavedThumbnail configuration={configuration} />
      <div className="saved-main">
        {/* The form takes the title's place at the title's height: the card does not jump. */}
        <div className="saved-title" ref={title} style={editing ? { minHeight: titleHeight } : undefined}>
          {editing ? (
            <form className="rename-form" onSubmit={(event) => { event.preventDefault(); void rename(); }}>
              <label className="visually-hidden" htmlFor={inputId}>New name</label>
              <input id={inputId} ref={nameInput} className="text-field" value={name} maxLength={200} autoFocus readOnly={busy}
                aria-busy={busy} aria-invalid={taken ? true : undefined} aria-describedby={taken ? errorId : undefined}
                onChange={(event) => { setName(event.target.value); setTaken(null); }}
                onKeyDown={(event) => { if (event.key === 'Escape') stopEditing(); }} />
              <button type="submit" className="button button-small" aria-disabled={busy || undefined}>{busy ? 'Saving…' : 'Save'}</button>
              <button type="button" className="button button-small button-ghost" onClick={stopEditing}>Cancel</button>
            </form>
          ) : (
            <h2><Link ref={nameLink} to={href}>{configuration.name}</Link></h2>
          )}
        </div>
        {editing && taken && (
          <p className="field-error rename-taken" id={errorId} role="alert">
            {taken.message}
            {taken.suggestion && (
              <>
                {' '}
                <button type="button" className="link-button"
                  onClick={() => { setName(taken.suggestion ?? name); setTaken(null); focusInput(); }}>
                  Use “{taken.suggestion}”
                </button>
              </>
            )}
          </p>
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
        <Link className="button button-small" to={href} aria-label={`Open ${configuration.name}`}>Open</Link>
        {onRenamed && (
          // Not `disabled` while the form is open: a disabled button is faded past reading and
          // drops focus; it says it is in use instead, and pressing it goes back to the field.
          <button ref={renameButton} type="button" className="button button-small button-ghost saved-rename"
            aria-disabled={editing || undefined} onClick={() => (editing ? focusInput() : startEditing())}>
            {editing ? 'Renaming…' : 'Rename'}
          </button>
        )}
        {extra}
      </div>
    </li>
  );
}

/** The configuration's own picture (server-rendered WebP, every width in `srcSet`), or a
 * placeholder of the same size while it is being made. Decorative: the name beside it says
 * what it is. */
function SavedThumbnail({ configuration }: { configuration: Configuration }) {
  const image = thumbnailImage(configuration.thumbnails);
  if (!image) {
    return (
      <div className="saved-thumbnail saved-thumbnail-placeholder" aria-hidden="true"
        title={awaitingThumbnail(configuration) ? 'Picture on its way' : undefined}>
        <svg viewBox="0 0 24 24"><path d="M4 8l8-4 8 4v8l-8 4-8-4zM4 8l8 4 8-4M12 12v8" /></svg>
      </div>
    );
  }
  return (
    <img className="saved-thumbnail" src={image.src} alt="" srcSet={image.srcSet} sizes={THUMBNAIL_SIZES}
      width={image.width} height={image.height} loading="lazy" decoding="async" />
  );
}

/** "Width: 80 cm", one per value that differs from the product's defaults, lengths in the shopper's unit. */
function describe(product: Product, configuration: Configuration, lengthUnit: LengthUnit): string[] {
  const changed = nonDefaultValues(product.config_schema, configuration.config_data);
  return controlsFromSchema(product.config_schema, lengthUnit)
    .filter((control) => control.key in changed)
    .map((control) => `${control.label}: ${formatValue(control, changed[control.key])}`);
}
