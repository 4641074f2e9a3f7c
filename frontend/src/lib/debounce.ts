/** Trailing debounce with a maximum wait: while a slider is dragged, work runs at most
 * `maxWait` ms apart and once more `wait` ms after the last move. */
export interface Debouncer {
  schedule(fn: () => void): void;
  /** Run the scheduled work now (if any). */
  flush(): void;
  cancel(): void;
}

export function createDebouncer(wait: number, maxWait: number): Debouncer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: (() => void) | null = null;
  let firstAt: number | null = null;

  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    firstAt = null;
    const fn = pending;
    pending = null;
    fn?.();
  };

  return {
    schedule(fn) {
      pending = fn;
      const now = Date.now();
      firstAt ??= now;
      clearTimeout(timer);
      timer = setTimeout(run, Math.max(0, Math.min(wait, firstAt + maxWait - now)));
    },
    flush: run,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending = null;
      firstAt = null;
    },
  };
}
