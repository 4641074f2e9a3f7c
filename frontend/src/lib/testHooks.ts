/** `window.__configurator`: what end-to-end tests read from the page (the model on screen
 * and how long the last change took), and `window.__configuratorView` (the 3D view's
 * camera), nothing more. */
import type { Object3D } from 'three';
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
  /** The three.js object of the model on screen (its meshes' morph influences as drawn). */
  modelObject(): Object3D | null;
  /** [width, height, depth] of a morphed model on screen (null: not morphed). */
  morphSize(): [number, number, number] | null;
  /** Whether a morph GLB that covers `values` (changed ones) is loaded. */
  canMorph(values: Record<string, unknown>): boolean;
  /** Whether a morph GLB is being made or downloaded in the background. */
  morphPending(): boolean;
  /** `listener()` right after each frame that drew a new model or pose; returns the unsubscriber. */
  onDrawn(listener: () => void): () => void;
}

/** `window.__configuratorView`: the camera as end-to-end tests read it. */
export interface ViewTestHooks {
  camera(): { azimuth: number; polar: number; distance: number; target: number[] };
  /** How far the model's box reaches on screen (1: the view's edge; ../components/scene/viewMath `modelExtent`). */
  extent(): number | null;
  /** True while the camera glides to a new fit. */
  moving(): boolean;
  /** Why the camera was fitted, each time (first model, asked, refit). */
  fits(): string[];
}

declare global {
  interface Window {
    __configurator?: ConfiguratorTestHooks;
    __configuratorView?: ViewTestHooks;
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
    modelObject: () => current()?.getState().model?.object ?? null,
    morphSize: () => current()?.getState().morph?.size ?? null,
    canMorph: (values) => current()?.canMorph(values as never) ?? false,
    morphPending: () => current()?.morphPending() ?? false,
    onDrawn: (listener) => current()?.onDrawn(() => listener()) ?? (() => undefined),
  };
  window.__configurator = hooks;
  return () => {
    if (window.__configurator === hooks) delete window.__configurator;
  };
}

/** Install the 3D view's hooks; returns the uninstaller. */
export function exposeViewForTests(hooks: ViewTestHooks): () => void {
  window.__configuratorView = hooks;
  return () => {
    if (window.__configuratorView === hooks) delete window.__configuratorView;
  };
}
