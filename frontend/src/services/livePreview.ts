/** Live preview of one product: every configuration change becomes a GLB job; the newest
 * request wins (older in-flight jobs are cancelled and their results ignored); progress
 * comes over the job's WebSocket; results are kept in memory so a configuration seen
 * before comes back without a round trip. React-free: `useLivePreview` wraps it.
 *
 * With `morph` on, once the exact GLB of a configuration is shown its morph GLB is asked for
 * in the background (a job of its own, never cancelled by newer previews, at most one at a
 * time), and `morph(values)` shows nearby values at once from a morph GLB that covers them
 * (./morphing), with no request; the exact GLB asked for afterwards replaces it. */
import type { Job, JobEvent } from '../types/api';
import type { ConfigData } from '../types/configSchema';
import { configKey } from '../lib/values';
import { api, ApiError } from './api';
import { followJob, isTerminal, type JobFollower } from './jobEvents';
import { disposeModel, loadModel, loadToolkit, type LoadedModel } from './modelLoader';
import { MorphModel, readMorphRanges } from './morphing';

export type PreviewPhase = 'idle' | 'submitting' | 'generating' | 'loading' | 'ready' | 'blocked' | 'error';

/** Where a shown model came from ('morph': a morph GLB posed in the browser). */
export type PreviewSource = 'memory' | 'server-cache' | 'generated' | 'morph';

/** performance.now() stamps of one request, from the input change to the model drawn. */
export interface PreviewTimings {
  source: PreviewSource;
  jobId: string | null;
  inputAt: number;
  submittedAt: number | null;
  resultAt: number | null;
  loadedAt: number | null;
  drawnAt: number | null;
  /** drawnAt − inputAt, once drawn. */
  totalMs: number | null;
}

export interface PreviewError {
  message: string;
  /** Parameter key → message, when the server rejected particular values (422). */
  fields: Record<string, string>;
  retryable: boolean;
}

export interface PreviewState {
  phase: PreviewPhase;
  progress: number;
  /** The model on screen: the previous one stays until the next is ready. */
  model: LoadedModel | null;
  error: PreviewError | null;
  /** Set while `model` is a morph GLB posed for other values than its own: their size
   * (the model's own `size` is that of the configuration it was made for). */
  morph?: MorphPose | null;
}

export interface MorphPose {
  /** [width, height, depth] in metres of the morphed geometry. */
  size: [number, number, number];
  values: ConfigData;
}

export interface LivePreviewOptions {
  /** The product's default values: requests carry only the values that differ from them,
   * a morph GLB's configuration is compared complete. */
  defaults?: ConfigData;
  /** Fetch morph GLBs in the background and morph while a number control changes. */
  morph?: boolean;
  /** Only measure models, never parse them to draw (a browser without WebGL: the viewer is
   * not mounted, and three.js is never downloaded). */
  measureOnly?: boolean;
}

interface ActiveJob {
  key: string;
  id: string | null;
  follower: JobFollower | null;
  terminal: boolean;
}

/** Models kept, least recently shown first out: the shopper's recent ones and two rounds of
 * models made ahead (./speculation, at most 16 each), so going back a step stays a hit. */
const MEMORY_SIZE = 40;
/** Morph GLBs kept: the one of the configuration shown, and a few before it to morph from
 * while the next one is made. */
const MORPH_MEMORY_SIZE = 4;

export class LivePreview {
  private state: PreviewState = { phase: 'idle', progress: 0, model: null, error: null };
  private seq = 0;
  private active: ActiveJob | null = null;
  private readonly memory = new Map<string, LoadedModel>();
  private pendingDraw: { model: LoadedModel; timings: PreviewTimings } | null = null;
  private lastValues: ConfigData | null = null;
  private disposed = false;
  /** Morph GLBs by the key of the configuration they were made for, oldest first. */
  private readonly morphs = new Map<string, MorphModel>();
  /** The morph job under way (one at a time): its configuration's key and job id. */
  private morphJob: { key: string; id: string | null; stop?: () => void } | null = null;
  private readonly drawnListeners = new Set<(model: LoadedModel) => void>();
  lastTimings: PreviewTimings | null = null;

