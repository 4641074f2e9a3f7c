#!/usr/bin/env node
// The 3D view and "View in your room" in real headless Chromium.
//
//   node e2e/view.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// On the range hood, at 1400, 375 and 320 px: the view is reached with Tab and shows a focus
// ring (≥ 3:1; with forced colours emulated, an outline inside the stage), arrow keys turn it, + and − zoom it, 0 frames it again, Tab leaves it; a
// chimney grown to 100 cm is refitted wholly into view (its box projected with the camera)
// and one shrunk by 5 cm leaves the camera where it was; a plain wheel over the view scrolls
// the page and shows how to zoom, Ctrl + wheel zooms and does not scroll. On a desktop there
// is no AR button. As an iPhone (its user agent, and `relList.supports('ar')` as WebKit
// answers it) the AR button tapped before its USDZ is made opens it once it is, and then is a
// Quick Look link (`rel="ar"`, an <img> first) to the USDZ of the configuration on screen, which downloads without the page's cookies as
// model/vnd.usdz+zip (saved as ar-quick-look.usdz for the caller's ARKit checker); as an
// Android phone the link is a Scene Viewer intent holding the absolute URL of the GLB on
// screen, which downloads without cookies. Prints one final JSON line {"ok", "steps", …}.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 90000).
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'playwright-core';

import { benign, drawnSince, focusRing, launch, recorder, round, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 90000 });
const PRODUCT = /range hood/i;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const PIXEL = 'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const WIDTHS = [
  { width: 1400, height: 640 },
  { width: 375, height: 812 },
  { width: 320, height: 640 },
];

const { problems, log, step, watch, screenshot, failed, finish, run } = recorder(ARTIFACTS);

/** Wait until the model on screen is drawn, ready, and was not drawn before `since` (page clock). */
async function waitForDrawnModel(page, since) {
  await drawnSince(page, since, TIMEOUT);
  return page.evaluate(() => ({ size: window.__configurator.modelSize(), url: window.__configurator.modelUrl() }));
}

/** The camera once it has come to rest (no glide, no damping: the same over a few frames). */
async function restingCamera(page) {
  await page.waitForFunction(() => {
    const view = window.__configuratorView;
    if (!view || view.moving()) return false;
    const now = JSON.stringify(view.camera());
    const rest = window.__restingView;
    window.__restingView = { now, frames: rest?.now === now ? rest.frames + 1 : 0 };
    return window.__restingView.frames >= 4;
  }, null, { timeout: TIMEOUT, polling: 'raf' });
  return page.evaluate(() => ({ ...window.__configuratorView.camera(), extent: window.__configuratorView.extent() }));
}

async function openHood(context, viewport, label) {
  const page = await context.newPage();
  watch(page, label, benign);
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(`${APP}/`);
  const since = await page.evaluate(() => performance.now());
  await page.getByRole('link', { name: PRODUCT }).first().click();
  await page.waitForURL(/\/configure\//);
  const model = await waitForDrawnModel(page, since);
  return { page, model };
}

/** Type `cm` into the chimney's field and press Enter; the drawn model. */
async function setChimney(page, cm) {
  const field = page.locator('#param-chimney_height');
  const since = await page.evaluate(() => performance.now());
  await field.fill(String(cm));
  await field.press('Enter');
  return waitForDrawnModel(page, since);
}

/** Tab from the top of the page until the view has the focus; the number of presses. */
async function tabToView(page) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  for (let presses = 1; presses <= 40; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.classList.contains('viewer-frame'))) return presses;
  }
  throw new Error('Tab never reached the 3D view');
}

const near = (a, b, tolerance) => Math.abs(a - b) <= tolerance;

