#!/usr/bin/env node
// End-to-end test of the web configurator in real headless Chromium.
//
//   node e2e/configurator.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin.
// Opens the catalogue, configures the kitchen cabinet (width via the numeric field),
// checks the model on screen from `window.__configurator`, saves the configuration and
// finds it on /saved, reopens the share link in a new page and gets the same model, and
// checks the page at 375 px. Screenshots of every step go to ARTIFACTS_DIR. Prints one
// final JSON line {"ok", "uncached_ms", "cached_ms", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 60000).
import fs from 'node:fs';
import path from 'node:path';

import { cancelRace, launch, recorder } from './harness.mjs';

const [appArg, artifactsArg] = process.argv.slice(2);
if (!appArg) {
  console.error('usage: node e2e/configurator.e2e.mjs APP_URL [ARTIFACTS_DIR]');
  process.exit(2);
}
const APP = appArg.replace(/\/+$/, '');
const ARTIFACTS = path.resolve(artifactsArg ?? 'e2e-artifacts');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 60000);
const PRODUCT = /cabinet/i;
const WIDTH_CM = 80;
const TOLERANCE_M = 0.001;

const { problems, log, step, watch, screenshot, failed, finish, run } = recorder(ARTIFACTS);

/** Failed requests the test does not mind: a cancel answered 409 (the browser logs the race)
 * and `GET /api/v1/auth/me` answered 401 (the app asks it at start, and this shopper is
 * anonymous). */
const benign = (what) => cancelRace(what) || what === '401 GET /api/v1/auth/me';

/** Wait until the model on screen is drawn and was not drawn before `since` (page clock). */
async function waitForDrawnModel(page, since) {
  await page.waitForFunction(
    (t) => {
      const c = window.__configurator;
      const timings = c?.lastTimings;
      return Boolean(c && c.modelUrl() && c.phase() === 'ready' && timings?.drawnAt && timings.drawnAt > t);
    },
    since,
    { timeout: TIMEOUT, polling: 'raf' },
  );
  return page.evaluate(() => ({
    size: window.__configurator.modelSize(),
    url: window.__configurator.modelUrl(),
    timings: { ...window.__configurator.lastTimings },
  }));
}

/** Type a width in cm into the numeric field and press Enter; returns the drawn model. */
async function setWidth(page, cm) {
  const field = page.locator('#param-width');
  const since = await page.evaluate(() => performance.now());
  await field.fill(String(cm));
  await field.press('Enter');
  const model = await waitForDrawnModel(page, since);
  const expected = cm / 100;
  if (Math.abs(model.size[0] - expected) > TOLERANCE_M) {
    throw new Error(`model width ${model.size[0]} m, expected ${expected} ± ${TOLERANCE_M} m`);
  }
  return {
    width_m: round(model.size[0], 4),
    ms: model.timings.totalMs,
    wall_ms: round(model.timings.drawnAt - since, 1),
    source: model.timings.source,
    breakdown: breakdown(model.timings),
    url: model.url,
    size: model.size,
  };
}