  constructor(
    private readonly productId: string,
    private readonly onChange: (state: PreviewState) => void,
    private readonly options: LivePreviewOptions = {},
  ) {
    if (!options.measureOnly) void loadToolkit(); // download three.js while the first job runs
  }

  getState(): PreviewState {
    return this.state;
  }

  /** Show `values`; `inputAt` is when the user made the change (performance.now()). */
  request(values: ConfigData, inputAt: number = performance.now()): void {
    if (this.disposed) return;
    this.lastValues = values;
    const key = configKey(values);
    const remembered = this.memory.get(key);
    if (remembered) {
      this.seq++;
      this.cancelActive();
      this.memory.delete(key);
      this.memory.set(key, remembered); // most recently used
      this.show(remembered, { ...newTimings('memory', inputAt), resultAt: performance.now(), loadedAt: performance.now() });
      return;
    }
    if (this.active && !this.active.terminal && this.active.key === key) return; // already on its way
    const seq = ++this.seq;
    this.cancelActive();
    this.active = { key, id: null, follower: null, terminal: false };
    void this.run(seq, key, values, newTimings('generated', inputAt), true);
  }

  /** The configuration breaks a rule: stop working on older requests, keep the model shown. */
  block(): void {
    this.seq++;
    this.cancelActive();
    this.setState({ phase: 'blocked', progress: 0, error: null });
  }

  /** Show `values` (the changed ones, as for `request`) morphed from a morph GLB that covers
   * them (or their exact model, when it is in memory), at once and without a request; false
   * when none does (then `request` them). Work on older requests stops: their results would
   * replace newer geometry. */
  morph(values: ConfigData, inputAt: number = performance.now()): boolean {
    if (this.disposed || !this.options.morph) return false;
    if (this.memory.has(configKey(values))) {
      // The exact model is at hand: better than a pose, and as quick.
      this.request(values, inputAt);
      return true;
    }
    const complete = { ...this.options.defaults, ...values };
    const source = this.morphSourceFor(complete);
    if (!source) return false;
    const size = source.pose(complete);
    if (!size) return false;
    this.seq++;
    this.cancelActive();
    this.lastValues = values;
    const previous = this.state.model;
    this.pendingDraw = { model: source.model, timings: { ...newTimings('morph', inputAt), resultAt: performance.now(), loadedAt: performance.now() } };
    this.setState({ phase: 'ready', progress: 100, model: source.model, error: null, morph: { size, values } });
    this.disposeIfUnused(previous);
    return true;
  }

  /** Whether a morph GLB that covers `values` (changed ones) is loaded. */
  canMorph(values: ConfigData): boolean {
    return Boolean(this.options.morph && this.morphSourceFor({ ...this.options.defaults, ...values }));
  }

  /** Whether a morph GLB is being made or downloaded. */
  morphPending(): boolean {
    return this.morphJob !== null;
  }

  /** `listener(model)` after each frame that drew a new model or pose (the viewer's report). */
  onDrawn(listener: (model: LoadedModel) => void): () => void {
    this.drawnListeners.add(listener);
    return () => { this.drawnListeners.delete(listener); };
  }

  retry(): void {
    if (!this.lastValues) return;
    const values = this.lastValues;
    this.memory.delete(configKey(values));
    this.active = null;
    this.request(values);
  }

  /** The values (changed ones) of the exact model on screen; null while another is on its
   * way, a pose or an error is shown (speculation starts from it: ./speculation). */
  shownValues(): ConfigData | null {
    const values = this.lastValues;
    if (!values || this.state.phase !== 'ready' || !this.state.model) return null;
    return this.memory.get(configKey(values)) === this.state.model ? values : null;
  }

