"""Morph GLBs without Blender: the range search and the writing of morph targets.

A morph GLB is the exact GLB of a configuration c plus one morph target per continuous
(`number`) parameter k, whose POSITION delta is the displacement per unit of k:
position(v) = base + Σ_k (v_k − c_k)·Δ_k. That is exact only where the template is affine in
each parameter and its topology does not change, so every target comes with a range
[a_k, b_k] ∋ c_k, found here by evaluating the template (`Sampler`, given by the Blender
side): at the ends of the schema's valid interval, bisecting where the topology or the
affine prediction breaks, then with all parameters moved together (their midpoints and
ends) so that cross terms would show. Evaluations are counted; the search needs no
knowledge of any template.

Positions compared are world-space (metres); deltas are written in each mesh's local
space of c, so node transforms stay those of c (see docs/engine.md, "Morph GLBs").
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Morphed positions must equal the exact GLB's within this, in world space (metres).
MORPH_TOLERANCE_M = 1e-4
# Probes compare at a part of the tolerance: float32 GLB positions and the deltas' own
# rounding take the rest.
PROBE_TOLERANCE_M = 0.5 * MORPH_TOLERANCE_M
BISECTION_STEPS = 4          # per side: a range end is found to 1/16 of what is left between
VALIDITY_BISECTION_STEPS = 12  # rules (no Blender) are cheaper to ask, a rule's round bound is tried after
COMBINED_SHRINK_STEPS = 3    # a failed check with all parameters moved halves all ranges
MIN_CROSS_SHARE = 1 / 8      # a cross term needing a narrower range than this: no range
MIN_NORMAL_CHANGE = 1e-3     # below this over a range, a target carries no NORMAL delta
UNBOUNDED_ROOM = 1.0         # a number without schema bounds is searched ±1 around its value

_FLOAT = 5126
_ARRAY_BUFFER = 34962


@dataclass
class Sample:
    """One evaluation of the template: a hashable topology (vertex and index counts per
    mesh and the index buffers themselves), world-space positions of the exported
    vertices in export order (N×3) and their normals in the local space of c (N×3)."""

    topology: object
    positions: np.ndarray
    normals: np.ndarray


# `sample(overrides, normals)` evaluates c with some number parameters changed (normals read
# only when asked: a delta's reference needs them, a check does not); the search asks only
# for configurations `valid(overrides)` accepts (the schema and its rules, no Blender).
Sampler = Callable[[dict, bool], Sample]


@dataclass
class MorphRange:
    key: str
    value: float
    minimum: float
    maximum: float
    delta: np.ndarray | None = None          # N×3 local-space displacement per unit
    normal_delta: np.ndarray | None = None   # N×3 or None where normals do not change
    check_at: float | None = None            # a one-sided range's half-way probe, not yet made

    @property
    def can_morph(self) -> bool:
        return self.maximum > self.minimum

    def as_dict(self) -> dict:
        return {"value": self.value, "min": self.minimum, "max": self.maximum}


@dataclass
class MorphSearch:
    """What the search found, and what it cost."""

    ranges: list[MorphRange]
    evaluations: int = 0
    notes: list[str] = field(default_factory=list)


def _tidy(value: float) -> float:
    return float(f"{value:.9g}")


class RangeSearch:
    """Finds each number parameter's morph range around c (see the module docstring)."""

    def __init__(self, numbers: list[dict], sample: Sampler, valid: Callable[[dict], bool],
                 base: Sample | None = None):
        """`numbers`: [{key, value, minimum, maximum}] of the number parameters at c;
        `base`, c itself with normals when the caller has it already (read as c was
        exported), else the first probe. Deltas found are world-space; the caller turns
        them into local ones."""
        self.numbers = numbers
        self._sample = sample
        self._is_valid = valid
        self.evaluations = 0
        self.base = base
        self._validity: dict[tuple, bool] = {}
        self._samples: dict[tuple, Sample | None] = {}
        self._rooms: dict[str, tuple[float, float]] = {}
        self._dropped_at_far_ends: set[str] = set()

    def sample(self, overrides: dict, normals: bool = False) -> Sample | None:
        """An evaluation, remembered: the search comes back to some points with another
        delta (a range end first tried as a reference), and those cost nothing twice."""
        key = tuple(sorted(overrides.items()))
        known = self._samples.get(key, False)
        if known is not False and (known is None or not normals or known.normals is not None):
            return known
        if not self._inside_room(overrides) and not self._valid(overrides):
            self._samples[key] = None
            return None
        self.evaluations += 1
        self._samples[key] = found = self._sample(overrides, normals)
        return found

    def _inside_room(self, overrides: dict) -> bool:
        """One parameter moved within its room: valid already (the room's ends are, and
        validity along one parameter is taken to be an interval)."""
        if len(overrides) != 1:
            return False
        ((key, value),) = overrides.items()
        room = self._rooms.get(key)
        return room is not None and room[0] <= value <= room[1]

    def _valid(self, overrides: dict) -> bool:
        key = tuple(sorted(overrides.items()))
        if key not in self._validity:
            self._validity[key] = self._is_valid(overrides)
        return self._validity[key]

    # -- one parameter -------------------------------------------------------------------
    def _room(self, number: dict, side: int) -> float:
        """The farthest value on `side` the schema bounds and the rules allow (only rules
        are asked: no evaluation), with the other parameters at c."""
        key, value = number["key"], number["value"]
        bound = number["maximum"] if side > 0 else number["minimum"]
        if bound is None:
            bound = value + side * UNBOUNDED_ROOM
        if (bound - value) * side <= 0:
            return value
        if self._valid({key: bound}):
            return bound
        good, bad = value, bound
        for _ in range(VALIDITY_BISECTION_STEPS):
            middle = 0.5 * (good + bad)
            if self._valid({key: middle}):
                good = middle
            else:
                bad = middle
        # A rule's bound is a round number (width ≤ 0.9): the shortest one in (good, bad) the
        # rules accept, rather than 0.8999817.
        for digits in range(2, 8):
            rounded = float(f"{good:.{digits}g}")
            if 0 < (rounded - good) * side < (bad - good) * side and self._valid({key: rounded}):
                return rounded
        return good

    def _same_topology(self, sample: Sample | None) -> bool:
        return sample is not None and sample.topology == self.base.topology

    def _affine_error(self, sample: Sample, predicted_world: np.ndarray) -> float:
        if len(sample.positions) == 0:
            return 0.0
        return float(np.max(np.abs(sample.positions - predicted_world)))

    def _fits(self, key: str, value: float, delta_world: np.ndarray, origin: float) -> bool:
        sample = self.sample({key: value})
        if not self._same_topology(sample):
            return False
        predicted = self.base.positions + (value - origin) * delta_world
        return self._affine_error(sample, predicted) <= PROBE_TOLERANCE_M

    def _search_parameter(self, number: dict, confirm: bool = True) -> MorphRange:
        """`confirm` false: a range with one side only, whose reference is its room's end,
        leaves its half-way probe to be made (`check_at`) once it is known to morph at all
        (`run`)."""
        key, value = number["key"], number["value"]
        rooms = {side: self._room(number, side) for side in (1, -1)}
        self._rooms[key] = (rooms[-1], rooms[1])
        found = MorphRange(key, value, value, value)
        sides = sorted((side for side in rooms if rooms[side] != value),
                       key=lambda side: -abs(rooms[side] - value))
        if not sides:
            return found
        # The delta comes from the farthest point of the same topology (the most precise
        # quotient); halving towards c until the topology holds.
        far_side = sides[0]
        point, reference, broken = rooms[far_side], None, rooms[far_side]
        for _ in range(BISECTION_STEPS + 1):
            reference = self.sample({key: point}, normals=True)
            if self._same_topology(reference):
                break
            broken, point, reference = point, value + 0.5 * (point - value), None
        if reference is None:
            return found
        ends = {far_side: point}
        delta_world = (reference.positions - self.base.positions) / (point - value)
        # The quotient from the far side must predict the other side's end: then the model
        # is affine across c (a kink on either side would break that), and the joint checks
        # (`_together`) look half-way. Else, half-way to the reference the quotient must
        # predict, or a kink lies between (a frame's width min(0.07, 0.22·door) stops
        # growing) and the reference moves in; the other side is then bisected.
        near_side = sides[1] if len(sides) > 1 else None
        near_kink = None
        if near_side is not None and not self._fits(key, rooms[near_side], delta_world, value):
            near_kink = self._near_kink(key, value, point, rooms[near_side], delta_world)
        if near_kink is not None:
            ends[near_side] = near_kink
        elif near_side is None and not confirm and point == rooms[far_side]:
            found.check_at = value + 0.5 * (point - value)
        elif near_side is None or not self._fits(key, rooms[near_side], delta_world, value):
            for _ in range(BISECTION_STEPS):
                middle = value + 0.5 * (point - value)
                probe = self.sample({key: middle}, normals=True)
                if self._same_topology(probe) and self._affine_error(
                        probe, self.base.positions + (middle - value) * delta_world) <= PROBE_TOLERANCE_M:
                    break
                if not self._same_topology(probe):
                    return found
                point, reference = middle, probe
                delta_world = (reference.positions - self.base.positions) / (point - value)
            else:
                return found
            ends = {far_side: point}
            if near_side is not None:
                ends[near_side] = self._extend(key, value, value, rooms[near_side], delta_world)
        else:
            ends[near_side] = rooms[near_side]
        # The far side: between `point` and the nearest point known to break (the room's end
        # at worst) the topology or the prediction broke; bisect there.
        if point != rooms[far_side]:
            if (broken - value) * far_side <= (point - value) * far_side:
                broken = rooms[far_side]
            ends[far_side] = self._extend(key, value, point, broken, delta_world)
        found.minimum = _tidy(min(ends.get(-1, value), value))
        found.maximum = _tidy(max(ends.get(1, value), value))
        found.delta = delta_world
        normal_delta = (reference.normals - self.base.normals) / (point - value)
        span = found.maximum - found.minimum
        if normal_delta.size and float(np.max(np.abs(normal_delta))) * span > MIN_NORMAL_CHANGE:
            found.normal_delta = normal_delta
        return found

    def _extend(self, key: str, value: float, good: float, end: float, delta_world: np.ndarray) -> float:
        """The farthest point towards `end` (from `good`, known to fit) that fits."""
        if self._fits(key, end, delta_world, value):
            return end
        bad = end
        kink = self._kink(key, value, good, end, delta_world)
        if kink is not None:
            good, bad = kink
            if bad is None:
                return good
        for _ in range(BISECTION_STEPS):
            middle = 0.5 * (good + bad)
            if self._fits(key, middle, delta_world, value):
                good = middle
            else:
                bad = middle
        return good

    def _near_kink(self, key: str, value: float, point: float, end: float,
                   delta_world: np.ndarray) -> float | None:
        """The other side's end when its kink, solved (`_kink`), fits at least half as far
        from c as the reference: then the half-way probe towards the reference is not
        needed. A kink on the reference's side would make the quotient's slope differ from
        the slope across c, by an error growing with the distance from c; at the solved
        point, as far from c as half the way to the reference or farther, that error is at
        least half the error at such a kink, so fitting there (within half the tolerance)
        keeps the reference's side within the tolerance."""
        found = self._kink(key, value, value, end, delta_world)
        if found is None or found[1] is not None:
            return None
        if abs(found[0] - value) < 0.5 * abs(point - value):
            return None
        return found[0]

    def _kink(self, key: str, value: float, good: float, end: float,
              delta_world: np.ndarray) -> tuple[float, float | None] | None:
        """Where the prediction breaks with the topology unchanged, the template is mostly
        affine on both sides of a kink (a frame's width min(0.07, 0.22·door) stops growing):
        the prediction's error grows in proportion to the distance past it. So, rather than
        bisecting `BISECTION_STEPS` times: a second point a sixteenth in from `end` (fitting,
        it is the range end, as close as bisection would come), and where both break, the
        kink solved from their two errors and probed — it must fit to be the end. Returns
        (a point that fits, None) when that is the end, (good, bad) left to bisect (the
        second point if it broke), or None (another topology at `end`: bisect as it is)."""
        far = self.sample({key: end})
        if not self._same_topology(far):
            return None
        near = end + (good - end) / 16
        if self._fits(key, near, delta_world, value):
            return near, None
        closer = self.sample({key: near})
        if not self._same_topology(closer):
            return good, near
        # error(v) = error(near) + (v − near)·slope: least squares for where it is zero.
        error_far = far.positions - self.base.positions - (end - value) * delta_world
        error_near = closer.positions - self.base.positions - (near - value) * delta_world
        slope = (error_far - error_near) / (end - near)
        square = float(np.sum(slope * slope))
        if square == 0.0:
            return good, near
        kink = near - float(np.sum(error_near * slope)) / square
        if not (good - near) * (kink - near) > 0 or (good - kink) * (good - near) <= 0:
            return good, near
        # A hair towards c: the solved point is the kink itself, give or take the rounding.
        kink += (good - kink) / 1024
        if self._fits(key, kink, delta_world, value):
            return kink, None
        return good, kink

    # -- all parameters together --------------------------------------------------------
    def _combined_fit(self, ranges: list[MorphRange], point: dict) -> bool:
        if not self._valid(point):
            return True  # a shopper cannot ask for it; each range alone was valid
        sample = self.sample(point)
        if not self._same_topology(sample):
            return False
        predicted = self.base.positions.copy()
        for r in ranges:
            if r.key in point:
                predicted += (point[r.key] - r.value) * r.delta
        return self._affine_error(sample, predicted) <= MORPH_TOLERANCE_M

    @staticmethod
    def _far_end(r: MorphRange) -> float:
        return r.maximum if r.maximum - r.value >= r.value - r.minimum else r.minimum

    def _cross_error(self, accepted: list[MorphRange], candidate: MorphRange) -> float:
        """The prediction's error with `candidate` and every accepted parameter at their far
        ends together (0 where a rule refuses that point; inf for another topology)."""
        point = {**{r.key: self._far_end(r) for r in accepted}, candidate.key: self._far_end(candidate)}
        if not self._valid(point):
            return 0.0
        sample = self.sample(point)
        if not self._same_topology(sample):
            return math.inf
        predicted = self.base.positions.copy()
        for r in (*accepted, candidate):
            predicted += (point[r.key] - r.value) * r.delta
        return self._affine_error(sample, predicted)

    def _accepted_at_once(self, candidates: list[MorphRange]) -> tuple[list[MorphRange], list[MorphRange]]:
        """(accepted, still to check one by one). Checking each candidate with those before it
        costs a probe per parameter; most templates have no cross term, so first one probe
        with all of them at their far ends: within tolerance, all are accepted. Else one
        without the last (a cross term is often the last parameter's, a share of what came
        before): within tolerance, only the last is left to check (its point is the first
        probe's, remembered). Else one by one from the start. A check that fails only
        costs that probe: the one-by-one checks end at the same points."""
        if len(candidates) < 2:
            return [], candidates
        if self._cross_error(candidates[:-1], candidates[-1]) <= MORPH_TOLERANCE_M:
            return candidates, []
        if len(candidates) > 2 and self._cross_error(candidates[:-2], candidates[-2]) <= MORPH_TOLERANCE_M:
            return candidates[:-1], candidates[-1:]
        return [], candidates

    def _together(self, ranges: list[MorphRange], notes: list[str]) -> bool:
        """Accept parameters in the template's order; one that does not morph together
        with those before it is narrowed, or else cannot morph. A cross term (a product of
        two parameters: a handle's height is a share of the door's) is bilinear, so one
        probe with all far ends together measures it, and the error shrinks in proportion
        to the candidate's range: narrowed by tolerance/error, it is checked once more.
        False: a half-way probe left out (`check_at`) breaks, and the search must be made
        again with it (`run`)."""
        accepted, pending = self._accepted_at_once([r for r in ranges if r.can_morph])
        for candidate in pending:
            error = self._cross_error(accepted, candidate) if accepted else 0.0
            narrowed = False
            if error > MORPH_TOLERANCE_M and math.isfinite(error):
                share = 0.8 * MORPH_TOLERANCE_M / error
                if share >= MIN_CROSS_SHARE:
                    narrowed = True
                    candidate.minimum = _tidy(candidate.value - share * (candidate.value - candidate.minimum))
                    candidate.maximum = _tidy(candidate.value + share * (candidate.maximum - candidate.value))
                    error = self._cross_error(accepted, candidate)
            if error <= MORPH_TOLERANCE_M:
                accepted.append(candidate)
                continue
            if not narrowed:  # decided at the far ends alone, where a quotient is exact
                self._dropped_at_far_ends.add(candidate.key)
            notes.append(f"'{candidate.key}' does not morph together with "
                         f"{', '.join(repr(r.key) for r in accepted)} (a cross term): no morph range")
            candidate.minimum = candidate.maximum = candidate.value
        # A one-sided range's half-way probe is left out only where the parameter was dropped
        # for a cross term at the far ends (a handle's position, one-sided at the top, with
        # the door's height): that check is at the reference itself, where the quotient is
        # exact whether or not a kink lies between, so its verdict stands. Every other
        # decision used the quotient in between, so those probes are made now.
        if any(r.check_at is not None and r.key not in self._dropped_at_far_ends
               and not self._fits(r.key, r.check_at, r.delta, r.value) for r in ranges):
            return False
        # Inside the ranges: all parameters half-way to their far ends at once.
        for _ in range(COMBINED_SHRINK_STEPS):
            middle = {r.key: 0.5 * (r.value + self._far_end(r)) for r in accepted}
            if not middle or self._combined_fit(accepted, middle):
                return True
            notes.append(f"half-way at {middle} the prediction breaks: ranges halved")
            for r in accepted:
                r.minimum = _tidy(r.value - 0.5 * (r.value - r.minimum))
                r.maximum = _tidy(r.value + 0.5 * (r.maximum - r.value))
        notes.append("the parameters do not morph half-way: no morph ranges")
        for r in accepted:
            r.minimum = r.maximum = r.value
        return True

    def run(self) -> MorphSearch:
        if self.base is None:
            self.base = self.sample({}, normals=True)
        else:
            self._samples[()] = self.base
        notes: list[str] = []
        # The first parameter is never dropped for a cross term (it is checked with none
        # before it), so leaving its half-way probe out could only cost a second search.
        ranges = [self._search_parameter(number, confirm=index == 0) for index, number in enumerate(self.numbers)]
        if not self._together(ranges, notes):  # again, every probe made remembered
            self._dropped_at_far_ends.clear()
            notes = []
            ranges = [self._search_parameter(number) for number in self.numbers]
            self._together(ranges, notes)
        for r in ranges:
            if not r.can_morph:
                r.delta = r.normal_delta = None
        return MorphSearch(ranges, self.evaluations, notes)


