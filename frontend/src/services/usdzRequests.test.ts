import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobEvent } from '../types/api';

// The USDZ requests' collaborators, replaced by controllable fakes.
const submitted: { config: Record<string, unknown>; options: unknown; resolve(job: object): void }[] = [];
const cancelled: string[] = [];
const followers = new Map<string, (event: JobEvent) => void>();
const stopped: string[] = [];

vi.mock('./api', () => ({
  ApiError: class ApiError extends Error {
    status: number;
    constructor(status: number, _problem: unknown, message: string) { super(message); this.status = status; }
  },
  api: {
    submitJob: (_product: string, config: Record<string, unknown>, _signal: unknown, options: unknown) =>
      new Promise((resolve) => submitted.push({ config, options, resolve })),
    cancelJob: async (id: string) => { cancelled.push(id); return {}; },
  },
  resolveApiUrl: (url: string) => new URL(url, 'https://shop.example/configure/p').href,
}));

vi.mock('./jobEvents', () => ({
  isTerminal: (e: { status: string }) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(e.status),
  followJob: (id: string) => {
    let finish!: (e: JobEvent) => void;
    const done = new Promise<JobEvent>((resolve) => { finish = resolve; });
    followers.set(id, finish);
    return { done, stop: () => stopped.push(id) };
  },
}));

const { UsdzRequests } = await import('./ar');

const job = (id: string, status: string, result_url: string | null = null) => ({ id, status, progress: 0, result_url });
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('UsdzRequests', () => {
  beforeEach(() => {
    submitted.length = 0;
    cancelled.length = 0;
    stopped.length = 0;
    followers.clear();
  });

  it('asks for a USDZ job of the configuration and answers its absolute URL, once', async () => {
    const requests = new UsdzRequests('p');
    const first = requests.request({ width: 1.1 });
    const again = requests.request({ width: 1.1 });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ config: { width: 1.1 }, options: { format: 'usdz' } });
    submitted[0].resolve(job('a', 'QUEUED'));
    await settle();
    followers.get('a')!(job('a', 'COMPLETED', '/blobs/c/glb/k.usdz?expires=1&signature=s') as JobEvent);
    const url = 'https://shop.example/blobs/c/glb/k.usdz?expires=1&signature=s';
    expect(await first).toBe(url);
    expect(await again).toBe(url);
    expect(requests.known({ width: 1.1 })).toBe(url);
    expect(await requests.request({ width: 1.1 })).toBe(url);
    expect(submitted).toHaveLength(1);
  });

  it('withdraws the older request when another configuration is asked for', async () => {
    const requests = new UsdzRequests('p');
    const older = requests.request({ width: 1.0 });
    older.catch(() => undefined);
    submitted[0].resolve(job('a', 'PROCESSING'));
    await settle();
    requests.request({ width: 1.2 }).catch(() => undefined);
    expect(stopped).toEqual(['a']);
    expect(cancelled).toEqual(['a']);
    expect(submitted[1].config).toEqual({ width: 1.2 });
  });

  it('withdraws a job withdrawn while it was being created as soon as it has an id', async () => {
    const requests = new UsdzRequests('p');
    const older = requests.request({ width: 1.0 });
    requests.request({ width: 1.2 }).catch(() => undefined);
    submitted[0].resolve(job('a', 'QUEUED'));
    await expect(older).rejects.toThrow(/newer configuration/);
    expect(cancelled).toEqual(['a']);
  });

  it('fails with the job\'s own words and asks again next time', async () => {
    const requests = new UsdzRequests('p');
    const first = requests.request({ width: 1.0 });
    submitted[0].resolve({ ...job('a', 'FAILED'), error_message: 'The engine ran out of time.' });
    await expect(first).rejects.toThrow('The engine ran out of time.');
    expect(requests.known({ width: 1.0 })).toBeNull();
    requests.request({ width: 1.0 }).catch(() => undefined);
    expect(submitted).toHaveLength(2);
  });
});
