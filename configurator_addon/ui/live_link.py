"""The live link: the open file served by the server in this Blender (`server_control.py`),
published again each time the artist saves it, so an open web configurator loads the new
version in place (the product's `/events` WebSocket tells it; no page reload).

- `configurator.live_link_start` starts the server if needed and publishes the open file to
  it with the server's live link key (an admin secret key of this session only), as a new
  product or a new version of the one the file was published as on this server (the id is
  remembered in the file, `cfg_published`, as *Publish* does). From then on a `save_post`
  handler asks for a publish after each save of that file (a *Save As* follows the file to
  its new name; saves of other files and of copies are left alone).
- `configurator.live_link_stop` stops following saves; the server keeps running.
- `configurator.open_web_preview` opens `http://127.0.0.1:PORT/configure/<product>`.

Nothing here blocks Blender waiting for the server. The server runs in this very process:
its uploads are inspected in child processes, but its worker does Blender work on this main
thread, which would wait for a blocking call made from here. So a publish is split: the
packed copy is saved on the main thread (bpy), the upload runs on a thread of its own (the
standard-library client of `authoring/publish_client.py`, no bpy), and its outcome is taken
back on the main thread by a timer (`tick`), which shows it in the panel. A save while a
publish is under way queues one more publish, however many saves there were (coalesced).
An unchanged file is not a new version: the server answers 409 and the status says
"unchanged".

Everything is this session's: module state, not properties, so nothing of it reaches the
.blend or the preferences (but the remembered product id, which is the file's).
"""
from __future__ import annotations

import threading
import time
import webbrowser

import bpy
from bpy.app.handlers import persistent

from ..authoring import publishing
from ..authoring.open_file import the_product_collection
from ..authoring.publish_client import PublishClient, answered_status
from ..errors import ConfiguratorError
from . import server_control, session_state

BUSY_INTERVAL_SECONDS = 0.05  # how soon the timer looks again while a publish is under way
IDLE_INTERVAL_SECONDS = 1.0  # while idle: the status line's "… s ago" is redrawn this often
UPLOAD_TIMEOUT_SECONDS = 300


class _Link:
    def __init__(self, file: str, server: str):
        self.file = file  # the .blend followed ("" while it was never saved)
        self.server = server  # the local server's URL, as the file remembers its product by
        self.product_id: str | None = None
        self.pending = False  # a publish asked for and not begun
        self.upload: threading.Thread | None = None
        self.outcome: dict | None = None  # the upload thread's, until the timer takes it
        self.status: dict = {"action": "publishing"}  # the last finished publish, as the panel shows it
        self.asked_at: float | None = None
        self.publishes = 0  # finished (published, unchanged or refused)


_link: _Link | None = None


def is_active() -> bool:
    return _link is not None


def is_busy() -> bool:
    """A publish asked for or under way."""
    return _link is not None and (_link.pending or _link.upload is not None)


def product_id() -> str | None:
    return _link.product_id if _link is not None else None


def status() -> dict | None:
    """The last finished publish: `{action: created|replaced|unchanged|refused, …, finished_at}`."""
    return dict(_link.status) if _link is not None else None


def publishes() -> int:
    return _link.publishes if _link is not None else 0


def web_preview_url() -> str | None:
    base = server_control.local_url()
    if _link is None or _link.product_id is None or base is None:
        return None
    return f"{base}/configure/{_link.product_id}"


# -- starting and stopping ---------------------------------------------------------------------
def start() -> str:
    """Serve (starting the server if needed), follow the open file's saves, publish it now.
    Returns the server's URL. Raises what `server_control.start` raises, and
    `TemplateContractError` when the file has no single product collection."""
    global _link
    the_product_collection()  # before anything starts: the file must have a product
    if not server_control.is_running():
        server_control.start()
    server = server_control.local_url()
    if _link is None or _link.server != server or _link.file != bpy.data.filepath:
        _link = _Link(bpy.data.filepath, server)
        _link.product_id = publishing.published_product_id(the_product_collection(), server)
    if _after_save not in bpy.app.handlers.save_post:
        bpy.app.handlers.save_post.append(_after_save)
    request_publish()
    return server


def stop() -> None:
    """Stop following saves (a publish under way finishes on its own, unseen)."""
    global _link
    _link = None
    while _after_save in bpy.app.handlers.save_post:
        bpy.app.handlers.save_post.remove(_after_save)
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)


def request_publish() -> None:
    """Publish the followed file soon (once, however often this is called before it begins)."""
    if _link is None:
        return
    _link.pending = True
    _link.asked_at = time.monotonic()
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.0, persistent=True)


