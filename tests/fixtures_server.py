"""Run `server_entry.py serve` as a real process (API + supervised Blender workers) and talk
to it over HTTP, as an admin of the demo client: once ready, an admin key is made with the
operator's command line (`admin create-key`), and every request sends it unless it names its
own `Authorization` (None: none at all)."""
from __future__ import annotations

import asyncio
import json
import os
import time

import aiohttp

import processes
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from conftest import ROOT, free_port


class ServerProcess:
    def __init__(self, var_dir: str, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(var_dir, "server.log")
        os.makedirs(var_dir, exist_ok=True)
        environment = processes.child_environment({
            "PORT": str(self.port), "HOST": "127.0.0.1", "CONFIGURATOR_VAR_DIR": var_dir, "LOG_FORMAT": "json",
            **(env or {})}, drop=processes.SERVICE_VARIABLES)
        self.environment = environment
        self.process = processes.start([processes.PYTHON, os.path.join(ROOT, "server_entry.py"), "serve", *args],
                                       self.log_path, env=environment)
        self.credential: dict = {}

    def log(self) -> str:
        return processes.log_tail(self.log_path)

    async def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"server exited early:\n{self.log()}"
                try:
                    async with session.get(self.url + "/ready") as response:
                        if response.status == 200:
                            self.credential = self.credential or await asyncio.to_thread(self._admin_key)
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.log()}")

    def _admin_key(self) -> dict:
        done = processes.run([processes.PYTHON, os.path.join(ROOT, "server_entry.py"), "admin", "create-key",
                              "--client", str(DEMO_CLIENT_ID), "--kind", "secret", "--role", "admin"],
                             env=self.environment, timeout=120, check=True)
        return {"Authorization": f"Bearer {json.loads(done.stdout)['key']}"}

    async def request(self, method: str, path: str, **kwargs):
        headers = {**self.credential, **dict(kwargs.pop("headers", None) or {})}
        kwargs["headers"] = {name: value for name, value in headers.items() if value is not None}
        async with aiohttp.ClientSession() as session:
            async with session.request(method, self.url + path, **kwargs) as response:
                body = await response.json(content_type=None) if response.status != 204 else None
                return response.status, body

    async def fetch_bytes(self, path: str) -> tuple[int, bytes]:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.url + path) as response:
                return response.status, await response.read()

    async def upload(self, path: str, name: str) -> dict:
        with open(path, "rb") as handle:
            form = aiohttp.FormData()
            form.add_field("name", name)
            form.add_field("template", handle, filename="template.blend")
            status, body = await self.request("POST", "/api/v1/products", data=form)
        assert status == 201, body
        return body

    async def submit(self, product_id: str, config: dict) -> dict:
        submission = {"product_id": product_id, "config_data": config}
        status, body = await self.request("POST", "/api/v1/jobs", json=submission)
        assert status in (200, 202), body
        return body

    async def wait_job(self, job_id: str, statuses=("COMPLETED", "FAILED", "CANCELLED"), timeout: float = 120,
                       headers: dict | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, job = await self.request("GET", f"/api/v1/jobs/{job_id}", headers=headers)
            if job["status"] in statuses:
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 60) -> int:
        return processes.stop(self.process, timeout)
