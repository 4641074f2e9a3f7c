/** "View in your room" on phones and tablets (../../services/ar): AR Quick Look with a USDZ of
 * the configuration on iOS and iPadOS, Scene Viewer with the GLB on screen on Android, nothing
 * on a desktop. Offered only while the model on screen is the configuration's (not while a
 * rule is broken or a new model is on its way): AR shows what the shopper would order. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useConfiguredProduct, useConfigValues, usePreview, useValidation } from '../../context/ConfiguratorContext';
import { configKey, nonDefaultValues } from '../../lib/values';
import { resolveApiUrl } from '../../services/api';
import { browserArViewer, quickLookHref, sceneViewerIntent, UsdzRequests } from '../../services/ar';

/** The USDZ is asked for once the configuration has stayed the same this long (a shopper
 * stepping through widths asks for none of the steps between). */
const AHEAD_MS = 700;

/** A cube placed on a floor, in the button's colour. An `<img>` because Quick Look requires
 * one as the link's first child. */
const AR_ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#1f4e5f" stroke-width="1.7" stroke-linejoin="round" stroke-linecap="round">'
  + '<path d="M12 3 4.5 7v8.5L12 20l7.5-4.5V7z"/><path d="m4.5 7 7.5 4.5L19.5 7M12 11.5V20"/><path d="M2 21h20"/></svg>',
)}`;

export function ArButton() {
  const viewer = useMemo(browserArViewer, []);
  if (viewer === 'quick-look') return <QuickLookButton />;
  if (viewer === 'scene-viewer') return <SceneViewerButton />;
  return null;
}

function Label({ busy = false }: { busy?: boolean }) {
  return (
    <>
      <img src={AR_ICON} alt="" width={20} height={20} />
      <span className="label-wide">{busy ? 'Preparing AR…' : 'View in your room'}</span>
      <span className="label-narrow" aria-hidden="true">{busy ? 'Preparing…' : 'In your room'}</span>
    </>
  );
}

/** The model on screen if it is the configuration's; 'broken' while the configuration breaks
 * a rule (the button is then not offered at all: the viewer shows the last valid model). */
function useCurrentModel() {
  const { preview } = usePreview();
  const { violations } = useValidation();
  if (violations.length > 0) return 'broken';
  return preview.phase === 'ready' ? preview.model : null;
}

function SceneViewerButton() {
  const { product } = useConfiguredProduct();
  const model = useCurrentModel();
  if (model === 'broken') return null;
  if (!model) return <Unavailable />;
  // The page's own address (the share link of the configuration) is where a phone without
  // the Google app lands instead.
  const href = sceneViewerIntent(resolveApiUrl(model.url), window.location.href, product.name);
  return (
    <a className="button button-ghost ar-button" href={href} aria-label="View in your room">
      <Label />
    </a>
  );
}

function QuickLookButton() {
  const { product } = useConfiguredProduct();
  const { values } = useConfigValues();
  const model = useCurrentModel();
  // The values as the preview sends them, so the USDZ job's configuration is the GLB's.
  const sent = useMemo(() => nonDefaultValues(product.config_schema, values), [product.config_schema, values]);
  const key = configKey(sent);
  const requests = useMemo(() => new UsdzRequests(product.id), [product.id]);
  const [ready, setReady] = useState<{ key: string; url: string } | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [openWhenReady, setOpenWhenReady] = useState(false);
  const link = useRef<HTMLAnchorElement>(null);
  const current = model !== null && model !== 'broken';

  useEffect(() => () => requests.withdraw(), [requests]);

  // Each answer is kept under the configuration it was asked for: one that arrives after a
  // change is not shown for the new configuration.
  const prepare = useCallback(() => {
    requests.request(sent).then((url) => setReady({ key, url }), () => setFailed(key));
  }, [requests, sent, key]);

  // Ahead: once the configuration on screen has settled, its USDZ is made in the background.
  useEffect(() => {
    if (!current) return;
    const timer = setTimeout(prepare, AHEAD_MS);
    return () => clearTimeout(timer);
  }, [current, prepare]);

  // Asked for before it was there: open it as soon as it is (Quick Look takes the link's click).
  const url = ready?.key === key ? ready.url : requests.known(sent);
  useEffect(() => {
    if (openWhenReady && url) {
      setOpenWhenReady(false);
      link.current?.click();
    }
  }, [openWhenReady, url]);

  if (model === 'broken') return null;
  if (!current) return <Unavailable />;
  if (url) {
    return (
      <a ref={link} rel="ar" className="button button-ghost ar-button" href={quickLookHref(url)} aria-label="View in your room">
        <Label />
      </a>
    );
  }
  return (
    <button type="button" className="button button-ghost ar-button" aria-label="View in your room"
      aria-describedby={failed === key ? 'ar-problem' : undefined}
      onPointerEnter={prepare} onTouchStart={prepare} onFocus={prepare}
      onClick={() => { setFailed(null); setOpenWhenReady(true); prepare(); }}>
      <Label busy={openWhenReady} />
      {failed === key && <span id="ar-problem" className="visually-hidden">The model for AR could not be made; try again.</span>}
    </button>
  );
}

/** The button while the configuration's model is on its way. */
function Unavailable() {
  return (
    <button type="button" className="button button-ghost ar-button" disabled aria-label="View in your room"
      title="Available once the model on screen is up to date">
      <Label />
    </button>
  );
}
