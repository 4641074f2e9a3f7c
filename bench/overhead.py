"""Engine overhead: a full warm job vs the bare exporter call on the same scene.

Per sample, in one warm process: for each configuration of the mix, time a whole job
(`Engine.generate`: validate, apply, depsgraph update, export, rename), then at once time
`exporting.export_scene_glb` on the scene the job just configured (nothing changed since).
The difference is what the engine adds around the exporter. Jobs pass the template version
explicitly, as a worker does (it has it from the database); the CLI's `version=None` also
hashes the whole .blend per job, reported separately as "hash ms". "apply unchanged" is the
apply stage of a job that repeats the previous job's configuration: nothing to change, so it
should cost next to nothing.

Target: job p50 / bare p50 <= 1.5x. Also writes a cProfile (top 15 by cumulative time, and
by own time) of 20 warm jobs of the slowest sample to results/overhead_profile.txt.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import time

import bench_common as bc

TARGET_RATIO = 1.5
PROFILE_JOBS = 20


def bench_sample(engine, sample: bc.Sample, version: str, rounds: int) -> dict:
    from configurator_addon.engine.blender.exporting import export_scene_glb
    from configurator_addon.engine.result_keys import template_version

    mix = bc.config_mix(engine.inspect(sample.path, version=version).schema, sample.examples)
    entry, _ = engine.cache.get(version, sample.path)
    for config in mix:  # warm-up: every configuration evaluated and exported once
        engine.generate(sample.path, config, version=version)
    job_ms, bare_ms, apply_ms, export_ms, rerun_apply_ms = [], [], [], [], []
    for _ in range(rounds):
        for config in mix:
            started = time.perf_counter()
            result = engine.generate(sample.path, config, version=version)
            job_ms.append((time.perf_counter() - started) * 1000)
            apply_ms.append(result.timings["apply_ms"])
            export_ms.append(result.timings["export_ms"])
            started = time.perf_counter()
            export_scene_glb(entry.loaded.scene, draco=False, names=entry.loaded.exported_name_map(),
                             scene_name=entry.inspection.product_name)
            bare_ms.append((time.perf_counter() - started) * 1000)
            rerun_apply_ms.append(engine.generate(sample.path, config, version=version).timings["apply_ms"])
    hash_ms = []
    for _ in range(5):  # what `generate(version=None)` adds per job: read and hash the .blend
        started = time.perf_counter()
        with open(sample.path, "rb") as handle:
            template_version(handle.read())
        hash_ms.append((time.perf_counter() - started) * 1000)
    return {
        "configs": len(mix), "jobs": len(job_ms),
        "job_p50_ms": bc.p50(job_ms), "job_p95_ms": bc.p95(job_ms),
        "bare_p50_ms": bc.p50(bare_ms), "bare_p95_ms": bc.p95(bare_ms),
        "apply_p50_ms": bc.p50(apply_ms), "export_p50_ms": bc.p50(export_ms),
        "apply_unchanged_p50_ms": bc.p50(rerun_apply_ms),
        "apply_share": sum(apply_ms) / sum(job_ms),
        "ratio_p50": bc.p50(job_ms) / bc.p50(bare_ms),
        "hash_ms": bc.p50(hash_ms), "template_bytes": os.path.getsize(sample.path),
    }


def profile_jobs(engine, sample: bc.Sample, version: str) -> str:
    mix = bc.config_mix(engine.inspect(sample.path, version=version).schema, sample.examples)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(PROFILE_JOBS):
        engine.generate(sample.path, mix[i % len(mix)], version=version)
    profiler.disable()
    report = io.StringIO()
    report.write(f"cProfile of {PROFILE_JOBS} warm jobs of '{sample.slug}' cycling {len(mix)} configurations.\n"
                 "Time inside bpy RNA calls (view_layer.update, Object.to_mesh, Mesh.validate) counts as\n"
                 "the calling Python function's own time (tottime).\n")
    for order in ("cumulative", "tottime"):
        report.write(f"\n=== top 15 by {order} ===\n")
        stats = pstats.Stats(profiler, stream=report)
        stats.strip_dirs().sort_stats(order).print_stats(15)
    report.write("\n=== where a job's time goes (callees of generate) ===\n")
    pstats.Stats(profiler, stream=report).strip_dirs().print_callees(r"\(generate\)")
    return report.getvalue()


def run(quick: bool = False) -> dict:
    samples = bc.load_samples()
    rounds = 3 if quick else 8
    results = {}
    with bc.quiet():
        from configurator_addon.engine.blender.generation import Engine

        engine = Engine()
        versions = {s.slug: f"bench-{s.slug}" for s in samples}
        for sample in samples:
            bc.log(f"overhead: {sample.slug}")
            results[sample.slug] = bench_sample(engine, sample, versions[sample.slug], rounds)
        slowest = max(samples, key=lambda s: results[s.slug]["job_p50_ms"])
        bc.log(f"overhead: profiling {slowest.slug}")
        profile = profile_jobs(engine, slowest, versions[slowest.slug])
        engine.cache.clear()
    os.makedirs(bc.RESULTS_DIR, exist_ok=True)
    profile_path = os.path.join(bc.RESULTS_DIR, "overhead_profile.txt")
    with open(profile_path, "w", encoding="utf-8") as handle:
        handle.write(profile)
    bc.print_table(
        f"Warm job vs bare export_scene_glb (ms; {rounds} rounds of the mix per sample)",
        ["sample", "configs", "job p50", "job p95", "bare p50", "bare p95", "apply p50", "export p50",
         "apply share", "job/bare", "apply p50 unchanged", "hash ms"],
        [[slug, r["configs"], r["job_p50_ms"], r["job_p95_ms"], r["bare_p50_ms"], r["bare_p95_ms"],
          r["apply_p50_ms"], r["export_p50_ms"], f"{r['apply_share']:.0%}", f"{r['ratio_p50']:.2f}x",
          r["apply_unchanged_p50_ms"], r["hash_ms"]] for slug, r in results.items()])
    print(f"\nProfile of {PROFILE_JOBS} jobs of '{slowest.slug}': {os.path.relpath(profile_path, bc.ROOT)}")
    summary = [bc.summary_row(f"job/bare export p50 [{slug}]", r["ratio_p50"], f"<= {TARGET_RATIO:g}x",
                              r["ratio_p50"] <= TARGET_RATIO, "x") for slug, r in results.items()]
    return bc.save_results("overhead", summary, {"profiled": slowest.slug, "samples": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
