import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDebouncer } from './debounce';

describe('createDebouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs only the newest work, once the input rests', () => {
    const d = createDebouncer(150, 400);
    const ran: number[] = [];
    d.schedule(() => ran.push(1));
    vi.advanceTimersByTime(100);
    d.schedule(() => ran.push(2));
    vi.advanceTimersByTime(149);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual([2]);
  });

  it('runs at least every maxWait during a continuous drag', () => {
    const d = createDebouncer(150, 400);
    const ran: number[] = [];
    for (let t = 0; t < 1000; t += 50) {
      d.schedule(() => ran.push(t));
      vi.advanceTimersByTime(50);
    }
    expect(ran).toEqual([350, 750]);
  });

  it('flushes at once and cancels', () => {
    const d = createDebouncer(150, 400);
    const ran: string[] = [];
    d.schedule(() => ran.push('a'));
    d.flush();
    d.schedule(() => ran.push('b'));
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(ran).toEqual(['a']);
  });
});
