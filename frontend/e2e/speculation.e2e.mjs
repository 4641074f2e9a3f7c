#!/usr/bin/env node
// Speculative generation in real headless Chromium: a discrete change after idle is a memory hit.
//
//   node e2e/speculation.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// Opens the kitchen cabinet as an anonymous shopper, waits until its exact model is drawn and
// the page has made the likely next models ahead (window.__configurator.speculation()), then
// adds a door and, once the page has made the next ones again, picks another finish. For each
// change it records every request the page sends from the input until the new model is drawn
// and a moment after, and the time from input to drawn model. Requests for the change are: a
// job submission that is neither speculative nor a morph GLB's, a job read, and a download of
// a GLB that is not a morph GLB (the viewer's background morph work is not the change's).
//
// SPECULATION=off runs the same steps as a browser that asks to save data
// (navigator.connection.saveData), where the page does not speculate: then each change goes to
// the server, and the script reports those requests rather than failing on them.
//
// Prints one final JSON line {"ok", "mode", "speculation": [...], "changes": [...], "steps"};
// exits 1 on failure (with speculation on: any request for a change, a change not drawn from
// memory, or no model made ahead).
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 60000), SPECULATION.
import { benign, drawnSince, launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 60000, artifacts: 'e2e-artifacts-speculation' });
const SPECULATING = process.env.SPECULATION !== 'off';
const PRODUCT = /cabinet/i;
/** After the new model is drawn, requests are still watched this long (shorter than the
 * page's idle time before it speculates again, so its next round is not counted). */
const SETTLE_MS = 500;

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** Every request of `page`, with what the page asked a job for (from the POST bodies), and
 * the cache keys of morph jobs (so their GLB downloads can be told apart). */
function networkLog(page) {
  const requests = [];
  const morphKeys = new Set();
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    let body = null;
    if (request.method() === 'POST' && pathname === '/api/v1/jobs') {
      try { body = request.postDataJSON(); } catch { body = null; }
    }
    requests.push({ at: Date.now(), method: request.method(), path: pathname, body });
  });
  page.on('response', async (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || new URL(response.url()).pathname !== '/api/v1/jobs') return;
    let body;
    try { body = request.postDataJSON(); } catch { return; }
    if (!body?.options?.morph) return;
    const job = await response.json().catch(() => null);
    if (job?.cache_key) morphKeys.add(job.cache_key);
  });
  /** The requests since `since` (Date.now()) that were for the shown model itself. */
  function forTheChange(since) {
    return requests.filter((r) => r.at >= since).filter((r) => {
      if (r.method === 'POST' && r.path === '/api/v1/jobs') {
        return !r.body?.options?.morph && r.body?.options?.priority !== 'background';
      }
      if (r.method === 'GET' && /^\/api\/v1\/jobs\/[^/]+$/.test(r.path)) return true;
      if (/\.glb$/.test(r.path)) return ![...morphKeys].some((key) => r.path.includes(key));
      return false;
    }).map((r) => `${r.method} ${r.path}${r.body ? ` ${JSON.stringify(r.body)}` : ''}`);
  }
  return { requests, forTheChange };
}

/** Wait until the model on screen was drawn after `since` (page clock); its timings. */
async function waitForDrawnModel(page, since) {
  await drawnSince(page, since, TIMEOUT);
  return page.evaluate(() => ({ url: window.__configurator.modelUrl(), size: window.__configurator.modelSize(), timings: { ...window.__configurator.lastTimings } }));
}

/** With speculation on: until a run around another configuration than `before` (the key of
 * the last report, null at first) has ended; its report. Off: the report after more than the
 * idle time (none is expected). */
async function waitForSpeculation(page, before) {
  if (!SPECULATING) {
    await page.waitForTimeout(3000);
    return page.evaluate(() => window.__configurator.speculation());
  }
  // A dozen jobs behind whatever else the one worker has (the morph GLB, thumbnails of a
  // server that has just started) take a while on a loaded machine.
  const ended = await page.waitForFunction((previous) => {
    const report = window.__configurator?.speculation();
    return Boolean(report && report.of !== previous && report.ended !== null);
  }, before, { timeout: 4 * TIMEOUT, polling: 200 }).then(() => true, () => false);
  const report = await page.evaluate(() => window.__configurator.speculation());
  if (!ended) throw new Error(`the models ahead were not all made in time: ${JSON.stringify(report)}`);
  return report;
}

/** Make one discrete change with `act`, and measure it. */
async function change(page, network, name, act) {
  const since = await page.evaluate(() => performance.now());
  const wallSince = Date.now();
  await act();
  const model = await waitForDrawnModel(page, since);
  await page.waitForTimeout(SETTLE_MS);
  const requests = network.forTheChange(wallSince);
  const t = model.timings;
  const span = (from, to) => (from != null && to != null ? Math.round((to - from) * 10) / 10 : null);
  return {
    name, source: t.source, ms: t.totalMs, url: model.url, requests,
    // input → model in hand (job and download, or memory) → drawn (upload and first frame)
    breakdown: { to_model: span(t.inputAt, t.loadedAt), draw: span(t.loadedAt, t.drawnAt) },
    screenshot: await screenshot(page, name),
  };
}

async function main() {
  const { context, close } = await launch('speculation-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  if (!SPECULATING) {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'connection', { configurable: true, get: () => ({ saveData: true }) });
    });
  }
  const result = { ok: false, mode: SPECULATING ? 'on' : 'off', speculation: [], changes: [] };
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'page', benign);
    const network = networkLog(page);

    await step('open cabinet', async () => {
      await page.goto(`${APP}/`);
      const since = await page.evaluate(() => performance.now());
      await page.getByRole('link', { name: PRODUCT }).first().click();
      await page.waitForURL(/\/configure\//);
      const model = await waitForDrawnModel(page, since);
      return { source: model.timings.source, ms: model.timings.totalMs };
    });

    const changes = [
      ['door count 2', () => page.getByRole('button', { name: /^increase door/i }).click()],
      ['another finish', () => page.locator('.swatch').filter({ has: page.locator('input:not(:checked)') }).first().click()],
    ];
    for (const [name, act] of changes) {
      const report = await step(`idle: models made ahead before "${name}"`, async () => {
        const made = await waitForSpeculation(page, result.speculation.at(-1)?.of ?? null);
        if (SPECULATING && !(made?.ended === 'done' && made.kept > 0)) throw new Error(`nothing made ahead: ${JSON.stringify(made)}`);
        return { report: made };
      });
      result.speculation.push(report.report);
      const measured = await step(name, () => change(page, network, name.replace(/\s+/g, '-'), act));
      result.changes.push(measured);
      if (SPECULATING) {
        if (measured.requests.length > 0) throw new Error(`"${name}" sent requests for its model: ${measured.requests.join('; ')}`);
        if (measured.source !== 'memory') throw new Error(`"${name}" was drawn from ${measured.source}, not memory`);
      }
    }
  });
}

run(main);
