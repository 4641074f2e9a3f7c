"""Slider input → morphed frame drawn, beside input → exact model drawn, in headless Chromium
against a real `serve --workers 1` with its seeded samples, in one run.

Runs `frontend/e2e/morph.e2e.mjs` (the test of tests/test_morph_browser.py) with MORPH_TYPED
set: the kitchen cabinet's width slider is dragged from 60 to 85 cm with the mouse (each move
drawn morphed, no request), then widths new to the server are typed into the numeric field
one after another, each drawn morphed at once and then exact when its GLB arrives. Both
figures are the page's own timings: from the input event (`performance.now()` as the value
changes) to the frame that shows the result drawn (the viewer reads one pixel back, so the GPU
has finished it). The exact path is today's: job, WebSocket, GLB download, parse, draw, with
the background morph job of the width before finished first (the worker is free), so the
figure is not a morph job's queue time. Chromium draws with SwiftShader (software WebGL) here.

Prints p50/p95 of each path and their ratio; writes bench/results/morph_browser.json.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess

import bench_common as bc
import service_common as sc

SCRIPT = os.path.join(bc.ROOT, "frontend", "e2e", "morph.e2e.mjs")
TYPED_FULL = 24
TYPED_QUICK = 6


def run_script(url: str, typed: int, artifacts: str) -> dict:
    done = subprocess.run(["node", SCRIPT, url, artifacts], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "MORPH_TYPED": str(typed), "E2E_TIMEOUT_MS": "180000"})
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if done.returncode != 0 or not outcome.get("ok"):
        raise SystemExit(f"morph.e2e.mjs failed: {outcome.get('error')}\n{done.stderr[-3000:]}")
    return outcome


async def measure(typed: int) -> dict:
    async with sc.running_service("--workers", "1") as service:
        load_before = os.getloadavg()[0]
        outcome = await asyncio.to_thread(run_script, service.url, typed,
                                          os.path.join(service.var_dir, "morph-browser-artifacts"))
        return {"outcome": outcome, "load_before": load_before, "load_after": os.getloadavg()[0]}


def main() -> None:
    args = bc.parse_args(__doc__)
    typed = TYPED_QUICK if args.quick else TYPED_FULL
    measured = asyncio.run(measure(typed))
    outcome = measured["outcome"]
    steps = {step["name"]: step for step in outcome["steps"]}
    drag = next(step for name, step in steps.items() if name.startswith("drag width"))
    typed_rows = next(step for name, step in steps.items() if name.endswith("morphed then exact"))["typed"]
    morph_all = outcome["morph_ms"]  # the drag's frames, then the typed widths' morphed frames
    morph_typed = [row["morph_ms"] for row in typed_rows if row["morph_ms"] is not None]
    morph_drag = morph_all[:len(morph_all) - len(morph_typed)]
    exact = outcome["exact_ms"]
    paths = {
        "morphed (drag and typed)": morph_all,
        "morphed (slider drag)": morph_drag,
        "morphed (typed)": morph_typed,
        "exact GLB (typed)": exact,
        "drag: input → pose set (part of the morphed frame)": outcome.get("pose_ms", []),
    }
    bc.print_table("input → frame drawn (ms, Chromium, software WebGL)", ["path", "n", "p50", "p95"],
                   [[name, len(v), bc.fmt(bc.p50(v)), bc.fmt(bc.p95(v))] for name, v in paths.items()])
    ratio = bc.p50(exact) / bc.p50(morph_all)
    summary = [
        bc.summary_row("input → morphed frame p50", bc.p50(morph_all), unit=" ms"),
        bc.summary_row("input → morphed frame p95", bc.p95(morph_all), unit=" ms"),
        bc.summary_row("input → exact model p50", bc.p50(exact), unit=" ms"),
        bc.summary_row("input → exact model p95", bc.p95(exact), unit=" ms"),
        bc.summary_row("exact / morphed (p50)", ratio, unit="x"),
        bc.summary_row("requests during the drag", drag["requests"], "0", drag["requests"] == 0),
    ]
    bc.save_results("morph_browser", summary, {
        "paths": {name: {"n": len(v), "p50_ms": bc.p50(v), "p95_ms": bc.p95(v), "samples_ms": v}
                  for name, v in paths.items()},
        "exact_over_morph_p50": ratio,
        "drag": {k: drag[k] for k in ("moves", "values", "frames_drawn", "requests")},
        "typed": typed_rows,
        "load_average_before": measured["load_before"],
        "load_average_after": measured["load_after"],
    }, quick=args.quick)


if __name__ == "__main__":
    main()
