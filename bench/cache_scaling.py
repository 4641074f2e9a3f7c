"""Cache scaling: does a warm job slow down when the cache holds more templates?

Per sample: load it alone (cache of 1) and time warm jobs over its configuration mix; load 9
more template versions (the catalog's files in turn, each under its own `bench-C-N` version,
so the cache holds 10 entries and bpy.data ten templates' datablocks) and time the same
jobs again. The two states alternate several times (clear the cache, reload) so the machine's
drift hits both. "10/1" compares the pooled p50s; "paired" is the median of per-job ratios
(same configuration, same alternation), less sensitive to noise and to the mix's spread.

Target: warm job p50 with 10 cached within 10% of the p50 with 1 cached (ratio <= 1.10).
"""
from __future__ import annotations

import time

import bench_common as bc

TARGET_RATIO = 1.10
CACHED = 10


def time_jobs(engine, sample: bc.Sample, version: str, mix: list[dict], rounds: int) -> list[float]:
    for config in mix:  # warm-up after the load
        engine.generate(sample.path, config, version=version)
    times = []
    for _ in range(rounds):
        for config in mix:
            started = time.perf_counter()
            engine.generate(sample.path, config, version=version)
            times.append((time.perf_counter() - started) * 1000)
    return times


def bench_sample(engine, sample: bc.Sample, samples: list[bc.Sample], cycles: int, rounds: int) -> dict:
    alone, crowded, paired, mix = [], [], [], None
    for cycle in range(cycles):
        engine.cache.clear()
        version = f"bench-{cycle}-0"
        mix = mix or bc.config_mix(engine.inspect(sample.path, version=version).schema, sample.examples)
        one = time_jobs(engine, sample, version, mix, rounds)
        for i in range(1, CACHED):
            engine.inspect(samples[i % len(samples)].path, version=f"bench-{cycle}-{i}")
        assert len(engine.cache) == CACHED, f"cache holds {len(engine.cache)} entries, expected {CACHED}"
        ten = time_jobs(engine, sample, version, mix, rounds)
        alone += one
        crowded += ten
        paired += [b / a for a, b in zip(one, ten, strict=True)]  # same configuration, same cycle
    engine.cache.clear()
    return {
        "configs": len(mix), "jobs_per_state": len(alone), "cached": CACHED,
        "p50_1_ms": bc.p50(alone), "p95_1_ms": bc.p95(alone),
        "p50_10_ms": bc.p50(crowded), "p95_10_ms": bc.p95(crowded),
        "ratio_p50": bc.p50(crowded) / bc.p50(alone),
        "paired_ratio_p50": bc.p50(paired),
    }


def run(quick: bool = False) -> dict:
    samples = bc.load_samples()
    cycles, rounds = (4, 1) if quick else (8, 2)
    results = {}
    with bc.quiet():
        from configurator_addon.engine.blender.generation import Engine

        engine = Engine()
        for sample in samples:
            bc.log(f"cache_scaling: {sample.slug}")
            results[sample.slug] = bench_sample(engine, sample, samples, cycles, rounds)
    bc.print_table(
        f"Warm job with 1 vs {CACHED} cached templates (ms; {cycles} alternations x {rounds} rounds of the mix)",
        ["sample", "configs", "jobs/state", "p50 1 cached", f"p50 {CACHED} cached", "p95 1", f"p95 {CACHED}",
         f"{CACHED}/1", "paired"],
        [[slug, r["configs"], r["jobs_per_state"], r["p50_1_ms"], r["p50_10_ms"], r["p95_1_ms"], r["p95_10_ms"],
          f"{r['ratio_p50']:.2f}x", f"{r['paired_ratio_p50']:.2f}x"] for slug, r in results.items()])
    summary = [bc.summary_row(f"{CACHED} vs 1 cached p50 [{slug}]", r["ratio_p50"], f"<= {TARGET_RATIO:.2f}x",
                              r["ratio_p50"] <= TARGET_RATIO, "x") for slug, r in results.items()]
    return bc.save_results("cache_scaling", summary, {"samples": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
