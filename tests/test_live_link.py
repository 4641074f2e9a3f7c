"""The live link: the server in Blender serves the open file's product, each save of the file
publishes it again, and a web configurator following the product's events socket hears of
the new version at once; an unchanged save publishes nothing.

The scene runs in a child Python with bpy in background mode, where Blender runs no timers:
the script calls what Blender's timers would (the server's `drain_queue`, the live link's
`tick`) in a loop, as the GUI's event loop does between events. A thread of that child
follows `/api/v1/products/{id}/events` with the storefront key from the served page, as the
web configurator does; on each new version another asks for the product's GLB, as the page
then does, and the job runs in this Blender (leaving nothing in the artist's file).

The figure printed: from `save_mainfile` returning to the follower hearing of the new version
(and to that version's GLB), median over the changed saves.
"""
from __future__ import annotations

import os
import statistics

import pytest

from conftest import free_port
from processes import ROOT, last_json_line, output_tail, run_python

TESTS = os.path.join(ROOT, "tests")
SAVES = 3  # changed saves timed (each a new version)

LIVE_LINK = r'''
import asyncio, json, os, re, sys, threading, time, urllib.request
sys.path[:0] = [os.getcwd(), sys.argv[3]]
import bpy
import configurator_addon
from configurator_addon.ui import live_link, server_control

configurator_addon.register()
template, saves = sys.argv[1], int(sys.argv[2])
bpy.ops.wm.open_mainfile(filepath=template)
outcome = {"errors": []}

def drive(until, timeout=120.0):
    """What Blender's timers do in the GUI, until `until()` holds; False if it never did."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            return False
        server_control.drain_queue()
        live_link.tick()
        time.sleep(0.002)
    return True

started = time.perf_counter()
assert bpy.ops.configurator.live_link_start() == {"FINISHED"}
assert server_control.is_running() and live_link.is_active()
assert live_link._after_save in bpy.app.handlers.save_post
outcome["status_while_first_publish"] = [text for _, text in live_link.status_lines()]
first = live_link.wait(120)
outcome["first"] = first
outcome["seconds_to_first_publish"] = time.perf_counter() - started
product_id = live_link.product_id()
base = server_control.local_url()
outcome["remembered"] = json.loads(bpy.data.collections["Test Box"]["cfg_published"])
outcome["preview"] = bpy.ops.configurator.open_web_preview() == {"FINISHED"}
outcome["preview_url"] = live_link.web_preview_url()
with urllib.request.urlopen(outcome["preview_url"], timeout=30) as page:
    html = page.read().decode()
found = re.search(r'<meta name="configurator-storefront-key" content="([^"]+)"', html)
storefront = found.group(1) if found else None
outcome["storefront_from_page"] = storefront is not None and storefront == server_control.storefront_key()
live_key = server_control.live_link_key()

# The web configurator's side: the product's events, as the storefront sees them.
messages, following, leave = [], threading.Event(), threading.Event()

def follow():
    import aiohttp

    async def run():
        url = f"{base}/api/v1/products/{product_id}/events?access_key={storefront}"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, headers={"Origin": base}) as socket:
                following.set()
                while not leave.is_set():
                    try:
                        message = await socket.receive(timeout=0.2)
                    except asyncio.TimeoutError:
                        continue
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    messages.append((time.perf_counter(), json.loads(message.data)))
    try:
        asyncio.run(run())
    except Exception as exc:
        outcome["errors"].append("events: " + repr(exc))
    finally:
        following.set()

follower = threading.Thread(target=follow, daemon=True)
follower.start()
assert following.wait(30)
assert drive(lambda: messages, 30), outcome
outcome["first_message"] = messages[0][1]

def version_heard(schema_version):
    return next((at for at, message in messages if message["schema_version"] == schema_version), None)

def storefront_call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": "Bearer " + storefront, "Origin": base, "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, method=method, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)

def load_like_the_page(schema_version, into):
    """What the configurator does on the event: fetch the product again, ask for its GLB."""
    try:
        product = storefront_call("GET", f"/api/v1/products/{product_id}")
        assert product["schema_version"] == schema_version, product
        job = storefront_call("POST", "/api/v1/jobs", {"product_id": product_id, "config_data": {}})
        while job["status"] not in ("COMPLETED", "FAILED", "CANCELLED"):
            time.sleep(0.02)
            job = storefront_call("GET", f"/api/v1/jobs/{job['id']}")
        into.update(status=job["status"], at=time.perf_counter())
    except Exception as exc:
        into.update(status=repr(exc), at=time.perf_counter())

depth = next(i for i in bpy.data.node_groups["Box"].interface.items_tree if i.name == "Depth")
timings, glb_timings = [], []
for index in range(saves):
    expected = first["schema_version"] + index + 1
    depth.max_value = round(0.7 + 0.05 * (index + 1), 2)  # a wider range: a new schema version
    bpy.ops.wm.save_mainfile()
    saved = time.perf_counter()
    heard = drive(lambda: version_heard(expected) is not None)
    if not heard:
        outcome["errors"].append(f"no message with schema version {expected}: {[m for _, m in messages]}; "
                                 f"status {live_link.status()}")
        break
    timings.append(version_heard(expected) - saved)
    page = {}
    loader = threading.Thread(target=load_like_the_page, args=(expected, page), daemon=True)
    loader.start()
    drive(lambda: not loader.is_alive(), 300)
    if page.get("status") != "COMPLETED":
        outcome["errors"].append(f"the page's GLB of version {expected}: {page}")
        break
    glb_timings.append(page["at"] - saved)
    drive(lambda: not live_link.is_busy())
    outcome.setdefault("statuses", []).append(live_link.status())
outcome["timings"], outcome["glb_timings"] = timings, glb_timings
# The server's jobs ran in this Blender: they left nothing of theirs in the artist's file.
outcome["collections"] = sorted(c.name for c in bpy.data.collections)
outcome["scenes"] = sorted(s.name for s in bpy.data.scenes)
outcome["status_lines"] = [text for _, text in live_link.status_lines()]

class RecordingLayout:
    """Stands in for UILayout: what the panel would draw, one string per item."""
    def __init__(self, lines):
        self.lines, self.alert = lines, False
    def label(self, text="", icon="NONE"):
        self.lines.append(text)
    def operator(self, idname, text=None, **_):
        self.lines.append(idname)
    def row(self, **_):
        return self
    column = box = row

from configurator_addon.ui import panel
drawing = []
panel.CONFIGURATOR_PT_live_link.draw(type("Panel", (), {"layout": RecordingLayout(drawing)})(), bpy.context)
outcome["drawing"] = drawing

if outcome["errors"]:
    print("RESULT " + json.dumps(outcome, default=str), flush=True)
    sys.exit(0)

# Unchanged: the server already has this template (409), so no new version and no message.
heard_before = len(messages)
bpy.ops.wm.save_mainfile()
drive(lambda: not live_link.is_busy())
drive(lambda: False, timeout=1.0)  # a message would have come by now
outcome["unchanged"] = live_link.status()
outcome["unchanged_lines"] = live_link.status_lines()
outcome["messages_after_unchanged"] = len(messages) - heard_before

# Two saves while one publish is under way: one more publish, of the latest file.
publishes = live_link.publishes()
latest = outcome["unchanged"]["schema_version"] + 1
depth.max_value = 0.95
bpy.ops.wm.save_mainfile()
drive(lambda: live_link._link.upload is not None, 10)  # the first publish is uploading
for value in (0.96, 0.97):
    depth.max_value = value
    bpy.ops.wm.save_mainfile()
outcome["queued_lines"] = [text for _, text in live_link.status_lines()]
drive(lambda: not live_link.is_busy() and version_heard(latest + 1) is not None)
drive(lambda: False, timeout=1.0)
outcome["coalesced"] = {"publishes": live_link.publishes() - publishes, "status": live_link.status(),
                        "versions": [m["schema_version"] for _, m in messages]}
request = urllib.request.Request(f"{base}/api/v1/products/{product_id}",
                                 headers={"Authorization": "Bearer " + live_key})
product = json.load(urllib.request.urlopen(request, timeout=30))
outcome["depth_maximum"] = product["config_schema"]["properties"]["depth"]["maximum"]

leave.set()
follower.join(10)
with open(template, "rb") as handle:
    outcome["key_in_file"] = live_key.encode() in handle.read()
bpy.ops.configurator.live_link_stop()
outcome["handler_removed"] = live_link._after_save not in bpy.app.handlers.save_post
bpy.ops.configurator.server_stop()

async def live_link_keys():
    from configurator_addon.accounts import api_keys
    from configurator_addon.db.pool import create_pool
    from configurator_addon.services.seeding import DEMO_CLIENT_ID
    pool = await create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=1)
    try:
        return [row for row in await api_keys.list_keys(pool, DEMO_CLIENT_ID) if row["name"] == "Live link"]
    finally:
        await pool.close()
outcome["live_link_keys"] = [{"role": k["role"], "revoked": k["revoked_at"] is not None}
                             for k in asyncio.run(live_link_keys())]
configurator_addon.unregister()
print("RESULT " + json.dumps(outcome, default=str), flush=True)
'''


