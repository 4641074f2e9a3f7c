"""Morph GLBs (engine/morph.py, engine/blender/morphing.py): real bpy, the real validator.

A morph GLB made for configuration c must reproduce the exact GLB of any v inside its
reported ranges: world positions of base + Σ (v_k − c_k)·Δ_k within 0.1 mm, node for node,
vertex for vertex. Ranges must stop before the topology changes, and the search must find
kinks, topology changes, rules and cross terms by itself (the synthetic cases at the end).
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from configurator_addon.engine.glb import split_glb
from configurator_addon.engine.morph import MORPH_TOLERANCE_M, RangeSearch, Sample, read_accessor
from configurator_addon.engine.result_keys import export_options, result_cache_key
from fixtures_api import run_queued_jobs, upload_product
from glb_geometry import _local_matrix, _matmul
from gltf_validation import validate_glbs

SAMPLES = ("kitchen_base_cabinet", "fireplace_surround", "range_hood")


# -- reading GLBs --------------------------------------------------------------------------
def _mesh_nodes(data: bytes):
    """(node name, world matrix, mesh, document, binary) of every mesh node, in scene order."""
    document, binary = split_glb(data)
    identity = [[float(i == j) for j in range(4)] for i in range(4)]
    scene = document["scenes"][document.get("scene", 0)]
    stack = [(index, identity) for index in reversed(scene.get("nodes", []))]
    while stack:
        index, parent = stack.pop()
        node = document["nodes"][index]
        world = _matmul(parent, _local_matrix(node))
        if "mesh" in node:
            yield node.get("name"), np.array(world), document["meshes"][node["mesh"]], document, binary
        stack.extend((child, world) for child in reversed(node.get("children", [])))


def world_positions(data: bytes, weights: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """World-space vertex positions per mesh node; with `weights`, morphed by the targets."""
    out = {}
    for name, world, mesh, document, binary in _mesh_nodes(data):
        parts = []
        for primitive in mesh["primitives"]:
            position = read_accessor(document, binary, primitive["attributes"]["POSITION"]).astype(np.float64)
            for key, weight in (weights or {}).items():
                target = primitive["targets"][mesh["extras"]["targetNames"].index(key)]
                position = position + weight * read_accessor(document, binary, target["POSITION"])
            parts.append(position)
        points = np.concatenate(parts)
        out[name] = points @ world[:3, :3].T + world[:3, 3]
    return out


def morph_error(morph_glb: bytes, exact_glb: bytes, c: dict, v: dict) -> float:
    """Largest distance (m, per axis) between the morph GLB morphed to v and the exact GLB
    of v; inf when their meshes or vertex counts differ."""
    exact = world_positions(exact_glb)
    morphed = world_positions(morph_glb, {key: v[key] - c[key] for key in v})
    if sorted(exact) != sorted(morphed):
        return np.inf
    if any(exact[name].shape != morphed[name].shape for name in exact):
        return np.inf
    return max(float(np.max(np.abs(exact[name] - morphed[name]), initial=0.0)) for name in exact)


def vertex_counts(data: bytes) -> dict[str, int]:
    return {name: len(points) for name, points in world_positions(data).items()}


def morph_ranges(data: bytes) -> dict:
    return split_glb(data)[0]["extras"]["configurator"]["morph"]


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(sample_catalog):
    return {sample["slug"]: sample["path"] for sample in sample_catalog}


@pytest.fixture(scope="module")
def morphs(engine, samples):
    """Each sample's morph GLB at its defaults, and the exact GLB beside it."""
    return {slug: (engine.generate(path, {}, morph=True), engine.generate(path, {})) for slug, path in samples.items()}


def _numbers(engine, path) -> list[str]:
    return [p.key for p in engine.inspect(path).parameters if p.kind == "float"]


# -- the GLB -------------------------------------------------------------------------------
def test_morph_glbs_pass_the_khronos_validator(morphs):
    reports = validate_glbs([morph.glb for morph, _ in morphs.values()])
    for slug, report in zip(morphs, reports, strict=True):
        assert report["issues"]["numErrors"] == 0, (slug, report["issues"]["messages"][:5])


