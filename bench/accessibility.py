"""Accessibility of every route of the web app: axe-core's violations per route at 320 and
1400 px (frontend/e2e/axe.e2e.mjs in its reporting mode) and Lighthouse's accessibility score
per route (mobile preset), against a real `serve --workers 1` with its seeded samples and an
admin user made with the operator's command line. Optionally side by side with an older
commit (`--compare REF`: its web app built in a throw-away worktree and its own server run the
same way, bench/lighthouse.py's `worktree_of`), so both columns come from one run (Lighthouse
there only with `--lighthouse-both`: each side's audits take minutes on a loaded machine).

Anonymous routes are audited as a shopper sees them; the account's (/saved with its
configurations, /account, the admin sections) with the admin's session cookie (Lighthouse's
`--extra-headers`). The axe script is the current checkout's, for both sides.

Prints per route: axe violations at each width (rule ids) and the Lighthouse score with its
failed audits. Writes bench/results/accessibility.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import uuid

import aiohttp

import bench_common as bc
import service_common as sc
from lighthouse import CHROME_FLAGS, CHROMIUM, LIGHTHOUSE, storefront_key, wait_for_previews, worktree_of

AXE_SCRIPT = os.path.join(bc.ROOT, "frontend", "e2e", "axe.e2e.mjs")
AUDIT_TIMEOUT_SECONDS = 240
AXE_TIMEOUT_SECONDS = 900
# Seeding inspects (and bakes) each sample in a child Blender: at a load average of 20 here
# that passed inspection's 120 s, and the server never started.
SERVICE_ENV = {"INSPECTION_TIMEOUT_SECONDS": "600"}
ANONYMOUS_ROUTES = {"catalogue": "/", "configurator": "/configure/{cabinet}", "embed": "/embed/{cabinet}?key={key}",
                    "saved (anonymous)": "/saved", "login": "/login", "forgot password": "/forgot-password",
                    "reset password": "/reset-password?token=not-a-real-token", "not found": "/no-such-page"}
ACCOUNT_ROUTES = {"saved (account)": "/saved", "account": "/account", "admin products": "/admin/products",
                  "admin users": "/admin/users", "admin keys": "/admin/keys", "admin audit": "/admin/audit"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--compare", metavar="REF", help="also audit this commit (e.g. HEAD~5), side by side")
    parser.add_argument("--no-lighthouse", action="store_true", help="axe-core only")
    parser.add_argument("--lighthouse-both", action="store_true",
                        help="Lighthouse on the --compare side too (default: axe-core only there)")
    return parser.parse_args()


def make_admin(service: sc.Service, root: str) -> tuple[str, str]:
    """An admin of the demo client, made with the operator's command line of the side's checkout."""
    email, password = f"a11y-{uuid.uuid4().hex[:8]}@demo.example", f"pw-{uuid.uuid4().hex}"
    subprocess.run([bc.PYTHON, os.path.join(root, "server_entry.py"), "admin", "create-user", "--client",
                    str(sc.DEMO_CLIENT_ID), "--email", email, "--name", "Ada Audit", "--role", "admin"], cwd=root,
                   env=service.environment,
                   input=password + "\n", capture_output=True, text=True, timeout=120, check=True)
    return email, password


async def session_cookie(url: str, email: str, password: str) -> str:
    """The Cookie header of a fresh session of the user (and one saved configuration of theirs)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, headers={"Origin": url}) as session:
        async with session.post(url + "/api/v1/auth/login", json={"email": email, "password": password}) as answer:
            answer.raise_for_status()
        async with session.get(url + "/api/v1/auth/me") as answer:
            csrf = (await answer.json())["csrf_token"]
        async with session.get(url + "/api/v1/products") as answer:
            product = (await answer.json())["items"][0]["id"]
        async with session.post(url + "/api/v1/configurations", headers={"X-CSRF-Token": csrf},
                                json={"product_id": product, "name": "Audited", "config_data": {}}) as answer:
            answer.raise_for_status()
        return "; ".join(f"{c.key}={c.value}" for c in jar)


def run_axe(url: str, email: str, password: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="a11y-axe-") as artifacts:
        done = subprocess.run(["node", AXE_SCRIPT, url, artifacts], cwd=os.path.join(bc.ROOT, "frontend"),
                              env={**os.environ, "E2E_AXE_REPORT": "1", "E2E_EMAIL": email, "E2E_PASSWORD": password},
                              capture_output=True, text=True, timeout=AXE_TIMEOUT_SECONDS)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if not outcome.get("ok"):
        bc.log(f"axe script: {outcome.get('error')}")
    return outcome