async function viewAt(context, viewport) {
  const tag = `${viewport.width}px`;
  const { page } = await openHood(context, viewport, tag);
  const result = {};

  await step(`${tag}: Tab reaches the described view, focus ring visible; no AR button on a desktop`, async () => {
    const presses = await tabToView(page);
    const ring = await focusRing(page);
    if (ring.ratio < 3 || ring.width < 2 || ring.style !== 'solid') throw new Error(`focus ring ${JSON.stringify(ring)} (needs solid, ≥ 2 px, ≥ 3:1)`);
    await page.emulateMedia({ forcedColors: 'active' });
    const forced = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), offset: parseFloat(s.outlineOffset) };
    });
    await page.emulateMedia({ forcedColors: 'none' });
    // Drawn inside the stage, which clips what reaches past it.
    if (forced.style !== 'solid' || forced.width < 2 || forced.offset > -forced.width) throw new Error(`no visible ring in forced colours: ${JSON.stringify(forced)}`);
    const described = await page.evaluate(() => {
      const frame = document.activeElement;
      return {
        role: frame.getAttribute('role'),
        label: frame.getAttribute('aria-label'),
        help: document.getElementById(frame.getAttribute('aria-describedby'))?.textContent ?? '',
      };
    });
    if (!described.label || !/arrow keys/i.test(described.help)) throw new Error(`the view is not described: ${JSON.stringify(described)}`);
    const hint = await page.locator('.preview-hint').evaluate((el) => ({ text: el.textContent, shown: getComputedStyle(el).display !== 'none' }));
    if (viewport.width > 560 && (!hint.shown || !/arrow keys/i.test(hint.text))) throw new Error(`no visible keyboard hint: ${JSON.stringify(hint)}`);
    const arButtons = await page.locator('.ar-button').count();
    if (arButtons !== 0) throw new Error(`a desktop browser shows ${arButtons} AR button(s)`);
    return { presses, ring, forced, described, hint: hint.shown ? hint.text : null, screenshot: await screenshot(page, `${tag}-view-focused`) };
  });

  await step(`${tag}: arrows turn, + and − zoom, 0 frames again, Tab leaves`, async () => {
    const start = await restingCamera(page);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    const turned = await restingCamera(page);
    const turn = turned.azimuth - start.azimuth;
    if (!near(Math.abs(turn), Math.PI / 6, 0.02)) throw new Error(`two ArrowLeft presses turned the view by ${turn} rad, expected ±${Math.PI / 6}`);
    await page.keyboard.press('ArrowUp');
    const raised = await restingCamera(page);
    if (!(raised.polar < turned.polar - 0.2)) throw new Error(`ArrowUp: polar angle ${turned.polar} → ${raised.polar}`);
    await page.keyboard.press('+');
    const closer = await restingCamera(page);
    if (!near(closer.distance, raised.distance / 1.25, 1e-3)) throw new Error(`+: distance ${raised.distance} → ${closer.distance}`);
    await page.keyboard.press('-');
    await page.keyboard.press('PageDown');
    const farther = await restingCamera(page);
    if (!near(farther.distance, closer.distance * 1.25 * 1.25, 1e-3)) throw new Error(`− and PageDown: distance ${closer.distance} → ${farther.distance}`);
    await page.keyboard.press('0');
    const reset = await restingCamera(page);
    if (!near(reset.azimuth, start.azimuth, 1e-3) || !near(reset.polar, start.polar, 1e-3) || !near(reset.distance, start.distance, 1e-3)) {
      throw new Error(`0 did not frame the view again: ${JSON.stringify({ start, reset })}`);
    }
    await page.keyboard.press('Tab');
    const left = await page.evaluate(() => !document.activeElement?.classList.contains('viewer-frame') && document.activeElement !== document.body);
    if (!left) throw new Error('Tab did not leave the view');
    return { start, turned: round(turn, 4), raised: round(raised.polar, 4), closer: round(closer.distance, 4), farther: round(farther.distance, 4), };
  });

  result.refit = await step(`${tag}: a 100 cm chimney is refitted into view; 5 cm less does not move the camera`, async () => {
    const before = await restingCamera(page);
    const tall = await setChimney(page, 100);
    const fitted = await restingCamera(page);
    if (!(fitted.extent <= 1)) throw new Error(`the 100 cm chimney hood reaches ${fitted.extent} of the view (> 1: cut off)`);
    const box = await page.locator('.preview-stage').boundingBox();
    const file = await screenshot(page, `${tag}-chimney-100cm`);
    const fitsAt100 = await page.evaluate(() => window.__configuratorView.fits());
    const shorter = await setChimney(page, 95);
    const still = await restingCamera(page);
    const fits = await page.evaluate(() => window.__configuratorView.fits());
    if (fits.length !== fitsAt100.length) throw new Error(`95 cm fitted the camera again: ${JSON.stringify(fits)}`);
    const moved = Math.hypot(...still.target.map((v, i) => v - fitted.target[i])) + Math.abs(still.distance - fitted.distance);
    if (moved > 1e-6) throw new Error(`95 cm moved the camera: ${JSON.stringify({ fitted, still })}`);
    if (!/^refit/.test(fitsAt100.at(-1))) throw new Error(`the 100 cm chimney was not refitted: ${JSON.stringify(fitsAt100)}`);
    return { fits, extent_before: round(before.extent, 4), size_100: tall.size, extent_100: round(fitted.extent, 4), size_95: shorter.size, extent_95: round(still.extent, 4),
      camera_moved_at_95: moved, stage: box, screenshot: file };
  });

  await step(`${tag}: a plain wheel scrolls the page and hints; Ctrl + wheel zooms`, async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const room = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
    if (room < 100) throw new Error(`the page cannot scroll (${room} px): nothing to test`);
    const stage = await page.locator('.viewer-frame').boundingBox();
    await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2);
    const start = await restingCamera(page);
    await page.mouse.wheel(0, 200);
    await page.waitForFunction(() => window.scrollY > 0, null, { timeout: 5000 }).catch(() => undefined);
    const scrolled = await page.evaluate(() => window.scrollY);
    const hint = await page.locator('.viewer-wheel-hint.is-shown').count();
    const afterWheel = await restingCamera(page);
    if (scrolled <= 0) throw new Error('a wheel over the view did not scroll the page');
    if (!near(afterWheel.distance, start.distance, 1e-6)) throw new Error(`a plain wheel zoomed: ${start.distance} → ${afterWheel.distance}`);
    if (hint !== 1) throw new Error('no hint on how to zoom after a plain wheel');
    const file = await screenshot(page, `${tag}-wheel-hint`);
    const frame = await page.locator('.viewer-frame').boundingBox();
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
    const y = await page.evaluate(() => window.scrollY);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    const zoomed = await restingCamera(page);
    const yAfter = await page.evaluate(() => window.scrollY);
    if (!(zoomed.distance < afterWheel.distance - 1e-3)) throw new Error(`Ctrl + wheel did not zoom in: ${afterWheel.distance} → ${zoomed.distance}`);
    if (yAfter !== y) throw new Error(`Ctrl + wheel scrolled the page: ${y} → ${yAfter}`);
    return { scrolled, distance: round(start.distance, 4), ctrl_zoomed_to: round(zoomed.distance, 4), screenshot: file };
  });
  await page.close();
  return result;
}

