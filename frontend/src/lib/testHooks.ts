/** `window.__configurator`: what end-to-end tests read from the page (the model on screen
 * and how long the last change took), nothing more. */
import type { LivePreview, PreviewPhase, PreviewTimings } from '../services/livePreview';
import type { SpeculationReport } from '../services/speculation';

export interface ConfiguratorTestHooks {
  /** [width, height, depth] in metres of the model on screen, or null. */
  modelSize(): [number, number, number] | null;
  /** result_url of the model on screen, or null. */
  modelUrl(): string | null;
  phase(): PreviewPhase;
  /** What the last speculative run made ahead (null: none yet). */
  speculation(): SpeculationReport | null;
  /** Timings of the last change that reached the screen. */
  readonly lastTimings: PreviewTimings | null;
}

declare global {
  interface Window {
    __configurator?: ConfiguratorTestHooks;
  }
}

/** Install the hooks for the preview `current()` returns; returns the uninstaller. */
export function exposeForTests(current: () => LivePreview | null,
  speculation: () => SpeculationReport | null = () => null): () => void {
  const hooks: ConfiguratorTestHooks = {
    speculation,
    modelSize: () => current()?.getState().model?.size ?? null,
    modelUrl: () => current()?.getState().model?.url ?? null,
    phase: () => current()?.getState().phase ?? 'idle',
    get lastTimings() {
      return current()?.lastTimings ?? null;
    },
  };
  window.__configurator = hooks;
  return () => {
    if (window.__configurator === hooks) delete window.__configurator;
  };
}