def test_every_mesh_names_the_number_parameters_in_one_order(engine, samples, morphs):
    for slug, (morph, _) in morphs.items():
        numbers = _numbers(engine, samples[slug])
        document, _ = split_glb(morph.glb)
        assert numbers and document["meshes"]
        for mesh in document["meshes"]:
            assert mesh["extras"]["targetNames"] == numbers, slug
            assert mesh["weights"] == [0.0] * len(numbers)
            for primitive in mesh["primitives"]:
                assert len(primitive["targets"]) == len(numbers)
                assert "_CFG_VERTEX" not in primitive["attributes"]
        assert list(morph_ranges(morph.glb)) == numbers


def test_the_base_is_the_exact_glb_and_node_transforms_are_those_of_c(morphs):
    for slug, (morph, exact) in morphs.items():
        morphed, plain = split_glb(morph.glb)[0], split_glb(exact.glb)[0]
        assert [n.get("translation") for n in morphed["nodes"]] == [n.get("translation") for n in plain["nodes"]]
        base, reference = world_positions(morph.glb), world_positions(exact.glb)
        assert sorted(base) == sorted(reference), slug
        for name in reference:
            assert np.array_equal(base[name], reference[name]), (slug, name)


def test_ranges_hold_c_and_stay_within_the_schema(engine, samples, morphs):
    for slug, (morph, _) in morphs.items():
        schema = engine.inspect(samples[slug]).schema["properties"]
        for key, found in morph_ranges(morph.glb).items():
            assert found["value"] == morph.config[key]
            assert schema[key]["minimum"] <= found["min"] <= found["value"] <= found["max"] <= schema[key]["maximum"]
    ranges = morph_ranges(morphs["kitchen_base_cabinet"][0].glb)
    assert ranges["width"]["max"] > ranges["width"]["min"]  # the cabinet's main slider morphs


def _probe_points(ranges: dict) -> list[dict]:
    """Range ends and midpoints of each parameter alone, and two parameters moved together."""
    movable = [key for key, r in ranges.items() if r["max"] > r["min"]]
    points = []
    for key in movable:
        r = ranges[key]
        points += [{key: r["min"]}, {key: r["max"]}, {key: 0.5 * (r["min"] + r["value"])}]
    if len(movable) >= 2:
        first, second = ranges[movable[0]], ranges[movable[1]]
        points.append({movable[0]: first["max"], movable[1]: second["min"]})
        points.append({movable[0]: first["min"], movable[1]: second["max"]})
    points.append({key: ranges[key]["max"] for key in movable})
    points.append({key: ranges[key]["min"] for key in movable})
    return [p for p in points if any(ranges[k]["value"] != x for k, x in p.items())]


@pytest.mark.slow
def test_morphed_positions_equal_the_exact_glb_inside_the_ranges(engine, samples, morphs):
    for slug, (morph, _) in morphs.items():
        ranges = morph_ranges(morph.glb)
        c = {key: r["value"] for key, r in ranges.items()}
        for point in _probe_points(ranges):
            try:
                exact = engine.generate(samples[slug], {**morph.config, **point})
            except Exception:  # a rule refuses the combination: no shopper can ask for it
                continue
            error = morph_error(morph.glb, exact.glb, c, {**c, **point})
            assert error <= MORPH_TOLERANCE_M, (slug, point, error)


