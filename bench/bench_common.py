"""Shared parts of the benchmarks: the sample templates, the configuration mix derived from a
template's JSON Schema, percentiles, tables, results files, and silencing Blender's stdout.

Every benchmark ends the same way: its summary rows (`summary_row`: metric, measured, target,
pass) go with its data through `save_results`, which writes bench/results/<name>.json and prints
the summary; `run_all.py` and `run_service.py` read them back (`read_summary`) and print them
together (`print_summary`).

No bpy here: the benchmarks import the engine themselves, after `quiet()` is in place.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from configurator_addon.cli import stdout_redirected  # noqa: E402
from configurator_addon.engine.config_validation import canonical_json, validate_config  # noqa: E402
from configurator_addon.engine.result_keys import template_version  # noqa: E402
from configurator_addon.errors import ConfigValidationError  # noqa: E402

PYTHON = sys.executable
SERVER_ENTRY = os.path.join(ROOT, "server_entry.py")
CATALOG = os.path.join(ROOT, "templates", "catalog.json")
RESULTS_DIR = os.path.join(ROOT, "bench", "results")


@dataclass
class Sample:
    slug: str
    path: str
    name: str
    examples: list[dict] = field(default_factory=list)


def load_samples(baked: bool = False) -> list[Sample]:
    """The sample templates listed in templates/catalog.json (built by `make templates`);
    `baked`: each as a published copy is served, its procedural materials baked
    (`<slug>.baked.blend`, made by the same build)."""
    with open(CATALOG, encoding="utf-8") as handle:
        catalog = json.load(handle)
    folder = os.path.dirname(CATALOG)
    samples = [Sample(e["slug"], os.path.join(folder, f"{e['slug']}.baked.blend" if baked else e["blend"]),
                      e["name"], [x["config"] for x in e.get("examples", [])]) for e in catalog]
    missing = [os.path.relpath(s.path, ROOT) for s in samples if not os.path.isfile(s.path)]
    if missing:
        sys.exit(f"missing sample templates {missing}: build them with `make templates` "
                 "(or `python templates/build_templates.py templates/`)")
    return samples


def version_of(path: str) -> str:
    """The template version of the file at `path`, which a worker passes the engine with each
    job (the job row's), so that a timed job does not hash its template as a bare call would."""
    with open(path, "rb") as handle:
        return template_version(handle.read())


# -- configuration mix ---------------------------------------------------------------------
def _values(prop: dict) -> list:
    """Values worth trying for one parameter, its default first."""
    default = prop.get("default")
    if "enum" in prop:
        return [default] + [o for o in prop["enum"] if o != default]
    kind = prop.get("type")
    if kind == "boolean":
        return [default, not default]
    if kind in ("number", "integer"):
        low, high = prop.get("minimum"), prop.get("maximum")
        values = [default, low, high]
        if low is not None and high is not None:
            mid = (low + high) / 2
            values.append(round(mid) if kind == "integer" else mid)
        return [v for i, v in enumerate(values) if v is not None and v not in values[:i]]
    if prop.get("x-kind") == "color":
        return [default] + [c for c in ("#ffffff", "#1f3a5f", "#b03020") if c != default]
    if kind == "string":
        return [default, "Bench"]
    return [default]


def _valid(schema: dict, config: dict) -> dict | None:
    try:
        return validate_config(schema, config)
    except ConfigValidationError:
        return None


def _repaired(schema: dict, config: dict, choices: dict[str, list]) -> dict | None:
    """`config` made valid (rules such as "wide needs 2 shelves") by changing one other value."""
    full = _valid(schema, config)
    if full is not None:
        return full
    for key, values in choices.items():
        for value in values:
            full = _valid(schema, {**config, key: value})
            if full is not None:
                return full
    return None


def config_mix(schema: dict, examples: list[dict] = (), size: int = 12) -> list[dict]:
    """Up to `size` distinct valid configurations: the defaults, the catalog's examples, then
    sweeps where configuration i gives every parameter its i-th interesting value (default,
    minimum, maximum, middle; each enum option; the other boolean), so a few configurations
    reach every bound and every option; then single-parameter changes fill the rest. A
    configuration a rule rejects is repaired by changing one other value, or dropped."""
    choices = {key: _values(prop) for key, prop in schema.get("properties", {}).items()}
    candidates = [{}, *examples]
    sweeps = max((len(v) for v in choices.values()), default=1)
    candidates += [{k: v[i % len(v)] for k, v in choices.items()} for i in range(1, sweeps)]
    # Then one parameter changed at a time, taking turns between parameters.
    singles = [[{key: value} for value in values[1:]] for key, values in choices.items()]
    candidates += [s[i] for i in range(max(map(len, singles), default=0)) for s in singles if i < len(s)]
    mix, seen = [], set()
    for candidate in candidates:
        if len(mix) == size:
            break
        full = _repaired(schema, candidate, choices)
        if full is not None and canonical_json(full) not in seen:
            seen.add(canonical_json(full))
            mix.append(full)
    return mix


# -- statistics, output --------------------------------------------------------------------
def percentile(values, q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p50(values) -> float:
    return percentile(values, 50)


def p95(values) -> float:
    return percentile(values, 95)


def fmt(value, digits: int = 1) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *cells, strict=True)]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    rule = "  ".join("-" * w for w in widths)
    print("\n".join([f"\n{title}", rule, line(headers), rule, *map(line, cells)]), flush=True)


