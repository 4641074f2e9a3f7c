"""Command line: `inspect` a template, `generate` a GLB from it; `serve`; `migrate` (a
deployment's one-shot step); `admin` (the platform operator's clients, users and keys:
accounts/admin_cli.py).

`server_entry.py` and child processes (`engine_process.py`) hand over the arguments (those
after `--` under `blender --background`). The answer is JSON on stdout, or in the file
`--answer` names. Exit codes: 0 success, 2 the input was rejected (contract or validation
errors, answered as `{"error": …}`), 1 anything else.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager

from .errors import ConfiguratorError, ConfigValidationError, TemplateContractError


@contextmanager
def stdout_redirected(target_fd: int = 2):
    """Send fd 1 elsewhere for a while: Blender's C code and its exporter print to stdout,
    which the CLI keeps for its JSON alone (and benchmarks for their tables)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(target_fd, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _write_answer(value, path: str | None) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if path is None:
        print(text)
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read_config(text: str) -> dict:
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as handle:
            text = handle.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigValidationError(f"--config is not valid JSON: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="server_entry.py", description="Configurator template engine and server")
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="print a template's parameters and JSON Schema")
    generate = commands.add_parser("generate", help="generate the GLB of one configuration")
    for command in (inspect, generate):
        command.add_argument("template", help="path to the template .blend")
        command.add_argument("--answer", metavar="PATH", help="write the JSON answer to PATH instead of stdout")
    generate.add_argument("--config", default="{}", help="configuration as JSON, or @file.json")
    generate.add_argument("-o", "--output", required=True, help="where to write the .glb")
    generate.add_argument("--draco", action="store_true", help="compress meshes with Draco")
    generate.add_argument("--morph", action="store_true", help="a morph GLB: one morph target per number parameter")
    generate.add_argument("--format", choices=("glb", "usdz"), default="glb",
                          help="the file to write: a GLB, or a USDZ for AR (iOS AR Quick Look)")
    inspect.add_argument("--confine", action="store_true",
                         help="confine this process first: it may read only the template's folder")
    inspect.add_argument("--bake", action="store_true",
                         help="then bake the procedural materials as the bake command does (answered as bake)")
    thumbnail = commands.add_parser("thumbnail", help="render the default configuration as {width}.webp "
                                    "beside the template")
    thumbnail.add_argument("template", help="path to the template .blend")
    thumbnail.add_argument("--answer", metavar="PATH", help="write the JSON answer to PATH instead of stdout")
    thumbnail.add_argument("--width", type=int, action="append", required=True, help="a width in pixels (square)")
    thumbnail.add_argument("--config", help="render this configuration (JSON, or @file.json) instead of the defaults")
    thumbnail.add_argument("--confine", action="store_true", help="as for inspect")
    bake = commands.add_parser("bake", help="bake the template's procedural materials into packed images, "
                               "saved as baked.blend beside it (nothing procedural: nothing written)")
    bake.add_argument("template", help="path to the template .blend")
    bake.add_argument("--answer", metavar="PATH", help="write the JSON answer to PATH instead of stdout")
    bake.add_argument("--confine", action="store_true", help="as for inspect")
    for command in (inspect, bake):
        command.add_argument("--resolution", type=int,
                             help="pixels along a baked tile's side for materials without cfg_bake_resolution "
                                  "(default: $BAKE_RESOLUTION or 512)")
    serve = commands.add_parser("serve", help="run the API server and/or GLB workers")
    from .runtime.serve import add_arguments

    add_arguments(serve)
    migrate = commands.add_parser("migrate", help="apply the database migrations to $DATABASE_URL and exit "
                                  "(run once before the API and worker processes of a deployment start)")
    migrate.add_argument("--seed", action="store_true",
                         help="then create the sample products and the demo client's storefront key, once, "
                         "so API replicas can start with serve --no-seed without racing to do it")
    from .sandbox import engine_host

    engine_host.add_arguments(commands.add_parser("engine-host", help="(internal) a worker's engine process"))
    from .accounts import admin_cli

    admin_cli.add_arguments(commands.add_parser("admin", help="the platform operator's commands: "
                                                "clients, users, API keys"))
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from .runtime.serve import serve

        return serve(args)
    if args.command == "migrate":
        return _migrate(args)
    if args.command == "admin":
        from .accounts.admin_cli import run as run_admin

        return run_admin(args)
    if args.command == "engine-host":
        from .sandbox.engine_host import serve

        return serve(args)
    try:
        with stdout_redirected():
            from .engine.blender.generation import Engine
            from .engine.blender.geometry_budget import GeometryBudget
            from .settings import Settings

            settings = Settings.from_env()
            engine = Engine(budget=GeometryBudget(settings.geometry_limit_vertices, settings.geometry_limit_faces))
            if args.command in ("inspect", "thumbnail", "bake") and args.confine:
                from .sandbox import engine_host

                engine_host.confine_to_template(args.template, args.answer)
            if args.command == "inspect":
                output = engine.describe(args.template)
                if args.bake and output["procedural_materials"]:
                    output["bake"] = _bake(args, settings)
            elif args.command == "bake":
                output = _bake(args, settings)
            elif args.command == "thumbnail":
                from .engine.blender.thumbnails import render_template_thumbnails

                output = render_template_thumbnails(engine, args.template, tuple(args.width),
                                                    _read_config(args.config) if args.config else None)
            else:
                result = engine.generate(args.template, _read_config(args.config), draco=args.draco,
                                         morph=args.morph, file_format=args.format)
                with open(args.output, "wb") as handle:
                    handle.write(result.glb)
                output = {"output": args.output, "bytes": len(result.glb), "cache_key": result.cache_key,
                          "template_version": result.template_version, "config": result.config,
                          "timings": result.timings, "warnings": result.warnings, "morph": result.morph,
                          "format": args.format}
    except ConfiguratorError as exc:
        _write_answer({"error": exc.as_dict()}, args.answer)
        print(str(exc), file=sys.stderr)
        return 2 if isinstance(exc, (TemplateContractError, ConfigValidationError)) else 1
    _write_answer(output, args.answer)
    return 0


def _bake(args, settings) -> dict:
    """Bake the template into `baked.blend` beside it (engine/blender/baking.py)."""
    from .engine.blender.baking import bake_template

    folder = os.path.dirname(os.path.abspath(args.template))
    return bake_template(args.template, os.path.join(folder, "baked.blend"),
                         args.resolution or settings.bake_resolution)


def _migrate(args) -> int:
    """One-shot: a deployment migrates once, before its API and workers start (each of them
    would migrate too, under the migrator's advisory lock, but a failed migration should stop
    the rollout rather than every replica). Prints {"applied": [file names]}."""
    import asyncio

    from .db.migrator import migrate
    from .logs import configure_logging
    from .settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    if not settings.database_url:
        print("migrate needs DATABASE_URL (the embedded database migrates itself at serve)", file=sys.stderr)
        return 2
    try:
        applied = asyncio.run(migrate(settings.database_url))
        if args.seed:
            from .runtime.serve import _seed

            asyncio.run(_seed(settings))
    except ConfiguratorError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    _write_answer({"applied": applied}, None)
    return 0


def run(argv: list[str]) -> None:
    """`main`, then leave at once: the answer is written, and Blender's own exit path is slow
    and prints to stdout."""
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