def _normals(data: bytes, weights: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Unit normals per mesh node (local space), morphed by the targets' NORMAL deltas."""
    out = {}
    for name, _, mesh, document, binary in _mesh_nodes(data):
        parts = []
        for primitive in mesh["primitives"]:
            normal = read_accessor(document, binary, primitive["attributes"]["NORMAL"]).astype(np.float64)
            for key, weight in (weights or {}).items():
                target = primitive["targets"][mesh["extras"]["targetNames"].index(key)]
                if "NORMAL" in target:
                    normal = normal + weight * read_accessor(document, binary, target["NORMAL"])
            parts.append(normal / np.linalg.norm(normal, axis=1, keepdims=True))
        out[name] = np.concatenate(parts)
    return out


def _normal_error(exact_glb: bytes, morph_glb: bytes, weights: dict[str, float], node: str) -> float:
    """Largest difference between morphed and exact unit normals of `node`. The exporter
    orders the copies of one vertex (one per distinct corner normal) by their normals'
    bytes, so where normals turn the copies may swap places: each vertex is compared with
    the closest exact normal among the copies at its position."""
    exact_normals = _normals(exact_glb)[node]
    exact_positions = world_positions(exact_glb)[node].astype(np.float32)
    morphed = _normals(morph_glb, weights)[node]
    copies: dict[bytes, list[int]] = {}
    for index, position in enumerate(exact_positions):
        copies.setdefault(position.tobytes(), []).append(index)
    return max(min(float(np.max(np.abs(exact_normals[j] - morphed[i]))) for j in copies[exact_positions[i].tobytes()])
               for i in range(len(morphed)))


def test_normals_that_change_are_carried_by_normal_targets(engine, samples, morphs):
    """The range hood's sloped canopy turns its faces as the width changes: NORMAL targets
    bring the morphed normals close to the exact ones (the targets are first-order)."""
    morph, _ = morphs["range_hood"]
    document, _ = split_glb(morph.glb)
    canopy = next(m for m in document["meshes"] if m["name"] == "Canopy")
    assert all("NORMAL" in target for p in canopy["primitives"] for target in p["targets"])
    found = morph_ranges(morph.glb)["width"]
    exact = engine.generate(samples["range_hood"], {"width": found["min"]}).glb
    error = _normal_error(exact, morph.glb, {"width": found["min"] - found["value"]}, "Canopy")
    unmorphed = _normal_error(exact, morph.glb, {}, "Canopy")
    assert error < 0.01 and error < unmorphed / 4, (error, unmorphed)


def test_ranges_stop_before_the_fireplace_tile_count_changes(engine, samples, morphs):
    """tiles = round(width / 0.30): the opening width's range ends before the count changes."""
    morph, _ = morphs["fireplace_surround"]
    found = morph_ranges(morph.glb)["opening_width"]
    bounds = engine.inspect(samples["fireplace_surround"]).schema["properties"]["opening_width"]
    inside = vertex_counts(morph.glb)
    assert found["max"] < bounds["maximum"] and found["min"] > bounds["minimum"]
    for beyond in (found["max"] + 0.02, found["min"] - 0.02):
        outside = engine.generate(samples["fireplace_surround"], {"opening_width": beyond})
        assert vertex_counts(outside.glb) != inside, beyond
    for within in (found["max"], found["min"]):
        assert vertex_counts(engine.generate(samples["fireplace_surround"], {"opening_width": within}).glb) == inside


def test_discrete_parameters_get_no_target(engine, samples, morphs):
    morph, _ = morphs["kitchen_base_cabinet"]
    names = split_glb(morph.glb)[0]["meshes"][0]["extras"]["targetNames"]
    assert "shelf_count" not in names and "door_count" not in names
    assert vertex_counts(engine.generate(samples["kitchen_base_cabinet"], {"shelf_count": 2}).glb) != \
        vertex_counts(morph.glb)


@pytest.mark.slow
def test_cabinet_handles_keep_their_vertex_count_over_the_width_range(engine, samples):
    """12-sided posts have 30° faces; a 30° bevel limit bevelled them or not with float noise."""
    path = samples["kitchen_base_cabinet"]
    for style in ("Bar Pull", "Knob"):
        for doors, widths in ((1, np.linspace(0.3, 0.9, 13)), (2, np.linspace(0.3, 1.2, 19))):
            counts = {vertex_counts(engine.generate(path, {"width": float(w), "door_count": doors,
                                                          "handle_style": style}).glb)[f"Handles ({style})"]
                      for w in widths}
            assert len(counts) == 1, (style, doors, counts)


def test_inspection_reports_each_number_parameter_morph_range(engine, samples, morphs):
    described = engine.describe(samples["kitchen_base_cabinet"])
    by_key = {p["key"]: p for p in described["parameters"]}
    ranges = morph_ranges(morphs["kitchen_base_cabinet"][0].glb)
    for key, found in ranges.items():
        assert by_key[key]["morph"] == {"at_defaults": found["max"] > found["min"], "min": found["min"],
                                        "max": found["max"]}
    assert "morph" not in by_key["shelf_count"] and "morph" not in by_key["door_style"]


def test_a_morph_glb_is_the_same_bytes_whatever_ran_before(engine, samples, morphs):
    path = samples["kitchen_base_cabinet"]
    engine.generate(path, {"width": 0.8, "height": 0.75, "shelf_count": 2})
    assert engine.generate(path, {}, morph=True).glb == morphs["kitchen_base_cabinet"][0].glb


def test_an_exact_glb_after_a_morph_job_is_the_exact_glb(engine, samples, morphs):
    """A morph job leaves the template at its last probe and removes its numbering modifiers
    without evaluating: the next exact job must not see either."""
    _, exact = morphs["kitchen_base_cabinet"]
    before = engine.generate(samples["kitchen_base_cabinet"], {})
    engine.generate(samples["kitchen_base_cabinet"], {"width": 0.45}, morph=True)
    again = engine.generate(samples["kitchen_base_cabinet"], {})
    assert again.glb == before.glb == exact.glb
    assert again.datablocks == before.datablocks  # the numbering node group is gone again


def test_morph_results_have_their_own_cache_key(morphs):
    morph, exact = morphs["range_hood"]
    assert morph.cache_key != exact.cache_key
    assert morph.cache_key == result_cache_key(morph.template_version, morph.config, export_options(False, True))
    assert exact.cache_key == result_cache_key(exact.template_version, exact.config, {"draco": False, "format": 1})


def test_morph_with_draco_is_refused(engine, samples):
    from configurator_addon.errors import ConfigValidationError

    with pytest.raises(ConfigValidationError, match="Draco"):
        engine.generate(samples["range_hood"], {}, morph=True, draco=True)


# -- through the API -------------------------------------------------------------------------
async def test_the_morph_job_option_returns_a_glb_with_targets_under_its_own_key(api, worker, samples):
    product = await upload_product(api, samples["range_hood"], name="Hood")
    exact = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {}})).json()
    morph = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {},
                                                        "options": {"morph": True}})).json()
    assert morph["id"] != exact["id"] and morph["cache_key"] != exact["cache_key"]
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{morph['id']}")).json()
    assert done["status"] == "COMPLETED", done
    data = await (await api.get(done["result_url"])).read()
    document, _ = split_glb(data)
    assert all(len(p["targets"]) == 2 for m in document["meshes"] for p in m["primitives"])
    assert set(document["extras"]["configurator"]["morph"]) == {"width", "chimney_height"}
    again = await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {},
                                                 "options": {"morph": True}})
    assert again.status == 200 and (await again.json())["cache_key"] == morph["cache_key"]


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_an_upload_stores_each_number_parameter_morph_range(api, samples):
    """Uploads are inspected by `inspect --confine` in a child Blender: its answer, stored
    with the product, carries the morph ranges at the defaults."""
    product = await upload_product(api, samples["range_hood"], name="Hood")
    by_key = {p["key"]: p for p in product["parameters"]}
    assert by_key["width"]["morph"]["at_defaults"] is True
    assert by_key["width"]["morph"]["min"] < 0.9 < by_key["width"]["morph"]["max"]
    assert "morph" not in by_key["style"]


