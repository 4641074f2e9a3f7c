/** Following a job to its end: WebSocket `/api/v1/jobs/{id}/events`, with polling as the
 * fallback when a socket cannot be opened or drops early (proxies, flaky networks). */
import { TERMINAL_STATUSES, type JobEvent } from '../types/api';
import { api, webSocketUrl } from './api';

const POLL_MS = 400;

export interface JobFollower {
  /** Resolves with the terminal event (COMPLETED, FAILED or CANCELLED). */
  done: Promise<JobEvent>;
  /** Stop following (closes the socket or the polling); `done` then never resolves. */
  stop(): void;
}

export function isTerminal(event: Pick<JobEvent, 'status'>): boolean {
  return TERMINAL_STATUSES.includes(event.status);
}

export function followJob(jobId: string, onEvent: (event: JobEvent) => void): JobFollower {
  let stopped = false;
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolve!: (event: JobEvent) => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<JobEvent>((res, rej) => { resolve = res; reject = rej; });

  const deliver = (event: JobEvent) => {
    if (stopped) return;
    onEvent(event);
    if (isTerminal(event)) {
      stopped = true;
      socket?.close();
      resolve(event);
    }
  };

  const poll = async () => {
    if (stopped) return;
    try {
      deliver(await api.getJob(jobId));
    } catch (error) {
      stopped = true;
      reject(error);
      return;
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };

  try {
    socket = new WebSocket(webSocketUrl(`/api/v1/jobs/${encodeURIComponent(jobId)}/events`));
    socket.onmessage = (message) => {
      try {
        deliver(JSON.parse(String(message.data)) as JobEvent);
      } catch {
        // ignore a malformed message; the next one carries the whole state again
      }
    };
    socket.onclose = () => {
      socket = null;
      if (!stopped) void poll(); // closed before a terminal status: ask directly
    };
  } catch {
    void poll();
  }

  return {
    done,
    stop() {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
