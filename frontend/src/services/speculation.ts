/** Speculative generation: while the configurator is idle, the exact GLBs a shopper is likely
 * to ask for next are made and loaded ahead, so that a discrete change is a memory hit (no job
 * request, no GLB download, the model drawn in the next frame).
 *
 * "Likely next" is one step away from the configuration on screen: every other option of each
 * choice (variants, finishes, menus), the other side of each toggle, and ±1 step of each
 * integer stepper within its bounds; never a configuration that breaks a rule (it would not be
 * shown), nor a continuous value (sliders morph in the browser instead).
 *
 * Idle means: the exact model of the configuration is drawn, and no input came for `idleMs`
 * (then the browser's own idle callback, where it has one). The jobs go at background priority
 * (the server claims every live preview first, docs/service.md "Priority"), `concurrency` at a
 * time. Any input stops it at once: nothing more is submitted, followed or downloaded (jobs on
 * the server finish and land in its result cache, and a live request for one of them joins it
 * and raises it). A 429 stops it for that configuration: speculation never spends the tokens
 * the shopper's own changes need. With Save-Data on, there is none. */
import type { Job, JobEvent } from '../types/api';
import type { ConfigData, ConfigSchema, ConfigValue, PropertySchema } from '../types/configSchema';
import { evaluateRules } from '../lib/rules';
import { configKey, defaultConfig, nonDefaultValues, schemaTypes } from '../lib/values';
import { api, ApiError } from './api';
import { followJob, isTerminal } from './jobEvents';
import { disposeModel, loadModel, type LoadedModel } from './modelLoader';

/** No input for this long after the exact model is drawn, and the page is idle. */
export const IDLE_MS = 1000;
/** Speculative jobs in flight at once. */
export const CONCURRENCY = 2;
/** At most this many per configuration (the cabinet has 12-13 neighbours): the preview's
 * memory keeps 40 models, and two rounds of models made ahead must not push out the
 * configuration on screen and the one before it. */
export const MAX_PER_CONFIGURATION = 16;

/** Where speculation keeps what it makes: the live preview's memory (LivePreview). Values are
 * the changed ones (`nonDefaultValues`), as the preview is asked for them. */
export interface SpeculationTarget {
  /** The values of the exact model on screen, or null (on its way, morphed, failed). */
  shownValues(): ConfigData | null;
  has(values: ConfigData): boolean;
  keep(values: ConfigData, model: LoadedModel): void;
}

/** The network side, replaceable in tests. */
export interface SpeculationFetcher {
  submit(productId: string, values: ConfigData, signal: AbortSignal): Promise<Job | JobEvent>;
  /** The job's terminal event; rejects when `signal` aborts. */
  follow(jobId: string, signal: AbortSignal): Promise<JobEvent>;
  load(url: string, signal: AbortSignal): Promise<LoadedModel>;
}

export interface SpeculationOptions {
  idleMs?: number;
  concurrency?: number;
  maxPerConfiguration?: number;
  fetcher?: SpeculationFetcher;
  /** Whether to speculate at all (default: unless the browser asks to save data). */
  enabled?: boolean;
}

/** What the last run did, for tests and benchmarks. */
export interface SpeculationReport {
  /** Key of the configuration the neighbours are of. */
  of: string;
  planned: number;
  kept: number;
  /** GLB bytes downloaded for the kept models. */
  bytes: number;
  /** Why it ended: 'done', 'input', '429' or 'error'; null while running. */
  ended: 'done' | 'input' | '429' | 'error' | null;
}

/** The configurations one step from `values` (complete or changed ones), as changed values,
 * in the schema's order, without any that breaks a rule. */
export function likelyNextValues(schema: ConfigSchema, values: ConfigData): ConfigData[] {
  const complete: ConfigData = { ...defaultConfig(schema), ...values };
  const out: ConfigData[] = [];
  const seen = new Set<string>([configKey(nonDefaultValues(schema, complete))]);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    for (const value of neighbourValues(prop, complete[key])) {
      const next = { ...complete, [key]: value };
      if (evaluateRules(schema, next).length > 0) continue;
      const changed = nonDefaultValues(schema, next);
      const nextKey = configKey(changed);
      if (seen.has(nextKey)) continue;
      seen.add(nextKey);
      out.push(changed);
    }
  }
  return out;
}

/** The values one step from `value`: the other options of a choice, the other side of a
 * toggle, the integers one step either side within the bounds. */
function neighbourValues(prop: PropertySchema, value: ConfigValue | undefined): ConfigValue[] {
  if (prop.const !== undefined) return [];
  if (prop.enum) return prop.enum.filter((option) => option !== value);
  const types = schemaTypes(prop);
  if (types.includes('boolean')) return typeof value === 'boolean' ? [!value] : [];
  if (types.includes('integer') && typeof value === 'number') {
    const step = prop.multipleOf ?? 1;
    return [value - step, value + step].filter((n) => (prop.minimum === undefined || n >= prop.minimum)
      && (prop.maximum === undefined || n <= prop.maximum)
      && (prop.exclusiveMinimum === undefined || n > prop.exclusiveMinimum)
      && (prop.exclusiveMaximum === undefined || n < prop.exclusiveMaximum));
  }
  return [];
}