@pytest.fixture(scope="module")
def box_template(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("live_link") / "box.blend")
    run_python("-c", f"import sys; sys.path.insert(0, {TESTS!r})\nfrom template_fixtures import build_valid\n"
               "build_valid(sys.argv[1])", path, check=True)
    return path


@pytest.mark.slow
def test_saving_the_file_publishes_it_and_the_web_configurator_hears_of_the_new_version(box_template, tmp_path,
                                                                                       empty_database):
    port = free_port()
    env = {"DATABASE_URL": empty_database, "PORT": str(port), "HOST": "127.0.0.1",
           "CONFIGURATOR_VAR_DIR": str(tmp_path / "var"), "LOG_FORMAT": "text"}
    done = run_python("-c", LIVE_LINK, box_template, str(SAVES), TESTS, env=env, timeout=600)
    assert done.returncode == 0, output_tail(done)
    found = last_json_line(done, prefix="RESULT ")
    assert found["errors"] == [], found["errors"]

    assert "Live: publishing…" in found["status_while_first_publish"]
    first = found["first"]
    assert (first["action"], first["name"], first["schema_version"]) == ("created", "Test Box", 1), first
    base = f"http://127.0.0.1:{port}"
    assert found["remembered"] == {base: first["product_id"]}
    assert found["preview"] and found["preview_url"] == f"{base}/configure/{first['product_id']}"
    assert found["storefront_from_page"]
    assert found["first_message"]["id"] == first["product_id"] and found["first_message"]["schema_version"] == 1

    # Each changed save: a new version, heard by the follower.
    assert len(found["timings"]) == SAVES
    assert [s["action"] for s in found["statuses"]] == ["replaced"] * SAVES
    assert [s["schema_version"] for s in found["statuses"]] == list(range(2, 2 + SAVES))
    assert found["statuses"][0]["compatibility"]["breaking"] is False  # a wider range breaks nothing
    assert found["status_lines"][0] == f"Live: version {1 + SAVES} published 0 s ago", found["status_lines"]
    drawing = found["drawing"]
    assert {"configurator.live_link_start", "configurator.live_link_stop", "configurator.open_web_preview",
            f"Live: version {1 + SAVES} published 0 s ago", f"Product {first['product_id']}"} <= set(drawing), drawing

    assert found["collections"] == ["Bar", "Handle", "Knob", "Test Box"] and found["scenes"] == ["Scene"], found
    assert len(found["glb_timings"]) == SAVES

    # An unchanged save: 409 from the server, said as "unchanged", no new version, nothing heard.
    unchanged = found["unchanged"]
    assert (unchanged["action"], unchanged["schema_version"]) == ("unchanged", 1 + SAVES), unchanged
    assert all(severity != "ERROR" for severity, _ in found["unchanged_lines"]), found["unchanged_lines"]
    assert found["unchanged_lines"][0][1].startswith(f"Live: unchanged, version {1 + SAVES} is current")
    assert found["messages_after_unchanged"] == 0

    # Saves during a publish: queued as one more, of the file as last saved.
    assert "Live: publishing… (another save queued)" in found["queued_lines"]
    coalesced = found["coalesced"]
    assert coalesced["publishes"] == 2 and coalesced["status"]["schema_version"] == 3 + SAVES, coalesced
    assert coalesced["versions"][-2:] == [2 + SAVES, 3 + SAVES]
    assert found["depth_maximum"] == pytest.approx(0.97)

    # The live link's key: an admin's, in memory only, revoked when the server stopped.
    assert not found["key_in_file"]
    assert found["live_link_keys"] == [{"role": "admin", "revoked": True}]
    assert found["handler_removed"]

    timings, glb = found["timings"], found["glb_timings"]
    print(f"\nSave to the web preview hearing of the new version: median {statistics.median(timings):.2f} s "
          f"over {len(timings)} saves ({', '.join(f'{t:.2f}' for t in timings)} s); to its GLB of the new "
          f"version generated: median {statistics.median(glb):.2f} s ({', '.join(f'{t:.2f}' for t in glb)} s); "
          f"first publish after "
          f"Start Live Link {found['seconds_to_first_publish']:.2f} s; snapshot "
          f"{found['statuses'][-1]['seconds']['snapshot']:.2f} s, upload and inspection "
          f"{found['statuses'][-1]['seconds']['upload']:.2f} s")
