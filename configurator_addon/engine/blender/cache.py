"""Warm template cache: each template version is appended and inspected once, then kept
(in its own scene, held by fake users) until it is evicted least-recently-used."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ...errors import TemplateContractError
from ...process_memory import rss_bytes
from .inspection import Inspection, inspect_template
from .loading import LoadedTemplate, create_export_scene, load_template, unload_template


@dataclass
class CachedTemplate:
    loaded: LoadedTemplate
    inspection: Inspection
    cost_bytes: int


class TemplateCache:
    """LRU of loaded templates bounded by count and by estimated memory."""

    def __init__(self, max_templates: int = 16, max_bytes: int = 2 << 30, max_rejected: int = 64):
        self.max_templates = max_templates
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedTemplate] = OrderedDict()
        self._rejected: OrderedDict[str, TemplateContractError] = OrderedDict()
        self._max_rejected = max_rejected

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, version: str) -> bool:
        return version in self._entries

    @property
    def cost_bytes(self) -> int:
        return sum(e.cost_bytes for e in self._entries.values())

    def get(self, version: str, path: str) -> tuple[CachedTemplate, bool]:
        """The cached template for `version`, loading it from `path` on a miss.
        Returns (entry, was_loaded). Contract errors are remembered per version."""
        entry = self._entries.get(version)
        if entry is not None:
            self._entries.move_to_end(version)
            return entry, False
        if version in self._rejected:
            raise self._rejected[version]
        rss_before = rss_bytes()
        loaded = load_template(path, version)
        try:
            inspection = inspect_template(loaded)
            create_export_scene(loaded, inspection.product_collection)
        except TemplateContractError as exc:
            unload_template(loaded)
            self._rejected[version] = exc
            while len(self._rejected) > self._max_rejected:
                self._rejected.popitem(last=False)
            raise
        except BaseException:
            unload_template(loaded)
            raise
        cost = max(rss_bytes() - rss_before, loaded.byte_size)
        entry = CachedTemplate(loaded, inspection, cost)
        self._entries[version] = entry
        self._evict(keep=version)
        return entry, True

    def forget(self, version: str) -> None:
        """Unload one template (e.g. one that failed after loading)."""
        entry = self._entries.pop(version, None)
        if entry is not None:
            unload_template(entry.loaded)

    def _evict(self, keep: str) -> None:
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_templates or self.cost_bytes > self.max_bytes
        ):
            version = next(v for v in self._entries if v != keep)
            unload_template(self._entries.pop(version).loaded)

    def clear(self) -> None:
        while self._entries:
            _, entry = self._entries.popitem()
            unload_template(entry.loaded)
        self._rejected.clear()
