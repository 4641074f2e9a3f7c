"""Run the service benchmarks (`service_latency`, `service_throughput`, `service_api`,
`service_hostile`), each in a process of its own, then print one summary: metric, measured, target, pass/fail
("info" where there is no target). Each writes bench/results/service_<name>.json.

`--quick` is passed on (fewer jobs and requests). Exit code 1 if any target is missed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import bench_common as bc

BENCHMARKS = ("service_latency", "service_throughput", "service_api", "service_hostile")
TIMEOUT_SECONDS = 1800


def run_bounded(command: list[str]):
    """Exit code, or "timeout": past the limit, SIGINT lets the script stop its server first."""
    process = subprocess.Popen(command)
    try:
        return process.wait(TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return "timeout"


def main() -> int:
    args = bc.parse_args(__doc__)
    summary = []
    for name in BENCHMARKS:
        script = os.path.join(bc.ROOT, "bench", f"{name}.py")
        code = run_bounded([bc.PYTHON, script, *(["--quick"] if args.quick else [])])
        if code != 0:
            summary.append(bc.summary_row(name, f"crashed (exit {code})", "", False))
            continue
        summary += bc.read_summary(name)
    load = os.getloadavg()[0]
    bc.print_summary(f"Service summary{' (quick)' if args.quick else ''}; load average {load:.1f} on "
                     f"{os.cpu_count()} CPUs", summary)
    return 0 if bc.all_passed(summary) else 1


if __name__ == "__main__":
    sys.exit(main())
