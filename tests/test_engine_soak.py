"""Many consecutive jobs in one process: nothing accumulates."""
from __future__ import annotations

import json

import pytest

from processes import run_python

SOAK = r'''
import itertools, json, sys
sys.path[:0] = [".", "tests"]
from datablocks import datablock_counts
from configurator_addon.engine.blender.generation import Engine
from configurator_addon.process_memory import rss_bytes

catalog = json.loads(sys.argv[1])
engine = Engine()
jobs = [(s["path"], e["config"], draco) for s in catalog for e in s["examples"] for draco in (False, True)]
for path, config, draco in jobs:  # warm-up: every template loaded, every code path run once
    engine.generate(path, config, draco=draco)

baseline_counts, baseline_rss = datablock_counts(), rss_bytes()
for path, config, draco in itertools.islice(itertools.cycle(jobs), int(sys.argv[2])):
    engine.generate(path, config, draco=draco)
print(json.dumps({"before": baseline_counts, "after": datablock_counts(), "rss_growth": rss_bytes() - baseline_rss}))
'''


@pytest.mark.slow
def test_500_jobs_leave_datablocks_and_memory_at_baseline(sample_catalog):
    catalog = [{"path": s["path"], "examples": s["examples"]} for s in sample_catalog]
    done = run_python("-c", SOAK, json.dumps(catalog), "500", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["after"] == result["before"]
    assert result["rss_growth"] < 30 * 1024 * 1024, result["rss_growth"]
