#!/usr/bin/env node
// End-to-end test of the catalogue's weight, in real headless Chromium.
//
//   node e2e/catalogue.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server with its seeded samples, whose thumbnails the server renders in
// the background after it starts: the catalogue is opened until they are there, then again.
// On `/`, every request the page makes is recorded: each product card shows its server-made
// thumbnail (an <img> with width, height and a srcset of 256w and 512w WebP images, decoded),
// the page fetches no three.js chunk (three.module, GLTFLoader, the Viewer) and no .glb, and
// its scripts and styles arrive compressed (brotli, as the browser asks for it). Then opening
// the first product loads three.js and its model: the split moved them, it did not lose them.
// Prints one final JSON line {"ok", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000).
import { launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000 });
const THREE_CHUNK = /\/assets\/(three\.module|GLTFLoader|Viewer)-[^/]*\.js$/;

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

async function main() {
  const { context, close } = await launch('catalogue-e2e-', { viewport: { width: 412, height: 823 } });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'catalogue', (what) => what === '401 GET /api/v1/auth/me'); // nobody is logged in
    const requests = [];
    const encodings = {};
    page.on('request', (request) => requests.push(request.url()));
    page.on('response', async (response) => {
      const { pathname } = new URL(response.url());
      if (pathname.startsWith('/assets/')) encodings[pathname] = (await response.allHeaders())['content-encoding'] ?? 'identity';
    });

    await step('catalogue with thumbnails', async () => {
      const everyCardShowsItsImage = () => {
        const cards = document.querySelectorAll('.product-card');
        const images = [...document.querySelectorAll('.product-card img')];
        return cards.length > 0 && images.length === cards.length
          && images.every((img) => img.complete && img.naturalWidth > 0);
      };
      await page.goto(`${APP}/`);
      await page.waitForFunction(everyCardShowsItsImage, null, { timeout: 180000 });
      // Measured from here on: a page loaded once the thumbnails exist (the first card's image
      // is then preloaded by the page the server sends).
      requests.length = 0;
      await page.reload();
      await page.waitForFunction(everyCardShowsItsImage, null, { timeout: 60000 });
      const images = await page.locator('.product-card img').evaluateAll((nodes) => nodes.map((img) => ({
        width: img.getAttribute('width'), height: img.getAttribute('height'), srcset: img.getAttribute('srcset'),
        current: new URL(img.currentSrc).pathname + new URL(img.currentSrc).search, natural: [img.naturalWidth, img.naturalHeight],
      })));
      for (const image of images) {
        if (!image.width || !image.height) throw new Error(`an image without its size: ${JSON.stringify(image)}`);
        if (!/ 256w/.test(image.srcset) || !/ 512w/.test(image.srcset)) throw new Error(`srcset lacks a width: ${image.srcset}`);
        if (!/\/thumbnails\/[^/?]+\.webp\?/.test(image.current)) throw new Error(`not a thumbnail: ${image.current}`);
        // Natural size is the picked image's pixels over its density for `sizes`: square, not 0.
        if (image.natural[0] === 0 || image.natural[0] !== image.natural[1]) throw new Error(`image decoded at ${image.natural}`);
        if (!image.srcset.includes(image.current)) throw new Error(`${image.current} is not one of the srcset`);
      }
      return { images: images.length, picked: images.map((i) => (i.srcset.split(', ').find((c) => c.startsWith(i.current)) ?? '').split(' ')[1]), screenshot: await screenshot(page, 'catalogue') };
    });

    await step('no three.js and no GLB on the catalogue', async () => {
      await page.waitForLoadState('networkidle');
      const three = requests.filter((url) => THREE_CHUNK.test(new URL(url).pathname));
      // The page preloads the first card's image (its largest paint), which the card then uses.
      const preload = await page.locator('link[rel="preload"][as="image"]').count();
      if (preload !== 1) throw new Error(`${preload} image preloads in the page`);
      const images = requests.filter((url) => new URL(url).pathname.includes('/thumbnails/'));
      if (new Set(images).size !== images.length) throw new Error(`an image fetched twice: ${JSON.stringify(images)}`);
      const glbs = requests.filter((url) => new URL(url).pathname.endsWith('.glb'));
      if (three.length || glbs.length) throw new Error(`the catalogue fetched ${JSON.stringify([...three, ...glbs])}`);
      return { requests: requests.length };
    });

    await step('scripts and styles compressed', async () => {
      const assets = Object.entries(encodings).filter(([name]) => /\.(js|css)$/.test(name));
      if (!assets.length) throw new Error('no script or style seen');
      // Files under a kilobyte keep no compressed copy (scripts/precompress.ts).
      const plain = [];
      for (const [name, encoding] of assets) {
        if (encoding === 'br') continue;
        const size = (await (await fetch(`${APP}${name}`, { headers: { 'Accept-Encoding': 'identity' } })).arrayBuffer()).byteLength;
        if (size >= 1024) plain.push(`${name} (${encoding}, ${size} B)`);
      }
      if (plain.length) throw new Error(`sent without brotli: ${plain.join(', ')}`);
      return { assets: assets.length, encodings: [...new Set(assets.map(([, e]) => e))] };
    });

    await step('the configurator loads three.js and its model', async () => {
      const before = requests.length;
      // The model may still be in the making (the server queued it as it started): wait for it.
      const model = page.waitForRequest((request) => new URL(request.url()).pathname.endsWith('.glb'), { timeout: 180000 });
      await page.locator('.product-card h2 a').first().click();
      await page.waitForURL(/\/configure\//);
      await page.waitForFunction(() => document.querySelector('.preview-stage canvas') !== null, null, { timeout: 60000 });
      await model;
      const later = requests.slice(before).map((url) => new URL(url).pathname);
      if (!later.some((p) => THREE_CHUNK.test(p))) throw new Error('the configurator fetched no three.js chunk');
      return { requests: later.length };
    });
  });
}

run(main);
