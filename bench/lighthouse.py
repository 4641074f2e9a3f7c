"""Lighthouse (mobile preset) on the catalogue (`/`) and the configurator of the kitchen cabinet,
against a real `serve --workers 1` with its seeded samples, as a shopper who is not logged in
sees them. Optionally side by side with an older commit (`--compare REF`): that commit is
checked out in a throw-away `git worktree`, its web app built there, and its own server run
the same way, so both columns come from one run on one machine state.

Each page is audited `--runs` times (median score and LCP reported); the configurator once
more with `--disable-webgl`, which takes the software WebGL renderer out of the figure and
leaves the page's own cost. Before auditing, the bench waits until every sample product has
its default GLB and its thumbnails (the server renders them in the background after seeding:
the catalogue's images and the configurator's poster), so no page is measured half-made.

Chromium runs headless, as root without its sandbox, with its background network off (the
machine is closed: an update or sync attempt would hang the audit).

Prints per page and side: performance, accessibility, best practices, SEO, LCP, bytes
transferred, requests, and whether any three.js chunk or GLB was fetched.
Writes bench/results/lighthouse.json.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import aiohttp

import bench_common as bc
import service_common as sc

LIGHTHOUSE = os.path.join(bc.ROOT, "tests", "node", "node_modules", ".bin", "lighthouse")
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-dev-shm-usage"]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PREVIEWS_TIMEOUT_SECONDS = 300
AUDIT_TIMEOUT_SECONDS = 240
TARGETS = {"/": 90, "configurator": 60, "configurator (no WebGL)": 90}
LCP_TARGET_MS = {"/": 2500}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one audit per page")
    parser.add_argument("--runs", type=int, default=3, help="audits per page (median reported)")
    parser.add_argument("--compare", metavar="REF", help="also audit this commit (e.g. HEAD~3), side by side")
    return parser.parse_args()


@contextlib.contextmanager
def worktree_of(ref: str):
    """A checkout of `ref` with its web app built and the sample templates in place."""
    place = tempfile.mkdtemp(prefix="configurator-lighthouse-")
    tree = os.path.join(place, "tree")
    subprocess.run(["git", "-C", bc.ROOT, "worktree", "add", "--detach", tree, ref], check=True,
                   capture_output=True)
    try:
        for name in os.listdir(os.path.join(bc.ROOT, "templates")):
            if name.endswith(".blend"):
                shutil.copy(os.path.join(bc.ROOT, "templates", name), os.path.join(tree, "templates", name))
        os.symlink(os.path.join(bc.ROOT, "frontend", "node_modules"), os.path.join(tree, "frontend", "node_modules"))
        bc.log(f"building the web app of {ref}")
        subprocess.run(["npm", "run", "build"], cwd=os.path.join(tree, "frontend"), check=True,
                       capture_output=True, timeout=600)
        yield tree
    finally:
        subprocess.run(["git", "-C", bc.ROOT, "worktree", "remove", "--force", tree], capture_output=True)
        shutil.rmtree(place, ignore_errors=True)


async def storefront_key(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url + "/") as response:
        page = await response.text()
    marker = 'name="configurator-storefront-key" content="'
    if marker not in page:
        raise RuntimeError(f"no storefront key in the page at {url}/: is the web app built?")
    return page.split(marker, 1)[1].split('"', 1)[0]


async def wait_for_previews(url: str) -> list[dict]:
    """The catalogue once every product has its default GLB and its thumbnails (the card's
    image and the configurator's poster)."""
    key = await storefront_key(url)
    headers = {"Authorization": f"Bearer {key}", "Origin": url}
    deadline = time.monotonic() + PREVIEWS_TIMEOUT_SECONDS
    async with aiohttp.ClientSession(headers=headers) as session:
        while time.monotonic() < deadline:
            async with session.get(url + "/api/v1/products?limit=60") as response:
                items = (await response.json())["items"] if response.status == 200 else []
            if items and all(p.get("preview_url") and p.get("thumbnails") for p in items):
                return items
            await asyncio.sleep(1)
    raise RuntimeError(f"the products had no thumbnails after {PREVIEWS_TIMEOUT_SECONDS} s")


def audit(url: str, extra_flags: list[str], attempts: int = 3) -> dict:
    """One Lighthouse run (mobile preset, the default) of `url`: the figures we report. A run
    whose trace holds no largest paint (Lighthouse's NO_LCP, seen now and then on this loaded
    machine) is run again, up to `attempts` times; the last one's error is kept."""
    for _ in range(attempts):
        figures = _audit_once(url, extra_flags)
        if figures["lcp_ms"] is not None:
            break
        bc.log(f"no LCP in the trace of {url} ({figures['lcp_error']}); again")
    return figures


def _audit_once(url: str, extra_flags: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as scratch:
        report_path = os.path.join(scratch, "report.json")
        flags = " ".join(CHROME_FLAGS + extra_flags + [f"--user-data-dir={scratch}/profile"])
        command = [LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={report_path}",
                   f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={flags}",
                   "--max-wait-for-load=60000"]
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECONDS)
        if done.returncode != 0 or not os.path.isfile(report_path):
            raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-2000:]}")
        with open(report_path, encoding="utf-8") as handle:
            report = json.load(handle)
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {report['runtimeError']}")
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    return {
        **{name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES},
        "lcp_ms": audits["largest-contentful-paint"].get("numericValue"),
        "lcp_error": audits["largest-contentful-paint"].get("errorMessage"),
        "fcp_ms": audits["first-contentful-paint"].get("numericValue"),
        "tbt_ms": audits["total-blocking-time"].get("numericValue"),
        "bytes": audits["total-byte-weight"]["numericValue"],
        "requests": len(requests),
        "three_chunks": sorted({r["url"].rsplit("/", 1)[1] for r in requests
                                if "/assets/" in r["url"] and ("three" in r["url"] or "GLTFLoader" in r["url"])}),
        "glb_requests": sum(1 for r in requests if ".glb" in r["url"].split("?", 1)[0]),
        "lcp_element": _lcp_element(audits),
        "lcp_phases_ms": _lcp_phases(audits),
        "console_errors": [str(item.get("description") or item.get("source"))[:300]
                           for item in (audits["errors-in-console"].get("details") or {}).get("items", [])],
        "failed_audits": sorted(name for category in ("accessibility", "best-practices", "seo")
                                for ref in report["categories"][category]["auditRefs"]
                                if ref["weight"] and audits[ref["id"]]["score"] not in (None, 1)
                                for name in [f"{category}:{ref['id']}"]),
    }


def ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def _lcp_element(audits: dict) -> str | None:
    """The HTML of the page's largest paint, as Lighthouse saw it."""
    def nodes(value):
        if isinstance(value, dict):
            if value.get("type") == "node" and value.get("snippet"):
                yield value["snippet"]
            for child in value.values():
                yield from nodes(child)
        elif isinstance(value, list):
            for child in value:
                yield from nodes(child)
    return next(nodes(audits.get("largest-contentful-paint-element", {}).get("details")), None)


def _lcp_phases(audits: dict) -> dict:
    """The largest paint's time split as Lighthouse reports it (TTFB, load delay, load time,
    render delay), in ms."""
    tables = (audits.get("largest-contentful-paint-element", {}).get("details") or {}).get("items", [])
    return {row["phase"]: round(row["timing"]) for table in tables if isinstance(table, dict)
            for row in table.get("items", []) if "phase" in row}


def median_of(runs: list[dict]) -> dict:
    """Per figure, the median over the runs that have it (lists and counts from the median-LCP
    run); a figure no run has is None."""
    middle = sorted(runs, key=lambda r: (r["lcp_ms"] is None, r["lcp_ms"] or 0))[len(runs) // 2]
    numeric = {}
    for k in (*CATEGORIES, "lcp_ms", "fcp_ms", "tbt_ms", "bytes"):
        values = [r[k] for r in runs if r[k] is not None]
        numeric[k] = statistics.median(values) if values else None
    return {**middle, **numeric, "runs": len(runs)}


async def audit_service(root: str, runs: int) -> dict:
    async with sc.running_service("--workers", "1", root=root) as service:
        items = await wait_for_previews(service.url)
        cabinet = next(p for p in items if p["name"] == sc.CABINET)
        pages = {"/": (service.url + "/", []),
                 "configurator": (f"{service.url}/configure/{cabinet['id']}", []),
                 "configurator (no WebGL)": (f"{service.url}/configure/{cabinet['id']}", ["--disable-webgl"])}
        results = {}
        for label, (url, flags) in pages.items():
            await asyncio.to_thread(audit, url, flags)  # warm: the server's caches and the GLB made once, not measured
            measured = []
            for _ in range(runs):
                measured.append(await asyncio.to_thread(audit, url, flags))
            results[label] = median_of(measured)
            bc.log(f"{label}: performance {results[label]['performance']}, LCP {ms(results[label]['lcp_ms'])} ms, "
                   f"{results[label]['bytes'] / 1024:.0f} KiB")
        return results


def main() -> None:
    args = parse_args()
    runs = 1 if args.quick else args.runs
    load_before = os.getloadavg()[0]
    sides: dict[str, dict] = {}
    if args.compare:
        with worktree_of(args.compare) as tree:
            sides[f"before ({args.compare})"] = asyncio.run(audit_service(tree, runs))
    sides["now"] = asyncio.run(audit_service(bc.ROOT, runs))

    rows = []
    for side, pages in sides.items():
        for page, r in pages.items():
            rows.append([side, page, r["performance"], r["accessibility"], r["best-practices"], r["seo"],
                         ms(r["lcp_ms"]), f"{r['bytes'] / 1024:.0f}", r["requests"],
                         "yes" if r["three_chunks"] else "no", r["glb_requests"]])
    bc.print_table("Lighthouse, mobile preset (median of runs)",
                   ["side", "page", "perf", "a11y", "best pr.", "SEO", "LCP ms", "KiB", "requests", "three.js",
                    "GLBs"], rows)
    now = sides["now"]
    summary = []
    for page, target in TARGETS.items():
        summary.append(bc.summary_row(f"{page}: performance", now[page]["performance"], f"≥ {target}",
                                      now[page]["performance"] >= target))
        for category in ("accessibility", "best-practices", "seo"):
            summary.append(bc.summary_row(f"{page}: {category}", now[page][category], "100",
                                          now[page][category] == 100))
    for page, target in LCP_TARGET_MS.items():
        lcp = now[page]["lcp_ms"]
        summary.append(bc.summary_row(f"{page}: LCP", lcp if lcp is not None else "none", f"≤ {target} ms",
                                      lcp is not None and lcp <= target, " ms"))
    summary.append(bc.summary_row("/: three.js chunks and GLBs fetched",
                                  len(now["/"]["three_chunks"]) + now["/"]["glb_requests"], "0",
                                  not now["/"]["three_chunks"] and not now["/"]["glb_requests"]))
    for side, pages in sides.items():
        for page in ("/", "configurator"):
            summary.append(bc.summary_row(f"{side}: {page} transferred", pages[page]["bytes"] / 1024, unit=" KiB"))
    bc.save_results("lighthouse", summary, {"runs": runs, "load_average_before": load_before,
                                            "load_average_after": os.getloadavg()[0], "sides": sides},
                    quick=args.quick)


if __name__ == "__main__":
    main()