@persistent
def _after_save(path, *_):
    link = _link
    if link is None or path != bpy.data.filepath:
        return  # a copy (the publish's own snapshot, or File › Save Copy)
    saved_from = session_state.session(bpy.context).saving_from  # the file's name before this save
    if path != link.file and saved_from != link.file:
        return  # another file is open
    link.file = path  # after Save As, the file's new name
    request_publish()


# -- the timer: begin publishes, take their outcome ---------------------------------------------
def tick() -> float | None:
    """Blender's timer (also called by scripts and tests that drive it): take a finished
    upload's outcome, begin the publish asked for. Unregisters itself once stopped."""
    link = _link
    if link is None:
        return None
    if link.upload is not None and not link.upload.is_alive():
        link.upload = None
        outcome, link.outcome = link.outcome, None
        _finish(link, outcome or _refusal(ConfiguratorError("the upload ended without an outcome")))
    if link.pending and link.upload is None:
        _begin(link)
    if link.upload is not None or link.pending:
        return BUSY_INTERVAL_SECONDS
    _redraw_panels()
    return IDLE_INTERVAL_SECONDS


def _begin(link: _Link) -> None:
    """The packed copy, on this (main) thread; the upload, on a thread of its own."""
    link.pending = False
    key = server_control.live_link_key()
    try:
        if not server_control.is_running() or key is None or server_control.local_url() != link.server:
            raise ConfiguratorError("the server in this Blender is not running: Start Live Link to serve "
                                    "and publish again")
        publishing.require_online_access(link.server)
        product = the_product_collection()
        name = product.name  # read here: bpy belongs to this thread
        started = time.perf_counter()
        with publishing.packed_snapshot(product) as path:
            with open(path, "rb") as handle:
                template = handle.read()
        snapshot_seconds = time.perf_counter() - started
    except ConfiguratorError as error:
        _finish(link, _refusal(error))
        return
    known_id = link.product_id

    def upload():
        link.outcome = _upload(link.server, key, known_id, name, template, snapshot_seconds)

    link.upload = threading.Thread(target=upload, name="configurator-live-link", daemon=True)
    link.upload.start()


def _upload(server: str, key: str, known_id: str | None, name: str, template: bytes,
            snapshot_seconds: float) -> dict:
    """On the upload thread: no bpy. The outcome as `publishing.publish_open_file` describes
    a publish (`action` created|replaced, with `seconds`), or `unchanged`, or `refused`."""
    started = time.perf_counter()
    previous = None
    try:
        client = PublishClient(server, key, timeout=UPLOAD_TIMEOUT_SECONDS)
        if known_id is not None:
            try:
                previous = client.get_product(known_id)["schema_version"]
            except ConfiguratorError as error:
                if answered_status(error) != 404:
                    raise
                known_id = None  # not on this server's database (another one, or deleted): a new product
        if known_id is None:
            row = client.create_product(name, "", template)
        else:
            row = client.replace_template(known_id, template)
    except ConfiguratorError as error:
        if answered_status(error) == 409:
            return {"action": "unchanged", "product_id": known_id, "schema_version": previous,
                    "detail": error.detail}
        return _refusal(error)
    except Exception as exc:  # noqa: BLE001 - shown in the panel, never lost on a thread
        return _refusal(ConfiguratorError(f"the upload failed: {exc!r}"))
    uploaded = time.perf_counter()
    outcome = {"action": "created" if known_id is None else "replaced", "server": client.server_url,
               "product_id": row["id"], "name": row["name"], "schema_version": row["schema_version"],
               "previous_schema_version": previous, "template_version": row["template_version"],
               "template_bytes": len(template)}
    if known_id is not None:
        try:
            outcome["compatibility"] = client.compatibility(row["id"], row["schema_version"])
        except ConfiguratorError as error:
            outcome["compatibility_error"] = f"the compatibility report failed: {error.detail}"
    finished = time.perf_counter()
    outcome["seconds"] = {"snapshot": round(snapshot_seconds, 3), "upload": round(uploaded - started, 3),
                          "compatibility": round(finished - uploaded, 3),
                          "total": round(snapshot_seconds + finished - started, 3)}
    return outcome


def _refusal(error: ConfiguratorError) -> dict:
    return {"action": "refused", "status": answered_status(error), "code": error.code, "lines": error.lines(),
            "error": error.as_dict()}


def _finish(link: _Link, outcome: dict) -> None:
    """On the main thread: remember the product, show the outcome."""
    outcome["finished_at"] = time.time()
    link.status = outcome
    link.publishes += 1
    same_file = bpy.data.filepath == link.file
    if outcome.get("product_id"):
        link.product_id = outcome["product_id"]
        if same_file:
            try:
                publishing.remember_product_id(the_product_collection(), link.server, link.product_id)
            except ConfiguratorError:
                pass  # the product collection went away meanwhile: the next publish says so
    if outcome["action"] == "refused" and outcome.get("status") == 422 and outcome["error"].get("errors") \
            and same_file:
        session_state.store_inspection(bpy.context, {"error": outcome["error"]})  # the problem list shows them
    _redraw_panels()


