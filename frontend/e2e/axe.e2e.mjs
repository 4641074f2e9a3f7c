#!/usr/bin/env node
// axe-core on every route of the app, in real headless Chromium, at 320 and 1400 px.
//
//   E2E_EMAIL=… E2E_PASSWORD=… node e2e/axe.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin, with its
// seeded samples, where an admin user with that email and password exists. As an anonymous
// shopper: the catalogue, the cabinet's configurator (and its Save dialog), its embed page
// (with the storefront's key), /saved with one configuration saved in this browser, login,
// forgot and reset password, and a page that does not exist. Logged in as the admin: /saved
// with the account's configurations, the account page and each admin section. Each page is
// loaded, left to settle (its data shown, no request in flight), then axe-core runs on the
// whole document with its default rules (WCAG 2.x A and AA and its best practices).
// A route passes with zero violations; `E2E_AXE_REPORT=1` reports them without failing (what
// bench/accessibility.py uses to count them).
//
// Prints one final JSON line {"ok", "routes": [{route, width, violations: [{id, impact,
// nodes, targets}]}], "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000).
import fs from 'node:fs';
import { createRequire } from 'node:module';

import { launch, logIn, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000, required: ['E2E_EMAIL', 'E2E_PASSWORD'] });
const { E2E_EMAIL: EMAIL, E2E_PASSWORD: PASSWORD } = process.env;
const REPORT_ONLY = process.env.E2E_AXE_REPORT === '1';
const WIDTHS = [320, 1400];
const PICTURE_TIMEOUT = Number(process.env.E2E_PICTURE_TIMEOUT_MS ?? 300000);
// Evaluated through the DevTools protocol, not a <script>: the app's CSP (script-src 'self')
// stays on, as a shopper's browser has it.
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const { problems, step, watch, screenshot, failed, finish, run } = recorder(ARTIFACTS);

/** Until the page's data is shown: no loading state, the heading there, no request for a
 * moment (the configurator's model and thumbnails included). */
async function settle(page, ready) {
  await page.locator('h1, h2').first().waitFor();
  if (ready) await ready(page);
  await page.locator('.state-loading, [aria-busy="true"]').first().waitFor({ state: 'detached', timeout: TIMEOUT }).catch(() => undefined);
  await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => undefined);
  await page.waitForTimeout(300); // past transitions (toasts, dialogs fading in)
}

