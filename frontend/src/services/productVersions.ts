/** Following a product's template versions: `/api/v1/products/{id}/events` sends the current
 * version at once and again whenever the template is replaced (an artist publishing, or the
 * add-on's live link saving the file). `onNewer` hears of each version newer than the one the
 * page shows. A dropped socket is opened again after a growing pause (the server may be
 * restarting); `stop()` ends it all. */
import type { ProductVersionEvent } from '../types/api';
import { webSocketUrl } from './api';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

type Socket = Pick<WebSocket, 'close' | 'onmessage' | 'onclose' | 'onopen'>;
type SocketFactory = (url: string) => Socket;

export function newerVersion(message: string, known: number): ProductVersionEvent | null {
  let event: ProductVersionEvent;
  try {
    event = JSON.parse(message) as ProductVersionEvent;
  } catch {
    return null;
  }
  return typeof event?.schema_version === 'number' && event.schema_version > known ? event : null;
}

/** The pause before the `attempt`-th reconnection (1, 2, 4, … seconds, at most 30). */
export function retryDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

export function followProductVersions(
  productId: string,
  known: number,
  onNewer: (event: ProductVersionEvent) => void,
  open: SocketFactory = (url) => new WebSocket(url),
  schedule: (run: () => void, ms: number) => unknown = setTimeout,
): () => void {
  let stopped = false;
  let attempt = 0;
  let socket: Socket | null = null;
  let shown = known;

  const connect = () => {
    if (stopped) return;
    socket = open(webSocketUrl(`/api/v1/products/${encodeURIComponent(productId)}/events`));
    socket.onopen = () => { attempt = 0; };
    socket.onmessage = (message: MessageEvent) => {
      const newer = newerVersion(String(message.data), shown);
      if (newer && !stopped) {
        shown = newer.schema_version;
        onNewer(newer);
      }
    };
    socket.onclose = () => {
      socket = null;
      if (!stopped) schedule(connect, retryDelayMs(++attempt));
    };
  };
  connect();
  return () => {
    stopped = true;
    socket?.close();
  };
}