  /** Whether the model of `values` (changed ones) is in memory. */
  has(values: ConfigData): boolean {
    return this.memory.has(configKey(values));
  }

  /** Keep `model`, made ahead for `values` (changed ones), in memory: asking for them is then
   * a memory hit. */
  keep(values: ConfigData, model: LoadedModel): void {
    const key = configKey(values);
    if (this.disposed || this.memory.has(key)) return void disposeModel(model);
    this.remember(key, model);
  }

  /** Called by the viewer after a frame showing `model` was rendered. */
  markDrawn(model: LoadedModel): void {
    if (this.pendingDraw?.model === model) {
      const timings = this.pendingDraw.timings;
      timings.drawnAt = performance.now();
      timings.totalMs = Math.round((timings.drawnAt - timings.inputAt) * 10) / 10;
      this.lastTimings = timings;
      this.pendingDraw = null;
    }
    for (const listener of [...this.drawnListeners]) listener(model);
  }

  dispose(): void {
    this.disposed = true;
    this.seq++;
    this.cancelActive();
    this.cancelMorphJob();
    for (const model of this.memory.values()) disposeModel(model);
    this.memory.clear();
    for (const morph of this.morphs.values()) disposeModel(morph.model);
    this.morphs.clear();
  }

  private async run(seq: number, key: string, values: ConfigData, timings: PreviewTimings, mayResubmit: boolean) {
    this.setState({ phase: 'submitting', progress: 0, error: null });
    try {
      timings.submittedAt = performance.now();
      let job: Job | JobEvent = await api.submitJob(this.productId, values);
      timings.jobId = job.id;
      if (seq !== this.seq) {
        if (!isTerminal(job)) void api.cancelJob(job.id).catch(() => undefined);
        return;
      }
      const active: ActiveJob = { key, id: job.id, follower: null, terminal: isTerminal(job) };
      this.active = active;
      if (job.status === 'COMPLETED') {
        timings.source = 'server-cache';
      } else if (!isTerminal(job)) {
        this.setState({ phase: 'generating', progress: job.progress });
        active.follower = followJob(job.id, (event) => {
          if (seq === this.seq && !isTerminal(event)) this.setState({ phase: 'generating', progress: event.progress });
        });
        job = await active.follower.done;
        active.terminal = true;
        if (seq !== this.seq) return;
      }
      timings.resultAt = performance.now();
      if (job.status === 'CANCELLED') {
        // Cancelled by someone else (e.g. an identical job we shared was cancelled): try once more.
        if (mayResubmit) return void this.run(seq, key, values, timings, false);
        throw new ApiError(409, null, 'The preview was cancelled. Try again.');
      }
      if (job.status === 'FAILED' || !job.result_url) {
        throw new ApiError(500, null, job.error_message || 'This configuration could not be built.');
      }
      this.setState({ phase: 'loading', progress: 100 });
      const model = await loadModel(job.result_url, undefined, this.options.measureOnly);
      timings.loadedAt = performance.now();
      this.remember(key, model);
      if (seq !== this.seq) return;
      this.show(model, timings);
    } catch (error) {
      if (seq !== this.seq || this.disposed) return;
      if (this.active?.key === key) this.active.terminal = true;
      const apiError = error instanceof ApiError ? error : null;
      this.setState({
        phase: 'error',
        progress: 0,
        error: {
          message: apiError?.message ?? 'Something went wrong while preparing the preview.',
          fields: apiError?.fieldErrors() ?? {},
          retryable: !apiError || apiError.status === 0 || apiError.status >= 409,
        },
      });
    }
  }

  private show(model: LoadedModel, timings: PreviewTimings): void {
    const previous = this.state.model;
    this.pendingDraw = { model, timings };
    if (previous === model && !this.state.morph) {
      // Already on screen (e.g. back to the shown values after a rule pause): nothing to draw.
      this.setState({ phase: 'ready', progress: 100, error: null });
      this.markDrawn(model);
      return;
    }
    this.setState({ phase: 'ready', progress: 100, model, error: null, morph: null });
    this.disposeIfUnused(previous);
    if (this.lastValues) this.fetchMorph(this.lastValues);
  }