/** Whether the browser asks pages to save data (Save-Data / `navigator.connection.saveData`). */
export function savesData(): boolean {
  const connection = (typeof navigator === 'undefined' ? undefined : navigator) as
    (Navigator & { connection?: { saveData?: boolean } }) | undefined;
  return connection?.connection?.saveData === true;
}

const networkFetcher: SpeculationFetcher = {
  submit: (productId, values, signal) => api.submitJob(productId, values, signal, { priority: 'background' }),
  follow: (jobId, signal) => {
    const follower = followJob(jobId, () => undefined);
    return new Promise<JobEvent>((resolve, reject) => {
      const stop = () => { follower.stop(); reject(new DOMException('stopped', 'AbortError')); };
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      follower.done.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
    });
  },
  load: (url, signal) => loadModel(url, signal),
};

type IdleHandle = { cancel(): void };

function whenIdle(callback: () => void, delayMs: number): IdleHandle {
  let idle: number | undefined;
  const timer = setTimeout(() => {
    const request = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
    if (request) idle = request(callback, { timeout: 2000 });
    else callback();
  }, delayMs);
  return {
    cancel() {
      clearTimeout(timer);
      const cancelIdle = (globalThis as { cancelIdleCallback?: (id: number) => void }).cancelIdleCallback;
      if (idle !== undefined) cancelIdle?.(idle);
    },
  };
}

export class Speculation {
  private readonly idleMs: number;
  private readonly concurrency: number;
  private readonly maxPerConfiguration: number;
  private readonly fetcher: SpeculationFetcher;
  private readonly enabled: boolean;
  /** Key of the configuration whose neighbours are scheduled, being made, or made. */
  private around: string | null = null;
  private idle: IdleHandle | null = null;
  private abort: AbortController | null = null;
  private disposed = false;
  lastReport: SpeculationReport | null = null;

  constructor(
    private readonly productId: string,
    private readonly schema: ConfigSchema,
    private readonly target: SpeculationTarget,
    options: SpeculationOptions = {},
  ) {
    this.idleMs = options.idleMs ?? IDLE_MS;
    this.concurrency = options.concurrency ?? CONCURRENCY;
    this.maxPerConfiguration = options.maxPerConfiguration ?? MAX_PER_CONFIGURATION;
    this.fetcher = options.fetcher ?? networkFetcher;
    this.enabled = options.enabled ?? !savesData();
  }

  /** A model was drawn: if it is the exact one of the values on screen, make their neighbours
   * once the page has been idle for a while (again for the same values: nothing new). */
  drawn(): void {
    if (this.disposed || !this.enabled) return;
    const values = this.target.shownValues();
    if (!values) return;
    const key = configKey(values);
    if (key === this.around) return;
    this.stop('input');
    this.around = key;
    this.idle = whenIdle(() => {
      this.idle = null;
      void this.run(key, values);
    }, this.idleMs);
  }

  /** The shopper changed something: stop at once; the next drawn model starts again. */
  input(): void {
    this.stop('input');
    this.around = null;
  }

  dispose(): void {
    this.input();
    this.disposed = true;
  }

  private stop(reason: 'input'): void {
    this.idle?.cancel();
    this.idle = null;
    if (this.abort) {
      this.abort.abort();
      this.abort = null;
      if (this.lastReport && this.lastReport.ended === null) this.lastReport.ended = reason;
    }
  }

  private async run(key: string, values: ConfigData): Promise<void> {
    const planned = likelyNextValues(this.schema, values)
      .filter((next) => !this.target.has(next))
      .slice(0, this.maxPerConfiguration);
    const abort = new AbortController();
    this.abort = abort;
    const report: SpeculationReport = { of: key, planned: planned.length, kept: 0, bytes: 0, ended: null };
    this.lastReport = report;
    const queue = [...planned];
    const end = (reason: SpeculationReport['ended']) => {
      if (report.ended === null) report.ended = reason;
      abort.abort();
    };
    const worker = async () => {
      while (!abort.signal.aborted && queue.length > 0) {
        const next = queue.shift()!;
        try {
          const model = await this.make(next, abort.signal);
          if (!model) continue;
          if (abort.signal.aborted) { disposeModel(model); return; }
          this.target.keep(next, model);
          report.kept += 1;
          report.bytes += model.bytes.byteLength;
        } catch (error) {
          if (abort.signal.aborted) return;
          if (error instanceof ApiError && error.status === 429) return end('429');
          // One neighbour that cannot be made (a failed job, a lost download) is skipped.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, planned.length) }, worker));
    if (report.ended === null) report.ended = 'done';
    if (this.abort === abort) this.abort = null;
  }

  /** The model of `values`, or null when its job did not complete. */
  private async make(values: ConfigData, signal: AbortSignal): Promise<LoadedModel | null> {
    let job: Job | JobEvent = await this.fetcher.submit(this.productId, values, signal);
    if (!isTerminal(job)) job = await this.fetcher.follow(job.id, signal);
    if (job.status !== 'COMPLETED' || !job.result_url || signal.aborted) return null;
    return this.fetcher.load(job.result_url, signal);
  }
}
