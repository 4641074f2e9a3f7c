#!/usr/bin/env node
// End-to-end test of logging in and out, in real headless Chromium.
//
//   E2E_EMAIL=… E2E_PASSWORD=… E2E_NAME=… [E2E_CLIENT=…] node e2e/login.e2e.mjs APP_URL [ARTIFACTS_DIR]
//
// APP_URL is a running server that serves the built app and the API on one origin, where a
// user with that email, password and name exists. As an anonymous shopper on /saved: the
// header offers "Log in" and `GET /api/v1/auth/me` is 401. Then, with the keyboard only: the
// login page has the email field focused with a visible ring (≥ 3:1), a wrong password shows
// the API's own words in an alert and puts focus back on the password, the right one leads
// back to /saved with the user's name (and client) in the header; the name is still there
// after a reload (the cookie session); a configurator opened afresh sends its job with the
// CSRF token (it waits for `me`); saved there, the configuration is the user's and on /saved;
// renamed with the keyboard (Enter), focus lands on the new name, and deleting another one
// puts focus on the next item's name, never on <body>;
// at 375 px the header fits and the menu opens on screen (Escape closes it); logging out
// gives "Log in" back and `me` is 401 again, and the saved configuration is out of reach
// (not on /saved; 401 without a credential, 404 with the storefront's key).
// Prints one final JSON line {"ok", "steps": [...]}; exits 1 on failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 30000).
import { focusRing, launch, recorder, scriptArgs } from './harness.mjs';

const { APP, ARTIFACTS, TIMEOUT } = scriptArgs(import.meta.url, { timeout: 30000, required: ['E2E_EMAIL', 'E2E_PASSWORD', 'E2E_NAME'] });
const { E2E_EMAIL: EMAIL, E2E_PASSWORD: PASSWORD, E2E_NAME: NAME, E2E_CLIENT: CLIENT } = process.env;
const RUN = Date.now().toString(36);

const { step, watch, screenshot, session, run } = recorder(ARTIFACTS);