@pytest.mark.slow
async def test_a_confined_engine_process_makes_morph_glbs(tmp_path, samples):
    from configurator_addon.sandbox.sandboxed_engine import SandboxedEngine
    from configurator_addon.settings import Settings

    folder = tmp_path / "templates"
    folder.mkdir()
    path = shutil.copy(samples["range_hood"], folder / "range_hood.blend")
    engine = SandboxedEngine(Settings(var_dir=str(tmp_path / "var")), str(folder))
    try:
        result = await engine.generate(str(path), {}, morph=True)
        exact = await engine.generate(str(path), {})
    finally:
        await engine.close()
    assert set(result.morph["ranges"]) == {"width", "chimney_height"}
    assert morph_ranges(result.glb) == result.morph["ranges"]
    width = result.morph["ranges"]["width"]
    assert width["max"] > width["min"]
    assert sorted(world_positions(result.glb)) == sorted(world_positions(exact.glb))
    assert result.cache_key != exact.cache_key


async def test_morph_with_draco_is_a_422_problem(api, samples):
    product = await upload_product(api, samples["range_hood"], name="Hood")
    response = await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {},
                                                    "options": {"morph": True, "draco": True}})
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert "Draco cannot carry morph targets" in await response.text()


# -- the search on its own: synthetic templates --------------------------------------------
class Synthetic:
    """A 'template' of two vertices whose positions are given functions of the values."""

    def __init__(self, numbers: dict, positions, topology=lambda v: 0, valid=lambda v: True):
        self.numbers = numbers  # key -> (c, minimum, maximum)
        self.positions = positions
        self.topology = topology
        self.valid = valid

    def values(self, overrides):
        return {key: overrides.get(key, c) for key, (c, _, _) in self.numbers.items()}

    def search(self):
        def sample(overrides, normals):
            v = self.values(overrides)
            if not self.valid(v):
                return None
            return Sample(self.topology(v), np.array(self.positions(v), float), np.zeros((2, 3)))

        numbers = [{"key": k, "value": c, "minimum": lo, "maximum": hi} for k, (c, lo, hi) in self.numbers.items()]
        found = RangeSearch(numbers, sample, lambda overrides: self.valid(self.values(overrides))).run()
        return {r.key: (r.minimum, r.maximum) for r in found.ranges}, found