/** Where the time went: request → result (server, incl. queue and WebSocket), → GLB loaded, → drawn. */
function breakdown(t) {
  const d = (a, b) => (a != null && b != null ? round(b - a, 1) : null);
  return { to_submit: d(t.inputAt, t.submittedAt), job: d(t.submittedAt ?? t.inputAt, t.resultAt), glb: d(t.resultAt, t.loadedAt), draw: d(t.loadedAt, t.drawnAt) };
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

async function main() {
  const { context, close } = await launch('configurator-e2e-', { permissions: ['clipboard-read', 'clipboard-write'] });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  try {
    const page = await context.newPage();
    watch(page, 'page 1', benign);

    await step('catalogue', async () => {
      await page.goto(`${APP}/`);
      await page.getByRole('heading', { level: 2, name: PRODUCT }).waitFor();
      const products = await page.locator('.product-card h2').allTextContents();
      // A server that has just started is still making the previews, and thumbnails are drawn
      // one after another: the screenshot waits a little for them (the test does not).
      await page.waitForFunction(() => !document.querySelector('.product-placeholder')
        && [...document.querySelectorAll('.product-card img')].every((img) => img.complete), null, { timeout: 20000 })
        .catch(() => log('previews not all there yet; screenshot taken anyway'));
      return { products, screenshot: await screenshot(page, 'catalogue') };
    });

    const opened = await step('open cabinet', async () => {
      const since = await page.evaluate(() => performance.now());
      await page.getByRole('link', { name: PRODUCT }).first().click();
      await page.waitForURL(/\/configure\//);
      const model = await waitForDrawnModel(page, since);
      return { first_model_ms: model.timings.totalMs, source: model.timings.source, size: model.size, screenshot: await screenshot(page, 'configurator') };
    });
    if (!opened.size) throw new Error('no model size after opening the product');

    const target = await step(`width ${WIDTH_CM} cm`, async () => {
      const r = await setWidth(page, WIDTH_CM);
      return { ...r, screenshot: await screenshot(page, `width-${WIDTH_CM}cm`) };
    });

    // A width no earlier request asked for, so the server has to build it. A long-lived
    // database may have seen it already: then try another one.
    let uncached;
    await step('uncached change', async () => {
      for (let attempt = 0; attempt < 6 && !uncached; attempt++) {
        const cm = round(62 + ((Date.now() / 7 + attempt * 313) % 2600) / 100, 1);
        if (cm === WIDTH_CM) continue;
        const r = await setWidth(page, cm);
        if (r.source === 'generated') uncached = { cm, ...r };
      }
      if (!uncached) throw new Error('every width tried was already cached on the server');
      return { ...uncached, screenshot: await screenshot(page, 'uncached-width') };
    });

    const cached = await step('cached change (a width seen before)', async () => {
      const r = await setWidth(page, WIDTH_CM);
      if (r.url !== target.url) throw new Error(`back at ${WIDTH_CM} cm but the model URL changed: ${r.url} vs ${target.url}`);
      return r;
    });

    const rule = await step('rule shown before sending', async () => {
      await page.locator('#param-width').fill('100');
      await page.locator('#param-width').press('Enter');
      const message = page.locator('.field-problems').filter({ hasText: /two doors/i });
      await message.waitFor();
      const phase = await page.evaluate(() => window.__configurator.phase());
      if (phase !== 'blocked') throw new Error(`preview phase is ${phase}, expected blocked`);
      const file = await screenshot(page, 'rule-message');
      await setWidth(page, WIDTH_CM);
      return { phase, screenshot: file };
    });
    void rule;

    const shareUrl = await step('share link', async () => {
      await page.waitForFunction(() => new URL(location.href).searchParams.has('c'));
      await page.getByRole('button', { name: /copy link/i }).click();
      let link = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
      if (!link.startsWith('http')) link = page.url();
      const encoded = new URL(link).searchParams.get('c');
      const values = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
      if (values.width !== WIDTH_CM / 100) throw new Error(`share link carries ${JSON.stringify(values)}`);
      return { link, values };
    });

    await step('download GLB', async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: /download glb/i }).click(),
      ]);
      const file = path.join(ARTIFACTS, download.suggestedFilename());
      await download.saveAs(file);
      const bytes = fs.readFileSync(file);
      if (bytes.subarray(0, 4).toString('latin1') !== 'glTF') throw new Error('the download is not a GLB');
      return { file: path.basename(file), bytes: bytes.length };
    });

    const savedName = `E2E cabinet ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
    await step('save', async () => {
      await page.getByRole('button', { name: /^save$/i }).click();
      const dialog = page.getByRole('dialog', { name: /save configuration/i });
      await dialog.getByLabel('Name').fill(savedName);
      await dialog.getByRole('button', { name: /^save$/i }).click();
      await page.locator('.toast').filter({ hasText: savedName }).waitFor();
      return { name: savedName, screenshot: await screenshot(page, 'saved-toast') };
    });

    await step('find it on /saved', async () => {
      await page.getByRole('link', { name: 'Saved', exact: true }).click();
      await page.waitForURL(/\/saved$/);
      const item = page.locator('.saved-item').filter({ hasText: savedName });
      await item.waitFor();
      const chips = await item.locator('.chips li').allTextContents();
      if (!chips.some((c) => /Width: 80 cm/.test(c))) throw new Error(`saved item shows ${JSON.stringify(chips)}`);
      return { chips, screenshot: await screenshot(page, 'saved-list') };
    });

    const shared = await step('open the share link in a new page', async () => {
      const other = await context.newPage();
      watch(other, 'page 2', benign);
      await other.goto(shareUrl.link);
      const model = await waitForDrawnModel(other, 0);
      const same = model.url === cached.url
        && model.size.every((v, i) => Math.abs(v - cached.size[i]) < 1e-6);
      if (!same) throw new Error(`shared page shows ${model.url} ${model.size}, expected ${cached.url} ${cached.size}`);
      const file = await screenshot(other, 'shared-link');
      // A width the server built for page 1 but this page never saw: answered from the server's cache.
      const server = await setWidth(other, uncached.cm);
      await other.close();
      return { url: model.url, size: model.size, first_model_ms: model.timings.totalMs, server_cached: { ms: server.ms, source: server.source }, screenshot: file };
    });

    await step('phone width (375 px)', async () => {
      const phone = await context.newPage();
      watch(phone, 'phone', benign);
      await phone.setViewportSize({ width: 375, height: 812 });
      await phone.goto(shareUrl.link);
      await waitForDrawnModel(phone, 0);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) throw new Error(`the page is ${overflow} px wider than the 375 px screen`);
      const viewer = await phone.locator('.preview-stage').boundingBox();
      const controls = await phone.locator('.controls').boundingBox();
      if (!viewer || !controls || controls.y < viewer.y + viewer.height) throw new Error('controls are not under the viewer');
      const file = await screenshot(phone, 'phone');
      await phone.locator('.controls').scrollIntoViewIfNeeded();
      const file2 = await screenshot(phone, 'phone-controls');
      await phone.close();
      return { screenshots: [file, file2] };
    });

    if (problems.length) throw new Error(`the pages reported errors:\n${problems.join('\n')}`);
    Object.assign(result, {
      ok: true,
      uncached_ms: uncached.ms,
      cached_ms: cached.ms,
      server_cached_ms: shared.server_cached.ms,
      first_model_ms: opened.first_model_ms,
    });
  } catch (error) {
    await failed(result, error, context);
  } finally {
    await close();
  }
  finish(result);
}

run(main);
