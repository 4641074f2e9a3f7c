#!/usr/bin/env node
// The viewer morphs while the cabinet's width slider is dragged, in real headless Chromium.
//
//   node e2e/morph.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin.
// Opens the kitchen cabinet, waits for its exact model and then for the morph GLB the page
// asks for in the background, and drags the width slider from 60 to 85 cm with the mouse
// (pointer down on the thumb, moves, up). During the drag: no request and no socket at all;
// after every move, the next animation frame draws the morphed model at the slider's width
// (measured in the page from the vertices three.js draws: each mesh's morphed positions,
// `Mesh.getVertexPosition`, through its world matrix, ±1 mm), and the W × H × D read-out says
// it. Every frame the viewer reports drawn during the drag is checked the same way. After
// the release the exact GLB of 85 cm arrives and replaces the morphed one: every mesh's
// box agrees with the morphed one's within 0.1 mm (no jump). A second drag (once the page has
// loaded the morph GLB of 85 cm and made the models one step away), released with the pointer
// off the slider, gets its exact model all the same.
//
// With MORPH_TYPED=N, N widths are then typed into the numeric field (each within the morph
// range, each new to the server): each is drawn morphed at once and then exact, and both
// times from the input are kept (the figures of bench/morph_browser.py).
//
// Prints one final JSON line {"ok", "drag": {...}, "morph_ms": [...], "exact_ms": [...],
// "steps": [...]}; exits 1 on failure. Environment: CHROMIUM (default /usr/bin/chromium),
// E2E_TIMEOUT_MS (default 60000), MORPH_TYPED (default 0).
import { benign, launch, recorder, round, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 60000 });
const TYPED = Number(process.env.MORPH_TYPED ?? 0);
const PRODUCT = /cabinet/i;
const FROM_CM = 60;
const TO_CM = 85;
const OFF_CM = 75;
const MORPH_TOLERANCE_M = 0.001;
const EXACT_TOLERANCE_M = 0.0001;
const THUMB_PX = 22; // .slider::-webkit-slider-thumb

const { problems, log, step, watch, screenshot, failed, finish, run } = recorder(ARTIFACTS);

/** Installs, in the page, `window.__morphProbe`: the box of what the viewer draws now, per
 * mesh and in all (world space, metres), read from three.js's own morphed vertex positions,
 * and the read-out's width; and a log of every frame the viewer reports drawn. */
function installProbe(page) {
  return page.evaluate(() => {
    const hooks = window.__configurator;
    const slider = document.querySelector('input[type="range"][aria-labelledby="param-width-label"]');
    const measure = () => {
      const object = hooks.modelObject();
      if (!object) return null;
      const all = { min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] };
      const meshes = {};
      object.traverse((node) => {
        if (!node.isMesh) return;
        const box = meshes[node.name] ??= { min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] };
        const v = node.position.clone();
        for (let i = 0; i < node.geometry.attributes.position.count; i++) {
          node.getVertexPosition(i, v).applyMatrix4(node.matrixWorld);
          for (const [k, value] of [v.x, v.y, v.z].entries()) {
            for (const b of [box, all]) {
              if (value < b.min[k]) b.min[k] = value;
              if (value > b.max[k]) b.max[k] = value;
            }
          }
        }
      });
      return { all, meshes, width: all.max[0] - all.min[0] };
    };
    const readout = () => {
      const match = /W\s*([\d.,]+)/.exec(document.querySelector('.dimensions')?.textContent ?? '');
      return match ? Number(match[1].replace(',', '.')) : null;
    };
    const frames = [];
    const stop = hooks.onDrawn(() => {
      const box = measure();
      const t = hooks.lastTimings;
      const morphed = t?.source === 'morph';
      frames.push({ slider_cm: Number(slider.value), width_m: box?.width ?? null, source: t?.source ?? null,
        morph_ms: morphed ? t.totalMs : null,
        // input → influences set and the model placed (before React renders and the frame is drawn)
        pose_ms: morphed ? Math.round((t.loadedAt - t.inputAt) * 10) / 10 : null });
    });
    window.__morphProbe = { measure, readout, frames, stop, slider };
    return { min: Number(slider.min), max: Number(slider.max), step: Number(slider.step) };
  });
}

