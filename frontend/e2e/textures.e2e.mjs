#!/usr/bin/env node
// A textured finish in the configurator, in real headless Chromium: the texture is drawn and
// fetched once.
//
//   node e2e/textures.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin.
// Logs in as an admin (E2E_EMAIL, E2E_PASSWORD) and adds the product TEXTURE_TEMPLATE (a
// `.blend` whose finish "Oak" is a packed image on a UV-mapped panel, White a flat colour)
// through the admin page, unless TEXTURE_PRODUCT names a product to open instead. Opens it
// in the configurator: the GLB names its texture by URI (`../textures/<sha256>.png?…`), which
// the viewer resolves against the GLB's URL. The panel's pixels on screen (the middle of the
// viewer) vary: their luminance's standard deviation is above MIN_STDDEV and several times
// that of the flat finish. A new width then loads a new GLB whose texture comes from the
// browser's HTTP cache: the texture is fetched from the network once in all (Chromium's own
// network events say which answers came from its cache). Download GLB saves the GLB with its
// texture embedded (no image URI left).
//
// Prints one final JSON line {"ok", "textured_stddev", "flat_stddev", "texture_fetches",
// "steps": [...]}; exits 1 on failure. Environment: CHROMIUM (default /usr/bin/chromium),
// E2E_TIMEOUT_MS (default 60000).
import fs from 'node:fs';
import path from 'node:path';

import { benign, downloadGlb, drawnSince, launch, logIn, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 60000 });
const { E2E_EMAIL: EMAIL, E2E_PASSWORD: PASSWORD, TEXTURE_TEMPLATE: TEMPLATE, TEXTURE_PRODUCT } = process.env;
const PRODUCT_NAME = `Textured panel ${Date.now().toString(36)}`;
const MIN_STDDEV = 8; // of 0-255 luminance: a flat finish under the studio light stays well below
const FLAT_FACTOR = 3;

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** Wait until the model on screen is drawn and was not drawn before `since` (page clock). */
async function waitForDrawnModel(page, since) {
  await drawnSince(page, since, TIMEOUT);
  // A frame or two more, so the textures decoded after the model was added are on screen.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await page.waitForTimeout(300);
  return page.evaluate(() => window.__configurator.modelUrl());
}

/** Standard deviation of the luminance of the middle fifth of the viewer's canvas, from a
 * screenshot of it (what is on screen, whatever WebGL's buffers keep). */
async function panelStddev(page) {
  const canvas = page.locator('.preview-stage canvas').first();
  const box = await canvas.boundingBox();
  const clip = { x: box.x + box.width * 0.4, y: box.y + box.height * 0.4, width: box.width * 0.2, height: box.height * 0.2 };
  const png = await page.screenshot({ clip, type: 'png' });
  return page.evaluate(async (base64) => {
    const blob = new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: 'image/png' });
    const bitmap = await createImageBitmap(blob);
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    let sum = 0;
    let squares = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      sum += y;
      squares += y * y;
    }
    const mean = sum / n;
    return Math.sqrt(Math.max(0, squares / n - mean * mean));
  }, png.toString('base64'));
}

/** The JSON chunk of a GLB. */
function split(bytes) {
  const length = bytes.readUInt32LE(12);
  return JSON.parse(bytes.subarray(20, 20 + length).toString('utf8'));
}