/** `GET /api/v1/auth/me` from the page, with its cookies. */
function me(page) {
  return page.evaluate(async () => {
    const response = await fetch('/api/v1/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: response.status, body: await response.json().catch(() => null) };
  });
}

async function main() {
  const { context, close } = await launch('configurator-login-e2e-');
  context.setDefaultTimeout(TIMEOUT);
  const result = { ok: false };
  // The answers this test asks for: `me` 401 while anonymous, the login refused for the wrong
  // password and, logged out, the saved configuration asked for without a credential and with
  // the storefront's.
  const expected = (what) => ['401 GET /api/v1/auth/me', '401 POST /api/v1/auth/login'].includes(what)
    || /^(401|404) GET \/api\/v1\/configurations\/[0-9a-f-]+$/.test(what);
  await session(result, { context, close }, async () => {
    const page = await context.newPage();
    watch(page, 'page', expected);
    const header = page.locator('header.app-header');
    const loginLink = header.getByRole('link', { name: 'Log in', exact: true });
    const userButton = header.locator('.user-button');

    await step('anonymous: "Log in" in the header, me is 401', async () => {
      await page.goto(`${APP}/saved`);
      await loginLink.waitFor();
      const answer = await me(page);
      if (answer.status !== 401) throw new Error(`me answered ${answer.status} before logging in`);
      return { me: answer.status, screenshot: await screenshot(page, 'anonymous') };
    });

    await step('login page: email focused, visible focus ring', async () => {
      await loginLink.click();
      await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/saved');
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'login-email');
      const ring = await focusRing(page);
      if (ring.ratio < 3) throw new Error(`focus ring contrast ${ring.ratio}:1 (< 3:1)`);
      return { focus: ring, screenshot: await screenshot(page, 'login') };
    });

    await step('wrong password: the API\'s detail in an alert, focus on the password', async () => {
      await page.keyboard.type(EMAIL);
      await page.keyboard.press('Tab');
      await page.keyboard.type(`${PASSWORD}-wrong`);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/login'),
        page.keyboard.press('Enter'),
      ]);
      const problem = await answer.json();
      if (answer.status() !== 401) throw new Error(`a wrong password answered ${answer.status()}`);
      const alert = page.getByRole('alert').filter({ hasText: /\S/ });
      await alert.waitFor();
      const text = (await alert.textContent()).trim();
      if (!text.toLowerCase().startsWith(problem.detail.toLowerCase())) throw new Error(`alert says ${JSON.stringify(text)}, API said ${JSON.stringify(problem.detail)}`);
      const focused = await page.evaluate(() => document.activeElement?.id);
      if (focused !== 'login-password') throw new Error(`focus is on ${focused} after the refusal`);
      return { alert: text, screenshot: await screenshot(page, 'login-refused') };
    });

    await step('log in: back to /saved, the name in the header', async () => {
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname === '/saved');
      await userButton.filter({ hasText: NAME }).waitFor();
      if (CLIENT) await userButton.filter({ hasText: CLIENT }).waitFor();
      if (await loginLink.count()) throw new Error('"Log in" is still in the header');
      const answer = await me(page);
      if (answer.status !== 200 || answer.body?.user?.email?.toLowerCase() !== EMAIL.toLowerCase() || !answer.body?.csrf_token) {
        throw new Error(`me answered ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return { user: answer.body.user, client: answer.body.client, screenshot: await screenshot(page, 'logged-in') };
    });

    await step('reload: still logged in (cookie session)', async () => {
      await page.reload();
      await userButton.filter({ hasText: NAME }).waitFor();
      return { screenshot: await screenshot(page, 'reloaded') };
    });

    await step('a fresh page sends its job with the CSRF token at once', async () => {
      // The configurator submits a job as soon as it opens; the server refuses a session's POST
      // without the token, and the app holds unsafe requests until `me` has given it.
      const jobs = [];
      const onRequest = (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/jobs') jobs.push(request);
      };
      page.on('request', onRequest);
      await page.goto(`${APP}/`);
      const href = await page.locator('.product-card h2 a').first().getAttribute('href');
      await page.goto(`${APP}${href}?c=${Buffer.from(JSON.stringify({ width: 0.7 })).toString('base64url')}`);
      await page.waitForFunction(() => window.__configurator?.phase() === 'ready', null, { timeout: 60000 });
      page.off('request', onRequest);
      if (!jobs.length) throw new Error('the configurator sent no job');
      const answers = await Promise.all(jobs.map(async (request) => {
        const response = await request.response();
        return { status: response?.status(), csrf: Boolean(request.headers()['x-csrf-token']) };
      }));
      if (answers.some((a) => !a.csrf || !a.status || a.status >= 400)) throw new Error(`jobs sent: ${JSON.stringify(answers)}`);
      await userButton.filter({ hasText: NAME }).waitFor();
      return { jobs: answers, screenshot: await screenshot(page, 'configurator-logged-in') };
    });

    const savedName = `Erin's cabinet ${RUN}`;
    let savedId = null;
    await step('save it: the configuration is the user\'s, listed on /saved', async () => {
      await page.getByRole('button', { name: /^save$/i }).click();
      const dialog = page.getByRole('dialog', { name: /save configuration/i });
      await dialog.getByLabel('Name').fill(savedName);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/configurations' && r.request().method() === 'POST'),
        dialog.getByRole('button', { name: /^save$/i }).click(),
      ]);
      if (answer.status() !== 201) throw new Error(`saving answered ${answer.status()}`);
      const saved = await answer.json();
      savedId = saved.id;
      if (answer.request().headers().authorization) throw new Error('a logged-in save carried a key');
      if (saved.user_id !== (await me(page)).body.user.id) throw new Error(`saved for user ${saved.user_id}`);
      await page.locator('.toast').filter({ hasText: savedName }).waitFor();
      await page.goto(`${APP}/saved`);
      await page.locator('.saved-item').filter({ hasText: savedName }).waitFor();
      const listed = await screenshot(page, 'saved-logged-in');
      // (The test names these steps: focus after Rename→Enter and Delete is checked in this one.)
      const focus = await renameAndDeleteKeepFocus();
      return { id: savedId, ...focus, screenshot: listed };
    });

    /** On /saved: renamed with the keyboard (Enter), focus on the new name; another one
     * deleted, focus on the next item's name — never on <body>. */
    async function renameAndDeleteKeepFocus() {
      const focused = () => page.evaluate(() => {
        const el = document.activeElement;
        return { tag: el?.tagName, text: el?.textContent?.trim(), item: el?.closest('.saved-item')?.getAttribute('data-id') ?? null };
      });
      const item = page.locator(`.saved-item[data-id="${savedId}"]`);
      await item.getByRole('button', { name: 'Rename', exact: true }).focus();
      await page.keyboard.press('Enter');
      const field = item.getByLabel('New name');
      await field.waitFor();
      const renamed = `${savedName} (renamed)`;
      await field.fill(renamed);
      await page.keyboard.press('Enter');
      await item.getByRole('link', { name: renamed, exact: true }).waitFor();
      await page.waitForFunction((id) => document.activeElement?.closest('.saved-item')?.getAttribute('data-id') === id
        && document.activeElement.tagName === 'A', savedId, { timeout: 5000 })
        .catch(() => undefined);
      const afterRename = await focused();
      if (afterRename.tag !== 'A' || afterRename.text !== renamed) throw new Error(`after renaming, focus is on ${JSON.stringify(afterRename)}`);

      // A second one to delete: focus goes to the item after it (the renamed one).
      const spare = await page.evaluate(async ({ id, name }) => {
        const meAnswer = await fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.json());
        const original = await fetch(`/api/v1/configurations/${id}`, { credentials: 'same-origin' }).then((r) => r.json());
        const made = await fetch('/api/v1/configurations', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': meAnswer.csrf_token },
          body: JSON.stringify({ product_id: original.product_id, name, config_data: original.config_data }),
        });
        return made.ok ? (await made.json()).id : `status ${made.status}`;
      }, { id: savedId, name: `Spare ${RUN}` });
      if (!/^[0-9a-f-]{36}$/.test(spare)) throw new Error(`making a spare configuration: ${spare}`);
      await page.reload();
      const spareItem = page.locator(`.saved-item[data-id="${spare}"]`);
      await spareItem.waitFor();
      await spareItem.getByRole('button', { name: 'Delete', exact: true }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: /delete this configuration/i });
      await dialog.getByRole('button', { name: 'Delete', exact: true }).focus();
      await page.keyboard.press('Enter');
      await spareItem.waitFor({ state: 'detached' });
      await page.waitForTimeout(300); // past the dialog's own focus restoring
      const afterDelete = await focused();
      if (afterDelete.tag === 'BODY' || !afterDelete.tag) throw new Error(`after deleting, focus is on ${JSON.stringify(afterDelete)}`);
      return { after_rename: afterRename, after_delete: afterDelete, focus_screenshot: await screenshot(page, 'saved-focus') };
    }

    await step('phone width (375 px): the header fits, the menu names the user', async () => {
      await page.setViewportSize({ width: 375, height: 812 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) throw new Error(`the page is ${overflow} px wider than the 375 px screen`);
      await userButton.click();
      const panel = header.locator('.user-panel');
      await panel.filter({ hasText: NAME }).waitFor();
      const box = await panel.boundingBox();
      if (!box || box.x < 0 || box.x + box.width > 375) throw new Error(`the user menu is off screen: ${JSON.stringify(box)}`);
      const file = await screenshot(page, 'phone-user-menu');
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'hidden' });
      await page.setViewportSize({ width: 1280, height: 860 });
      return { screenshot: file };
    });

    await step('user menu: name, client, Log out', async () => {
      await userButton.click();
      await header.getByRole('button', { name: 'Log out' }).waitFor();
      return { screenshot: await screenshot(page, 'user-menu') };
    });

    await step('log out: "Log in" again, me is 401', async () => {
      await header.getByRole('button', { name: 'Log out' }).click();
      await loginLink.waitFor();
      if (await userButton.count()) throw new Error('the user menu is still there');
      const answer = await me(page);
      if (answer.status !== 401) throw new Error(`me answered ${answer.status} after logging out`);
      await page.reload();
      await loginLink.waitFor();
      return { me: answer.status, screenshot: await screenshot(page, 'logged-out') };
    });

    await step('logged out: the saved configuration is out of reach', async () => {
      await page.goto(`${APP}/saved`);
      await loginLink.waitFor();
      await page.locator('.saved').waitFor();
      if (await page.locator('.saved-item').filter({ hasText: savedName }).count()) {
        throw new Error('/saved still lists the configuration after logging out');
      }
      const key = await page.evaluate(() => document.querySelector('meta[name="configurator-storefront-key"]')?.content);
      const asked = await page.evaluate(async ({ id, key }) => {
        const get = async (headers) => (await fetch(`/api/v1/configurations/${id}`, { headers })).status;
        return { bare: await get({}), storefront: await get({ Authorization: `Bearer ${key}` }) };
      }, { id: savedId, key });
      if (asked.bare !== 401 || asked.storefront !== 404) throw new Error(`the configuration answered ${JSON.stringify(asked)}`);
      return { asked, screenshot: await screenshot(page, 'saved-logged-out') };
    });
  });
}

run(main);
