// What both end-to-end scripts share: their steps (timed, logged, kept for the final JSON
// line), the problems the page reports, numbered screenshots in the artifacts folder, and
// how a run fails and ends.
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

  /** Runs `main`: a crash outside its steps still ends with the final JSON line. */
  function run(main) {
    main().catch((error) => {
      console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error), steps }));
      process.exit(1);
    });
  }

  return { steps, problems, log, step, screenshot, failed, finish, run };
}
