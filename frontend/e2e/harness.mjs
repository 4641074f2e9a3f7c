// What both end-to-end scripts share: their steps (timed, logged, kept for the final JSON
// line), the problems the page reports, and numbered screenshots in the artifacts folder.
import fs from 'node:fs';
import path from 'node:path';

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

  async function screenshot(page, name) {
    const file = path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return path.basename(file);
  }

  return { steps, problems, log, step, screenshot };
}