/** Resolves after the next animation frame's callbacks (the viewer renders in one) have run. */
const nextFrame = (page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));

/** Wait until an exact model (not morphed) is drawn after `since` (page clock); its timings. */
async function waitForExactModel(page, since) {
  await page.waitForFunction((t) => {
    const c = window.__configurator;
    const timings = c?.lastTimings;
    return Boolean(c && c.phase() === 'ready' && !c.morphSize() && timings?.source !== 'morph' && timings?.drawnAt > t);
  }, since, { timeout: TIMEOUT, polling: 'raf' });
  return page.evaluate(() => ({ ...window.__configurator.lastTimings }));
}

/** Wait until the morph GLB the page asked for in the background is loaded. */
async function waitForMorph(page, changed) {
  await page.waitForFunction((values) => !window.__configurator.morphPending() && window.__configurator.canMorph(values),
    changed, { timeout: TIMEOUT, polling: 100 });
}

/** Every mesh's box (and the whole) of `b` within `tolerance` of `a`'s: the largest difference. */
function boxDifference(a, b) {
  let worst = 0;
  const names = new Set([...Object.keys(a.meshes), ...Object.keys(b.meshes)]);
  for (const name of names) {
    const [p, q] = [a.meshes[name], b.meshes[name]];
    if (!p || !q) throw new Error(`mesh ${JSON.stringify(name)} is in only one of the models`);
    for (const end of ['min', 'max']) for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(p[end][k] - q[end][k]));
  }
  for (const end of ['min', 'max']) for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(a.all[end][k] - b.all[end][k]));
  return worst;
}

