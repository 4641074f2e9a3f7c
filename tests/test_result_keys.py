"""Content-addressed keys (no bpy): what a generation result's cache key depends on."""
from __future__ import annotations

import hashlib

from configurator_addon.engine.result_keys import export_options, result_cache_key, template_version

CONFIG = {"width": 0.9, "handle": "Bar", "shelf_count": 2}
VERSION = template_version(b"a template")


def key(version: str = VERSION, config: dict = CONFIG, draco: bool = False) -> str:
    return result_cache_key(version, config, export_options(draco))


def test_a_template_version_is_the_sha256_of_its_bytes():
    assert VERSION == hashlib.sha256(b"a template").hexdigest()


def test_the_same_inputs_give_the_same_key_whatever_the_order_of_keys():
    assert key() == key(config=dict(reversed(CONFIG.items())))
    assert len(key()) == 64


def test_another_template_version_gives_another_key():
    assert key(version=template_version(b"a revised template")) != key()


def test_another_configuration_gives_another_key():
    assert key(config={**CONFIG, "width": 1.0}) != key()


def test_other_export_options_give_another_key():
    assert key(draco=True) != key()
