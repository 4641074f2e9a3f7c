"""The budget of evaluated geometry per job: a template whose parameters can make millions
of faces (a Repeat Zone or Grid driven by a customer's value) is stopped after evaluation,
before the exporter spends minutes and gigabytes on it."""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import ErrorDetail, GeometryLimitExceeded


@dataclass(frozen=True)
class GeometryBudget:
    max_vertices: int
    max_faces: int

    def check(self, view_layer) -> dict[str, int]:
        """The evaluated counts of `view_layer` (instances included); raises when over."""
        counts = evaluated_geometry(view_layer)
        over = [ErrorDetail(code="GEOMETRY_LIMIT", location=kind,
                            message=f"{counts[kind]:,} evaluated {kind}; the limit is {limit:,}")
                for kind, limit in (("vertices", self.max_vertices), ("faces", self.max_faces))
                if counts[kind] > limit]
        if over:
            raise GeometryLimitExceeded("the configured model has more geometry than a job may make", over)
        return counts


def evaluated_geometry(view_layer) -> dict[str, int]:
    vertices = faces = 0
    for instance in view_layer.depsgraph.object_instances:
        data = instance.object.data
        if instance.object.type == "MESH" and data is not None:
            vertices += len(data.vertices)
            faces += len(data.polygons)
    return {"vertices": vertices, "faces": faces}
