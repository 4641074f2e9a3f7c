"""USDZ for AR: size and export time of each sample's USDZ beside its GLB, same configurations.

GLB and USDZ jobs run warm in one engine, side by side in the same rounds: each round
generates every configuration (defaults and the catalog examples) as a GLB, then every one as
a USDZ, so each job starts from another configuration (as a new job does) and both kinds see
the same machine load. The samples are the baked ones a publish serves (textured finishes).
Export time is the engine's own `export_ms` (the exporter and what
this project does around it: for a USDZ, hiding unchosen variants for render, authored names,
Geometry Nodes' materials given slots, and the package read back); job time is `total_ms`.
Figures are medians over the rounds; the ratios are the ones to quote (the machine is
shared: see the load average in the results file).
"""
from __future__ import annotations

import statistics

import bench_common as bc


def run(quick: bool = False) -> dict:
    rounds = 3 if quick else 9
    samples = bc.load_samples(baked=True)  # as shoppers get them: finishes baked into textures
    results = {}
    with bc.warm_engine() as engine:
        for sample in samples:
            bc.log(f"usdz: {sample.slug}")
            configs = [{}, *sample.examples]
            engine.generate(sample.path, {})  # loaded and warm before anything is timed
            engine.generate(sample.path, {}, file_format="usdz")
            found = {kind: {"export_ms": [], "total_ms": [], "bytes": []} for kind in ("glb", "usdz")}
            for _ in range(rounds):
                for kind in ("glb", "usdz"):
                    for config in configs:
                        result = engine.generate(sample.path, config, file_format=kind)
                        found[kind]["export_ms"].append(result.timings["export_ms"])
                        found[kind]["total_ms"].append(result.timings["total_ms"])
                        found[kind]["bytes"].append(len(result.glb))
            row = {"configurations": len(configs), "rounds": rounds}
            for kind, figures in found.items():
                row[f"{kind}_export_ms_p50"] = statistics.median(figures["export_ms"])
                row[f"{kind}_export_ms_max"] = max(figures["export_ms"])
                row[f"{kind}_total_ms_p50"] = statistics.median(figures["total_ms"])
                row[f"{kind}_bytes_mean"] = statistics.mean(figures["bytes"])
                row[f"{kind}_bytes_max"] = max(figures["bytes"])
            row["export_ratio"] = row["usdz_export_ms_p50"] / row["glb_export_ms_p50"]
            row["size_ratio"] = row["usdz_bytes_mean"] / row["glb_bytes_mean"]
            results[sample.slug] = row
    bc.print_table("USDZ vs GLB (warm, median export time; mean size)",
                   ["sample", "GLB export ms", "USDZ export ms", "USDZ/GLB time", "GLB KB", "USDZ KB",
                    "USDZ/GLB size", "USDZ job ms"],
                   [[slug, bc.fmt(r["glb_export_ms_p50"]), bc.fmt(r["usdz_export_ms_p50"]), f"{r['export_ratio']:.2f}",
                     bc.fmt(r["glb_bytes_mean"] / 1024), bc.fmt(r["usdz_bytes_mean"] / 1024),
                     f"{r['size_ratio']:.2f}", bc.fmt(r["usdz_total_ms_p50"])] for slug, r in results.items()])
    summary = []
    for slug, r in results.items():
        summary.append(bc.summary_row(f"USDZ export time [{slug}]", r["usdz_export_ms_p50"], unit="ms"))
        summary.append(bc.summary_row(f"USDZ size [{slug}]", r["usdz_bytes_mean"] / 1024, unit="KB"))
        summary.append(bc.summary_row(f"USDZ/GLB export time [{slug}]", r["export_ratio"]))
        summary.append(bc.summary_row(f"USDZ/GLB size [{slug}]", r["size_ratio"]))
    return bc.save_results("usdz", summary, {"results": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