  private disposeIfUnused(previous: LoadedModel | null): void {
    if (!previous || previous === this.state.model || [...this.memory.values()].includes(previous)) return;
    if ([...this.morphs.values()].some((m) => m.model === previous)) return;
    setTimeout(() => disposeModel(previous), 1000); // once the viewer has let go of it
  }

  /** The morph GLB to show `complete` from: the newest that covers it. */
  private morphSourceFor(complete: ConfigData): MorphModel | null {
    for (const morph of [...this.morphs.values()].reverse()) if (morph.covers(complete)) return morph;
    return null;
  }

  /** Ask for the morph GLB of `values` (the configuration just shown) in the background,
   * unless it is loaded or on its way; a morph job for another configuration is dropped. */
  private fetchMorph(values: ConfigData): void {
    if (!this.options.morph || this.disposed) return;
    const key = configKey(values);
    if (this.morphs.has(key) || this.morphJob?.key === key) return;
    this.cancelMorphJob();
    const job: { key: string; id: string | null; stop?: () => void } = { key, id: null };
    this.morphJob = job;
    const complete = { ...this.options.defaults, ...values };
    void (async () => {
      try {
        let result: Job | JobEvent = await api.submitJob(this.productId, values, undefined, { morph: true, priority: 'background' });
        job.id = result.id;
        if (this.morphJob !== job) return void (isTerminal(result) || api.cancelJob(result.id).catch(() => undefined));
        if (!isTerminal(result)) {
          const follower = followJob(result.id, () => undefined);
          job.stop = () => follower.stop();
          result = await follower.done;
        }
        job.id = null; // finished: nothing left to cancel
        if (this.morphJob !== job || result.status !== 'COMPLETED' || !result.result_url) return;
        const model = await loadModel(result.result_url);
        const ranges = readMorphRanges(model.extras);
        if (this.morphJob !== job || this.disposed || !ranges) return void disposeModel(model);
        this.rememberMorph(key, new MorphModel(model, complete, ranges));
      } catch {
        // A morph GLB is an extra: without it, changes go to the server as before.
      } finally {
        if (this.morphJob === job) this.morphJob = null;
      }
    })();
  }

  private rememberMorph(key: string, morph: MorphModel): void {
    this.morphs.set(key, morph);
    while (this.morphs.size > MORPH_MEMORY_SIZE) {
      const [oldestKey, oldest] = this.morphs.entries().next().value as [string, MorphModel];
      this.morphs.delete(oldestKey);
      if (oldest.model !== this.state.model) disposeModel(oldest.model);
    }
  }

  private cancelMorphJob(): void {
    const job = this.morphJob;
    this.morphJob = null;
    if (!job) return;
    job.stop?.();
    if (job.id) void api.cancelJob(job.id).catch(() => undefined);
  }

  private remember(key: string, model: LoadedModel): void {
    this.memory.set(key, model);
    while (this.memory.size > MEMORY_SIZE) {
      const [oldestKey, oldest] = this.memory.entries().next().value as [string, LoadedModel];
      this.memory.delete(oldestKey);
      if (oldest !== this.state.model) disposeModel(oldest);
    }
  }

  private cancelActive(): void {
    const active = this.active;
    this.active = null;
    if (!active || active.terminal) return;
    active.follower?.stop();
    if (active.id) void api.cancelJob(active.id).catch(() => undefined); // 409 once it finished: fine
  }

  private setState(patch: Partial<PreviewState>): void {
    if (this.disposed) return;
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }
}

function newTimings(source: PreviewSource, inputAt: number): PreviewTimings {
  return { source, jobId: null, inputAt, submittedAt: null, resultAt: null, loadedAt: null, drawnAt: null, totalMs: null };
}