/** A context whose pages are a phone's: `userAgent`, touch, `viewport`; `quickLook` answers
 * `relList.supports('ar')` as WebKit on iOS does. */
async function phone(userAgent, quickLook, viewport) {
  const phoneContext = await launch('view-e2e-phone-', { userAgent, viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  phoneContext.context.setDefaultTimeout(TIMEOUT);
  if (quickLook) {
    await phoneContext.context.addInitScript(() => {
      const supports = DOMTokenList.prototype.supports;
      DOMTokenList.prototype.supports = function (token) {
        return token === 'ar' || supports.call(this, token);
      };
    });
  }
  return phoneContext;
}

/** A configuration that is not the default, so the AR model has to be this configuration's. */
async function configureForAr(page) {
  await page.locator('#param-width').fill('110');
  await page.locator('#param-width').press('Enter');
  return setChimney(page, 80);
}

async function main() {
  const { context, close } = await launch('view-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  const outside = await request.newContext(); // no cookies, no session: as an AR viewer fetches
  const phones = [];
  try {
    result.refit = {};
    for (const viewport of WIDTHS) result.refit[viewport.width] = (await viewAt(context, viewport)).refit;

    result.quick_look = await step('iPhone: Quick Look link to the USDZ of the configuration on screen', async () => {
      const iphone = await phone(IPHONE, true, { width: 320, height: 568 });
      phones.push(iphone);
      const { page } = await openHood(iphone.context, null, 'iphone');
      const model = await configureForAr(page);
      // Tapped at once, before the USDZ is there: it is opened as soon as it is (a browser
      // without Quick Look downloads it).
      const [opened] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.locator('.ar-button').click()]);
      const openedName = opened.suggestedFilename();
      if (!openedName.endsWith('.usdz')) throw new Error(`the AR button opened ${openedName}, not a USDZ`);
      const link = page.locator('a.ar-button[rel="ar"]');
      await link.waitFor({ timeout: TIMEOUT });
      const shape = await link.evaluate((a) => ({ href: a.href, first: a.firstElementChild?.tagName, name: a.getAttribute('aria-label') }));
      if (shape.first !== 'IMG') throw new Error(`Quick Look needs an <img> as the link's first child, not ${shape.first}`);
      if (!/^https?:\/\/[^/]+\/.+\.usdz(\?|#|$)/.test(shape.href)) throw new Error(`the AR link is not an absolute USDZ URL: ${shape.href}`);
      const response = await outside.get(shape.href.split('#')[0]);
      const bytes = await response.body();
      const type = response.headers()['content-type'];
      if (response.status() !== 200 || type !== 'model/vnd.usdz+zip') throw new Error(`the USDZ downloads as ${response.status()} ${type}`);
      if (bytes.subarray(0, 2).toString('latin1') !== 'PK') throw new Error('the USDZ is not a zip package');
      fs.writeFileSync(path.join(ARTIFACTS, 'ar-quick-look.usdz'), bytes);
      const boxes = await page.evaluate(() => {
        const box = (selector) => document.querySelector(selector).getBoundingClientRect();
        const [ar, tools] = [box('.ar-button'), box('.preview-tools')];
        return { ar_right: Math.round(ar.right), tools_left: Math.round(tools.left), overflow: document.documentElement.scrollWidth - window.innerWidth };
      });
      if (boxes.ar_right > boxes.tools_left || boxes.overflow > 0) throw new Error(`at 320 px the AR button does not fit beside the tools: ${JSON.stringify(boxes)}`);
      const file = await screenshot(page, 'iphone-ar-button');
      await page.close();
      return { opened_when_ready: openedName, href: shape.href, accessible_name: shape.name, boxes, content_type: type, bytes: bytes.length, model_size: model.size, file: 'ar-quick-look.usdz', screenshot: file };
    });

    result.scene_viewer = await step('Android: Scene Viewer intent with the absolute URL of the GLB on screen', async () => {
      const android = await phone(PIXEL, false, { width: 412, height: 915 });
      phones.push(android);
      const { page } = await openHood(android.context, null, 'android');
      const model = await configureForAr(page);
      const link = page.locator('a.ar-button[href^="intent://"]');
      await link.waitFor({ timeout: TIMEOUT });
      const href = await link.getAttribute('href');
      const [intentLink, extras] = href.split('#Intent;');
      const file = new URLSearchParams(intentLink.split('?').slice(1).join('?')).get('file');
      const expected = await page.evaluate((url) => new URL(url, location.href).href, model.url);
      if (!intentLink.startsWith('intent://arvr.google.com/scene-viewer/1.2?')) throw new Error(`not a Scene Viewer intent: ${href}`);
      if (file !== expected) throw new Error(`the intent's file is ${file}, the GLB on screen ${expected}`);
      if (!/S\.browser_fallback_url=/.test(extras ?? '') || !/;end;$/.test(extras ?? '')) throw new Error(`the intent has no fallback: ${href}`);
      const response = await outside.get(file);
      const bytes = await response.body();
      if (response.status() !== 200 || bytes.subarray(0, 4).toString('latin1') !== 'glTF') throw new Error(`the GLB downloads as ${response.status()} ${bytes.subarray(0, 4)}`);
      const shot = await screenshot(page, 'android-ar-button');
      await page.close();
      return { file, model_size: model.size, bytes: bytes.length, screenshot: shot };
    });

    if (problems.length) throw new Error(`the pages reported errors:\n${problems.join('\n')}`);
    result.ok = true;
  } catch (error) {
    log(String(error?.stack ?? error));
    await failed(result, error, phones.at(-1)?.context ?? context);
  } finally {
    await outside.dispose();
    for (const extra of phones) await extra.close();
    await close();
  }
  finish(result);
}

run(main);
