#!/usr/bin/env node
// End-to-end test of the web configurator in real headless Chromium.
//
//   node e2e/configurator.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin.
// Opens the catalogue, configures the kitchen cabinet (width via the numeric field),
// checks the model on screen from `window.__configurator`, saves the configuration and
// finds it on /saved, reopens the share link in a new page and gets the same model, and
// checks the page at 375 px (the preview stays in view beside the finishes) and at 320 px
// (configurator, catalogue and /saved fit the width; the paused banner is one line). Keyboard steps: the focus ring (≥ 3:1, not clipped), the
// stepper keeping focus at its bound and explaining a typed out-of-range value, the sticky
// header's scroll padding and, with forced colours emulated, rings and selections drawn
// with outlines and borders. With a rule broken the viewer, its size and its download say
// they show the last valid configuration, and Save names the rule. Screenshots of every step go to ARTIFACTS_DIR. Prints one
// final JSON line {"ok", "uncached_ms", "cached_ms", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 60000).
import fs from 'node:fs';
import path from 'node:path';

import { benign, downloadGlb, drawnSince, focusRing, launch, recorder, round, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 60000 });
/** The blob a model URL names: its signed query changes when a new expiry window begins. */
const blob = (url) => new URL(url, APP).pathname;
const PRODUCT = /cabinet/i;
const WIDTH_CM = 80;
const TOLERANCE_M = 0.001;

