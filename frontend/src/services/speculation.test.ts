import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfigData, ConfigSchema } from '../types/configSchema';
import type { JobEvent } from '../types/api';
import { configKey } from '../lib/values';
import type { LoadedModel } from './modelLoader';

vi.mock('./modelLoader', () => ({ loadModel: vi.fn(), disposeModel: vi.fn() }));
vi.mock('./jobEvents', () => ({
  followJob: vi.fn(),
  isTerminal: (e: { status: string }) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(e.status),
}));
vi.mock('./api', () => ({
  ApiError: class ApiError extends Error {
    status: number;
    constructor(status: number, _problem: unknown, message: string) { super(message); this.status = status; }
  },
  api: { submitJob: vi.fn() },
}));

const { ApiError } = await import('./api');
const { disposeModel } = await import('./modelLoader');
const { likelyNextValues, Speculation } = await import('./speculation');

/** The cabinet's kinds of parameter: a continuous width, an integer door count with a rule,
 * a variant set, a finish, a toggle. */
const CABINET: ConfigSchema = {
  type: 'object',
  properties: {
    width: { type: 'number', minimum: 0.3, maximum: 1.2, default: 0.6 },
    door_count: { type: 'integer', minimum: 1, maximum: 2, default: 1 },
    shelf_count: { type: 'integer', minimum: 0, maximum: 3, default: 0 },
    door_style: { type: 'string', enum: ['Shaker', 'Slab'], default: 'Shaker' },
    finish: { type: 'string', enum: ['Oak', 'White', 'Walnut'], default: 'Oak' },
    plinth: { type: 'boolean', default: true },
  },
  allOf: [{
    if: { properties: { width: { exclusiveMinimum: 0.9 } }, required: ['width'] },
    then: { properties: { door_count: { const: 2 } }, required: ['door_count'] },
  }],
};

describe('likelyNextValues', () => {
  it('names every other option, the other side of a toggle and ±1 of each stepper, as changed values', () => {
    const next = likelyNextValues(CABINET, {});
    expect(next).toEqual([
      { door_count: 2 },
      { shelf_count: 1 },
      { door_style: 'Slab' },
      { finish: 'White' },
      { finish: 'Walnut' },
      { plinth: false },
    ]);
  });

  it('steps both ways inside the bounds and never onto a value the rules refuse', () => {
    const next = likelyNextValues(CABINET, { width: 1.0, door_count: 2, shelf_count: 2 });
    const counts = next.map((values) => [values.door_count, values.shelf_count]);
    expect(counts).toContainEqual([2, 1]);
    expect(counts).toContainEqual([2, 3]);
    // 1 m wide needs two doors: one door (the default, so left out of the changed values) is never a neighbour.
    expect(next.every((values) => values.door_count === 2)).toBe(true);
    expect(next.every((values) => values.width === 1.0)).toBe(true); // sliders are not stepped
  });
});

interface Submitted { values: ConfigData; signal: AbortSignal; answer(job: Partial<JobEvent>): void; fail(error: unknown): void }

function model(url: string, bytes = 100): LoadedModel {
  return { url, object: {} as LoadedModel['object'], size: [1, 1, 1], bytes: new ArrayBuffer(bytes) };
}

/** A target whose memory is a map, showing `shown`, and a fetcher whose jobs complete when
 * the test answers them. */