def _points(x, y=0.0):
    return [[x, 0.0, 0.0], [0.0, y, 0.0]]


def test_search_stops_before_a_topology_change():
    template = Synthetic({"w": (0.9, 0.6, 1.2)}, lambda v: _points(v["w"]),
                         topology=lambda v: round(v["w"] / 0.30))
    ranges, _ = template.search()
    low, high = ranges["w"]
    assert 0.75 < low < 0.75 + 0.02 and 1.05 - 0.02 < high < 1.05  # round() flips at 0.75 and 1.05


def test_search_stops_at_a_kink():
    template = Synthetic({"w": (0.6, 0.3, 1.2)}, lambda v: _points(v["w"], min(0.07, 0.22 * v["w"])))
    ranges, _ = template.search()
    low, high = ranges["w"]
    assert high == 1.2 and 0.07 / 0.22 <= low < 0.07 / 0.22 + 0.03


def test_search_keeps_to_what_the_rules_allow():
    template = Synthetic({"w": (0.6, 0.3, 1.2)}, lambda v: _points(v["w"]), valid=lambda v: v["w"] <= 0.9)
    ranges, _ = template.search()
    assert ranges["w"][0] == 0.3 and 0.9 - 1e-6 < ranges["w"][1] <= 0.9


def test_search_finds_a_cross_term_and_drops_the_later_parameter():
    # z = 0.1 + (h - 0.2) * p, as a handle placed at a share p of a door's height h.
    template = Synthetic({"h": (0.87, 0.7, 0.9), "p": (1.0, 0.0, 1.0)},
                         lambda v: _points(v["h"], 0.1 + (v["h"] - 0.2) * v["p"]))
    ranges, found = template.search()
    assert ranges["h"] == (0.7, 0.9)
    assert ranges["p"] == (1.0, 1.0)
    assert any("cross term" in note for note in found.notes)


def test_search_narrows_a_weak_cross_term_instead_of_dropping_it():
    template = Synthetic({"a": (0.5, 0.0, 1.0), "b": (0.5, 0.0, 1.0)},
                         lambda v: _points(v["a"], v["b"] + 0.001 * (v["a"] - 0.5) * (v["b"] - 0.5)))
    ranges, _ = template.search()
    assert ranges["a"] == (0.0, 1.0)
    low, high = ranges["b"]
    assert 0.0 < low < 0.5 < high < 1.0
    assert 0.001 * 0.5 * (high - 0.5) <= MORPH_TOLERANCE_M


def test_an_affine_template_morphs_over_its_whole_schema_range_in_few_evaluations():
    template = Synthetic({"a": (0.5, 0.0, 1.0), "b": (2.0, 1.0, 3.0)}, lambda v: _points(v["a"] + v["b"], 3 * v["b"]))
    ranges, found = template.search()
    assert ranges == {"a": (0.0, 1.0), "b": (1.0, 3.0)}
    assert found.evaluations <= 10


def test_parameters_without_cross_terms_are_checked_together_in_one_probe():
    # Three affine parameters, two-sided: base, a reference and an other-end check each, one
    # probe of all far ends together and one half-way: 1 + 3·2 + 1 + 1.
    template = Synthetic({"a": (0.5, 0.0, 1.0), "b": (2.0, 1.0, 3.0), "c": (0.4, 0.2, 0.5)},
                         lambda v: _points(v["a"] + v["b"], 3 * v["b"] - v["c"]))
    ranges, found = template.search()
    assert ranges == {"a": (0.0, 1.0), "b": (1.0, 3.0), "c": (0.2, 0.5)}
    assert found.evaluations == 9


def test_a_cross_term_of_the_last_parameter_is_found_with_the_others_checked_together():
    # The last parameter is a share of the first (a handle on a door): the probe of all far
    # ends fails, the one without the last holds; the last is dropped.
    template = Synthetic({"h": (0.87, 0.7, 0.9), "d": (0.58, 0.5, 0.65), "p": (1.0, 0.0, 1.0)},
                         lambda v: _points(v["h"] + v["d"], 0.1 + (v["h"] - 0.2) * v["p"]))
    ranges, found = template.search()
    assert ranges == {"h": (0.7, 0.9), "d": (0.5, 0.65), "p": (1.0, 1.0)}
    assert any("'p' does not morph together with 'h', 'd'" in note for note in found.notes)


