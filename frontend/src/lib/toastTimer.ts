/** A countdown that can be paused and resumed (a toast stays while the pointer is over it or
 * focus is inside it, then gets the rest of its time). Pure: the clock and the timer
 * functions are passed in, so tests drive it with fake time. */

export interface TimerHost {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PausableTimer {
  /** Stop the countdown, keeping the time left. Reasons nest: hover and focus each pause,
   * and the countdown resumes only when every reason has been released. */
  pause(reason: string): void;
  resume(reason: string): void;
  /** Stop for good (the toast was dismissed). */
  cancel(): void;
  /** Milliseconds left (frozen while paused). */
  remaining(): number;
  paused(): boolean;
}

const defaultHost: TimerHost = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createPausableTimer(ms: number, onExpire: () => void, host: TimerHost = defaultHost): PausableTimer {
  let left = ms;
  let startedAt = host.now();
  let handle: unknown = null;
  let done = false;
  const reasons = new Set<string>();

  const start = () => {
    startedAt = host.now();
    handle = host.setTimeout(() => {
      handle = null;
      done = true;
      onExpire();
    }, Math.max(0, left));
  };
  const stop = () => {
    if (handle !== null) host.clearTimeout(handle);
    handle = null;
  };
  start();

  return {
    pause(reason) {
      if (done) return;
      if (reasons.size === 0 && handle !== null) {
        stop();
        left -= host.now() - startedAt;
      }
      reasons.add(reason);
    },
    resume(reason) {
      if (done || !reasons.delete(reason) || reasons.size > 0) return;
      start();
    },
    cancel() {
      done = true;
      stop();
    },
    remaining() {
      if (done) return 0;
      return reasons.size > 0 || handle === null ? Math.max(0, left) : Math.max(0, left - (host.now() - startedAt));
    },
    paused: () => reasons.size > 0,
  };
}
