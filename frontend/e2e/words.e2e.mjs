#!/usr/bin/env node
// The configurator's words and states in real headless Chromium, at 1400, 375 and 320 px.
//
//   node e2e/words.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// On the kitchen cabinet: switching the length unit (cm → mm → inches) changes the width
// field, the W×H×D read-out and the broken rule's message; the choice and the values survive
// a reload, and the reloaded link, whose width breaks the two-door rule, shows its values in
// the fields, the rule explained with its fix, and a model in the viewer marked as the
// nearest valid configuration (never an empty viewer); the fix makes the model the shown
// configuration's own; the save dialog lists every option in words with units and the
// model's dimensions, and /saved words the saved changes in the same unit. The page never
// scrolls sideways. Screenshots of each step go to
// ARTIFACTS_DIR. Prints one final JSON line {"ok", "widths": {...}, "steps": [...]}; exits 1
// on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 60000).
import { benign, launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 60000 });
const WIDTHS = [1400, 375, 320];
/** The cabinet's labels, as the fields and the summary show them. */
const CABINET_LABELS = ['Width', 'Height', 'Depth', 'Shelf count', 'Door count', 'Handle position',
  'Door style', 'Handle style', 'Carcass finish', 'Handle finish'];

const { problems, log, step, watch, screenshot, failed, finish, run } = recorder(ARTIFACTS);

/** Until a model is on screen and the preview is settled (not submitting, building or loading). */
async function waitForModel(page) {
  const shown = await page.waitForFunction(() => {
    const c = window.__configurator;
    return Boolean(c?.modelSize() && ['ready', 'blocked'].includes(c.phase()));
  }, null, { timeout: TIMEOUT, polling: 100 }).then(() => true, () => false);
  if (!shown) {
    const phase = await page.evaluate(() => window.__configurator?.phase() ?? 'no preview');
    throw new Error(`no model on screen after ${TIMEOUT} ms (preview ${phase})`);
  }
  return page.evaluate(() => window.__configurator.modelSize());
}

/** Until `read()` in the page returns `expected`; returns what it read last (for the error). */
async function waitForText(page, selector, expected, what) {
  const matcher = expected instanceof RegExp ? { source: expected.source, flags: expected.flags } : { text: expected };
  const ok = await page.waitForFunction(([sel, m]) => {
    const el = document.querySelector(sel);
    let text = el ? ('value' in el && el.tagName === 'INPUT' ? el.value : el.textContent) : null;
    if (text === null) return false;
    // The read-out's parts are spans apart, after its note ("Last valid") when it has one.
    if (sel === '.dimensions') return text.replace(/\s+/g, '').endsWith(m.text);
    return m.text !== undefined ? text.trim() === m.text : new RegExp(m.source, m.flags).test(text);
  }, [selector, matcher], { timeout: 10000, polling: 100 }).then(() => true, () => false);
  if (!ok) {
    const shown = await page.evaluate((sel) => {
      const el = document.querySelector(sel);
      return el ? ('value' in el && el.tagName === 'INPUT' ? el.value : el.textContent) : null;
    }, selector);
    throw new Error(`${what}: ${selector} shows ${JSON.stringify(shown)}, expected ${expected}`);
  }
}

async function chooseUnit(page, name) {
  await page.getByRole('radio', { name }).check();
}

async function readout(page) {
  return page.evaluate(() => ({
    dimensions: document.querySelector('.dimensions')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
    unit: document.querySelector('.dimensions-unit')?.textContent ?? null,
    note: document.querySelector('.dimensions-note')?.textContent ?? null,
    banner: document.querySelector('.preview-banner')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
    problem: document.querySelector('#param-door_count-problem')?.textContent ?? null,
  }));
}