async function main() {
  const { context, close } = await launch('morph-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false, morph_ms: [], exact_ms: [] };
  const traffic = [];
  try {
    const page = await context.newPage();
    watch(page, 'page', benign);
    page.on('request', (request) => traffic.push(`${request.method()} ${new URL(request.url()).pathname}`));
    page.on('websocket', (socket) => traffic.push(`WS ${new URL(socket.url()).pathname}`));

    await step('open cabinet', async () => {
      // A server that has just started may still be storing its samples: ask again until the
      // cabinet is in the catalogue.
      const link = page.getByRole('link', { name: PRODUCT }).first();
      for (let started = Date.now(); ; ) {
        await page.goto(`${APP}/`);
        if (await link.waitFor({ timeout: 10000 }).then(() => true, () => false)) break;
        if (Date.now() - started > 3 * TIMEOUT) throw new Error('no cabinet in the catalogue');
        log('no cabinet in the catalogue yet: asking again');
      }
      const since = await page.evaluate(() => performance.now());
      await link.click();
      await page.waitForURL(/\/configure\//);
      await page.waitForFunction(() => window.__configurator?.modelUrl(), null, { timeout: TIMEOUT });
      const timings = await waitForExactModel(page, since);
      const width = await page.evaluate(() => window.__configurator.modelSize()[0]);
      if (Math.abs(width - FROM_CM / 100) > MORPH_TOLERANCE_M) throw new Error(`the cabinet opened ${width} m wide, not ${FROM_CM} cm`);
      return { source: timings.source, ms: timings.totalMs };
    });

    await step('morph GLB in the background', async () => {
      const started = Date.now();
      await waitForMorph(page, { width: TO_CM / 100 });
      const requests = traffic.filter((t) => t.startsWith('POST /api/v1/jobs'));
      return { waited_ms: Date.now() - started, job_requests: requests.length };
    });

    const slider = page.locator('input[type="range"][aria-labelledby="param-width-label"]');
    await slider.scrollIntoViewIfNeeded();
    const range = await installProbe(page);
    const box = await slider.boundingBox();
    const xOf = (cm) => box.x + THUMB_PX / 2 + ((cm - range.min) / (range.max - range.min)) * (box.width - THUMB_PX);
    const y = box.y + box.height / 2;
    const sliderValue = () => page.evaluate(() => Number(window.__morphProbe.slider.value));

    const drag = await step(`drag width ${FROM_CM} → ${TO_CM} cm`, async () => {
      if ((await sliderValue()) !== FROM_CM) throw new Error(`the slider starts at ${await sliderValue()} cm`);
      const before = traffic.length;
      const checked = [];
      /** After an input: the next frame draws the morphed model at the slider's width. */
      const check = async () => {
        await nextFrame(page);
        const seen = await page.evaluate(() => {
          const p = window.__morphProbe;
          return { slider_cm: Number(p.slider.value), box: p.measure(), readout_cm: p.readout(),
            morph: window.__configurator.morphSize(), last: p.frames.at(-1) ?? null };
        });
        const want = seen.slider_cm / 100;
        if (!seen.morph) throw new Error(`at ${seen.slider_cm} cm the viewer does not show a morphed model`);
        if (Math.abs(seen.box.width - want) > MORPH_TOLERANCE_M) {
          throw new Error(`at ${seen.slider_cm} cm the drawn model is ${seen.box.width} m wide`);
        }
        if (!seen.last || seen.last.slider_cm !== seen.slider_cm || Math.abs(seen.last.width_m - want) > MORPH_TOLERANCE_M) {
          throw new Error(`the frame after the move to ${seen.slider_cm} cm was not drawn: last drawn ${JSON.stringify(seen.last)}`);
        }
        if (seen.readout_cm === null || Math.abs(seen.readout_cm - seen.slider_cm) > 0.1 + 1e-9) {
          throw new Error(`at ${seen.slider_cm} cm the read-out says W ${seen.readout_cm}`);
        }
        checked.push(seen.slider_cm);
        return seen;
      };

      await page.mouse.move(xOf(FROM_CM), y);
      await page.mouse.down();
      const moves = 30;
      for (let i = 1; i <= moves; i++) {
        await page.mouse.move(xOf(FROM_CM + ((TO_CM - FROM_CM) * i) / moves), y);
        if ((await sliderValue()) !== FROM_CM) await check();
      }
      // The last pixels: onto 85 exactly (a pixel is a fraction of a slider step or more).
      let x = xOf(TO_CM);
      for (let tries = 0; tries < 40 && (await sliderValue()) !== TO_CM; tries++) {
        x += (await sliderValue()) < TO_CM ? 1 : -1;
        await page.mouse.move(x, y);
        await check();
      }
      const last = await check();
      if (last.slider_cm !== TO_CM) throw new Error(`the slider ended at ${last.slider_cm} cm, not ${TO_CM}`);
      const during = traffic.slice(before);
      if (during.length) throw new Error(`requests during the drag: ${during.join(', ')}`);

      const frames = await page.evaluate(() => window.__morphProbe.frames.slice());
      const off = frames.filter((f) => f.source !== 'morph' || Math.abs(f.width_m - f.slider_cm / 100) > MORPH_TOLERANCE_M);
      if (off.length) throw new Error(`frames drawn during the drag that do not show the slider's width: ${JSON.stringify(off.slice(0, 5))}`);
      const values = new Set(checked);
      result.morph_ms.push(...frames.map((f) => f.morph_ms).filter((ms) => ms !== null));
      result.pose_ms = frames.map((f) => f.pose_ms).filter((ms) => ms !== null);
      return {
        moves: checked.length, values: values.size, frames_drawn: frames.length, requests: during.length,
        morph_ms_max: Math.max(...frames.map((f) => f.morph_ms ?? 0)), screenshot: await screenshot(page, 'morphed-85cm'),
        morphed: last.box,
      };
    });

    let speculatedOf = null;
    await step('release: the exact model replaces the morphed one', async () => {
      speculatedOf = await page.evaluate(() => window.__configurator.speculation()?.of ?? null);
      const since = await page.evaluate(() => performance.now());
      await page.mouse.up();
      const timings = await waitForExactModel(page, since);
      const exact = await page.evaluate(() => window.__morphProbe.measure());
      const difference = boxDifference(drag.morphed, exact);
      if (Math.abs(exact.width - TO_CM / 100) > EXACT_TOLERANCE_M) throw new Error(`the exact model is ${exact.width} m wide`);
      if (difference > EXACT_TOLERANCE_M) throw new Error(`exact and morphed models differ by ${difference * 1000} mm`);
      const sent = traffic.filter((t) => t.startsWith('POST /api/v1/jobs')).length;
      delete drag.morphed;
      return { source: timings.source, ms: round(timings.drawnAt - since, 1), largest_difference_mm: round(difference * 1000, 4),
        meshes: Object.keys(exact.meshes).length, job_requests: sent, screenshot: await screenshot(page, 'exact-85cm') };
    });
    result.drag = drag;

    await step('drag released off the slider: the exact model all the same', async () => {
      // The page's background work for 85 cm first (its morph GLB, then the models one step
      // away once it is idle), so that every request after this is one the drag caused.
      await waitForMorph(page, { width: OFF_CM / 100 });
      await page.waitForFunction((of) => {
        const report = window.__configurator.speculation();
        return report !== null && report.of !== of && report.ended !== null;
      }, speculatedOf, { timeout: TIMEOUT, polling: 100 });
      const before = traffic.length;
      await page.mouse.move(xOf(TO_CM), y);
      await page.mouse.down();
      await page.mouse.move(xOf(OFF_CM), y, { steps: 4 });
      await page.mouse.move(xOf(OFF_CM), y + 240, { steps: 4 }); // down, off the slider: the value stays
      const value = await sliderValue();
      if (Math.abs(value - OFF_CM) > 2) throw new Error(`the slider is at ${value} cm, not about ${OFF_CM}`);
      if (traffic.length !== before) throw new Error(`requests during the drag: ${traffic.slice(before).join(', ')}`);
      const since = await page.evaluate(() => performance.now());
      await page.mouse.up();
      await waitForExactModel(page, since);
      const exact = await page.evaluate(() => window.__morphProbe.measure());
      if (Math.abs(exact.width - value / 100) > EXACT_TOLERANCE_M) throw new Error(`the exact model is ${exact.width} m wide`);
      return { slider_cm: value, width_m: round(exact.width, 5) };
    });

    if (TYPED > 0) {
      await step(`${TYPED} typed widths, morphed then exact`, async () => {
        const field = page.locator('#param-width');
        const typed = [];
        const seed = Math.floor(Date.now() / 1000) % 260;
        for (let i = 0, n = 0; i < TYPED; n++) {
          // Widths from 62 to 87.9 cm in a scattered order, each new to the server (not a whole
          // centimetre, as the drags asked for) and within the morph range of the default width.
          const cm = round(62 + ((seed + n * 119) % 260) / 10, 1);
          if (Number.isInteger(cm)) continue;
          i++;
          await waitForMorph(page, {}); // the morph job of the width shown is done: the worker is free
          const before = await page.evaluate(() => window.__morphProbe.frames.length);
          const since = await page.evaluate(() => performance.now());
          await field.fill(String(cm));
          await field.press('Enter');
          const timings = await waitForExactModel(page, since);
          const frames = await page.evaluate((n) => window.__morphProbe.frames.slice(n), before);
          const morphed = frames.find((f) => f.source === 'morph');
          if (timings.source !== 'generated') throw new Error(`${cm} cm came from ${timings.source}, not a new job`);
          if (morphed) result.morph_ms.push(morphed.morph_ms);
          result.exact_ms.push(timings.totalMs);
          typed.push({ cm, morph_ms: morphed?.morph_ms ?? null, exact_ms: timings.totalMs });
        }
        return { typed };
      });
    }
    if (problems.length) throw new Error(`problems on the page: ${problems.join('; ')}`);
    result.ok = true;
    result.requests = traffic.length;
    log(`done: ${result.morph_ms.length} morph timings, ${result.exact_ms.length} exact`);
  } catch (error) {
    await failed(result, error, context);
  } finally {
    await close();
  }
  finish(result);
}

run(main);
