#!/usr/bin/env node
// End-to-end test of the configurator's first paint, in real headless Chromium.
//
//   node e2e/first-paint.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server with its seeded samples, whose thumbnails the server renders in
// the background after it starts: the products API is asked until the cabinet has them.
// Then the cabinet's configurator is opened on a phone-sized screen, with the answers the
// page waits for held back so each state can be looked at:
//   1. the page the server sends preloads the cabinet's thumbnails (its poster);
//   2. while the poster's image is held, no 3D view exists: the canvas is made only once
//      the poster has been painted (the JavaScript of the view has arrived by then);
//   3. the poster is the page's largest paint (LCP), an <img> of the cabinet's thumbnails
//      (srcset of 256w and 512w WebP), decoded, and the canvas came after its paint;
//   4. while the model's GLB is held, the poster stays;
//   5. once the GLB arrives the canvas draws the model (its middle has the model's edges, the
//      empty stage has none) and the poster is gone;
//   6. a link to another configuration shows no poster (the thumbnail is of the default);
//   7. in a browser without WebGL (--disable-webgl) the page fetches no three.js, makes no
//      canvas, says why, and measures the model from its GLB's JSON: the same size as the
//      drawn one in 5, in the W × H × D read-out.
// Prints one final JSON line {"ok", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000).
import { launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000 });
const CABINET = 'Kitchen base cabinet';
const VIEWER_CHUNK = /\/assets\/Viewer-[^/]*\.js$/;
/** components/scene/Poster.tsx POSTER_SIZES. */
const POSTER_SIZES = '(max-width: 560px) 78vw, 520px';

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** A gate for the requests matching `pattern`: they wait until `release()`. */
async function hold(page, pattern) {
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  const held = [];
  await page.route(pattern, async (route) => {
    held.push(route.request().url());
    await released;
    await route.continue().catch(() => undefined); // the page may have gone
  });
  return { held, release: () => release() };
}

/** How much is drawn in the middle of `locator`'s box (half its width and height): the share
 * of pixels that differ from their right or lower neighbour by more than a smooth background
 * does (the stage's gradient changes by a step or two per pixel; a model's edges, handles and
 * shading by far more). A white cabinet on the near-white stage counts by its edges. */
async function detailInMiddle(page, locator) {
  const box = await locator.boundingBox();
  const clip = { x: box.x + box.width / 4, y: box.y + box.height / 4, width: box.width / 2, height: box.height / 2 };
  const png = (await page.screenshot({ clip })).toString('base64');
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const { data: pixels, width, height } = context.getImageData(0, 0, image.width, image.height);
    const luminance = (x, y) => {
      const i = 4 * (y * width + x);
      return 0.2126 * pixels[i] + 0.7152 * pixels[i + 1] + 0.0722 * pixels[i + 2];
    };
    let detail = 0;
    for (let y = 0; y < height - 1; y++) {
      for (let x = 0; x < width - 1; x++) {
        const here = luminance(x, y);
        if (Math.abs(here - luminance(x + 1, y)) > 12 || Math.abs(here - luminance(x, y + 1)) > 12) detail++;
      }
    }
    return Math.round((detail / ((width - 1) * (height - 1))) * 10000) / 10000;
  }, png);
}