# -- GLB: reading positions, writing targets ------------------------------------------------
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}


def read_accessor(document: dict, binary: bytes, index: int) -> np.ndarray:
    """An accessor's elements (count × components), plain (not sparse, not normalized)."""
    accessor = document["accessors"][index]
    components = _COMPONENTS[accessor["type"]]
    dtype = np.dtype(_DTYPES[accessor["componentType"]])
    count = accessor["count"]
    if "bufferView" not in accessor:
        return np.zeros((count, components), dtype)
    view = document["bufferViews"][accessor["bufferView"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    stride = view.get("byteStride", components * dtype.itemsize)
    raw = np.frombuffer(binary, np.uint8, count=(count - 1) * stride + components * dtype.itemsize, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, (count, components * dtype.itemsize), (stride, 1))
    return np.ascontiguousarray(rows).view(dtype).reshape(count, components)


def drop_attributes(document: dict, binary: bytes, prefix: str) -> bytes:
    """Remove primitive attributes whose names start with `prefix` and repack the binary
    chunk without the bytes only they used. Returns the new binary chunk."""
    dropped = set()
    for mesh in document.get("meshes", []):
        for primitive in mesh["primitives"]:
            for name in [n for n in primitive["attributes"] if n.startswith(prefix)]:
                dropped.add(primitive["attributes"].pop(name))
    if not dropped:
        return binary
    keep = [i for i in range(len(document["accessors"])) if i not in dropped]
    accessor_index = {old: new for new, old in enumerate(keep)}
    document["accessors"] = [document["accessors"][i] for i in keep]
    for mesh in document.get("meshes", []):
        for primitive in mesh["primitives"]:
            primitive["attributes"] = {n: accessor_index[i] for n, i in primitive["attributes"].items()}
            if "indices" in primitive:
                primitive["indices"] = accessor_index[primitive["indices"]]
            for target in primitive.get("targets", []):
                for name in target:
                    target[name] = accessor_index[target[name]]
    for skin in document.get("skins", []):
        if "inverseBindMatrices" in skin:
            skin["inverseBindMatrices"] = accessor_index[skin["inverseBindMatrices"]]
    for animation in document.get("animations", []):
        for sampler in animation.get("samplers", []):
            sampler["input"], sampler["output"] = accessor_index[sampler["input"]], accessor_index[sampler["output"]]
    # Keep the buffer views still referenced, copied into a new binary chunk in order.
    users = [a for a in document["accessors"] if "bufferView" in a] + \
            [i for i in document.get("images", []) if "bufferView" in i]
    used = sorted({u["bufferView"] for u in users})
    view_index, packed = {}, bytearray()
    views = []
    for old in used:
        view = dict(document["bufferViews"][old])
        start, length = view.get("byteOffset", 0), view["byteLength"]
        packed += b"\0" * (-len(packed) % 8)
        view["byteOffset"] = len(packed)
        packed += binary[start:start + length]
        view_index[old] = len(views)
        views.append(view)
    for user in users:
        user["bufferView"] = view_index[user["bufferView"]]
    document["bufferViews"] = views
    if document.get("buffers"):
        document["buffers"][0]["byteLength"] = len(packed) + (-len(packed) % 4)
    return bytes(packed)


def _append_vec3(document: dict, binary: bytearray, values: np.ndarray) -> int:
    """A float VEC3 accessor of `values` (with the min/max POSITION targets need); an
    all-zero one takes no bytes (an accessor without a buffer view is zeros)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    accessor = {"componentType": _FLOAT, "count": int(len(values)), "type": "VEC3"}
    if len(values) and np.any(values):
        binary += b"\0" * (-len(binary) % 4)
        document["bufferViews"].append({"buffer": 0, "byteOffset": len(binary), "byteLength": values.nbytes,
                                        "target": _ARRAY_BUFFER})
        binary += values.tobytes()
        accessor["bufferView"] = len(document["bufferViews"]) - 1
        accessor["min"] = [float(x) for x in values.min(axis=0)]
        accessor["max"] = [float(x) for x in values.max(axis=0)]
    else:
        accessor["min"] = [0.0, 0.0, 0.0]
        accessor["max"] = [0.0, 0.0, 0.0]
    document["accessors"].append(accessor)
    return len(document["accessors"]) - 1


def add_morph_targets(document: dict, binary: bytes, segments: list[tuple[int, list[tuple[int, int, int]]]],
                      ranges: list[MorphRange], total_vertices: int) -> bytes:
    """Give every mesh one target per number parameter (in `ranges` order).

    `segments`: per mesh node, (node index, [(primitive index, first row, row count)]),
    rows into the concatenated N×3 delta arrays. A mesh used by several nodes is split so
    each node has its own targets. Returns the new binary chunk."""
    binary = bytearray(binary)
    names = [r.key for r in ranges]
    zeros = np.zeros((total_vertices, 3), np.float32)
    for node_index, primitives in segments:
        node = document["nodes"][node_index]
        mesh = document["meshes"][node["mesh"]]
        if mesh.get("targets_written"):
            mesh = {**mesh, "primitives": [dict(p) for p in mesh["primitives"]]}
            document["meshes"].append(mesh)
            node["mesh"] = len(document["meshes"]) - 1
        for primitive_index, first, count in primitives:
            primitive = mesh["primitives"][primitive_index]
            rows = slice(first, first + count)
            with_normals = "NORMAL" in primitive["attributes"] and any(
                r.normal_delta is not None and np.any(r.normal_delta[rows]) for r in ranges)
            targets = []
            for r in ranges:
                target = {"POSITION": _append_vec3(document, binary, (r.delta if r.delta is not None else zeros)[rows])}
                if with_normals:
                    normal = r.normal_delta if r.normal_delta is not None else zeros
                    target["NORMAL"] = _append_vec3(document, binary, normal[rows])
                targets.append(target)
            primitive["targets"] = targets
        mesh["weights"] = [0.0] * len(ranges)
        mesh["extras"] = {**mesh.get("extras", {}), "targetNames": names}
        mesh["targets_written"] = True
    for mesh in document.get("meshes", []):
        mesh.pop("targets_written", None)
    binary += b"\0" * (-len(binary) % 4)
    document["buffers"][0]["byteLength"] = len(binary)
    document["extras"] = {**document.get("extras", {}),
                          "configurator": {"morph": {r.key: r.as_dict() for r in ranges}}}
    return bytes(binary)


def yup(vectors: np.ndarray) -> np.ndarray:
    """Blender's Z-up to glTF's Y-up, as the exporter converts: (x, y, z) -> (x, z, −y)."""
    return np.stack([vectors[:, 0], vectors[:, 2], -vectors[:, 1]], axis=1)


def is_finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

