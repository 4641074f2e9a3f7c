/** The viewer with what surrounds it: status and progress, dimensions of the model on
 * screen, reframe and download buttons, and the states before/after a model exists. */
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useConfigActions, useConfiguredProduct, usePreview, useValidation } from '../../context/ConfiguratorContext';
import { webglAvailable } from '../../lib/renderer';
import type { RuleViolation } from '../../lib/rules';
import { formatValue, type ControlDescriptor } from '../../lib/schemaControls';
import { useLengthUnit } from '../../hooks/useLengthUnit';
import { formatLengthNumber } from '../../lib/units';
import { Spinner } from '../layout/StatusViews';
import type { LoadedModel } from '../../services/modelLoader';
import { Poster } from './Poster';
import { ArButton } from './ArButton';
import { fetchEmbeddedGlb } from '../../services/modelLoader';

// three.js and the renderer are most of the bundle: fetch them while the page lays out
// (unless this browser cannot draw: then the viewer is never mounted).
const loadViewer = () => import('./Viewer');
const Viewer = lazy(() => loadViewer().then((m) => ({ default: m.Viewer })));

export function PreviewPanel() {
  const { product, controls } = useConfiguredProduct();
  const { preview, retryPreview, modelDrawn, standIn } = usePreview();
  const lengthUnit = useLengthUnit();
  const { violations } = useValidation();
  const { applyValues } = useConfigActions();
  const [fitRequest, setFitRequest] = useState(0);
  // The 3D view is made once the poster (or, without one, the page) has been painted, and
  // the poster stays until the view has drawn a model (./Poster says why).
  const [stageReady, setStageReady] = useState(false);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => { if (webglAvailable()) void loadViewer(); }, []);
  const ready = useCallback(() => setStageReady(true), []);
  const drawnOnce = useCallback((drawnModel: LoadedModel) => {
    modelDrawn(drawnModel);
    setDrawn(true);
  }, [modelDrawn]);
  const webgl = stageReady && webglAvailable();
  const { phase, progress, model, error } = preview;
  // While a number control is dragged the model is its morph GLB, posed: its size is the pose's.
  const size = preview.morph?.size ?? model?.size;
  const busy = phase === 'submitting' || phase === 'generating' || phase === 'loading';
  const fix = firstFix(violations, controls);
  // With a rule broken (or the last change failed) the model on screen is not the one the
  // fields describe: say so on the viewer, its size and its download.
  // A link that breaks a rule shows a stand-in (the nearest valid configuration, or the
  // default) in the same way.
  const stale = Boolean(model) && (phase === 'blocked' || phase === 'error' || standIn !== null);
  const shownAs = standIn?.kind === 'default' ? 'default' : standIn ? 'nearest valid' : 'last valid';

  const download = async () => {
    if (!model) return;
    // The model on screen names its textures by URI; the file to keep embeds them.
    const bytes = await fetchEmbeddedGlb(model).catch(() => model.bytes);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'model/gltf-binary' }));
    link.download = `${slug(product.name)}-${model.url.split('/').pop()?.slice(0, 12) ?? 'model'}.glb`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  return (
    <section className="preview" aria-label="3D preview" aria-busy={busy}>
      <div className={`preview-stage${stale ? ' is-stale' : ''}`}>
        {webgl && (
          <Suspense fallback={null}>
            <Viewer model={model} fitRequest={fitRequest} shownSize={size} onDrawn={drawnOnce} />
          </Suspense>
        )}
        {stageReady && !webgl && model && <p className="preview-no-webgl">This browser cannot show 3D here (WebGL is off). The model is made all the same: download it below.</p>}
        <Poster thumbnails={product.thumbnails} visible={stageReady && !webgl ? !model : !drawn} onPainted={ready} />

        {!model && !product.thumbnails?.length && phase !== 'error' && phase !== 'blocked' && (
          <div className="preview-placeholder">
            <Spinner label="Preparing the 3D model" />
            <p>Preparing your {product.name.toLowerCase()}…</p>
          </div>
        )}

        <div className={`preview-progress${busy ? ' is-active' : ''}`} aria-hidden="true">
          <span style={{ width: `${phase === 'submitting' ? 8 : Math.max(progress, 8)}%` }} />
        </div>

        <div className="preview-top">
          {model && (
            <p className={`dimensions${stale ? ' is-stale' : ''}`} aria-label={stale ? `Size of the ${shownAs} configuration` : 'Size of the model'}>
              {stale && <span className="dimensions-note">{upperFirst(shownAs)}</span>}
              <span><abbr title="Width">W</abbr> {formatLengthNumber(size![0], lengthUnit)}</span>
              <span aria-hidden="true">×</span>
              <span><abbr title="Height">H</abbr> {formatLengthNumber(size![1], lengthUnit)}</span>
              <span aria-hidden="true">×</span>
              <span><abbr title="Depth">D</abbr> {formatLengthNumber(size![2], lengthUnit)}</span>
              <span className="dimensions-unit">{lengthUnit}</span>
            </p>
          )}
          <p className={`preview-status status-${phase}`} role="status">
            {standIn && phase === 'ready' ? 'Paused' : statusText(phase, progress, Boolean(model))}
          </p>
        </div>

        {(phase === 'blocked' || standIn) && violations.length > 0 && (
          <div className="preview-banner banner-warning" role="alert">
            <span>
              <strong><span className="banner-long">Preview paused.</span><span className="banner-short" aria-hidden="true">Paused.</span></strong>{' '}
              <span className="banner-detail">{model ? `Showing the ${shownAs} configuration. ` : ''}{violations[0].message}</span>
            </span>
            {fix && (
              <button type="button" className="button button-small" onClick={() => applyValues({ [fix.key]: fix.value })}>
                {fix.label}
              </button>
            )}
          </div>
        )}
        {phase === 'error' && error && (
          <div className="preview-banner banner-error" role="alert">
            <span><strong>The preview could not be updated.</strong> {error.message}</span>
            {error.retryable && <button type="button" className="button button-small" onClick={retryPreview}>Try again</button>}
          </div>
        )}

        <div className="preview-tools">
          <button type="button" className="icon-button" onClick={() => setFitRequest((n) => n + 1)} disabled={!model}
            aria-label="Frame the model" title="Frame the model">
            <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" /><circle cx="12" cy="12" r="2.5" /></svg>
          </button>
          <button type="button" className="button button-ghost" onClick={download} disabled={!model || Boolean(preview.morph)}
            aria-label={stale ? `Download GLB of the ${shownAs} configuration` : 'Download GLB'}>
            <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19h14" /></svg>
            <span className="label-wide">{stale ? `Download ${shownAs} GLB` : 'Download GLB'}</span>
            <span className="label-narrow" aria-hidden="true">{stale ? `${upperFirst(shownAs)} GLB` : 'GLB'}</span>
          </button>
        </div>
        <ArButton />
      </div>
      <p className="preview-hint">Drag or arrow keys to turn · Ctrl + scroll, pinch or +/− to zoom · right-drag to pan · 0 to frame</p>
    </section>
  );
}

/** The first one-click repair the broken rules offer, worded for a button. */
function firstFix(violations: RuleViolation[], controls: ControlDescriptor[]) {
  for (const violation of violations) {
    for (const fix of violation.fixes) {
      const control = controls.find((c) => c.key === fix.key);
      if (control) return { ...fix, label: `Set ${lowerFirst(control.label)} to ${formatValue(control, fix.value)}` };
    }
  }
  return null;
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Shelf count" → "shelf count", "LED strip" kept. */
function lowerFirst(label: string): string {
  return /^[A-Z][A-Z]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

function statusText(phase: string, progress: number, hasModel: boolean): string {
  switch (phase) {
    case 'submitting': return 'Updating…';
    case 'generating': return progress > 0 ? `Building… ${progress}%` : 'Building…';
    case 'loading': return 'Loading model…';
    case 'ready': return 'Up to date';
    case 'blocked': return 'Paused';
    case 'error': return hasModel ? 'Out of date' : 'Not available';
    default: return '';
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'model';
}
