"""Morph GLBs: time and size of a morph GLB against the exact GLB of the same configuration,
for each sample, and the morph ranges found per number parameter at the defaults.

Exact and morph jobs run warm in one engine, side by side in the same rounds: each round
generates every configuration (defaults and the catalog examples) exactly, then every one as
a morph GLB, so each job starts from another configuration (as a new job does) and both
kinds see the same machine load. Figures are medians over the rounds; the ratio is the
one to quote (the machine is shared: see the load average in the results file).

Target (issue 11): a morph GLB costs at most 4× the exact job for the cabinet.

CPU time (the engine process's, all threads) is recorded beside wall time: on a shared
machine the wall-time ratio moves by ±15 % from run to run with the others' load, the CPU
ratio much less.
"""
from __future__ import annotations

import statistics
import time

import bench_common as bc

CABINET = "kitchen_base_cabinet"
TARGET_RATIO = 4.0


def _timed(engine, path: str, version: str, config: dict, morph: bool):
    started, cpu = time.perf_counter(), time.process_time()
    result = engine.generate(path, config, morph=morph, version=version)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


def run(quick: bool = False) -> dict:
    rounds = 3 if quick else 9
    samples = bc.load_samples(baked=True)  # as a publish serves them: textured finishes
    results = {}
    with bc.warm_engine() as engine:
        for sample in samples:
            bc.log(f"morph: {sample.slug}")
            configs = [{}, *sample.examples]
            version = bc.version_of(sample.path)
            engine.generate(sample.path, {}, version=version)  # loaded and warm before anything is timed
            exact_ms, morph_ms, exact_bytes, morph_bytes, evaluations = [], [], [], [], []
            exact_cpu, morph_cpu = [], []
            for _ in range(rounds):
                for config in configs:
                    elapsed, cpu, result = _timed(engine, sample.path, version, config, morph=False)
                    exact_ms.append(elapsed)
                    exact_cpu.append(cpu)
                    exact_bytes.append(len(result.glb))
                for config in configs:
                    elapsed, cpu, result = _timed(engine, sample.path, version, config, morph=True)
                    morph_ms.append(elapsed)
                    morph_cpu.append(cpu)
                    morph_bytes.append(len(result.glb))
                    evaluations.append(result.morph["evaluations"])
            at_defaults = engine.generate(sample.path, {}, morph=True, version=version).morph
            exact, morph = statistics.median(exact_ms), statistics.median(morph_ms)
            results[sample.slug] = {
                "exact_ms_p50": exact, "morph_ms_p50": morph, "time_ratio": morph / exact,
                "exact_cpu_ms_p50": statistics.median(exact_cpu), "morph_cpu_ms_p50": statistics.median(morph_cpu),
                "cpu_ratio": statistics.median(morph_cpu) / statistics.median(exact_cpu),
                "exact_bytes_mean": statistics.mean(exact_bytes), "morph_bytes_mean": statistics.mean(morph_bytes),
                "size_ratio": statistics.mean(morph_bytes) / statistics.mean(exact_bytes),
                "evaluations_p50": statistics.median(evaluations), "evaluations_max": max(evaluations),
                "ranges_at_defaults": at_defaults["ranges"], "notes_at_defaults": at_defaults["notes"],
                "configurations": len(configs), "rounds": rounds,
            }
    bc.print_table("Morph GLB vs exact GLB (warm, median)",
                   ["sample", "exact ms", "morph ms", "morph/exact", "CPU ratio", "exact KB", "morph KB",
                    "size ratio", "probes"],
                   [[slug, bc.fmt(r["exact_ms_p50"]), bc.fmt(r["morph_ms_p50"]), f"{r['time_ratio']:.2f}",
                     f"{r['cpu_ratio']:.2f}",
                     bc.fmt(r["exact_bytes_mean"] / 1024), bc.fmt(r["morph_bytes_mean"] / 1024),
                     f"{r['size_ratio']:.2f}", bc.fmt(r["evaluations_p50"], 0)] for slug, r in results.items()])
    bc.print_table("Morph ranges at the defaults",
                   ["sample", "parameter", "value", "min", "max"],
                   [[slug, key, f"{found['value']:.4g}", f"{found['min']:.4g}", f"{found['max']:.4g}"]
                    for slug, r in results.items() for key, found in r["ranges_at_defaults"].items()])
    summary = []
    for slug, r in results.items():
        target = f"≤ {TARGET_RATIO:g}" if slug == CABINET else "—"
        passed = r["time_ratio"] <= TARGET_RATIO if slug == CABINET else None
        summary.append(bc.summary_row(f"morph/exact time [{slug}]", r["time_ratio"], target, passed))
        summary.append(bc.summary_row(f"morph/exact CPU time [{slug}]", r["cpu_ratio"]))
        summary.append(bc.summary_row(f"morph/exact size [{slug}]", r["size_ratio"]))
    return bc.save_results("morph", summary, {"results": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
