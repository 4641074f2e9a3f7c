"""Materials: what baking procedural finishes at publish costs, and what it does not.

- bake time per sample at publish: the publish's own child (`inspect --bake --confine`, as
  services/template_bakes.py runs it) against inspection alone (`inspect --confine`), each run
  `repeats` times alternately, side by side;
- texture bytes per sample: the packed images the bake made (what a GLB of each textured
  finish carries, before materials-delivery splits them out);
- job time p50 before/after: the exact job on a warm engine, the sample as published before
  bakes existed (procedural node setups the exporter writes as flat factors, no UVs) against
  the baked template, the same configurations alternately in one run. Target: unchanged within
  noise — nothing is baked per job.

Run: .venv/bin/python bench/materials.py [--quick]   (templates built by `make templates`)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import bench_common as bc

sys.path.insert(0, bc.ROOT)
from configurator_addon.engine.glb import split_glb  # noqa: E402
from configurator_addon.engine_process import child_command  # noqa: E402

JOB_RATIO_LIMIT = 1.15  # after/before job p50 within this counts as unchanged (the machine is shared)


def _child(args: list[str], folder: str) -> tuple[float, dict]:
    """Wall seconds and answer of one engine child (`server_entry.py`'s commands)."""
    answer = os.path.join(folder, "answer.json")
    started = time.perf_counter()
    subprocess.run(child_command([*args, "--answer", answer]), check=True, capture_output=True,
                   env={**os.environ, "CONFIGURATOR_SCRATCH_DIR": folder})
    seconds = time.perf_counter() - started
    with open(answer, encoding="utf-8") as handle:
        return seconds, json.load(handle)


def publish_costs(sample, repeats: int, scratch: str) -> dict:
    """Inspection alone and inspection + bake, alternately; the baked template's path."""
    folder = os.path.join(scratch, sample.slug)
    os.makedirs(folder, exist_ok=True)
    template = os.path.join(folder, "template.blend")
    shutil.copyfile(sample.path, template)
    inspect, baked, answer = [], [], {}
    for _ in range(repeats):
        inspect.append(_child(["inspect", template, "--confine"], folder)[0])
        seconds, answer = _child(["inspect", template, "--confine", "--bake"], folder)
        baked.append(seconds)
    bake = answer.get("bake", {"baked": [], "bake_ms": 0.0})
    return {"inspect_s": bc.p50(inspect), "inspect_and_bake_s": bc.p50(baked), "bake_ms": bake["bake_ms"],
            "materials": {b["material"]: {"resolution": b["resolution"], "ms": b["ms"],
                                          "texture_bytes": sum(b["images"].values())} for b in bake["baked"]},
            "texture_bytes": sum(sum(b["images"].values()) for b in bake["baked"]),
            "baked_path": os.path.join(folder, "baked.blend") if bake["baked"] else sample.path}


def job_times(engine, sample, baked_path: str, repeats: int) -> dict:
    """p50 of exact jobs, unbaked and baked alternately over the same configurations."""
    schema = engine.inspect(sample.path).schema
    configs = bc.config_mix(schema, sample.examples)
    versions = {path: bc.version_of(path) for path in (sample.path, baked_path)}
    for path in (sample.path, baked_path):
        engine.generate(path, {}, version=versions[path])  # loaded, evaluated and exported once: warm
    before, after, sizes = [], [], {}
    stages = {path: {"apply_ms": [], "export_ms": []} for path in (sample.path, baked_path)}
    for _ in range(repeats):
        for config in configs:
            for path, times in ((sample.path, before), (baked_path, after)):
                started = time.perf_counter()
                result = engine.generate(path, config, version=versions[path])
                times.append((time.perf_counter() - started) * 1000)
                sizes.setdefault(path, []).append(len(result.glb))
                for stage, values in stages[path].items():
                    values.append(result.timings[stage])
    default_glb = engine.generate(baked_path, {}, version=versions[baked_path]).glb
    default_images = len(split_glb(default_glb)[0].get("images", []))
    return {"before_p50_ms": bc.p50(before), "after_p50_ms": bc.p50(after),
            "ratio": bc.p50(after) / bc.p50(before), "jobs": len(before),
            "glb_bytes_before_p50": bc.p50(sizes[sample.path]), "glb_bytes_after_p50": bc.p50(sizes[baked_path]),
            "images_in_default_glb": default_images,
            # where the difference is: applying the configuration (the bake's UV projection is
            # evaluated with the geometry) and exporting (UVs, texture references, images)
            "stages_p50_ms": {side: {stage: bc.p50(values) for stage, values in stages[path].items()}
                              for side, path in (("before", sample.path), ("after", baked_path))}}


def run(quick: bool = False) -> dict:
    samples = bc.load_samples()
    repeats = 1 if quick else 3
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-materials-") as scratch:
        for sample in samples:
            bc.log(f"materials: publishing {sample.slug}")
            results[sample.slug] = publish_costs(sample, repeats, scratch)
        with bc.warm_engine() as engine:
            for sample in samples:
                bc.log(f"materials: jobs of {sample.slug}")
                results[sample.slug].update(job_times(engine, sample, results[sample.slug].pop("baked_path"),
                                                      2 if quick else 5))
    bc.print_table("Bake at publish", ["sample", "inspect s", "inspect+bake s", "bake ms", "texture bytes"],
                   [[slug, bc.fmt(r["inspect_s"], 2), bc.fmt(r["inspect_and_bake_s"], 2), bc.fmt(r["bake_ms"], 0),
                     r["texture_bytes"]] for slug, r in results.items()])
    bc.print_table("Baked materials", ["sample / material", "px", "bake ms", "texture bytes"],
                   [[f"{slug} / {name}", m["resolution"], bc.fmt(m["ms"], 0), m["texture_bytes"]]
                    for slug, r in results.items() for name, m in r["materials"].items()])
    bc.print_table("Exact job on a warm engine (p50)", ["sample", "before ms", "after ms", "after/before", "jobs",
                                                        "GLB before", "GLB after"],
                   [[slug, bc.fmt(r["before_p50_ms"]), bc.fmt(r["after_p50_ms"]), f"{r['ratio']:.2f}", r["jobs"],
                     r["glb_bytes_before_p50"], r["glb_bytes_after_p50"]] for slug, r in results.items()])
    bc.print_table("Where the job's time goes (p50 ms)", ["sample", "apply before", "apply after", "export before",
                                                          "export after"],
                   [[slug, *(bc.fmt(r["stages_p50_ms"][side][stage]) for stage in ("apply_ms", "export_ms")
                             for side in ("before", "after"))] for slug, r in results.items()])
    summary = [bc.summary_row(f"job p50 after/before [{slug}]", r["ratio"], f"<= {JOB_RATIO_LIMIT}",
                              r["ratio"] <= JOB_RATIO_LIMIT) for slug, r in results.items()]
    summary += [bc.summary_row(f"bake at publish [{slug}]", r["bake_ms"] / 1000, unit="s")
                for slug, r in results.items()]
    summary += [bc.summary_row(f"texture bytes [{slug}]", r["texture_bytes"]) for slug, r in results.items()]
    return bc.save_results("materials", summary, {"results": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
