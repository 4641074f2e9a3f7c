"""Speculative generation in the configurator: what it costs and what it buys, in one run.

Runs frontend/e2e/speculation.e2e.mjs in headless Chromium against a real `serve --workers 1`
with its seeded samples, twice per round: with speculation on, and as a browser that asks to
save data (where the page does not speculate); each side on a fresh server, so the other's
result cache cannot help it. The script opens the kitchen cabinet, waits until the page is
idle, then adds a door and, after idle again, picks another finish.

Prints per configuration the speculative jobs the page made ahead (each at background priority)
and their GLB bytes, and per change the time from input to the new model drawn (the page's own
stamps, `performance.now()`): a memory hit with speculation on, a fresh job without, side by
side, with their ratio, and the load average. Writes bench/results/speculation.json.

    .venv/bin/python bench/speculation.py [--rounds 2]

Needs the built web app (`cd frontend && npm run build`) and Chromium (`make chromium`).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile

import bench_common as bc
import service_common as sc

SCRIPT = os.path.join(bc.ROOT, "frontend", "e2e", "speculation.e2e.mjs")
SCRIPT_TIMEOUT_SECONDS = 600


def run_script(url: str, speculating: bool) -> dict:
    """The e2e script's final JSON line."""
    artifacts = tempfile.mkdtemp(prefix="configurator-bench-speculation-")
    env = {**os.environ, "SPECULATION": "on" if speculating else "off"}
    done = subprocess.run(["node", SCRIPT, url, artifacts], capture_output=True, text=True, env=env,
                          timeout=SCRIPT_TIMEOUT_SECONDS)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if done.returncode != 0 or not outcome.get("ok"):
        raise RuntimeError(f"speculation.e2e.mjs failed ({artifacts}): {outcome.get('error')}\n{done.stderr[-2000:]}")
    return outcome


async def one_side(speculating: bool, attempts: int = 3) -> dict:
    """One run on a fresh server. Tried again after a failure: the web app may have been
    rebuilt under the page (its chunks renamed) by someone else on this machine."""
    for attempt in range(attempts):
        try:
            async with sc.running_service("--workers", "1") as service:
                return await asyncio.to_thread(run_script, service.url, speculating)
        except RuntimeError as error:
            if attempt == attempts - 1:
                raise
            bc.log(f"run failed, trying again: {str(error).splitlines()[0]}")
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side, alternating")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    for n in range(args.rounds):
        for side in ("on", "off"):
            bc.log(f"round {n + 1}/{args.rounds}: speculation {side}")
            runs[side].append(asyncio.run(one_side(side == "on")))
    load_after = os.getloadavg()[0]

    reports = [report for outcome in runs["on"] for report in outcome["speculation"]]
    jobs = [report["planned"] for report in reports]
    kept = [report["kept"] for report in reports]
    megabytes = [report["bytes"] / 1e6 for report in reports]
    per_model_kb = [report["bytes"] / report["kept"] / 1e3 for report in reports if report["kept"]]
    changes = {side: [change for outcome in outcomes for change in outcome["changes"]]
               for side, outcomes in runs.items()}
    hit_ms = [change["ms"] for change in changes["on"]]
    fresh_ms = [change["ms"] for change in changes["off"]]
    sources = {side: sorted({change["source"] for change in side_changes}) for side, side_changes in changes.items()}
    requests_on = sum(len(change["requests"]) for change in changes["on"])

    rows = []
    for side in ("on", "off"):
        for change in changes[side]:
            rows.append([side, change["name"], change["source"], bc.fmt(change["ms"], 1),
                         bc.fmt(change["breakdown"]["to_model"], 1), bc.fmt(change["breakdown"]["draw"], 1),
                         len(change["requests"])])
    bc.print_table("Discrete change, input → drawn (ms)",
                   ["speculation", "change", "source", "total", "to model", "draw", "requests"], rows)
    bc.print_table("Made ahead per configuration (speculation on)",
                   ["configuration", "jobs", "kept", "GLB MB"],
                   [[report["of"], report["planned"], report["kept"], bc.fmt(report["bytes"] / 1e6, 2)]
                    for report in reports])
    hit, fresh = statistics.median(hit_ms), statistics.median(fresh_ms)
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")
    summary = [
        bc.summary_row("speculative jobs per configuration (median)", statistics.median(jobs)),
        bc.summary_row("their GLBs per configuration (median)", statistics.median(megabytes), unit=" MB"),
        bc.summary_row("one speculative GLB (median)", statistics.median(per_model_kb), unit=" kB"),
        bc.summary_row("change after idle, memory hit: input → drawn p50", hit, unit=" ms"),
        bc.summary_row("same change, fresh job: input → drawn p50", fresh, unit=" ms"),
        bc.summary_row("fresh / memory hit at p50", fresh / hit),
        bc.summary_row("requests for the change with speculation", requests_on, "0", requests_on == 0),
    ]
    bc.save_results("speculation", summary, {
        "rounds": args.rounds, "load_average_1m_before": load_before, "load_average_1m_after": load_after,
        "speculative_jobs": jobs, "kept": kept, "glb_megabytes": megabytes, "glb_kb_per_model": per_model_kb,
        "memory_hit_ms": hit_ms, "fresh_job_ms": fresh_ms, "memory_hit_p50_ms": hit, "fresh_job_p50_ms": fresh,
        "fresh_over_hit_p50": fresh / hit, "sources": sources, "requests_for_changes_with_speculation": requests_on,
        "changes": changes,
    }, quick=args.rounds < 2)


if __name__ == "__main__":
    main()