async function main() {
  const { context, close } = await launch('configurator-textures-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'page', benign);
    // Every texture request, and whether Chromium answered it from its HTTP cache.
    const network = await context.newCDPSession(page);
    await network.send('Network.enable');
    const textureRequests = new Map();
    network.on('Network.requestWillBeSent', ({ requestId, request }) => {
      if (new URL(request.url).pathname.includes('/textures/')) textureRequests.set(requestId, { url: request.url, cached: false });
    });
    network.on('Network.requestServedFromCache', ({ requestId }) => {
      if (textureRequests.has(requestId)) textureRequests.get(requestId).cached = true;
    });
    network.on('Network.responseReceived', ({ requestId, response }) => {
      const seen = textureRequests.get(requestId);
      if (seen) Object.assign(seen, { status: response.status, type: response.mimeType, cached: seen.cached || response.fromDiskCache });
    });

    let productId = TEXTURE_PRODUCT;
    if (!productId) {
      productId = await step('log in as an admin and add the textured product', async () => {
        await logIn(page, APP, '/admin/products', EMAIL, PASSWORD);
        await page.locator('#add-product-name').fill(PRODUCT_NAME);
        await page.locator('#add-product-template').setInputFiles(TEMPLATE);
        const [created] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/products',
            { timeout: TIMEOUT * 2 }),
          page.getByRole('button', { name: 'Add product' }).click(),
        ]);
        if (created.status() !== 201) throw new Error(`upload answered ${created.status()}: ${await created.text()}`);
        return { id: (await created.json()).id };
      }).then((detail) => detail.id);
    }

    const textured = await step('the configurator draws the textured finish', async () => {
      await page.goto(`${APP}/configure/${productId}`);
      const url = await waitForDrawnModel(page, 0).catch(async (error) => {
        const shown = await page.evaluate(() => ({ text: document.body.innerText.slice(0, 400), phase: window.__configurator?.phase() }));
        throw new Error(`${error.message} (the page shows ${JSON.stringify(shown)})`);
      });
      const stddev = await panelStddev(page);
      const glb = split(await (await page.request.get(new URL(url, APP).href)).body());
      const uris = glb.images.map((image) => image.uri);
      if (uris.length !== 1 || glb.images.some((image) => 'bufferView' in image)) {
        throw new Error(`the GLB's images: ${JSON.stringify(glb.images)}`);
      }
      const fetched = [...textureRequests.values()];
      const bad = fetched.filter((r) => r.status !== 200 || r.type !== 'image/png');
      if (bad.length) throw new Error(`texture answers: ${JSON.stringify(bad)}`);
      const onScreen = new URL(uris[0], new URL(url, APP)).pathname;
      if (!fetched.some((r) => new URL(r.url).pathname === onScreen)) throw new Error(`${onScreen} was not fetched`);
      return { url, stddev, textures: [onScreen], screenshot: await screenshot(page, 'textured') };
    });

    await step('a new width reuses the cached texture', async () => {
      const field = page.locator('#param-width');
      const since = await page.evaluate(() => performance.now());
      await field.fill('95');
      await field.press('Enter');
      const url = await waitForDrawnModel(page, since);
      if (url === textured.url) throw new Error('the model on screen is still the first one');
      // The page may have asked ahead for other finishes' models (speculation): their
      // textures count too. No texture comes from the network twice, and the one on screen
      // was asked for again (by the new GLB) and answered from the cache.
      const requests = [...textureRequests.values()];
      const fromNetwork = requests.filter((r) => !r.cached);
      const distinct = new Set(fromNetwork.map((r) => new URL(r.url).pathname));
      const shown = requests.filter((r) => new URL(r.url).pathname === textured.textures[0]);
      if (fromNetwork.length !== distinct.size || shown.length < 2) {
        throw new Error(`textures fetched from the network: ${JSON.stringify(requests)}`);
      }
      result.texture_fetches = shown.filter((r) => !r.cached).length;
      return { url, requests: requests.length, from_network: fromNetwork.length, shown_requests: shown.length,
        stddev: await panelStddev(page) };
    });

    await step('Download GLB gives the textures embedded', async () => {
      const file = await downloadGlb(page, ARTIFACTS);
      const { images } = split(fs.readFileSync(file));
      if (images.length !== 1 || 'uri' in images[0] || !('bufferView' in images[0])) {
        throw new Error(`the downloaded GLB's images: ${JSON.stringify(images)}`);
      }
      return { file: path.basename(file), bytes: fs.statSync(file).size };
    });

    const flat = await step('the flat finish for comparison', async () => {
      const since = await page.evaluate(() => performance.now());
      await page.locator('[role="radiogroup"][aria-labelledby="param-finish-label"] label', { hasText: 'White' }).click();
      await waitForDrawnModel(page, since);
      return { stddev: await panelStddev(page), screenshot: await screenshot(page, 'flat') };
    });

    result.textured_stddev = textured.stddev;
    result.flat_stddev = flat.stddev;
    if (!(textured.stddev > MIN_STDDEV && textured.stddev > FLAT_FACTOR * flat.stddev)) {
      throw new Error(`the textured finish's pixels vary by ${textured.stddev.toFixed(2)} (flat ${flat.stddev.toFixed(2)}): `
        + `not above ${MIN_STDDEV} and ${FLAT_FACTOR}× the flat finish`);
    }
  });
}

run(main);
