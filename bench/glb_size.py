"""GLB size: bytes of the default configuration and of the largest catalog example, exported
without and with Draco mesh compression (`draco=True`), and how much Draco saves.

Target: none fixed; reported so a size regression (or Draco failing to engage) shows.
The summary only checks that Draco output is smaller than plain output.
"""
from __future__ import annotations

import bench_common as bc


def run(quick: bool = False) -> dict:  # sizes are deterministic: `quick` changes nothing
    samples = bc.load_samples()
    results = {}
    with bc.warm_engine() as engine:
        for sample in samples:
            bc.log(f"glb_size: {sample.slug}")
            configs = {"default": {}}
            if sample.examples:
                sizes = [len(engine.generate(sample.path, c).glb) for c in sample.examples]
                configs["largest example"] = sample.examples[sizes.index(max(sizes))]
            for label, config in configs.items():
                plain = len(engine.generate(sample.path, config).glb)
                draco = len(engine.generate(sample.path, config, draco=True).glb)
                results[f"{sample.slug} / {label}"] = {"plain_bytes": plain, "draco_bytes": draco,
                                                       "ratio": draco / plain}
    bc.print_table("GLB size (bytes)", ["sample / config", "plain", "draco", "draco/plain"],
                   [[name, r["plain_bytes"], r["draco_bytes"], f"{r['ratio']:.2f}"] for name, r in results.items()])
    summary = [bc.summary_row(f"draco/plain size [{name}]", r["ratio"], "< 1.00", r["ratio"] < 1.0)
               for name, r in results.items()]
    return bc.save_results("glb_size", summary, {"results": results}, quick=quick)


if __name__ == "__main__":
    run(bc.parse_args(__doc__).quick)
