#!/usr/bin/env node
// End-to-end test of /saved: pictures of each saved configuration, and names that must differ.
//
//   E2E_EMAIL=… E2E_PASSWORD=… node e2e/saved.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin, with its
// seeded samples, where a user with that email and password exists. Logged in, two cabinets
// are saved with different values; /saved shows a placeholder for each until its picture is
// rendered on the server, then the pictures themselves (srcset of 256 and 512 px WebP), which
// differ from each other. Renaming one onto the other's name in other letters and spaces is
// refused at the field (aria-invalid, the message tied to it, focus kept there) with a free
// name one press away, which is then accepted; the card keeps its height while the form is
// open, at 1400 and at 375 px, and its Rename button, in use meanwhile, stays readable (text
// ≥ 4.5:1). Saving from the configurator under a name already used is refused at its field,
// whose free name is then saved.
// Prints one final JSON line {"ok", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000).
import { launch, logIn, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000, required: ['E2E_EMAIL', 'E2E_PASSWORD'] });
const { E2E_EMAIL: EMAIL, E2E_PASSWORD: PASSWORD } = process.env;
const RUN = Date.now().toString(36);
// A picture is rendered in a child Blender a few seconds after the save, one at a time.
const PICTURE_TIMEOUT = Number(process.env.E2E_PICTURE_TIMEOUT_MS ?? 300000);

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** Saves a configuration from the page with its session (CSRF token from `me`); its id. */
function saveFromPage(page, productId, name, configData) {
  return page.evaluate(async ({ productId, name, configData }) => {
    const me = await fetch('/api/v1/auth/me').then((r) => r.json());
    const answer = await fetch('/api/v1/configurations', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: JSON.stringify({ product_id: productId, name, config_data: configData }),
    });
    if (answer.status !== 201) throw new Error(`saving ${name} answered ${answer.status}`);
    return (await answer.json()).id;
  }, { productId, name, configData });
}

/** The picture of the item: its srcset and a digest of the bytes the browser shows. */
function picture(item) {
  return item.locator('img.saved-thumbnail').evaluate(async (img) => {
    const bytes = await fetch(img.currentSrc).then((r) => r.arrayBuffer());
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { srcset: img.srcset, current: img.currentSrc, width: img.naturalWidth, bytes: bytes.byteLength, digest, alt: img.alt };
  });
}

/** Contrast of an element's text with the background it is drawn on (WCAG's ratio). */
function textContrast(locator) {
  return locator.evaluate((el) => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let background = { r: 255, g: 255, b: 255, a: 1 };
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a > 0.9) { background = c; break; }
    }
    const style = getComputedStyle(el);
    const text = parse(style.color);
    const opacity = Number(style.opacity);
    const alpha = text.a * opacity;
    const shown = { r: text.r * alpha + background.r * (1 - alpha), g: text.g * alpha + background.g * (1 - alpha), b: text.b * alpha + background.b * (1 - alpha) };
    const [l1, l2] = [luminance(shown), luminance(background)].sort((a, b) => b - a);
    return Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100;
  });
}

