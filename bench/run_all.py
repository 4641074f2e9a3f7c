"""Run every benchmark, each in a process of its own (Blender state never leaks from one into
the next), then print one summary: metric, measured, target, pass/fail.

`--quick` is passed on (fewer repetitions). Exit code 1 if any target is missed.
"""
from __future__ import annotations

import os
import subprocess
import sys

import bench_common as bc

BENCHMARKS = ("warm_vs_fresh", "overhead", "cache_scaling", "glb_size", "sandbox_overhead")


def main() -> int:
    args = bc.parse_args(__doc__)
    summary = []
    for name in BENCHMARKS:
        script = os.path.join(bc.ROOT, "bench", f"{name}.py")
        code = subprocess.run([bc.PYTHON, script, *(["--quick"] if args.quick else [])]).returncode
        if code != 0:
            summary.append(bc.summary_row(name, f"crashed (exit {code})", "", False))
            continue
        summary += bc.read_summary(name)
    load = os.getloadavg()[0]
    bc.print_summary(f"Summary{' (quick)' if args.quick else ''}; load average {load:.1f} on {os.cpu_count()} CPUs",
                     summary)
    return 0 if bc.all_passed(summary) else 1


if __name__ == "__main__":
    sys.exit(main())