def lighthouse_accessibility(url: str, cookie: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="a11y-lighthouse-") as scratch:
        report_path = os.path.join(scratch, "report.json")
        flags = " ".join(CHROME_FLAGS + [f"--user-data-dir={scratch}/profile"])
        command = [LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={report_path}",
                   "--only-categories=accessibility", f"--chrome-flags={flags}", "--max-wait-for-load=60000"]
        if cookie:
            command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True,
                              timeout=AUDIT_TIMEOUT_SECONDS)
        if done.returncode != 0 or not os.path.isfile(report_path):
            return {"score": None, "error": done.stderr[-500:]}
        with open(report_path, encoding="utf-8") as handle:
            report = json.load(handle)
    category = report["categories"]["accessibility"]
    return {"score": round(100 * (category["score"] or 0)),
            "failed": sorted(ref["id"] for ref in category["auditRefs"]
                             if ref["weight"] and report["audits"][ref["id"]]["score"] not in (None, 1))}


async def audit_side(root: str, lighthouse: bool) -> dict:
    async with sc.running_service("--workers", "1", root=root, env=SERVICE_ENV) as service:
        items = await wait_for_previews(service.url)
        cabinet = next(p for p in items if p["name"] == sc.CABINET)["id"]
        key = await storefront_key(service.url)
        email, password = await asyncio.to_thread(make_admin, service, root)
        axe = await asyncio.to_thread(run_axe, service.url, email, password)
        routes: dict[str, dict] = {}
        for entry in axe.get("routes", []):
            routes.setdefault(entry["route"], {"axe": {}})["axe"][entry["width"]] = [
                f"{v['id']} ({v['nodes']})" for v in entry["violations"]]
        if lighthouse:
            cookie = await session_cookie(service.url, email, password)
            for label, path in {**ANONYMOUS_ROUTES, **ACCOUNT_ROUTES}.items():
                url = service.url + path.format(cabinet=cabinet, key=key)
                signed_in = cookie if label in ACCOUNT_ROUTES else None
                found = await asyncio.to_thread(lighthouse_accessibility, url, signed_in)
                routes.setdefault(label, {"axe": {}})["lighthouse"] = found
                bc.log(f"{label}: Lighthouse accessibility {found.get('score')} {found.get('failed', '')}")
        return {"axe_ok": axe.get("ok"), "axe_error": axe.get("error"), "routes": routes}


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()[0]
    sides: dict[str, dict] = {}
    if args.compare:
        with worktree_of(args.compare) as tree:
            sides[f"before ({args.compare})"] = asyncio.run(
                audit_side(tree, args.lighthouse_both and not args.no_lighthouse))
    sides["now"] = asyncio.run(audit_side(bc.ROOT, not args.no_lighthouse))

    rows = []
    for side, found in sides.items():
        for route, r in found["routes"].items():
            rows.append([side, route, len(r["axe"].get(320, [])), len(r["axe"].get(1400, [])),
                         ", ".join(sorted(set(r["axe"].get(320, []) + r["axe"].get(1400, [])))) or "—",
                         (r.get("lighthouse") or {}).get("score", "—"),
                         ", ".join((r.get("lighthouse") or {}).get("failed", [])) or "—"])
    bc.print_table("Accessibility per route: axe-core violations (rules) and Lighthouse",
                   ["side", "route", "axe 320", "axe 1400", "axe rules", "Lighthouse", "failed audits"], rows)
    now = sides["now"]["routes"]
    summary = [bc.summary_row("routes audited by axe-core (× 320 and 1400 px)", len(now))]
    total = sum(len(v) for r in now.values() for v in r["axe"].values())
    summary.append(bc.summary_row("axe-core violations, all routes and widths", total, "0", total == 0))
    for route, r in now.items():
        score = (r.get("lighthouse") or {}).get("score")
        if score is not None:
            summary.append(bc.summary_row(f"{route}: Lighthouse accessibility", score, "100", score == 100))
    for side, found in sides.items():
        if side != "now":
            before = sum(len(v) for r in found["routes"].values() for v in r["axe"].values())
            summary.append(bc.summary_row(f"{side}: axe-core violations, all routes and widths", before))
    bc.save_results("accessibility", summary, {"load_average_before": load_before, "sides": sides}, quick=False)


if __name__ == "__main__":
    main()
