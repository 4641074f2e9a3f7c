import { describe, expect, it, vi } from 'vitest';

vi.mock('./api', () => ({ webSocketUrl: (path: string) => `ws://test${path}` }));

const { followProductVersions, newerVersion, retryDelayMs } = await import('./productVersions');

interface FakeSocket {
  url: string;
  closed: boolean;
  close(): void;
  onmessage: ((message: { data: string }) => void) | null;
  onclose: (() => void) | null;
  onopen: (() => void) | null;
}

function harness() {
  const sockets: FakeSocket[] = [];
  const scheduled: { run: () => void; ms: number }[] = [];
  const open = (url: string) => {
    const socket: FakeSocket = {
      url, closed: false, onmessage: null, onclose: null, onopen: null,
      close() { this.closed = true; },
    };
    sockets.push(socket);
    return socket as unknown as WebSocket;
  };
  const schedule = (run: () => void, ms: number) => scheduled.push({ run, ms });
  return { sockets, scheduled, open, schedule };
}

const version = (n: number) => JSON.stringify({ id: 'p', schema_version: n, template_version: 'v', updated_at: 'now' });

describe('newerVersion', () => {
  it('is the event only when its version is newer than the one shown', () => {
    expect(newerVersion(version(3), 2)?.schema_version).toBe(3);
    expect(newerVersion(version(2), 2)).toBeNull();
    expect(newerVersion(version(1), 2)).toBeNull();
    expect(newerVersion('not json', 1)).toBeNull();
    expect(newerVersion('{"schema_version": "3"}', 1)).toBeNull();
  });
});

describe('followProductVersions', () => {
  it('tells of each newer version once, not of the one on screen', () => {
    const h = harness();
    const heard: number[] = [];
    followProductVersions('p 1', 2, (e) => heard.push(e.schema_version), h.open, h.schedule);
    expect(h.sockets[0].url).toBe('ws://test/api/v1/products/p%201/events');
    h.sockets[0].onmessage?.({ data: version(2) }); // the current one, sent at once
    h.sockets[0].onmessage?.({ data: version(3) });
    h.sockets[0].onmessage?.({ data: version(3) });
    expect(heard).toEqual([3]);
  });

  it('opens the socket again after it drops, waiting longer each time, until stopped', () => {
    const h = harness();
    const stop = followProductVersions('p', 1, () => undefined, h.open, h.schedule);
    h.sockets[0].onclose?.();
    h.sockets[0].onclose?.(); // (as if each drop were a new socket's)
    expect(h.scheduled.map((s) => s.ms)).toEqual([1000, 2000]);
    h.scheduled[0].run();
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].onopen?.(); // connected: the next drop starts from a second again
    h.sockets[1].onclose?.();
    expect(h.scheduled[2].ms).toBe(1000);
    stop();
    h.scheduled[2].run();
    expect(h.sockets).toHaveLength(2);
  });

  it('stopping closes the socket and hears nothing more', () => {
    const h = harness();
    const heard: number[] = [];
    const stop = followProductVersions('p', 1, (e) => heard.push(e.schema_version), h.open, h.schedule);
    stop();
    expect(h.sockets[0].closed).toBe(true);
    h.sockets[0].onmessage?.({ data: version(5) });
    h.sockets[0].onclose?.();
    expect(heard).toEqual([]);
    expect(h.scheduled).toEqual([]);
  });

  it('caps the pause at 30 s', () => {
    expect([1, 2, 3, 6, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 30000, 30000]);
  });
});
