/** "View in your room": which AR viewer this device has, the links that open it, and the
 * USDZ of a configuration (a job of format usdz, like the preview's GLB jobs).
 *
 * - iOS and iPadOS (Safari and the other WebKit browsers): AR Quick Look opens a link with
 *   `rel="ar"` whose first child is an `<img>`; the link names the USDZ. Feature-detected
 *   (`relList.supports('ar')`): iPadOS asks for desktop pages with a Mac user agent.
 * - Android: Scene Viewer, opened by an `intent://arvr.google.com/scene-viewer/1.2` link
 *   naming the GLB by an absolute URL it fetches itself (no cookies: the signed blob URLs the
 *   API gives are readable by anyone holding them). No feature to detect: the user agent.
 * - Elsewhere (desktop browsers): nothing, the button is not shown.
 *
 * Both viewers place the model at its true size (scaling off): a cabinet that can be made
 * bigger with two fingers says nothing about whether it fits the wall. React-free. */
import type { Job, JobEvent } from '../types/api';
import type { ConfigData } from '../types/configSchema';
import { configKey } from '../lib/values';
import { api, ApiError, resolveApiUrl } from './api';
import { followJob, isTerminal } from './jobEvents';

export type ArViewer = 'quick-look' | 'scene-viewer';

/** The AR viewer of this browser, or null. `anchor`: a fresh `<a>` of the page's document. */
export function detectArViewer(anchor: { relList?: { supports?(token: string): boolean } } | null, userAgent: string): ArViewer | null {
  try {
    if (anchor?.relList?.supports?.('ar')) return 'quick-look';
  } catch {
    // relList.supports throws for an unknown token list in some old engines: no Quick Look.
  }
  return /\bAndroid\b/i.test(userAgent) ? 'scene-viewer' : null;
}

/** The AR viewer of the browser this page runs in. */
export function browserArViewer(): ArViewer | null {
  if (typeof document === 'undefined' || typeof navigator === 'undefined') return null;
  return detectArViewer(document.createElement('a'), navigator.userAgent);
}

const SCENE_VIEWER = 'https://arvr.google.com/scene-viewer/1.2';

/** The link that opens Scene Viewer on `glbUrl` (absolute), in AR when the device can and
 * in its 3D view when it cannot (the Google app's intent handles both); a device without
 * the Google app goes to `fallbackUrl` (back to this page). */
export function sceneViewerIntent(glbUrl: string, fallbackUrl: string, title?: string): string {
  if (!/^https?:\/\//i.test(glbUrl)) throw new Error(`Scene Viewer needs an absolute http(s) URL, not ${glbUrl}`);
  const query = new URLSearchParams({ file: glbUrl, mode: 'ar_preferred', resizable: 'false' });
  if (title) query.set('title', title);
  const viewer = new URL(SCENE_VIEWER);
  return `intent://${viewer.host}${viewer.pathname}?${query}#Intent;scheme=https;`
    + 'package=com.google.android.googlequicksearchbox;action=android.intent.action.VIEW;'
    + `S.browser_fallback_url=${encodeURIComponent(fallbackUrl)};end;`;
}

/** The Quick Look link of `usdzUrl` (absolute): true size, no pinch to scale. */
export function quickLookHref(usdzUrl: string): string {
  return `${usdzUrl.split('#')[0]}#allowsContentScaling=0`;
}

/** USDZ URLs kept per product (a few configurations the shopper may come back to). */
const REMEMBERED = 16;
/** How long a USDZ URL is reused: well inside the signed URLs' validity (an hour by default). */
const REMEMBER_MS = 10 * 60_000;

interface UsdzRequest {
  key: string;
  url: Promise<string>;
  jobId: string | null;
  done: boolean;
  /** Stop following the job (its WebSocket). */
  stop(): void;
}

/** USDZs of configurations of one product, each asked for once: a request for the
 * configuration already on its way shares it, a request for another one withdraws the
 * older job's request (the newest configuration is the one the shopper will open). */
export class UsdzRequests {
  private current: UsdzRequest | null = null;
  private readonly ready = new Map<string, { url: string; at: number }>();

  constructor(private readonly productId: string) {}

  /** The USDZ's absolute URL if it is already known. */
  known(values: ConfigData): string | null {
    const found = this.ready.get(configKey(values));
    return found && Date.now() - found.at < REMEMBER_MS ? found.url : null;
  }

  /** The absolute URL of the USDZ of `values` (the values sent as the preview sends them). */
  request(values: ConfigData): Promise<string> {
    const key = configKey(values);
    const known = this.known(values);
    if (known) return Promise.resolve(known);
    if (this.current?.key === key) return this.current.url;
    this.withdraw();
    const entry: UsdzRequest = { key, jobId: null, done: false, stop: () => undefined, url: Promise.resolve('') };
    this.current = entry;
    entry.url = this.make(entry, values).finally(() => {
      entry.done = true;
      if (this.current === entry) this.current = null;
    });
    return entry.url;
  }

  private async make(entry: UsdzRequest, values: ConfigData): Promise<string> {
    let job: Job | JobEvent = await api.submitJob(this.productId, values, undefined, { format: 'usdz' });
    entry.jobId = job.id;
    if (entry !== this.current) {
      // Withdrawn while the job was being created: withdraw its request now.
      if (!isTerminal(job)) void api.cancelJob(job.id).catch(() => undefined);
      throw new ApiError(409, null, 'A newer configuration was asked for.');
    }
    if (!isTerminal(job)) {
      const follower = followJob(job.id, () => undefined);
      entry.stop = follower.stop;
      job = await follower.done;
    }
    if (job.status !== 'COMPLETED' || !job.result_url) {
      throw new ApiError(500, null, job.error_message || 'The model for AR could not be made.');
    }
    const url = resolveApiUrl(job.result_url); // AR viewers fetch it from outside the page
    this.ready.set(entry.key, { url, at: Date.now() });
    if (this.ready.size > REMEMBERED) this.ready.delete(this.ready.keys().next().value as string);
    return url;
  }

  /** Stop waiting for the USDZ on its way and withdraw its job's request. */
  withdraw(): void {
    const entry = this.current;
    this.current = null;
    if (!entry || entry.done) return;
    entry.stop();
    if (entry.jobId) void api.cancelJob(entry.jobId).catch(() => undefined); // 409 once it finished: fine
  }
}