async function main() {
  const { context, close } = await launch('first-paint-e2e-', { viewport: { width: 412, height: 823 } });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'configurator', (what) => what === '401 GET /api/v1/auth/me');

    const cabinet = await step('the cabinet has its thumbnails', async () => {
      await page.goto(`${APP}/`);
      const key = await page.locator('meta[name="configurator-storefront-key"]').getAttribute('content');
      const deadline = Date.now() + 180000;
      for (;;) {
        const listing = await page.request.get(`${APP}/api/v1/products?limit=60`, { headers: { Authorization: `Bearer ${key}` } });
        const product = (await listing.json()).items.find((p) => p.name === CABINET);
        if (product?.thumbnails?.length) {
          const detail = await (await page.request.get(`${APP}/api/v1/products/${product.id}`, { headers: { Authorization: `Bearer ${key}` } })).json();
          return { id: product.id, thumbnails: product.thumbnails.map((t) => t.url.split('?')[0]), schema: detail.config_schema };
        }
        if (Date.now() > deadline) throw new Error('the cabinet had no thumbnails after 180 s');
        await page.waitForTimeout(1000);
      }
    });

    // Every paint of the largest content and the moment the canvas joins the page.
    await page.addInitScript(() => {
      window.__firstPaint = { lcp: [], canvasAt: null };
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          window.__firstPaint.lcp.push({ at: entry.renderTime || entry.startTime, tag: entry.element?.tagName ?? null,
            className: entry.element?.className ?? null, url: entry.url ?? '' });
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
      new MutationObserver(() => {
        if (window.__firstPaint.canvasAt === null && document.querySelector('.preview-stage canvas')) {
          window.__firstPaint.canvasAt = performance.now();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const poster = await hold(page, /\/thumbnails\/[^/?]+\.webp/);
    const glb = await hold(page, /\.glb(\?|$)/);
    let viewerChunk = false;
    page.on('requestfinished', (request) => { if (VIEWER_CHUNK.test(new URL(request.url()).pathname)) viewerChunk = true; });

    await step('the page preloads the poster', async () => {
      const response = await page.goto(`${APP}/configure/${cabinet.id}`, { waitUntil: 'commit' });
      const html = await response.text();
      const link = html.match(/<link rel="preload" as="image" imagesrcset="([^"]+)" imagesizes="([^"]+)"/);
      if (!link) throw new Error('the page has no preload of an image');
      const named = link[1].replaceAll('&amp;', '&').split(', ').map((c) => c.split(' ')[0].split('?')[0]);
      const paths = cabinet.thumbnails.map((u) => new URL(u, APP).pathname);
      if (named.length !== paths.length || !named.every((u) => paths.includes(new URL(u, APP).pathname))) {
        throw new Error(`the preload names ${named}, not the cabinet's thumbnails ${paths}`);
      }
      if (link[2] !== POSTER_SIZES) throw new Error(`preload sizes ${link[2]}`);
      return { preloaded: named.length };
    });

    await step('no 3D view while the poster is not painted', async () => {
      await page.waitForFunction(() => document.querySelector('.preview-stage'), null);
      await page.waitForFunction(() => document.querySelector('img.preview-poster'), null);
      const deadline = Date.now() + TIMEOUT;
      while (!viewerChunk && Date.now() < deadline) await page.waitForTimeout(100);
      if (!viewerChunk) throw new Error('the Viewer chunk never arrived');
      // A few frames for the page to act on it.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 300)))));
      const canvases = await page.locator('.preview-stage canvas').count();
      if (canvases !== 0) throw new Error(`${canvases} canvas(es) made before the poster was painted`);
      return { held: poster.held.length, canvases, screenshot: await screenshot(page, 'poster-held') };
    });

    const painted = await step('the poster is the largest paint, then the canvas is made', async () => {
      poster.release();
      await page.waitForFunction(() => {
        const img = document.querySelector('img.preview-poster');
        return img && img.complete && img.naturalWidth > 0;
      }, null);
      await page.waitForFunction(() => document.querySelector('.preview-stage canvas'), null);
      const image = await page.locator('img.preview-poster').evaluate((img) => ({
        current: new URL(img.currentSrc).pathname, srcset: img.getAttribute('srcset'), sizes: img.getAttribute('sizes'),
        natural: [img.naturalWidth, img.naturalHeight], alt: img.getAttribute('alt'),
      }));
      const paths = cabinet.thumbnails.map((u) => new URL(u, APP).pathname);
      if (!paths.includes(image.current)) throw new Error(`the poster shows ${image.current}, not a thumbnail of the cabinet`);
      if (!/ 256w/.test(image.srcset) || !/ 512w/.test(image.srcset)) throw new Error(`srcset lacks a width: ${image.srcset}`);
      if (image.sizes !== POSTER_SIZES) throw new Error(`sizes ${image.sizes}`);
      if (image.alt !== '') throw new Error('the poster is not decorative (alt="")');
      const { lcp, canvasAt } = await page.evaluate(() => window.__firstPaint);
      const last = lcp.at(-1);
      if (!last || last.tag !== 'IMG' || last.className !== 'preview-poster' || new URL(last.url).pathname !== image.current) {
        throw new Error(`the largest paint is ${JSON.stringify(last)}, not the poster`);
      }
      if (!(canvasAt > last.at)) throw new Error(`the canvas was made at ${canvasAt} ms, before the poster's paint at ${last.at} ms`);
      const detail = await detailInMiddle(page, page.locator('.preview-stage'));
      return { picked: image.current.split('/').pop(), lcpMs: Math.round(last.at), canvasMs: Math.round(canvasAt), detail, screenshot: await screenshot(page, 'poster') };
    });

    await step('the poster stays while the model is not drawn', async () => {
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
      const state = await page.evaluate(() => ({
        poster: document.querySelectorAll('img.preview-poster').length, model: window.__configurator?.modelUrl() ?? null,
      }));
      if (state.poster !== 1 || state.model !== null) throw new Error(`before the GLB: ${JSON.stringify(state)}`);
      return { glbsHeld: glb.held.length };
    });

    const drawn = await step('the model is drawn and the poster is gone', async () => {
      glb.release();
      await page.waitForFunction(() => window.__configurator?.modelUrl() && !document.querySelector('img.preview-poster'), null, { timeout: 120000 });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const shot = await screenshot(page, 'model');
      const detail = await detailInMiddle(page, page.locator('.preview-stage canvas'));
      // The empty stage has none; the cabinet's edges and handles are a few percent of the middle.
      if (detail < 0.01) throw new Error(`the middle of the canvas has ${detail * 100}% detail: no model on it (${shot})`);
      const size = await page.evaluate(() => window.__configurator.modelSize());
      return { detail, posterDetail: painted.detail, size, screenshot: shot };
    });

    await step('a link to another configuration shows no poster', async () => {
      await page.unroute(/\/thumbnails\/[^/?]+\.webp/);
      await page.unroute(/\.glb(\?|$)/);
      // The model held again, so a poster (if there were one) could not have given way to it yet.
      const model = await hold(page, /\.glb(\?|$)/);
      // As a share link (lib/shareLink.ts): ?c= carries the base64url JSON of the changed values.
      const { width } = cabinet.schema.properties;
      const values = { width: Math.round((width.default + 0.05) * 1000) / 1000 };
      const link = `${APP}/configure/${cabinet.id}?c=${Buffer.from(JSON.stringify(values)).toString('base64url')}`;
      const response = await page.goto(link, { waitUntil: 'commit' });
      const preloads = ((await response.text()).match(/rel="preload" as="image"/g) ?? []).length;
      await page.waitForFunction(() => document.querySelector('.preview-stage canvas'), null);
      const posters = await page.locator('img.preview-poster').count();
      const shown = await page.evaluate(() => window.__configurator?.modelUrl() ?? null);
      if (preloads !== 0 || posters !== 0) throw new Error(`${preloads} preloads and ${posters} posters for another configuration`);
      if (shown !== null) throw new Error(`a model was shown while its GLB was held: ${shown}`);
      model.release();
      return { values, canvas: true };
    });

    await step('without WebGL the model is measured, not drawn, and no three.js is fetched', async () => {
      const browser = await launch('first-paint-e2e-no-webgl-', { viewport: { width: 412, height: 823 }, args: ['--disable-webgl'] });
      try {
        const plain = await browser.context.newPage();
        watch(plain, 'configurator without WebGL', (what) => what === '401 GET /api/v1/auth/me');
        const scripts = [];
        plain.on('request', (request) => { if (/\.m?js$/.test(new URL(request.url()).pathname)) scripts.push(new URL(request.url()).pathname); });
        await plain.goto(`${APP}/configure/${cabinet.id}`);
        await plain.locator('.preview-no-webgl').waitFor({ timeout: TIMEOUT });
        const size = await plain.evaluate(() => window.__configurator.modelSize());
        const readout = await plain.locator('.dimensions').textContent();
        const canvases = await plain.locator('canvas').count();
        const three = scripts.filter((p) => /\/assets\/(three|GLTFLoader|Viewer)[^/]*\.js$/.test(p));
        if (three.length) throw new Error(`a browser without WebGL fetched ${three.join(', ')}`);
        if (canvases !== 0) throw new Error(`${canvases} canvas(es) without WebGL`);
        if (!size || size.some((v, k) => Math.abs(v - drawn.size[k]) > 1e-6)) {
          throw new Error(`measured ${JSON.stringify(size)}, drawn ${JSON.stringify(drawn.size)}`);
        }
        const match = /W\s*([\d.,]+)/.exec(readout ?? '');
        if (!match || Math.abs(Number(match[1].replace(',', '.')) - size[0] * 100) > 0.1) {
          throw new Error(`the read-out says ${readout}, not a width of ${size[0] * 100} cm`);
        }
        return { size, readout, scripts: scripts.length, screenshot: await screenshot(plain, 'no-webgl') };
      } finally {
        await browser.close();
      }
    });
  });
}

run(main);
