"""Run every benchmark, each in a process of its own (Blender state never leaks from one into
the next), then print one summary: metric, measured, target, pass/fail.

`--quick` is passed on (fewer repetitions). Exit code 1 if any target is missed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import bench_common as bc

BENCHMARKS = ("warm_vs_fresh", "overhead", "cache_scaling", "glb_size")


def main() -> int:
    args = bc.parse_args(__doc__)
    rows = []
    for name in BENCHMARKS:
        script = os.path.join(bc.ROOT, "bench", f"{name}.py")
        code = subprocess.run([bc.PYTHON, script, *(["--quick"] if args.quick else [])]).returncode
        if code != 0:
            rows.append([name, f"crashed (exit {code})", "", "FAIL"])
            continue
        with open(os.path.join(bc.RESULTS_DIR, f"{name}.json"), encoding="utf-8") as handle:
            summary = json.load(handle)["summary"]
        rows += [[r["metric"], r["measured"], r["target"], "pass" if r["pass"] else "FAIL"] for r in summary]
    load = os.getloadavg()[0]
    bc.print_table(f"Summary{' (quick)' if args.quick else ''}; load average {load:.1f} on {os.cpu_count()} CPUs",
                   ["metric", "measured", "target", "result"], rows)
    return 0 if all(row[3] == "pass" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
