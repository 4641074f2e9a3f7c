#!/usr/bin/env node
// End-to-end test of the admin area, in real headless Chromium.
//
//   E2E_EMAIL=… E2E_PASSWORD=… node e2e/admin.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin, where an
// admin user with that email and password exists (a client with at least one product). Anonymous,
// /admin leads to the login page and back after logging in; the user menu links to it. On
// "API keys & embed": a publishable key with an allowed origin is created, shown once with a
// copy button (the clipboard gets it), a warning and the embed code; after "I have copied it"
// and a reload it is nowhere on the page; its embed page shows the configurator alone (CSP
// frame-ancestors names the origin); it is revoked after a confirmation and refused from then
// on. On "Users": a user is invited (status "Invited"), given another role, and removed after a
// confirmation. The audit log lists those changes. A product's "Versions" lists its one version,
// with nothing to compare it with. Prints one final JSON line
// {"ok", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000),
// E2E_ORIGIN (the key's allowed origin, default https://shop.e2e.example).
import { cancelRace, launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000, required: ['E2E_EMAIL', 'E2E_PASSWORD'] });
const { E2E_EMAIL: EMAIL, E2E_PASSWORD: PASSWORD } = process.env;
const SHOP_ORIGIN = process.env.E2E_ORIGIN ?? 'https://shop.e2e.example';
const RUN = Date.now().toString(36);

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** The answer to the next request of `method` to `pathname` that `action` causes. */
async function answerTo(page, method, pathname, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname === pathname),
    action(),
  ]);
  return response;
}

