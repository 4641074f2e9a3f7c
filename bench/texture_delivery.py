"""Texture delivery: bytes a browser transfers for the cabinet's first configuration and for a
new one after it (its textures cached), beside today's untextured GLB of that new one.

A real `serve` (one worker) publishes the cabinet sample of `--revision` (default HEAD: textured
finishes, baked at publish) and the cabinet as it was before textures (`--baseline`, default
27e0929), each built by its commit's template scripts. A browser is played with one HTTP session: the GLB
of a configuration, then every texture its URIs name that it has not fetched yet (immutable
blobs, so a browser's cache keeps them). Bytes are counted on the wire, as a browser that
accepts gzip receives them (GLBs gzipped, textures as they are), and in identity too.

Target: the new configuration's transfer ≤ 110% of the untextured GLB of the same
configuration (issue 14). The first configuration's transfer is reported beside it.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import tarfile
import tempfile
import time
from urllib.parse import urljoin

import bench_common as bc
import service_common as sc
from configurator_addon.engine import glb_textures
from configurator_addon.engine.glb import split_glb

BASELINE_REVISION = "27e0929"
TARGET_RATIO = 1.10
FINISH = "Oak"


def build_cabinet(revision: str, out_dir: str) -> str:
    """The cabinet template as `revision`'s template scripts built it."""
    archive = subprocess.run(["git", "archive", revision, "templates"], cwd=bc.ROOT, capture_output=True,
                             check=True, timeout=120).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(out_dir, filter="data")
    # Unbaked, as uploaded: the server bakes it at publish (older scripts ignore --no-bake).
    subprocess.run([bc.PYTHON, os.path.join(out_dir, "templates", "build_templates.py"), out_dir, "--no-bake"],
                   cwd=out_dir, capture_output=True, check=True, timeout=600)
    return os.path.join(out_dir, "kitchen_base_cabinet.blend")


class Browser:
    """Fetches a configuration's GLB and the textures it names, remembering which textures it
    holds already (their URLs are immutable: a cached copy is used for good)."""

    def __init__(self, api: sc.Api):
        self.api = api
        self.cached: set[str] = set()

    async def _bytes(self, url: str, encoding: str) -> bytes:
        async with self.api.session.get(urljoin(self.api.url, url), headers={"Accept-Encoding": encoding},
                                        auto_decompress=False) as response:
            if response.status != 200:
                raise RuntimeError(f"GET {url}: {response.status}")
            return await response.read()

    async def configuration(self, product_id: str, config: dict) -> dict:
        _, job = await self.api.run_job(product_id, config)
        url = (await self.api.job(job["id"]))["result_url"]
        identity = await self._bytes(url, "identity")
        wire = await self._bytes(url, "gzip")
        document, _ = split_glb(identity)
        uris = [image["uri"] for image in document.get("images", []) if "uri" in image]
        embedded = sum(1 for image in document.get("images", []) if "bufferView" in image)
        textures = 0
        for uri in uris:
            texture_url = urljoin(url, uri)
            if texture_url.split("?")[0] in self.cached:
                continue
            textures += len(await self._bytes(texture_url, "gzip"))
            self.cached.add(texture_url.split("?")[0])
        self.last_url = url
        return {"glb_bytes": len(identity), "glb_wire_bytes": len(wire), "texture_bytes": textures,
                "wire_bytes": len(wire) + textures, "identity_bytes": len(identity) + textures,
                "images_by_uri": len(uris), "images_embedded": embedded}


async def measure(current: str, baseline: str) -> dict:
    async with sc.running_service("--workers", "1") as service:
        api = sc.Api(service.url, service.admin_key())
        try:
            cabinet = await api.upload(current, "Kitchen base cabinet (textured)")  # baked at publish
            before = await api.upload(baseline, "Kitchen base cabinet (before textures)")
            first, second = sc.cabinet_configs(cabinet["config_schema"], 2, start_mm=600)
            # Oak (wood grain since the samples are textured, a flat brown before) on both: the
            # same finishes, so the new configuration's textures are the first one's.
            first, second = ({**config, "door_style": first["door_style"], "carcass_finish": FINISH}
                             for config in (first, second))
            browser = Browser(api)
            textured_first = await browser.configuration(cabinet["id"], first)
            textured_second = await browser.configuration(cabinet["id"], second)
            embedded = await browser._bytes(browser.last_url + "&embedded=1", "identity")
            untextured_second = await Browser(api).configuration(before["id"], second)
        finally:
            await api.close()
    # What splitting costs the worker per job (pure Python, the stores' writes aside).
    times = []
    for _ in range(20):
        started = time.perf_counter()
        glb_textures.externalize(embedded, lambda t: f"../textures/{t.digest}.{t.extension}?signature={'x' * 43}")
        times.append((time.perf_counter() - started) * 1000)
    return {"configs": [first, second], "first": textured_first, "second": textured_second,
            "untextured_second": untextured_second, "download_glb_bytes": len(embedded),
            "split_ms_p50": bc.p50(times)}


def run(revision: str, baseline_revision: str, quick: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="texture-bench-") as scratch:
        built = {}
        for name, commit in (("current", revision), ("baseline", baseline_revision)):
            bc.log(f"texture_delivery: building the cabinet of {commit}")
            os.makedirs(os.path.join(scratch, name))
            built[name] = build_cabinet(commit, os.path.join(scratch, name))
        measured = asyncio.run(measure(built["current"], built["baseline"]))
    first, second, before = measured["first"], measured["second"], measured["untextured_second"]
    wire_ratio = second["wire_bytes"] / before["wire_bytes"]
    identity_ratio = second["identity_bytes"] / before["identity_bytes"]
    rows = [[name, r["glb_bytes"], r["glb_wire_bytes"], r["texture_bytes"], r["wire_bytes"], r["images_by_uri"]]
            for name, r in (("first configuration", first), ("new configuration (textures cached)", second),
                            (f"new configuration, untextured ({baseline_revision})", before))]
    bc.print_table("Bytes a browser transfers", ["configuration", "GLB", "GLB gzipped", "textures", "on the wire",
                                                 "images by URI"], rows)
    summary = [
        bc.summary_row("new configuration / untextured GLB, on the wire", wire_ratio, f"≤ {TARGET_RATIO:.2f}",
                       wire_ratio <= TARGET_RATIO),
        bc.summary_row("new configuration / untextured GLB, identity", identity_ratio, f"≤ {TARGET_RATIO:.2f}",
                       identity_ratio <= TARGET_RATIO),
        bc.summary_row("first configuration on the wire", first["wire_bytes"], unit="B"),
        bc.summary_row("textures in the first configuration", first["texture_bytes"], unit="B"),
        bc.summary_row("Download GLB (textures embedded)", measured["download_glb_bytes"], unit="B"),
        bc.summary_row("splitting a GLB's images out, p50", measured["split_ms_p50"], unit=" ms"),
    ]
    return bc.save_results("texture_delivery", summary,
                           {"revision": revision, "baseline_revision": baseline_revision, **measured,
                            "wire_ratio": wire_ratio, "identity_ratio": identity_ratio}, quick=quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no effect: one measurement either way")
    parser.add_argument("--revision", default="HEAD", help="the commit of the textured cabinet")
    parser.add_argument("--baseline", default=BASELINE_REVISION, help="the commit of the untextured cabinet")
    arguments = parser.parse_args()
    revision = subprocess.run(["git", "rev-parse", "--short", arguments.revision], cwd=bc.ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    print(json.dumps({"revision": revision, "baseline": arguments.baseline}))
    run(revision, arguments.baseline, arguments.quick)
