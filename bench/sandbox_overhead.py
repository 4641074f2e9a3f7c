"""The sandbox's cost: a warm job in this process (`Engine.generate`) against the same job
sent to a confined engine process (`SandboxedEngine.generate`: request over a pipe, GLB
back over a pipe, memory watch, stage hand-shakes).

The cabinet's configuration mix is run through both, alternating job by job so machine
noise hits both alike; both are warm (one warm-up job each). The GLBs must be identical.

Target: the split costs at most 2 ms at p50 (sandboxed p50 − in-process p50).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time

import bench_common as bc

TARGET_MS = 2.0


async def run(n: int) -> dict:
    with bc.quiet():
        from configurator_addon.engine.blender.generation import Engine
        from configurator_addon.engine.blender.geometry_budget import GeometryBudget
        from configurator_addon.sandbox.sandboxed_engine import SandboxedEngine
        from configurator_addon.settings import Settings

        sample = next(s for s in bc.load_samples() if s.slug == "kitchen_base_cabinet")
        var_dir = tempfile.mkdtemp(prefix="configurator-bench-")
        folder = os.path.join(var_dir, "worker-templates")
        os.makedirs(folder)
        path = shutil.copy(sample.path, folder)
        settings = Settings(var_dir=var_dir)
        local = Engine(budget=GeometryBudget(settings.geometry_limit_vertices, settings.geometry_limit_faces))
        mix = bc.config_mix(local.inspect(path).schema, sample.examples)
        sandboxed = SandboxedEngine(settings, folder)
        await sandboxed.start()
        try:
            local.generate(path, mix[0])
            await sandboxed.generate(path, mix[0])
            in_process, confined, mismatched = [], [], 0
            for i in range(n):
                config = mix[i % len(mix)]
                started = time.perf_counter()
                mine = local.generate(path, config, before_stage=lambda stage: None)
                in_process.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                theirs = await sandboxed.generate(path, config, before_stage=lambda stage: None)
                confined.append((time.perf_counter() - started) * 1000)
                mismatched += mine.glb != theirs.glb
            abi = sandboxed.sandbox_abi
        finally:
            await sandboxed.close()
            shutil.rmtree(var_dir, ignore_errors=True)
    return {"jobs": n, "configurations": len(mix), "landlock_abi": abi, "mismatched_glbs": mismatched,
            "in_process_ms": {"p50": bc.p50(in_process), "p95": bc.p95(in_process)},
            "sandboxed_ms": {"p50": bc.p50(confined), "p95": bc.p95(confined)}}


def main() -> int:
    args = bc.parse_args(__doc__)
    data = asyncio.run(run(40 if args.quick else 300))
    cost = data["sandboxed_ms"]["p50"] - data["in_process_ms"]["p50"]
    data["cost_p50_ms"] = cost
    bc.print_table("Cabinet, warm job (ms)", ["", "p50", "p95"], [
        ["in process", bc.fmt(data["in_process_ms"]["p50"], 2), bc.fmt(data["in_process_ms"]["p95"], 2)],
        ["confined engine process", bc.fmt(data["sandboxed_ms"]["p50"], 2), bc.fmt(data["sandboxed_ms"]["p95"], 2)]])
    summary = [
        bc.summary_row("sandbox split cost, cabinet p50", cost, f"<= {TARGET_MS:g} ms", cost <= TARGET_MS, " ms"),
        bc.summary_row("sandboxed / in-process p50", data["sandboxed_ms"]["p50"] / data["in_process_ms"]["p50"],
                       unit="x"),
        bc.summary_row("identical GLBs", f"{data['jobs'] - data['mismatched_glbs']}/{data['jobs']}", "all",
                       data["mismatched_glbs"] == 0),
    ]
    bc.save_results("sandbox_overhead", summary, data, quick=args.quick)
    return 0 if bc.all_passed(summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
