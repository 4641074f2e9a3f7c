// What the end-to-end scripts share: their command line, headless Chromium started the same
// way, their steps (timed, logged, kept for the final JSON line), the problems the pages
// report, numbered screenshots in the artifacts folder, how a run fails and ends, and a few
// helpers for the configurator's page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The command line every script takes, `APP_URL [ARTIFACTS_DIR]`: APP is APP_URL without its
 * trailing slashes; ARTIFACTS the absolute folder for the screenshots and result.json
 * (ARTIFACTS_DIR, else `artifacts` under the current folder); TIMEOUT the milliseconds of
 * E2E_TIMEOUT_MS, else `timeout` (each script has its own, named in its header). Without
 * APP_URL, or with one of the environment variables `required` names unset or empty, it prints
 * the usage line (those variables first) and exits 2. `script` is the script's
 * `import.meta.url`, for its name in that line. */
export function scriptArgs(script, { timeout, artifacts = 'e2e-artifacts', required = [] }) {
  const [appArg, artifactsArg] = process.argv.slice(2);
  if (!appArg || required.some((name) => !process.env[name])) {
    const variables = required.map((name) => `${name}=… `).join('');
    console.error(`usage: ${variables}node e2e/${path.basename(fileURLToPath(script))} APP_URL [ARTIFACTS_DIR]`);
    process.exit(2);
  }
  return {
    APP: appArg.replace(/\/+$/, ''),
    ARTIFACTS: path.resolve(artifactsArg ?? artifacts),
    TIMEOUT: Number(process.env.E2E_TIMEOUT_MS ?? timeout),
  };
}

/** Headless Chromium (`CHROMIUM`, default /usr/bin/chromium) with a fresh profile in a
 * temporary folder named from `profilePrefix`; `options` (viewport, permissions) go to
 * Playwright's launchPersistentContext over the defaults, and `args` (switches such as
 * `--disable-webgl`) after the default switches. `close()` ends the browser and removes the
 * profile. */
export async function launch(profilePrefix, { args = [], ...options } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), profilePrefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      ...args,
    ],
    ...options,
  });
  async function close() {
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return { context, close };
}

/** A cancel answered 409: the normal race of "newest wins" (the older job finished first). */
export const cancelRace = (what) => /^409 \S+ \S*\/cancel$/.test(what);

/** Failed requests a shopper's page does not mind: a cancel answered 409 (the browser logs the
 * race) and `GET /api/v1/auth/me` answered 401 (the app asks it at start, before anyone has
 * logged in). */
export const benign = (what) => cancelRace(what) || what === '401 GET /api/v1/auth/me';

/** Until the model on screen is ready and was drawn after `since` (the page's clock,
 * `performance.now()`), as the page reports it in `window.__configurator`; at most `timeout` ms. */
export function drawnSince(page, since, timeout) {
  return page.waitForFunction((t) => {
    const c = window.__configurator;
    const timings = c?.lastTimings;
    return Boolean(c && c.modelUrl() && c.phase() === 'ready' && timings?.drawnAt && timings.drawnAt > t);
  }, since, { timeout, polling: 'raf' });
}

/** `value` rounded to `digits` decimals, for the figures the steps report. */
export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Logs in with the login page's form (`${app}/login?next=${next}`) and waits until the app
 * has gone on to `next`. */
export async function logIn(page, app, next, email, password) {
  await page.goto(`${app}/login?next=${next}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/** Clicks the configurator's "Download GLB" and saves the file in `folder` under the name the
 * page gives it; its path. */
export async function downloadGlb(page, folder) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /download glb/i }).click(),
  ]);
  const file = path.join(folder, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

export function recorder(artifacts) {
  fs.mkdirSync(artifacts, { recursive: true });
  const steps = [];
  const problems = [];
  let shot = 0;

  function log(message) {
    process.stderr.write(`[e2e] ${message}\n`);
  }

  async function step(name, fn) {
    const started = Date.now();
    try {
      const detail = (await fn()) ?? {};
      steps.push({ name, ok: true, ms: Date.now() - started, ...detail });
      log(`ok   ${name} ${JSON.stringify(detail)}`);
      return detail;
    } catch (error) {
      steps.push({ name, ok: false, ms: Date.now() - started, error: String(error?.message ?? error) });
      throw error;
    }
  }

  /** Script errors and failed requests of `page` go into the problems, each prefixed with
   * `label`, except the answers `expected(what)` allows (`what`: "401 GET /api/v1/auth/me"). */
  function watch(page, label, expected) {
    page.on('pageerror', (error) => problems.push(`${label}: page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(`${label}: console error: ${message.text()}`);
      }
    });
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      const what = `${response.status()} ${response.request().method()} ${pathname}`;
      if (response.status() >= 400 && !expected(what)) problems.push(`${label}: ${what}`);
    });
  }

  async function screenshot(page, name) {
    const file = path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return path.basename(file);
  }

  /** After a failure: its message and the page's problems go into `result`, a screenshot of
   * every open page into the artifacts. */
  async function failed(result, error, context) {
    result.error = String(error?.message ?? error);
    if (problems.length) result.page_errors = problems;
    for (const [index, page] of context.pages().entries()) {
      await page.screenshot({ path: path.join(artifacts, `failure-${index}.png`) }).catch(() => undefined);
    }
  }

  /** result.json, the final JSON line, and the exit code (1 unless `result.ok`). */
  function finish(result) {
    result.steps = steps;
    fs.writeFileSync(path.join(artifacts, 'result.json'), JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result));
    process.exit(result.ok ? 0 : 1);
  }

  /** The steps of a run in the browser of `launch`, and the run's end. `body` runs the steps;
   * then problems the pages reported fail the run, else `result` is ok, with what `body`
   * returned (figures for the final JSON line) added to it. A failure is recorded as `failed`
   * does, with `context`'s pages; `close()` ends the browser either way, and `finish` the
   * script. */
  async function session(result, { context, close }, body) {
    try {
      const figures = await body();
      if (problems.length) throw new Error(`the pages reported problems: ${problems.join('; ')}`);
      Object.assign(result, { ok: true }, figures);
    } catch (error) {
      await failed(result, error, context);
    } finally {
      await close();
    }
    finish(result);
  }

  /** Runs `main`: a crash outside its steps still ends with the final JSON line. */
  function run(main) {
    main().catch((error) => {
      console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error), steps }));
      process.exit(1);
    });
  }

  return { steps, problems, log, step, watch, screenshot, failed, finish, session, run };
}

/** Contrast of the focused element's focus indicator (outline, else box-shadow colour) with
 * the background behind it, and the outline's width. */
export function focusRing(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const background = (node) => {
      for (let n = node.parentElement; n; n = n.parentElement) {
        const c = parse(getComputedStyle(n).backgroundColor);
        if (c && c.a > 0.9) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const luminance = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const hasOutline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const ring = parse(hasOutline ? style.outlineColor : (style.boxShadow.match(/rgba?\([^)]+\)/) ?? [''])[0]);
    const bg = background(el);
    if (!ring) return { id: el.id, label: el.getAttribute('aria-label') ?? el.id, ratio: 0, width: 0 };
    const blend = (k) => ring[k] * ring.a + bg[k] * (1 - ring.a);
    const shown = { r: blend('r'), g: blend('g'), b: blend('b') };
    const [l1, l2] = [luminance(shown), luminance(bg)].sort((a, b) => b - a);
    return {
      id: el.id,
      label: el.getAttribute('aria-label') ?? el.id,
      ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
      width: hasOutline ? parseFloat(style.outlineWidth) : 0,
      style: style.outlineStyle,
    };
  });
}