def test_a_cross_term_between_earlier_parameters_is_not_hidden_by_the_joint_checks():
    # The cross term is between the first two: both joint probes fail, the one-by-one checks
    # drop the second and still accept the third.
    template = Synthetic({"h": (0.87, 0.7, 0.9), "p": (1.0, 0.0, 1.0), "d": (0.58, 0.5, 0.65)},
                         lambda v: _points(v["h"] + v["d"], 0.1 + (v["h"] - 0.2) * v["p"]))
    ranges, found = template.search()
    assert ranges == {"h": (0.7, 0.9), "p": (1.0, 1.0), "d": (0.5, 0.65)}
    assert any("'p' does not morph together with 'h'" in note for note in found.notes)


def test_a_kink_is_solved_from_two_probes_past_it():
    # min(0.07, 0.22·w) stops growing at w = 0.3182: from the two points past it (the end,
    # and a sixteenth in) the search solves where, and that point is probed and fits.
    template = Synthetic({"w": (0.6, 0.0, 1.2)}, lambda v: _points(v["w"], min(0.07, 0.22 * v["w"])))
    ranges, found = template.search()
    low, high = ranges["w"]
    assert high == 1.2 and 0.07 / 0.22 <= low < 0.07 / 0.22 + 0.001
    assert found.evaluations <= 7


def test_a_solved_kink_must_fit_before_it_ends_the_range():
    # Past w = 0.5 the error grows with the square of the distance: the straight line through
    # the two points past it puts the 'kink' far too early; probed, it does not fit, and the
    # range ends where the error is within tolerance.
    template = Synthetic({"w": (0.7, 0.45, 1.2)},
                         lambda v: _points(v["w"], 5 * max(0.0, 0.5 - v["w"]) ** 2))
    ranges, _ = template.search()
    low, high = ranges["w"]
    assert high == 1.2 and 0.5 - 0.0032 <= low < 0.5 + 0.02  # 5·d² ≤ 0.05 mm: d ≤ 3.2 mm


def test_a_kink_solved_close_to_c_does_not_vouch_for_the_reference_side():
    # A kink at 0.58 on the short side, and one at 0.9 on the reference's (x grows 0.4% faster
    # past it): the solved 0.58 fits the quotient, but it is too close to c to show that the
    # quotient's slope is the slope across c, so the half-way probe is still made and the
    # reference moves in to 0.9.
    template = Synthetic({"w": (0.6, 0.55, 1.2)},
                         lambda v: [[v["w"] + 0.004 * max(0.0, v["w"] - 0.9), 0.0, 0.0],
                                    [0.0, 0.1 * max(v["w"], 0.58), 0.0]])
    ranges, _ = template.search()
    low, high = ranges["w"]
    assert 0.58 <= low < 0.581 and 0.9 <= high < 0.9 + 0.3 / 16


def test_a_one_sided_parameter_dropped_for_a_cross_term_costs_no_half_way_probe():
    # p is at its maximum (one side only) and a share of h: dropped at the far ends, where
    # its quotient is exact, so its half-way probe is never needed. Base, h's reference and
    # other end, p's reference, the probe of both far ends, h half-way: 6.
    template = Synthetic({"h": (0.87, 0.7, 0.9), "p": (1.0, 0.0, 1.0)},
                         lambda v: _points(v["h"], 0.1 + (v["h"] - 0.2) * v["p"]))
    ranges, found = template.search()
    assert ranges == {"h": (0.7, 0.9), "p": (1.0, 1.0)}
    assert found.evaluations == 6


def test_a_one_sided_parameter_that_morphs_still_has_its_half_way_probe():
    # w is at its maximum and kinked at 0.318: accepted (no cross term), its left-out
    # half-way probe breaks, and the search is made again with it, ending at the kink.
    template = Synthetic({"a": (0.5, 0.0, 1.0), "w": (1.0, 0.0, 1.0)},
                         lambda v: [[v["a"], 0.0, 0.0], [0.0, min(0.07, 0.22 * v["w"]), 0.0]])
    ranges, _ = template.search()
    assert ranges["a"] == (0.0, 1.0)
    low, high = ranges["w"]
    assert high == 1.0 and 0.07 / 0.22 <= low < 0.07 / 0.22 + 0.03