def summary_row(metric: str, measured, target: str = "—", passed: bool | None = None, unit: str = "") -> dict:
    """One line of a benchmark's summary. `measured` is a number (shown with 2 decimals and
    `unit`) or text; `passed` None means reported for information, with no target."""
    shown = measured if isinstance(measured, str) else f"{fmt(measured, 2)}{unit}"
    return {"metric": metric, "measured": shown, "target": target, "pass": None if passed is None else bool(passed)}


def verdict(passed: bool | None) -> str:
    return "info" if passed is None else "pass" if passed else "FAIL"


def print_summary(title: str, summary: list[dict]) -> None:
    print_table(title, ["metric", "measured", "target", "result"],
                [[r["metric"], r["measured"], r["target"], verdict(r["pass"])] for r in summary])


def all_passed(summary: list[dict]) -> bool:
    """No target missed (information rows never fail)."""
    return all(r["pass"] is not False for r in summary)


def _rounded(value, digits: int):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


def write_results(name: str, data: dict, digits: int = 3) -> str:
    """bench/results/<name>.json, floats rounded so the files stay small and diff well."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"{name}.json")
    data = {**data, "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(_rounded(data, digits), handle, indent=1)
        handle.write("\n")
    return path


def save_results(name: str, summary: list[dict], data: dict, *, quick: bool, digits: int = 3) -> dict:
    """How every benchmark ends: bench/results/<name>.json holds `data` with the benchmark's
    name, `quick` and its `summary` rows; the summary is printed, then where the file is."""
    data = {"benchmark": name, "quick": quick, **data, "summary": summary}
    path = write_results(name, data, digits)
    print_summary(f"{name}{' (quick)' if quick else ''}: summary", summary)
    print(f"results: {os.path.relpath(path, ROOT)}", flush=True)
    return data


def read_summary(name: str) -> list[dict]:
    """The summary rows bench/results/<name>.json holds (written by `save_results`)."""
    with open(os.path.join(RESULTS_DIR, f"{name}.json"), encoding="utf-8") as handle:
        return json.load(handle)["summary"]


def log(message: str) -> None:
    """Progress goes to stderr, so it is seen even while stdout is silenced."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet():
    """Send fd 1 (Blender's C code and the exporter's prints) to /dev/null for a while."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        with stdout_redirected(devnull):
            yield
    finally:
        os.close(devnull)


@contextlib.contextmanager
def warm_engine():
    """The engine (bpy, in this process) with Blender's prints silenced; its template cache is
    emptied on the way out."""
    with quiet():
        from configurator_addon.engine.blender.generation import Engine

        engine = Engine()
        try:
            yield engine
        finally:
            engine.cache.clear()


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    return parser.parse_args()