const { log, step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** Wait until the model on screen is drawn and was not drawn before `since` (page clock). */
async function waitForDrawnModel(page, since) {
  await drawnSince(page, since, TIMEOUT);
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

const activeLabel = (page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? document.activeElement?.tagName);

async function main() {
  const { context, close } = await launch('configurator-e2e-', { permissions: ['clipboard-read', 'clipboard-write'] });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  await session(result, { context, close }, async () => {
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
      if (blob(r.url) !== blob(target.url)) throw new Error(`back at ${WIDTH_CM} cm but the model URL changed: ${r.url} vs ${target.url}`);
      return r;
    });

    const rule = await step('rule shown before sending', async () => {
      await page.locator('#param-width').fill('100');
      await page.locator('#param-width').press('Enter');
      const message = page.locator('.field-problems').filter({ hasText: /two doors/i });
      await message.waitFor();
      const phase = await page.evaluate(() => window.__configurator.phase());
      if (phase !== 'blocked') throw new Error(`preview phase is ${phase}, expected blocked`);
      const text = await message.textContent();
      if (!/90 cm/.test(text) || /0\.9 m/.test(text)) throw new Error(`the rule's message is not in the fields' unit: ${text}`);
      // The model on screen is the last valid one, and says so.
      const badge = await page.locator('.dimensions').textContent();
      if (!/last valid/i.test(badge)) throw new Error(`the size badge does not say it is the last valid model: ${badge}`);
      const download = await page.locator('.preview-tools .button-ghost').getAttribute('aria-label');
      if (!/last valid/i.test(download)) throw new Error(`the download is not labelled as the last valid model: ${download}`);
      const file = await screenshot(page, 'rule-message');
      // Save names the rule.
      await page.getByRole('button', { name: /^save$/i }).click();
      const dialog = page.getByRole('dialog', { name: /save configuration/i });
      const saveError = await dialog.locator('#save-error').textContent();
      if (!/breaks a rule: Cabinets wider than 90 cm/.test(saveError)) throw new Error(`Save while the rule is broken says: ${saveError}`);
      await dialog.getByRole('button', { name: /cancel/i }).click();
      await setWidth(page, WIDTH_CM);
      return { phase, message: text, badge, download, save: saveError, screenshot: file };
    });
    void rule;

    await step('keyboard: focus ring, stepper at its bound, out-of-range value, header padding', async () => {
      const input = page.locator('#param-shelf_count');
      const start = await input.inputValue();
      const overflow = await page.locator('.field-integer .stepper').first().evaluate((el) => getComputedStyle(el).overflow);
      if (overflow !== 'visible') throw new Error(`the stepper clips its buttons' rings (overflow: ${overflow})`);
      await input.click();
      await page.keyboard.press('Tab');
      const ring = await focusRing(page);
      if (!/increase/i.test(ring.label)) throw new Error(`Tab from the shelf count went to ${ring.label}`);
      if (ring.ratio < 3 || ring.width < 2 || ring.style !== 'solid') throw new Error(`focus ring ${JSON.stringify(ring)} (needs solid, ≥ 2 px, ≥ 3:1)`);
      const max = 3; // the cabinet's shelf count: 0 to 3
      for (let n = Number(start); n <= max; n++) await page.keyboard.press('Enter'); // one press more than the maximum
      // The field's text follows the value after the render: give a loaded machine a moment.
      await page.waitForFunction((m) => document.querySelector('#param-shelf_count')?.value === String(m), max, { timeout: 3000 }).catch(() => undefined);
      const atMax = await input.inputValue();
      const disabled = await page.locator('[aria-label^="Increase Shelf"]').getAttribute('aria-disabled');
      const focused = await activeLabel(page);
      if (atMax !== String(max) || disabled !== 'true' || !/increase/i.test(focused)) {
        throw new Error(`after + at the maximum: value ${atMax}, aria-disabled ${disabled}, focus on ${focused}`);
      }
      await input.fill('9');
      await input.press('Enter');
      const explained = await page.locator('#param-shelf_count-range').textContent();
      if (!/from 0 to 3/.test(explained) || (await input.inputValue()) !== '9') throw new Error(`typed 9: ${explained}`);
      const since = await page.evaluate(() => performance.now());
      await input.fill(start);
      await input.press('Enter');
      await waitForDrawnModel(page, since);
      const padding = await page.evaluate(() => ({
        scroll: parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop),
        header: document.querySelector('.app-header').getBoundingClientRect().height,
      }));
      if (!(padding.scroll >= padding.header)) throw new Error(`scroll-padding-top ${padding.scroll} px under a ${padding.header} px header`);
      return { ring, at_max: { value: atMax, focus: focused }, explained, padding };
    });

    await step('forced colours: rings and selections stay visible', async () => {
      await page.emulateMedia({ forcedColors: 'active' });
      try {
        await page.locator('#param-shelf_count').click();
        await page.keyboard.press('Tab');
        const ring = await page.evaluate(() => {
          const s = getComputedStyle(document.activeElement);
          return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
        });
        if (ring.style === 'none' || ring.width < 2) throw new Error(`no focus ring in forced colours: ${JSON.stringify(ring)}`);
        const marks = await page.evaluate(() => {
          const segment = document.querySelector('.segment input:checked + span');
          const swatch = document.querySelector('.swatch input:checked + .swatch-chip');
          return {
            segment: segment && parseFloat(getComputedStyle(segment).borderTopWidth),
            swatch: swatch && getComputedStyle(swatch).outlineStyle,
          };
        });
        if (marks.segment !== null && !(marks.segment >= 2)) throw new Error(`the selected segment has no border: ${JSON.stringify(marks)}`);
        if (marks.swatch !== null && marks.swatch === 'none') throw new Error(`the chosen swatch has no outline: ${JSON.stringify(marks)}`);
        return { ring, marks, screenshot: await screenshot(page, 'forced-colours') };
      } finally {
        await page.emulateMedia({ forcedColors: 'none' });
      }
    });

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
      const file = await downloadGlb(page, ARTIFACTS);
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
      const toast = page.locator('.toast').filter({ hasText: savedName });
      await toast.waitFor();
      const file = await screenshot(page, 'saved-toast');
      // Under the pointer the toast stays past its 4.5 s; it goes once the pointer leaves.
      await toast.hover();
      await page.waitForTimeout(5500);
      if (!(await toast.isVisible())) throw new Error('the toast went away under the pointer');
      await page.mouse.move(5, 400);
      await toast.waitFor({ state: 'detached', timeout: 10000 });
      return { name: savedName, toast_kept_while_hovered_ms: 5500, screenshot: file };
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
      const same = blob(model.url) === blob(cached.url)
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
      // Scrolled down to the finishes, the preview stays on screen above them.
      const finish = phone.locator('.control-group').filter({ has: phone.locator('legend', { hasText: /^finish$/i }) });
      const swatch = finish.locator('.swatch').last();
      await swatch.scrollIntoViewIfNeeded();
      await phone.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const shown = await phone.evaluate(() => {
        const stage = document.querySelector('.preview-stage').getBoundingClientRect();
        const header = document.querySelector('.app-header').getBoundingClientRect();
        const picked = [...document.querySelectorAll('.swatches')].pop().getBoundingClientRect();
        return { stage_top: Math.round(stage.top), stage_bottom: Math.round(stage.bottom), header_bottom: Math.round(header.bottom),
          finish_top: Math.round(picked.top), finish_bottom: Math.round(picked.bottom), inner_height: window.innerHeight, scroll_y: Math.round(window.scrollY) };
      });
      if (shown.scroll_y <= 0) throw new Error('the page did not scroll to the finishes');
      if (shown.stage_top < shown.header_bottom - 1 || shown.stage_bottom > shown.inner_height || shown.stage_bottom - shown.stage_top < 150) {
        throw new Error(`the preview is not in view beside the finishes: ${JSON.stringify(shown)}`);
      }
      if (shown.finish_top < shown.stage_bottom - 1 || shown.finish_bottom > shown.inner_height) {
        throw new Error(`the finishes are hidden under the preview: ${JSON.stringify(shown)}`);
      }
      const file2 = await screenshot(phone, 'phone-controls');
      await phone.close();
      return { overflow, preview_beside_finish: shown, screenshots: [file, file2] };
    });

    await step('small screen (320 px): no sideways scrolling, compact paused banner', async () => {
      const small = await context.newPage();
      watch(small, 'small', benign);
      await small.setViewportSize({ width: 320, height: 640 });
      const measure = () => small.evaluate(() => {
        const width = window.innerWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > width + 0.5 && getComputedStyle(el).position !== 'fixed')
          .slice(0, 6)
          .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(el.getBoundingClientRect().right)}`);
        return { overflow: document.documentElement.scrollWidth - width, scroll_width: document.documentElement.scrollWidth, wide };
      });
      const widths = {};
      await small.goto(shareUrl.link);
      await waitForDrawnModel(small, 0);
      widths.configurator = await measure();
      const files = [await screenshot(small, 'small-configurator')];
      // A broken rule: the banner is one line at the viewer's edge.
      await small.locator('#param-width').fill('100');
      await small.locator('#param-width').press('Enter');
      const banner = small.locator('.preview-banner');
      await banner.waitFor();
      const [box, stage] = [await banner.boundingBox(), await small.locator('.preview-stage').boundingBox()];
      const bannerShare = round((box.height * box.width) / (stage.height * stage.width), 2);
      widths.configurator_blocked = await measure();
      files.push(await screenshot(small, 'small-paused-banner'));
      await small.goto(`${APP}/`);
      await small.getByRole('heading', { level: 2, name: PRODUCT }).waitFor();
      widths.catalogue = await measure();
      files.push(await screenshot(small, 'small-catalogue'));
      await small.goto(`${APP}/saved`);
      await small.locator('.saved-item').first().waitFor();
      widths.saved = await measure();
      files.push(await screenshot(small, 'small-saved'));
      await small.close();
      const over = Object.entries(widths).filter(([, m]) => m.overflow > 0);
      if (over.length) throw new Error(`wider than 320 px: ${JSON.stringify(Object.fromEntries(over))}`);
      if (bannerShare > 0.2 || box.height > 48) throw new Error(`the paused banner covers ${bannerShare * 100}% of the viewer (${Math.round(box.height)} px high)`);
      return { widths, banner: { height: Math.round(box.height), share_of_viewer: bannerShare }, screenshots: files };
    });

    return {
      uncached_ms: uncached.ms,
      cached_ms: cached.ms,
      server_cached_ms: shared.server_cached.ms,
      first_model_ms: opened.first_model_ms,
    };
  });
}

run(main);
