import { describe, expect, it, vi } from 'vitest';
import { createPausableTimer, type TimerHost } from './toastTimer';

function fakeHost() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const host: TimerHost = {
    now: () => now,
    setTimeout: (fn, ms) => {
      seq += 1;
      timers.set(seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => {
      timers.delete(h as number);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) {
      if (t.at <= now) {
        timers.delete(id);
        t.fn();
      }
    }
  };
  return { host, advance, pending: () => timers.size };
}

describe('createPausableTimer', () => {
  it('expires after its time when left alone', () => {
    const { host, advance } = fakeHost();
    const onExpire = vi.fn();
    createPausableTimer(4500, onExpire, host);
    advance(4499);
    expect(onExpire).not.toHaveBeenCalled();
    advance(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('does not expire while paused and resumes with the time that was left', () => {
    const { host, advance, pending } = fakeHost();
    const onExpire = vi.fn();
    const timer = createPausableTimer(4500, onExpire, host);
    advance(3000);
    timer.pause('hover');
    expect(timer.paused()).toBe(true);
    expect(pending()).toBe(0);
    advance(60_000);
    expect(onExpire).not.toHaveBeenCalled();
    expect(timer.remaining()).toBe(1500);
    timer.resume('hover');
    advance(1499);
    expect(onExpire).not.toHaveBeenCalled();
    advance(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('stays paused until hover and focus are both released', () => {
    const { host, advance } = fakeHost();
    const onExpire = vi.fn();
    const timer = createPausableTimer(1000, onExpire, host);
    timer.pause('hover');
    timer.pause('focus');
    timer.resume('hover');
    advance(5000);
    expect(onExpire).not.toHaveBeenCalled();
    timer.resume('focus');
    advance(1000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('ignores a resume without a pause and a second pause for the same reason', () => {
    const { host, advance } = fakeHost();
    const onExpire = vi.fn();
    const timer = createPausableTimer(1000, onExpire, host);
    timer.resume('hover');
    advance(400);
    timer.pause('hover');
    advance(100);
    timer.pause('hover');
    expect(timer.remaining()).toBe(600);
    timer.resume('hover');
    advance(600);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('never fires once cancelled', () => {
    const { host, advance } = fakeHost();
    const onExpire = vi.fn();
    const timer = createPausableTimer(1000, onExpire, host);
    timer.cancel();
    advance(5000);
    timer.resume('hover');
    advance(5000);
    expect(onExpire).not.toHaveBeenCalled();
    expect(timer.remaining()).toBe(0);
  });
});