/** axe-core's violations on the page as it is: per rule, its impact, how many nodes and the
 * first few of them. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    targets: v.nodes.slice(0, 4).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary?.split('\n').slice(0, 3).join(' ') })),
  }));
}

async function main() {
  const { context, close } = await launch('configurator-axe-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false, routes: [] };
  // The answers some pages get on purpose: `me` while anonymous, a reset token that is not one.
  const expected = (what) => what === '401 GET /api/v1/auth/me' || /^4\d\d POST \/api\/v1\/auth\/password-reset/.test(what)
    || what === '401 POST /api/v1/auth/refresh';
  try {
    const page = await context.newPage();
    watch(page, 'page', expected);
    const failures = [];

    async function audit(route, label, ready) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 860 });
        if (route) await page.goto(`${APP}${route}`);
        await settle(page, ready);
        const violations = await axeViolations(page);
        const entry = { route: label, width, violations };
        result.routes.push(entry);
        if (violations.length) {
          failures.push(`${label} at ${width} px: ${violations.map((v) => `${v.id} (${v.nodes})`).join(', ')}`);
          await screenshot(page, `${label.replace(/[^a-z0-9]+/gi, '-')}-${width}`);
        }
      }
      const counts = result.routes.filter((r) => r.route === label).map((r) => r.violations.length);
      return { violations: Object.fromEntries(WIDTHS.map((w, i) => [w, counts[i]])) };
    }

    const { cabinet, key } = await step('the seeded samples and the storefront key', async () => {
      await page.goto(`${APP}/`);
      await page.locator('.product-card').first().waitFor();
      const found = await page.evaluate(async () => {
        const storefront = document.querySelector('meta[name="configurator-storefront-key"]')?.getAttribute('content');
        const list = await fetch('/api/v1/products', { headers: { Authorization: `Bearer ${storefront}` } }).then((r) => r.json());
        return { key: storefront, cabinet: list.items.find((p) => /cabinet/i.test(p.name))?.id ?? list.items[0]?.id };
      });
      if (!found.key || !found.cabinet) throw new Error(`no storefront key or product: ${JSON.stringify(found)}`);
      return found;
    });

    const configuratorReady = async (p) => {
      await p.locator('form.controls').waitFor();
      await p.locator('section.preview[aria-busy="false"]').waitFor({ timeout: TIMEOUT * 3 });
    };

    // The catalogue as a shopper meets it once its pictures are made (seconds to minutes after
    // a server starts, as it renders the samples' in the background; the page looks again).
    await step('catalogue', () => audit('/', 'catalogue', (p) => p.waitForFunction(() => {
      const cards = document.querySelectorAll('.product-card');
      return cards.length > 0 && [...cards].every((card) => card.querySelector('img'));
    }, null, { timeout: PICTURE_TIMEOUT })));
    await step('configurator', () => audit(`/configure/${cabinet}`, 'configurator', configuratorReady));
    await step('configurator: the Save dialog', async () => {
      const detail = await audit(null, 'configurator save dialog', async (p) => {
        if (!(await p.getByRole('dialog').isVisible().catch(() => false))) {
          await p.getByRole('button', { name: /^save$/i }).first().click();
        }
        await p.getByRole('dialog', { name: /save configuration/i }).waitFor();
      });
      return detail;
    });
    await step('anonymous save, for the browser\'s /saved list', async () => {
      const dialog = page.getByRole('dialog', { name: /save configuration/i });
      await dialog.getByLabel('Name').fill(`Axe check ${Date.now().toString(36)}`);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/configurations' && r.request().method() === 'POST'),
        dialog.getByRole('button', { name: /^save$/i }).click(),
      ]);
      if (answer.status() !== 201) throw new Error(`saving answered ${answer.status()}`);
      return {};
    });
    await step('embed', () => audit(`/embed/${cabinet}?key=${encodeURIComponent(key)}`, 'embed', configuratorReady));
    await step('saved (this browser\'s)', () => audit('/saved', 'saved (anonymous)', (p) => p.locator('.saved-item').first().waitFor()));
    await step('login', () => audit('/login', 'login'));
    await step('forgot password', () => audit('/forgot-password', 'forgot password'));
    await step('reset password', () => audit('/reset-password?token=not-a-real-token', 'reset password'));
    await step('not found', () => audit('/no-such-page', 'not found'));

    await step('log in as the admin', async () => {
      await logIn(page, APP, '/account', EMAIL, PASSWORD);
      return {};
    });
    await step('saved (the account\'s)', async () => {
      // One of the account's own, so the list is not empty.
      await page.evaluate(async (product) => {
        const me = await fetch('/api/v1/auth/me').then((r) => r.json());
        await fetch('/api/v1/configurations', {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
          body: JSON.stringify({ product_id: product, name: `Admin's ${Date.now().toString(36)}`, config_data: {} }),
        });
      }, cabinet);
      return audit('/saved', 'saved (account)', (p) => p.locator('.saved-item').first().waitFor());
    });
    await step('saved: renaming', () => audit(null, 'saved renaming', async (p) => {
      const item = p.locator('.saved-item').first();
      if (!(await item.getByLabel('New name').isVisible().catch(() => false))) {
        await item.getByRole('button', { name: 'Rename', exact: true }).click();
      }
      await item.getByLabel('New name').waitFor();
    }));
    await step('account', () => audit('/account', 'account'));
    await step('admin: products', () => audit('/admin/products', 'admin products', (p) => p.locator('table.data-table tbody tr').first().waitFor()));
    await step('admin: users', () => audit('/admin/users', 'admin users', (p) => p.locator('table.data-table tbody tr').first().waitFor()));
    await step('admin: API keys', () => audit('/admin/keys', 'admin keys'));
    await step('admin: audit log', () => audit('/admin/audit', 'admin audit', (p) => p.locator('table.data-table tbody tr').first().waitFor()));

    if (problems.length) throw new Error(`the pages reported problems: ${problems.join('; ')}`);
    if (failures.length && !REPORT_ONLY) throw new Error(`axe violations: ${failures.join(' | ')}`);
    result.ok = true;
  } catch (error) {
    await failed(result, error, context);
  } finally {
    await close();
  }
  result.total_violations = result.routes.reduce((n, r) => n + r.violations.length, 0);
  finish(result);
}

run(main);