async function noSidewaysScroll(page, what) {
  const widths = await page.evaluate(() => ({ content: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  if (widths.content > widths.viewport) throw new Error(`${what}: the page scrolls sideways (${widths.content} px in ${widths.viewport} px)`);
  return widths;
}

function near(a, b) {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 0.001);
}

async function atWidth(context, productPath, width) {
  const page = await context.newPage();
  watch(page, `${width}px`, benign);
  await page.setViewportSize({ width, height: width >= 1000 ? 900 : 800 });
  const seen = {};
  try {
    await step(`${width}px: opens in cm`, async () => {
      await page.goto(`${APP}${productPath}`);
      await page.evaluate(() => localStorage.removeItem('configurator.lengthUnit'));
      await page.reload();
      const size = await waitForModel(page);
      await waitForText(page, '#param-width', '60', 'the width field in cm');
      await waitForText(page, '[data-key="width"] .unit', 'cm', 'the width field\'s unit');
      await waitForText(page, '.dimensions-unit', 'cm', 'the read-out\'s unit');
      if (!(await page.getByRole('radio', { name: /centimetres/ }).isChecked())) throw new Error('cm is not the chosen unit');
      return { size, readout: await readout(page) };
    });

    seen.mm = await step(`${width}px: mm — field, read-out and rule message`, async () => {
      await chooseUnit(page, /millimetres/);
      await waitForText(page, '#param-width', '600', 'the width field in mm');
      await waitForText(page, '[data-key="width"] .unit', 'mm', 'the width field\'s unit');
      await waitForText(page, '.dimensions', 'W600×H870×D580mm', 'the read-out in mm');
      await waitForText(page, '#param-height', '870', 'the height field in mm');
      // 1000 mm with one door breaks the rule "wider than 0.9 m need two doors".
      await page.locator('#param-width').fill('1000');
      await page.locator('#param-width').press('Enter');
      await waitForText(page, '#param-door_count-problem', /wider than 900 mm need two doors/, 'the rule in mm');
      await waitForText(page, '.preview-banner', /wider than 900 mm/, 'the banner in mm');
      return { ...(await readout(page)), screenshot: await screenshot(page, `${width}-mm`) };
    });

    seen.inches = await step(`${width}px: inches — field, read-out and rule message`, async () => {
      await chooseUnit(page, /inches/);
      await waitForText(page, '#param-width', '39.37', 'the width field in inches');
      await waitForText(page, '[data-key="width"] .unit', 'in', 'the width field\'s unit');
      await waitForText(page, '#param-door_count-problem', /wider than 35\.43 in need two doors/, 'the rule in inches');
      // The model on screen is still the last valid one (60 cm wide), read out in inches.
      await waitForText(page, '.dimensions', 'W23.6×H34.3×D22.8in', 'the read-out in inches');
      await noSidewaysScroll(page, 'in inches');
      return { ...(await readout(page)), screenshot: await screenshot(page, `${width}-inches`) };
    });

    seen.reloaded = await step(`${width}px: the unit survives a reload; the link that breaks the rule shows the nearest valid model`, async () => {
      await page.waitForFunction(() => {
        const c = new URL(location.href).searchParams.get('c');
        if (!c) return false;
        const values = JSON.parse(atob(c.replace(/-/g, '+').replace(/_/g, '/')));
        return values.width === 1;
      }, null, { timeout: 10000 });
      const link = page.url();
      await page.reload();
      const size = await waitForModel(page);
      // The nearest valid configuration: the link's width with the two doors the rule asks for.
      if (!near(size, [1.0, 0.87, 0.58])) throw new Error(`the viewer shows a model of ${JSON.stringify(size)}`);
      await waitForText(page, '#param-width', '39.37', 'the width field after the reload');
      await waitForText(page, '#param-door_count', '1', 'the door count stays the link\'s');
      if (!(await page.getByRole('radio', { name: /inches/ }).isChecked())) throw new Error('inches were not remembered');
      await waitForText(page, '#param-door_count-problem', /wider than 35\.43 in need two doors/, 'the rule after the reload');
      await waitForText(page, '.dimensions-note', 'Nearest valid', 'the read-out\'s note');
      await waitForText(page, '.preview-banner', /Showing the nearest valid configuration\. Cabinets wider than 35\.43 in/, 'the banner');
      await waitForText(page, '.dimensions', 'W39.4×H34.3×D22.8in', 'the stand-in read-out');
      const download = await page.getByRole('button', { name: /download glb/i }).getAttribute('aria-label');
      if (!/nearest valid/.test(download)) throw new Error(`the download is labelled ${download}`);
      await noSidewaysScroll(page, 'the broken link');
      return { link, size, download, ...(await readout(page)), screenshot: await screenshot(page, `${width}-broken-link`) };
    });

    await step(`${width}px: the fix makes the model the configuration's own`, async () => {
      await page.locator('.preview-banner').getByRole('button', { name: 'Set door count to 2' }).click();
      await waitForText(page, '#param-door_count', '2', 'the door count after the fix');
      await page.waitForFunction(() => !document.querySelector('.preview-banner') && !document.querySelector('.dimensions-note')
        && window.__configurator?.phase() === 'ready', null, { timeout: TIMEOUT });
      const size = await page.evaluate(() => window.__configurator.modelSize());
      if (!near(size, [1.0, 0.87, 0.58])) throw new Error(`after the fix the model is ${JSON.stringify(size)}`);
      const status = await page.locator('.preview-status').textContent();
      if (status !== 'Up to date') throw new Error(`status says ${status}`);
      return { size, status };
    });

    seen.summary = await step(`${width}px: the save dialog lists the options in words with units and the dimensions`, async () => {
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Save configuration' });
      await dialog.waitFor();
      await page.waitForFunction(() => !/once the model/.test(document.querySelector('.save-summary-size dd')?.textContent ?? ''),
        null, { timeout: 10000 });
      const rows = await dialog.locator('.save-summary-row').evaluateAll((els) => els.map((el) => [
        el.querySelector('dt').textContent, el.querySelector('dd').textContent]));
      const summary = Object.fromEntries(rows);
      const expected = {
        Dimensions: 'W 39.4 × H 34.3 × D 22.8 in', Width: '39.37 in', Height: '34.25 in', Depth: '22.83 in',
        'Door count': '2', 'Shelf count': '1', 'Handle position': '100%', 'Door style': 'Shaker',
        'Handle style': 'Bar Pull', 'Carcass finish': 'White Matte', 'Handle finish': 'Brushed Steel',
      };
      if (JSON.stringify(rows.map(([label]) => label)) !== JSON.stringify(['Dimensions', ...CABINET_LABELS])) {
        throw new Error(`the summary lists ${JSON.stringify(rows.map(([label]) => label))}`);
      }
      for (const [label, value] of Object.entries(expected)) {
        if (summary[label] !== value) throw new Error(`the summary says ${label}: ${summary[label]}, expected ${value}`);
      }
      await noSidewaysScroll(page, 'the save dialog');
      const shot = await screenshot(page, `${width}-summary`);
      if (width !== WIDTHS[0]) {
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden' });
        return { summary, screenshot: shot };
      }
      // Once, saved for real: /saved words its changes in the same unit.
      await dialog.getByLabel('Name').fill(`Wide cabinet in inches ${Date.now()}`);
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      const configurator = page.url();
      await page.goto(`${APP}/saved`);
      const chips = page.locator('.chips').first();
      await chips.waitFor();
      const saved = await chips.locator('li').allTextContents();
      if (!saved.includes('Width: 39.37 in') || !saved.includes('Door count: 2')) throw new Error(`/saved says ${JSON.stringify(saved)}`);
      await page.goto(configurator);
      await waitForModel(page);
      return { summary, saved, screenshot: shot };
    });

    await step(`${width}px: back to cm`, async () => {
      await chooseUnit(page, /centimetres/);
      await waitForText(page, '#param-width', '100', 'the width field back in cm');
      await waitForText(page, '.dimensions', 'W100×H87×D58cm', 'the read-out back in cm');
      const stored = await page.evaluate(() => localStorage.getItem('configurator.lengthUnit'));
      if (stored !== 'cm') throw new Error(`localStorage holds ${stored}`);
      return { stored };
    });
  } finally {
    await page.close();
  }
  return seen;
}

async function main() {
  const { context, close } = await launch('words-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false, widths: {} };
  try {
    const productPath = await step('find the cabinet', async () => {
      const page = await context.newPage();
      watch(page, 'catalogue', benign);
      await page.goto(`${APP}/`);
      const link = page.getByRole('link', { name: /cabinet/i }).first();
      await link.waitFor();
      const href = await link.getAttribute('href');
      await page.close();
      if (!href?.startsWith('/configure/')) throw new Error(`the cabinet's link is ${href}`);
      return { href };
    });
    for (const width of WIDTHS) result.widths[width] = await atWidth(context, productPath.href, width);
    if (problems.length) throw new Error(`the pages reported problems: ${problems.join('; ')}`);
    result.ok = true;
  } catch (error) {
    await failed(result, error, context);
    log(`FAILED: ${result.error}`);
  } finally {
    await close();
  }
  finish(result);
}

run(main);
