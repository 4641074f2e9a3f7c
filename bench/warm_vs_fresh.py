"""Warm vs fresh: why Configurator keeps Blender running.

Per sample template, a mix of configurations (defaults, bounds, every option, the catalog's
examples) is generated (a) warm, in this process, by `Engine.generate` after one warm-up
load, and (b) fresh, one `server_entry.py generate` process per job, timed as the whole
process's wall clock. The two alternate so machine noise hits both. Also reported: the warm
process's one-time costs (template load + inspection, and the first job, which pays the
exporter's first run) and the fresh process's own in-process total_ms (the rest of its wall
clock is interpreter start and `import bpy`). Also checks that the
fresh and warm GLBs of the same configuration are byte-identical (a warm engine must not
carry state from one job to the next).

Target: fresh p50 / warm p50 >= 25x for every sample.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

import bench_common as bc

TARGET_RATIO = 25.0


def fresh_job(path: str, config: dict, out: str) -> tuple[float, dict, bytes]:
    """Wall-clock ms of one CLI process, its reported timings, and its GLB."""
    started = time.perf_counter()
    proc = subprocess.run([bc.PYTHON, bc.SERVER_ENTRY, "generate", path, "--config", json.dumps(config), "-o", out],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    wall_ms = (time.perf_counter() - started) * 1000
    with open(out, "rb") as handle:
        return wall_ms, json.loads(proc.stdout)["timings"], handle.read()


def bench_sample(engine, sample: bc.Sample, version: str, n_warm: int, n_fresh: int, scratch: str) -> dict:
    started = time.perf_counter()
    mix = bc.config_mix(engine.inspect(sample.path, version=version).schema, sample.examples)
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    engine.generate(sample.path, mix[0], version=version)  # warm-up (the exporter's first run is slow)
    first_ms = (time.perf_counter() - started) * 1000
    warm_ms, warm_glb, fresh_ms, fresh_inner, mismatched = [], {}, [], [], []
    per_block = n_warm // n_fresh
    job = 0
    for i in range(n_fresh):
        for _ in range(per_block if i < n_fresh - 1 else n_warm - job):
            config = mix[job % len(mix)]
            started = time.perf_counter()
            result = engine.generate(sample.path, config, version=version)
            warm_ms.append((time.perf_counter() - started) * 1000)
            warm_glb[bc.canonical_json(config)] = result.glb
            job += 1
        config = mix[i % len(mix)]
        wall, timings, glb = fresh_job(sample.path, config, os.path.join(scratch, "fresh.glb"))
        fresh_ms.append(wall)
        fresh_inner.append(timings["total_ms"])
        warm = warm_glb.get(bc.canonical_json(config))
        if warm is not None and warm != glb:
            mismatched.append(config)
    return {
        "configs": len(mix), "warm_jobs": len(warm_ms), "fresh_jobs": len(fresh_ms),
        "warm_p50_ms": bc.p50(warm_ms), "warm_p95_ms": bc.p95(warm_ms),
        "fresh_p50_ms": bc.p50(fresh_ms), "fresh_p95_ms": bc.p95(fresh_ms),
        "fresh_in_process_p50_ms": bc.p50(fresh_inner),
        "load_ms": load_ms, "first_job_ms": first_ms,
        "ratio_p50": bc.p50(fresh_ms) / bc.p50(warm_ms),
        "glb_mismatches": mismatched,
    }


def run(quick: bool = False) -> dict:
    samples = bc.load_samples()
    n_warm, n_fresh = (24, 4) if quick else (60, 10)
    results = {}
    with bc.quiet(), tempfile.TemporaryDirectory() as scratch:
        from configurator_addon.engine.blender.generation import Engine
        from configurator_addon.engine.result_keys import template_version

        engine = Engine()
        for sample in samples:
            bc.log(f"warm_vs_fresh: {sample.slug}")
            with open(sample.path, "rb") as handle:  # the version a worker has from the database
                version = template_version(handle.read())
            results[sample.slug] = bench_sample(engine, sample, version, n_warm, n_fresh, scratch)
        engine.cache.clear()
    bc.print_table(
        f"Warm vs fresh process per job (ms; {n_warm} warm / {n_fresh} fresh jobs per sample, interleaved)",
        ["sample", "configs", "load", "1st job", "warm p50", "warm p95", "fresh p50", "fresh p95",
         "fresh in-proc p50", "fresh/warm", "GLB diffs"],
        [[slug, r["configs"], r["load_ms"], r["first_job_ms"], r["warm_p50_ms"], r["warm_p95_ms"],
          r["fresh_p50_ms"], r["fresh_p95_ms"], r["fresh_in_process_p50_ms"], f"{r['ratio_p50']:.1f}x",
          len(r["glb_mismatches"])]
         for slug, r in results.items()])
    summary = [bc.summary_row(f"fresh/warm p50 [{slug}]", r["ratio_p50"], f">= {TARGET_RATIO:g}x",
                              r["ratio_p50"] >= TARGET_RATIO, "x") for slug, r in results.items()]
    summary += [bc.summary_row(f"fresh GLB == warm GLB [{slug}]", len(r["glb_mismatches"]), "0 diffs",
                               not r["glb_mismatches"]) for slug, r in results.items()]
    return bc.save_results("warm_vs_fresh", summary, {"samples": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