def _redraw_panels() -> None:
    manager = bpy.context.window_manager
    for window in getattr(manager, "windows", ()):
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()


def wait(timeout: float = 300.0) -> dict | None:
    """Drive the server's and the live link's timers until no publish is under way (for
    scripts and tests, where Blender runs no timers); returns the status."""
    deadline = time.monotonic() + timeout
    while is_busy() and time.monotonic() < deadline:
        server_control.drain_queue()
        tick()
        time.sleep(0.01)
    return status()


# -- for people ---------------------------------------------------------------------------------
def ago(moment: float, now: float | None = None) -> str:
    seconds = max(0, int((now if now is not None else time.time()) - moment))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def status_lines(now: float | None = None) -> list[tuple[str, str]]:
    """What the panel shows, as (severity, text): severity INFO, WARNING or ERROR."""
    if _link is None:
        return [("INFO", "Live link off: Start Live Link to serve this file and publish it on each save")]
    lines = []
    current = _link.status
    if is_busy():
        queued = " (another save queued)" if _link.pending and _link.upload is not None else ""
        lines.append(("INFO", "Live: publishing…" + queued))
    action = current.get("action")
    finished = current.get("finished_at")
    when = f" {ago(finished, now)} ago" if finished else ""
    if action in ("created", "replaced"):
        lines.append(("INFO", f"Live: version {current['schema_version']} published{when}"))
        report = current.get("compatibility")
        if report:
            first, *changes = publishing.describe_compatibility(report)
            lines.append(("INFO", first))
            lines.extend(("WARNING" if "BREAKING" in line else "INFO", line.strip()) for line in changes)
        elif current.get("compatibility_error"):
            lines.append(("INFO", current["compatibility_error"]))
    elif action == "unchanged":
        version = f"version {current['schema_version']}" if current.get("schema_version") else "the current version"
        lines.append(("INFO", f"Live: unchanged, {version} is current (saved{when})"))
    elif action == "refused":
        first, *rest = current["lines"]
        status_code = current.get("status")
        prefix = f"Live: not published (HTTP {status_code}): " if status_code else "Live: not published: "
        lines.append(("ERROR", prefix + first))
        lines.extend(("ERROR", line) for line in rest)
    if not server_control.is_running():
        lines.append(("ERROR", "The server stopped: Start Live Link to serve this file again"))
    elif bpy.data.filepath != _link.file:
        lines.append(("WARNING", "Another file is open: its saves are not published (Start Live Link for it)"))
    return lines


# -- operators ---------------------------------------------------------------------------------
class CONFIGURATOR_OT_live_link_start(bpy.types.Operator):
    """Serve the configurator from this Blender, publish the open file to it, and publish it again on each save"""

    bl_idname = "configurator.live_link_start"
    bl_label = "Start Live Link"

    def execute(self, context):
        try:
            address = start()
        except ConfiguratorError as error:
            first, *rest = error.lines()
            self.report({"ERROR"}, f"the live link did not start: {first}")
            for line in rest:
                self.report({"ERROR"}, line)
            return {"CANCELLED"}
        except Exception as exc:  # the server did not start: shown to the artist, not a traceback
            self.report({"ERROR"}, f"the live link did not start: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Live link: serving at {address}; publishing the file now and after each save")
        return {"FINISHED"}


class CONFIGURATOR_OT_live_link_stop(bpy.types.Operator):
    """Stop publishing the file on each save (the server keeps running)"""

    bl_idname = "configurator.live_link_stop"
    bl_label = "Stop Live Link"

    @classmethod
    def poll(cls, context):
        return is_active()

    def execute(self, context):
        stop()
        self.report({"INFO"}, "Live link stopped")
        return {"FINISHED"}


class CONFIGURATOR_OT_open_web_preview(bpy.types.Operator):
    """Open the web configurator of the live-linked product in the browser"""

    bl_idname = "configurator.open_web_preview"
    bl_label = "Open Web Preview"

    @classmethod
    def poll(cls, context):
        return web_preview_url() is not None

    def execute(self, context):
        url = web_preview_url()
        if url is None:
            self.report({"ERROR"}, "nothing to preview yet: Start Live Link and wait for the first publish")
            return {"CANCELLED"}
        if not bpy.app.background:
            webbrowser.open(url)
        self.report({"INFO"}, f"Web preview: {url}")
        return {"FINISHED"}


CLASSES = (CONFIGURATOR_OT_live_link_start, CONFIGURATOR_OT_live_link_stop, CONFIGURATOR_OT_open_web_preview)