function harness(shown: ConfigData | null = {}) {
  const memory = new Map<string, LoadedModel>();
  const submitted: Submitted[] = [];
  const loaded: string[] = [];
  const target = {
    shown,
    shownValues: () => target.shown,
    has: (values: ConfigData) => memory.has(configKey(values)),
    keep: (values: ConfigData, m: LoadedModel) => { memory.set(configKey(values), m); },
  };
  const fetcher = {
    submit: (_product: string, values: ConfigData, signal: AbortSignal) => new Promise<JobEvent>((resolve, reject) => {
      submitted.push({ values, signal, answer: (job) => resolve({ id: `job-${submitted.length}`, status: 'COMPLETED', progress: 100, ...job } as JobEvent), fail: reject });
    }),
    follow: vi.fn(async (id: string) => ({ id, status: 'COMPLETED', progress: 100, result_url: `/blobs/${id}.glb` }) as JobEvent),
    load: async (url: string) => { loaded.push(url); return model(url); },
  };
  return { memory, submitted, loaded, target, fetcher };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('Speculation', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); vi.clearAllMocks(); });

  it('waits for the idle time after the exact model is drawn, then makes the neighbours a few at a time into memory', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 1000, concurrency: 2 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(999);
    expect(h.submitted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.submitted.map((s) => s.values)).toEqual([{ door_count: 2 }, { shelf_count: 1 }]); // two at a time
    h.submitted[0].answer({ result_url: '/blobs/a.glb' });
    await flush();
    expect(h.submitted).toHaveLength(3); // the next one as soon as one is done
    for (let n = 1; n < 6; n++) {
      while (h.submitted.length <= n) await flush();
      h.submitted[n].answer({ status: 'QUEUED', result_url: null }); // these are followed to the end
      await flush();
    }
    await flush();
    expect(h.memory.size).toBe(6);
    expect(h.memory.has(configKey({ finish: 'Walnut' }))).toBe(true);
    expect(h.fetcher.follow).toHaveBeenCalledTimes(5);
    expect(speculation.lastReport).toMatchObject({ planned: 6, kept: 6, bytes: 600, ended: 'done' });
  });

  it('does nothing while no exact model is on screen, and once per configuration', async () => {
    const h = harness(null);
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.submitted).toHaveLength(0);
    h.target.shown = {};
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(100);
    const first = h.submitted.length;
    expect(first).toBeGreaterThan(0);
    speculation.drawn(); // another frame of the same model
    await vi.advanceTimersByTimeAsync(100);
    expect(h.submitted).toHaveLength(first);
  });

  it('stops at once on input: nothing more submitted, nothing kept from what was on its way', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.submitted).toHaveLength(2);
    speculation.input();
    expect(h.submitted.every((s) => s.signal.aborted)).toBe(true);
    h.submitted[0].answer({ result_url: '/blobs/late.glb' });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.submitted).toHaveLength(2);
    expect(h.memory.size).toBe(0);
    expect(h.loaded).toHaveLength(0);
    expect(speculation.lastReport?.ended).toBe('input');
  });

  it('input during the idle wait means no speculation for that model', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 1000 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(500);
    speculation.input();
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.submitted).toHaveLength(0);
  });

  it('stops on 429: the shopper needs the tokens', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10, concurrency: 1 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(10);
    h.submitted[0].fail(new ApiError(429, null, 'Too many requests'));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.submitted).toHaveLength(1);
    expect(speculation.lastReport).toMatchObject({ kept: 0, ended: '429' });
  });

  it('skips a neighbour that fails and one already in memory', async () => {
    const h = harness();
    h.memory.set(configKey({ door_count: 2 }), model('/blobs/seen.glb'));
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10, concurrency: 1 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.submitted[0].values).toEqual({ shelf_count: 1 });
    h.submitted[0].answer({ status: 'FAILED', result_url: null });
    await flush();
    expect(h.submitted[1].values).toEqual({ door_style: 'Slab' });
    expect(speculation.lastReport?.planned).toBe(5);
  });

  it('is off when the browser asks to save data, or when told so', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10, enabled: false });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.submitted).toHaveLength(0);
  });

  it('a model that arrives after dispose is freed, not kept', async () => {
    const h = harness();
    const speculation = new Speculation('p', CABINET, h.target, { fetcher: h.fetcher, idleMs: 10, concurrency: 1 });
    speculation.drawn();
    await vi.advanceTimersByTimeAsync(10);
    let release!: () => void;
    h.fetcher.load = (url: string) => new Promise((resolve) => { release = () => resolve(model(url)); });
    h.submitted[0].answer({ result_url: '/blobs/x.glb' });
    await flush();
    speculation.dispose();
    release();
    await flush();
    expect(h.memory.size).toBe(0);
    expect(disposeModel).toHaveBeenCalledTimes(1);
  });
});
