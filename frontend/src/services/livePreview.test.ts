import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobEvent } from '../types/api';

// The preview's collaborators, replaced by controllable fakes.
const submitted: { config: Record<string, unknown>; resolve(job: object): void }[] = [];
const cancelled: string[] = [];
const followers = new Map<string, (event: JobEvent) => void>();

vi.mock('./api', () => ({
  ApiError: class ApiError extends Error {
    status: number;
    constructor(status: number, _problem: unknown, message: string) { super(message); this.status = status; }
    fieldErrors() { return {}; }
  },
  api: {
    submitJob: (_product: string, config: Record<string, unknown>) =>
      new Promise((resolve) => submitted.push({ config, resolve })),
    cancelJob: async (id: string) => { cancelled.push(id); return {}; },
  },
}));

vi.mock('./jobEvents', () => ({
  isTerminal: (e: { status: string }) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(e.status),
  followJob: (id: string, onEvent: (e: JobEvent) => void) => {
    let finish!: (e: JobEvent) => void;
    const done = new Promise<JobEvent>((resolve) => { finish = resolve; });
    followers.set(id, (event) => {
      onEvent(event);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(event.status)) finish(event);
    });
    return { done, stop: vi.fn() };
  },
}));

vi.mock('./modelLoader', () => ({
  loadToolkit: vi.fn(),
  loadModel: async (url: string) => ({ url, object: {}, size: [1, 1, 1], bytes: new ArrayBuffer(0) }),
  disposeModel: vi.fn(),
}));

const { LivePreview } = await import('./livePreview');

const job = (id: string, status: string, result_url: string | null = null) => ({ id, status, progress: 0, result_url });
/** Let pending promise chains (submit → follow → load → show) run to their end. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('LivePreview', () => {
  beforeEach(() => {
    submitted.length = 0;
    cancelled.length = 0;
    followers.clear();
  });

  it('shows a result the server has cached at once', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'COMPLETED', '/blobs/a.glb'));
    await settle();
    expect(preview.getState()).toMatchObject({ phase: 'ready', model: { url: '/blobs/a.glb' } });
    expect(followers.size).toBe(0);
  });

  it('lets the newest request win: the older job is cancelled and its result ignored', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.7 });
    submitted[0].resolve(job('old', 'QUEUED'));
    await settle();
    expect(preview.getState().phase).toBe('generating');

    preview.request({ width: 0.8 });
    expect(cancelled).toEqual(['old']);
    submitted[1].resolve(job('new', 'QUEUED'));
    await settle();
    followers.get('old')!({ id: 'old', status: 'COMPLETED', progress: 100, result_url: '/blobs/old.glb' });
    followers.get('new')!({ id: 'new', status: 'PROCESSING', progress: 60 });
    await settle();
    expect(preview.getState()).toMatchObject({ phase: 'generating', progress: 60, model: null });

    followers.get('new')!({ id: 'new', status: 'COMPLETED', progress: 100, result_url: '/blobs/new.glb' });
    await settle();
    expect(preview.getState()).toMatchObject({ phase: 'ready', model: { url: '/blobs/new.glb' } });
  });

  it('cancels a job that was superseded while it was being submitted', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.7 });
    preview.request({ width: 0.8 });
    submitted[0].resolve(job('late', 'QUEUED'));
    submitted[1].resolve(job('b', 'COMPLETED', '/blobs/b.glb'));
    await settle();
    expect(cancelled).toEqual(['late']);
    expect(preview.getState().model?.url).toBe('/blobs/b.glb');
  });

  it('brings back a configuration seen before without asking the server', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'COMPLETED', '/blobs/a.glb'));
    await settle();
    preview.request({ width: 0.9 });
    submitted[1].resolve(job('b', 'COMPLETED', '/blobs/b.glb'));
    await settle();

    preview.request({ width: 0.6 });
    expect(submitted).toHaveLength(2);
    expect(preview.getState().model?.url).toBe('/blobs/a.glb');
    preview.markDrawn(preview.getState().model!);
    expect(preview.lastTimings).toMatchObject({ source: 'memory' });
    expect(preview.lastTimings?.totalMs).toBeGreaterThanOrEqual(0);
  });

  it('pauses on a rule violation: the job in flight is cancelled, the model stays', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'COMPLETED', '/blobs/a.glb'));
    await settle();
    preview.request({ width: 0.7 });
    submitted[1].resolve(job('b', 'PROCESSING'));
    await settle();
    preview.block();
    expect(cancelled).toEqual(['b']);
    expect(preview.getState()).toMatchObject({ phase: 'blocked', model: { url: '/blobs/a.glb' } });
  });

  it('reports a failed job with its message and offers a retry', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'QUEUED'));
    await settle();
    followers.get('a')!({ id: 'a', status: 'FAILED', progress: 0, error_message: 'Blender ran out of time' });
    await settle();
    expect(preview.getState()).toMatchObject({ phase: 'error', error: { message: 'Blender ran out of time', retryable: true } });
    preview.retry();
    expect(submitted).toHaveLength(2);
  });

  it('shows a model kept ahead (speculation) from memory without asking the server', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'COMPLETED', '/blobs/a.glb'));
    await settle();
    expect(preview.shownValues()).toEqual({ width: 0.6 });
    const ahead = { url: '/blobs/two-doors.glb', object: {}, size: [1, 1, 1], bytes: new ArrayBuffer(0) } as never;
    preview.keep({ door_count: 2, width: 0.6 }, ahead);
    expect(preview.has({ width: 0.6, door_count: 2 })).toBe(true);

    preview.request({ width: 0.6, door_count: 2 });
    expect(submitted).toHaveLength(1);
    expect(preview.getState()).toMatchObject({ phase: 'ready', model: { url: '/blobs/two-doors.glb' } });
    expect(preview.shownValues()).toEqual({ width: 0.6, door_count: 2 });
  });

  it('names no shown values while the next model is on its way', async () => {
    const preview = new LivePreview('p', () => undefined);
    preview.request({ width: 0.6 });
    submitted[0].resolve(job('a', 'COMPLETED', '/blobs/a.glb'));
    await settle();
    preview.request({ width: 0.7 });
    expect(preview.shownValues()).toBeNull(); // the model on screen is not of the values asked for
    submitted[1].resolve(job('b', 'QUEUED'));
    await settle();
    expect(preview.shownValues()).toBeNull();
  });
});