async function main() {
  const { context, close } = await launch('configurator-admin-e2e-', {
    viewport: { width: 1280, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  // The answers this test asks for (`me` while anonymous, the revoked key refused) and the
  // benign race of a cancelled preview job.
  const expected = (what) => ['401 GET /api/v1/auth/me', '401 GET /api/v1/products'].includes(what) || cancelRace(what);
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'page', expected);
    const header = page.locator('header.app-header');
    const adminNav = page.getByRole('navigation', { name: 'Admin sections' });

    await step('anonymous: /admin leads to the login page', async () => {
      await page.goto(`${APP}/admin`);
      await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/admin');
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      return { url: page.url() };
    });

    await step('log in as an admin: back to the admin area, its products', async () => {
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/products');
      await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
      const rows = page.locator('table.data-table tbody tr');
      await rows.first().waitFor();
      const products = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent.trim())));
      if (!products.every((cells) => /^v\d+$/.test(cells[1]) && cells[2].length > 0)) {
        throw new Error(`products without schema or template version: ${JSON.stringify(products)}`);
      }
      await page.getByRole('heading', { name: 'Add a product' }).waitFor();
      return { products, screenshot: await screenshot(page, 'admin-products') };
    });

    await step('the user menu links to the admin area', async () => {
      await page.goto(`${APP}/`);
      await header.locator('.user-button').click();
      await header.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/admin/products');
      return {};
    });

    const keyName = `E2E shop ${RUN}`;
    const created = await step('create a publishable key: shown once, copy button, embed code', async () => {
      await adminNav.getByRole('link', { name: 'API keys & embed' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/keys');
      const form = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Create a key' }) });
      await form.getByLabel(/Publishable/).check();
      await form.getByLabel(/^Name/).fill(keyName);
      await form.getByLabel('Allowed sites').fill(SHOP_ORIGIN);
      const response = await answerTo(page, 'POST', '/api/v1/api-keys', () => form.getByRole('button', { name: 'Create key' }).click());
      if (response.status() !== 201) throw new Error(`creating the key answered ${response.status()}`);
      const body = await response.json();
      if (!body.key?.startsWith('pk_') || !body.allowed_origins.includes(SHOP_ORIGIN)) throw new Error(`created ${JSON.stringify(body)}`);

      const panel = page.locator('section.new-key');
      await panel.getByRole('heading', { name: /Your new key/ }).waitFor();
      const focused = await page.evaluate(() => document.activeElement?.id);
      if (focused !== 'new-key-title') throw new Error(`focus is on ${focused} after creating the key`);
      const shown = await panel.getByLabel('Publishable key', { exact: true }).inputValue();
      if (shown !== body.key) throw new Error('the key shown is not the key created');
      await panel.getByText(/not shown again/i).waitFor();

      await panel.getByRole('button', { name: /Copy publishable key/i }).click();
      await panel.getByText('Copied.').first().waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      if (copied !== body.key) throw new Error('the clipboard does not hold the key');

      const snippet = await panel.getByLabel('Embed code').inputValue();
      const src = snippet.match(/<iframe src="([^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
      if (!src || !snippet.endsWith('</iframe>') || !/allow="fullscreen"/.test(snippet)) throw new Error(`embed code: ${snippet}`);
      const embed = new URL(src);
      if (embed.origin !== new URL(APP).origin || !embed.pathname.startsWith('/embed/') || embed.searchParams.get('key') !== body.key) {
        throw new Error(`embed code points at ${src}`);
      }
      return { id: body.id, key: body.key, prefix: body.shown_prefix, origins: body.allowed_origins, embed: src, screenshot: await screenshot(page, 'new-key') };
    });

    await step('the key is not shown again', async () => {
      await page.getByRole('button', { name: 'I have copied it' }).click();
      await page.locator('section.new-key').waitFor({ state: 'detached' });
      await page.reload();
      const row = page.locator('table.data-table tbody tr').filter({ hasText: keyName });
      await row.waitFor();
      const html = await page.content();
      if (html.includes(created.key)) throw new Error('the key is still on the page');
      if (!(await row.textContent()).includes(created.prefix)) throw new Error('the row does not show the key\'s prefix');
      return { row: (await row.textContent()).trim() };
    });

    await step('its embed page: the configurator alone, framed only by the allowed origin', async () => {
      const embed = await context.newPage();
      watch(embed, 'embed', expected);
      const response = await embed.goto(created.embed);
      const policy = response.headers()['content-security-policy'] ?? '';
      const ancestors = policy.match(/frame-ancestors ([^;]*)/)?.[1] ?? '';
      if (!ancestors.split(/\s+/).includes(SHOP_ORIGIN)) throw new Error(`frame-ancestors is ${JSON.stringify(ancestors)}`);
      await embed.waitForFunction(() => window.__configurator?.phase() === 'ready' && window.__configurator.modelUrl(), null, { timeout: 60000 });
      if (await embed.locator('header.app-header').count()) throw new Error('the embed shows the app\'s header');
      if (await embed.getByRole('button', { name: /^save$/i }).count()) throw new Error('the embed offers Save');
      await embed.getByRole('button', { name: /download glb/i }).waitFor();
      const file = await screenshot(embed, 'embed');
      await embed.close();
      return { frame_ancestors: ancestors, screenshot: file };
    });

    await step('revoke the key (confirmed): refused from then on', async () => {
      const row = page.locator('table.data-table tbody tr').filter({ hasText: keyName });
      await row.getByRole('button', { name: /^Revoke/ }).click();
      const dialog = page.getByRole('dialog', { name: /Revoke/ });
      await dialog.waitFor();
      const file = await screenshot(page, 'revoke-dialog');
      const response = await answerTo(page, 'DELETE', `/api/v1/api-keys/${created.id}`, () => dialog.getByRole('button', { name: 'Revoke', exact: true }).click());
      if (response.status() !== 204) throw new Error(`revoking answered ${response.status()}`);
      await row.getByText(/Revoked/).waitFor();
      if (await row.getByRole('button', { name: /^Revoke/ }).count()) throw new Error('a revoked key can still be revoked');
      await page.waitForFunction(() => document.activeElement?.id === 'keys-title');
      // Other API processes refuse it once their cache of keys expires (5 s).
      const status = await page.evaluate(async (key) => {
        let answer = 0;
        for (let i = 0; i < 40; i++) {
          answer = (await fetch('/api/v1/products', { headers: { Authorization: `Bearer ${key}` } })).status;
          if (answer === 401) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        return answer;
      }, created.key);
      if (status !== 401) throw new Error(`the revoked key is answered ${status}`);
      return { refused: status, screenshot: file };
    });

    const invitee = { email: `e2e-invite-${RUN}@example.com`, name: `Ivy Invitee ${RUN}` };
    await step('invite a user: listed as invited', async () => {
      await adminNav.getByRole('link', { name: 'Users' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/users');
      const form = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Invite a user' }) });
      await form.getByLabel('Email').fill(invitee.email);
      await form.getByLabel('Name').fill(invitee.name);
      await form.getByLabel('Role').selectOption('viewer');
      const response = await answerTo(page, 'POST', '/api/v1/users', () => form.getByRole('button', { name: 'Send invitation' }).click());
      if (response.status() !== 201) throw new Error(`inviting answered ${response.status()}`);
      const body = await response.json();
      invitee.id = body.id;
      await form.getByRole('status').filter({ hasText: invitee.email }).waitFor();
      const row = page.locator(`table.data-table tbody tr[data-email="${invitee.email}"]`);
      await row.getByText('Invited').waitFor();
      return { user: body, screenshot: await screenshot(page, 'invited') };
    });

    await step('change the invited user\'s role', async () => {
      const select = page.getByLabel(`Role of ${invitee.name}`);
      const response = await answerTo(page, 'PATCH', `/api/v1/users/${invitee.id}`, () => select.selectOption('member'));
      if (response.status() !== 200) throw new Error(`changing the role answered ${response.status()}`);
      await page.waitForFunction((name) => [...document.querySelectorAll('select')].find((s) => s.getAttribute('aria-label') === `Role of ${name}`)?.value === 'member' && !document.querySelector(`select[aria-label="Role of ${name}"]`).disabled, invitee.name);
      return { role: (await response.json()).role };
    });

    await step('remove the invited user (confirmed)', async () => {
      const row = page.locator(`table.data-table tbody tr[data-email="${invitee.email}"]`);
      await row.getByRole('button', { name: /^Remove/ }).click();
      const dialog = page.getByRole('dialog', { name: /Remove/ });
      await dialog.waitFor();
      const response = await answerTo(page, 'DELETE', `/api/v1/users/${invitee.id}`, () => dialog.getByRole('button', { name: 'Remove', exact: true }).click());
      if (response.status() !== 204) throw new Error(`removing answered ${response.status()}`);
      await row.waitFor({ state: 'detached' });
      // The row and its button are gone: focus goes to the list's heading, not lost.
      await page.waitForFunction(() => document.activeElement?.id === 'users-title');
      return { focus: 'users-title' };
    });

    await step('the audit log lists the changes', async () => {
      await adminNav.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/audit');
      const table = page.locator('table.audit-table');
      await table.waitFor();
      const actions = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
      const missing = ['key.created', 'key.revoked', 'user.invited', 'user.updated', 'user.removed'].filter((a) => !actions.includes(a));
      if (missing.length) throw new Error(`the audit log lacks ${missing.join(', ')}: ${JSON.stringify(actions.slice(0, 20))}`);
      return { newest: actions.slice(0, 8), screenshot: await screenshot(page, 'audit') };
    });

    await step('the versions of a product: its first version, nothing to compare', async () => {
      await adminNav.getByRole('link', { name: 'Products' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/products');
      const rows = page.locator('table.data-table tbody tr');
      await rows.first().waitFor();
      // A product still at v1 has that one version (the seeded samples all are).
      const row = rows.filter({ has: page.locator('td', { hasText: /^v1$/ }) }).first();
      const name = (await row.locator('th a').textContent()).trim();
      const opener = row.getByRole('button', { name: `Versions of ${name}` });
      await opener.click();
      const dialog = page.getByRole('dialog', { name: `Versions of ${name}` });
      await dialog.waitFor();
      const versions = dialog.locator('table.version-table tbody tr');
      await versions.first().waitFor();
      const listed = await versions.evaluateAll((trs) => trs.map((tr) => tr.dataset.version));
      if (listed.join() !== '1') throw new Error(`versions listed: ${JSON.stringify(listed)}`);
      await page.waitForFunction(() => document.activeElement?.tagName === 'H3' && document.activeElement.closest('dialog[open]'));
      const report = dialog.locator('section.compat-report');
      await report.getByRole('heading', { level: 3, name: 'v1' }).waitFor();
      await report.getByText('First version: nothing to compare.').waitFor();
      await report.getByRole('heading', { level: 4, name: 'Saved configurations' }).waitFor();
      const file = await screenshot(page, 'versions');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await page.waitForFunction((label) => document.activeElement?.getAttribute('type') === 'button'
        && document.activeElement.textContent === label, `Versions of ${name}`);
      return { product: name, versions: listed, screenshot: file };
    });
  });
}

run(main);
