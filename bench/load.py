"""Load generator: N concurrent shoppers for T seconds against a real `serve --workers W`.

Shoppers (`shoppers.py`) act as the web app does for a visitor who is not logged in: the
storefront key from the served page, jobs followed over the WebSocket (polling if it fails).
Each loops: list products, open the kitchen cabinet, change its options a few times (a share
`--new-ratio` of new configurations, Blender runs them; the rest repeat completed ones, the
result cache answers them), follow each job to COMPLETED, fetch the GLB, sometimes save the
configuration and read it back. No think time: a closed loop.

All shoppers share 127.0.0.1, so the storefront's per-address and per-key limits and the
client's job submission limit would answer 429 within seconds: the service this benchmark
starts gets them raised through its environment (STOREFRONT_KEY_RATE/BURST,
STOREFRONT_IP_RATE/BURST, JOB_SUBMIT_RATE/BURST, see LIMITS). Against `--url` of a running
server the server's own limits apply: a 429 (or 503) is counted under errors by status and
the shopper waits its Retry-After (at most RETRY_AFTER_MAX_SECONDS) before going on.

Prints, per endpoint: count, errors by status, p50/p95/p99 ms; jobs/s completed; the share of
submissions answered from the cache; the load average during the run.
Writes bench/results/load.json.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

import bench_common as bc
import service_common as sc
from shoppers import ENDPOINTS, LABELS, LIMITS, Configs, Stats, shop, storefront_key, warm_up


async def sample_load(samples: list[float], every: float = 1.0) -> None:
    while True:
        samples.append(os.getloadavg()[0])
        await asyncio.sleep(every)


async def measure(url: str, admin_key: str, args) -> dict:
    cabinet, warm = await warm_up(url, admin_key, args.workers)
    schema = cabinet["config_schema"]
    key = await storefront_key(url)
    bc.log(f"storefront key {key[:10]}…; {args.shoppers} shoppers for {args.seconds} s, new ratio {args.new_ratio}")
    configs, stats = Configs(schema, warm), Stats()
    loads: list[float] = []
    sampler = asyncio.create_task(sample_load(loads))
    elapsed = await shop(url, key, cabinet["id"], configs, stats, shoppers=args.shoppers, seconds=args.seconds,
                         new_ratio=args.new_ratio)
    sampler.cancel()
    return {"stats": stats, "exhausted": configs.exhausted, "elapsed_s": elapsed, "loads": loads}


def report(args, result: dict, target: str) -> dict:
    stats, elapsed = result["stats"], result["elapsed_s"]
    endpoints = {}
    rows = []
    for name, label in LABELS.items():
        values, errors = stats.latencies.get(name, []), dict(stats.errors.get(name, {}))
        if name == "job_poll" and not values and not errors:
            continue
        entry = {"count": len(values) + sum(v for k, v in errors.items() if not k.startswith("ws:")),
                 "ok": len(values), "errors": errors,
                 "p50_ms": bc.percentile(values, 50), "p95_ms": bc.percentile(values, 95),
                 "p99_ms": bc.percentile(values, 99), "max_ms": max(values, default=float("nan"))}
        endpoints[label] = entry
        shown = ", ".join(f"{k}×{v}" for k, v in sorted(errors.items())) or "—"
        rows.append([label, entry["count"], shown, entry["p50_ms"], entry["p95_ms"], entry["p99_ms"]])
    fresh_per_s = len(stats.latencies["job"]) / elapsed
    jobs_per_s = fresh_per_s + len(stats.latencies["cached"]) / elapsed
    cache_share = stats.cached / stats.submitted if stats.submitted else float("nan")
    loads = result["loads"] or [float("nan")]
    load = {"mean": sum(loads) / len(loads), "max": max(loads), "end": loads[-1]}
    bc.print_table(f"{args.shoppers} shoppers for {elapsed:.0f} s against {target} (ms)",
                   ["endpoint", "count", "errors by status", "p50", "p95", "p99"], rows)
    bc.print_table("Jobs", ["jobs/s completed", "of which followed/s", "submitted", "new asked",
                            "answered from cache", "repeats missed", "load avg 1m mean/max"],
                   [[jobs_per_s, fresh_per_s, stats.submitted, stats.new, f"{cache_share:.0%}",
                     stats.repeats - stats.cached,
                     f"{load['mean']:.2f}/{load['max']:.2f}"]])
    if stats.five_xx:
        print("5xx answers seen:\n  " + "\n  ".join(stats.five_xx), flush=True)
    list_p99 = endpoints[ENDPOINTS["list"]]["p99_ms"]
    five_xx = sum(v for e in stats.errors.values() for k, v in e.items() if k.isdigit() and int(k) >= 500)
    summary = [
        bc.summary_row("p99 GET /api/v1/products under load", list_p99, unit=" ms"),
        bc.summary_row("p99 job followed to COMPLETED under load", endpoints[ENDPOINTS["job"]]["p99_ms"], unit=" ms"),
        bc.summary_row("jobs/s completed under load", jobs_per_s),
        bc.summary_row("submissions answered from the cache", f"{cache_share:.0%}"),
        bc.summary_row("5xx answers under load", str(five_xx)),
    ]
    data = {"target": target, "shoppers": args.shoppers, "seconds": args.seconds, "elapsed_s": elapsed,
            "workers": args.workers, "new_ratio": args.new_ratio, "limits_raised": LIMITS if not args.url else None,
            "endpoints": endpoints, "jobs_completed": len(stats.completed), "jobs_per_s": jobs_per_s,
            "followed_jobs_per_s": fresh_per_s, "submitted": stats.submitted, "new_asked": stats.new,
            "repeats_asked": stats.repeats,
            # a repeat that was not a cache hit (the new-ratio share is of what is asked; the cache share is measured)
            "repeats_not_from_cache": stats.repeats - stats.cached,
            "repeats_not_from_cache_examples": stats.missed,
            "new_configurations_exhausted": result["exhausted"], "answered_from_cache": stats.cached,
            "cache_share": cache_share,
            "five_xx": stats.five_xx, "load_average_1m_during": load}
    return bc.save_results("load", summary, data, quick=args.quick, digits=2)


async def run(args) -> dict:
    if args.url:
        return report(args, await measure(args.url.rstrip("/"), args.key, args), args.url)
    async with sc.running_service("--workers", str(args.workers), env=LIMITS) as service:
        result = await measure(service.url, service.admin_key(), args)
        tail = service.log_tail(200_000)
    errors = [line for line in tail.splitlines() if '"level": "error"' in line or "Traceback" in line]
    if errors:
        bc.log(f"server log: {len(errors)} error lines, e.g. {errors[0][:300]}")
    return report(args, result, f"serve --workers {args.workers}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=8, help="concurrent shoppers (default 8)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they shop (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers W (default 2)")
    parser.add_argument("--new-ratio", type=float, default=0.3, help="share of new configurations (default 0.3)")
    parser.add_argument("--quick", action="store_true", help="4 shoppers for 15 s")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--key", help="with --url: an admin secret key (sk_…) of the client that owns the cabinet")
    args = parser.parse_args()
    if args.quick:
        args.shoppers, args.seconds = 4, 15
    if args.url and not args.key:
        parser.error("--url needs --key sk_…")
    return args


def main() -> int:
    args = parse_args()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