async function main() {
  const { context, close } = await launch('configurator-saved-e2e-', { viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  // Refused on purpose: the taken names (rename and save).
  const expected = (what) => /^409 (PATCH|POST) \/api\/v1\/configurations(\/[0-9a-f-]+)?$/.test(what);
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'page', expected);
    const standardName = `Standard ${RUN}`;
    const wideName = `Wide navy ${RUN}`;
    let ids;

    await step('log in and save two cabinets with different values', async () => {
      await logIn(page, APP, '/saved', EMAIL, PASSWORD);
      const cabinet = await page.evaluate(async () => {
        const list = await fetch('/api/v1/products').then((r) => r.json());
        return list.items.find((p) => /cabinet/i.test(p.name))?.id;
      });
      if (!cabinet) throw new Error('no cabinet among the products');
      ids = {
        cabinet,
        standard: await saveFromPage(page, cabinet, standardName, {}),
        wide: await saveFromPage(page, cabinet, wideName, { width: 1.1, door_count: 2, carcass_finish: 'Navy Blue', shelf_count: 3 }),
      };
      return ids;
    });

    const itemOf = (id) => page.locator(`.saved-item[data-id="${id}"]`);

    await step('a placeholder until the picture is made, then the picture itself', async () => {
      await page.reload();
      await itemOf(ids.wide).waitFor();
      const placeholders = await page.locator(`.saved-item[data-id="${ids.wide}"] .saved-thumbnail-placeholder, .saved-item[data-id="${ids.standard}"] .saved-thumbnail-placeholder`).count();
      const early = await screenshot(page, 'saved-placeholders');
      // No reload from here: the page looks again by itself until the pictures are there.
      for (const id of [ids.standard, ids.wide]) {
        await itemOf(id).locator('img.saved-thumbnail').waitFor({ timeout: PICTURE_TIMEOUT });
        await page.waitForFunction((sel) => { const img = document.querySelector(sel); return img?.complete && img.naturalWidth > 0; },
          `.saved-item[data-id="${id}"] img.saved-thumbnail`, { timeout: TIMEOUT });
      }
      return { placeholders_at_first: placeholders, early };
    });

    await step('each shows its own picture (srcset 256 and 512 px WebP), different from the other', async () => {
      const standard = await picture(itemOf(ids.standard));
      const wide = await picture(itemOf(ids.wide));
      for (const shown of [standard, wide]) {
        if (!/ 256w/.test(shown.srcset) || !/ 512w/.test(shown.srcset)) throw new Error(`srcset ${shown.srcset}`);
        if (!shown.bytes || !shown.width) throw new Error(`an empty picture: ${JSON.stringify(shown)}`);
      }
      if (standard.digest === wide.digest) throw new Error('both configurations show the same picture');
      return { standard: { bytes: standard.bytes, width: standard.width }, wide: { bytes: wide.bytes, width: wide.width }, screenshot: await screenshot(page, 'saved-pictures') };
    });

    async function heights(width) {
      await page.setViewportSize({ width, height: 900 });
      const item = itemOf(ids.wide);
      const closed = (await item.boundingBox()).height;
      await item.getByRole('button', { name: 'Rename', exact: true }).click();
      await item.getByLabel('New name').waitFor();
      const open = (await item.boundingBox()).height;
      const button = item.locator('.saved-rename');
      const contrast = await textContrast(button);
      const shot = await screenshot(page, `renaming-${width}`);
      await item.getByRole('button', { name: 'Cancel', exact: true }).click();
      await item.getByLabel('New name').waitFor({ state: 'detached' });
      return { closed, open, contrast, shot };
    }

    await step('the card keeps its height while renaming; its Rename button stays readable', async () => {
      const measured = { 1400: await heights(1400), 375: await heights(375) };
      for (const [width, m] of Object.entries(measured)) {
        if (Math.abs(m.open - m.closed) > 1) throw new Error(`at ${width} px the card goes from ${m.closed} to ${m.open} px high`);
        if (m.contrast < 4.5) throw new Error(`at ${width} px the Rename button in use has text at ${m.contrast}:1`);
      }
      await page.setViewportSize({ width: 1400, height: 900 });
      return measured;
    });

    await step('renaming onto a name already used is refused at the field, with a free name offered', async () => {
      const item = itemOf(ids.wide);
      await item.getByRole('button', { name: 'Rename', exact: true }).click();
      const field = item.getByLabel('New name');
      await field.fill(`  ${standardName.toUpperCase()} `);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/api/v1/configurations/${ids.wide}`) && r.request().method() === 'PATCH'),
        field.press('Enter'),
      ]);
      if (answer.status() !== 409) throw new Error(`the rename answered ${answer.status()}`);
      await page.waitForFunction((id) => document.activeElement?.id === `rename-${id}`, ids.wide);
      if ((await field.getAttribute('aria-invalid')) !== 'true') throw new Error('the field is not marked invalid');
      const describedBy = await field.getAttribute('aria-describedby');
      const message = await page.locator(`[id="${describedBy}"]`).textContent();
      if (!/taken/i.test(message)) throw new Error(`the field is described by "${message}"`);
      const offer = item.getByRole('button', { name: /^Use “/ });
      const suggestion = (await offer.textContent()).match(/^Use “(.+)”$/)[1];
      const shot = await screenshot(page, 'rename-taken');
      await offer.click();
      if ((await field.inputValue()) !== suggestion) throw new Error(`the field holds ${await field.inputValue()}, not ${suggestion}`);
      await field.press('Enter');
      await item.getByRole('link', { name: suggestion, exact: true }).waitFor();
      return { message, suggestion, screenshot: shot };
    });

    await step('saving from the configurator under a name already used is refused at its field', async () => {
      await page.goto(`${APP}/configure/${ids.cabinet}`);
      await page.locator('form.controls').waitFor();
      await page.getByRole('button', { name: /^save$/i }).first().click();
      const dialog = page.getByRole('dialog', { name: /save configuration/i });
      await dialog.getByLabel('Name').fill(standardName.toLowerCase());
      const [answer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/configurations' && r.request().method() === 'POST'),
        dialog.getByRole('button', { name: /^save$/i }).click(),
      ]);
      if (answer.status() !== 409) throw new Error(`saving answered ${answer.status()}`);
      const error = dialog.locator('#save-error');
      await error.waitFor();
      const text = await error.textContent();
      if (!/taken/i.test(text)) throw new Error(`the field says "${text}"`);
      const field = dialog.getByLabel('Name');
      if ((await field.getAttribute('aria-describedby')) !== 'save-error') throw new Error('the message is not tied to the field');
      if ((await field.getAttribute('aria-invalid')) !== 'true') throw new Error('the field is not marked invalid');
      const shot = await screenshot(page, 'save-taken');
      const offer = dialog.getByRole('button', { name: /^Use “/ });
      const suggestion = (await offer.textContent()).match(/^Use “(.+)”$/)[1];
      await offer.click();
      if ((await field.inputValue()) !== suggestion) throw new Error(`the field holds ${await field.inputValue()}, not ${suggestion}`);
      const [saved] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/configurations' && r.request().method() === 'POST'),
        dialog.getByRole('button', { name: /^save$/i }).click(),
      ]);
      if (saved.status() !== 201) throw new Error(`saving under the free name answered ${saved.status()}`);
      return { message: text, suggestion, screenshot: shot };
    });
  });
}

run(main);
