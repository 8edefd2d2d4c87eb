"""`oakd build`: build a project's application package without a daemon (for CI)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from oakd.build.project import DEFAULT_ENTRY, Project
from oakd.cli.commands import Commands, add_command
from oakd.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code,
    fail,
    print_json,
    quiet_when_stdout_closes,
)
from oakd.errors import ConfigError

if TYPE_CHECKING:
    from oakd.build.model import BuildResult
    from oakd.config import Config, ProjectEntry


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd build`."""
    p: argparse.ArgumentParser = add_command(
        sub,
        "build",
        description="Run DIR's entry file in a child process (time and memory limits), check "
        "the pipeline can run standalone, and make its application package, or reuse the "
        "cached one when nothing that matters changed.",
    )
    p.add_argument("dir", metavar="DIR", help="the project directory")
    p.add_argument("-o", "--output", metavar="FILE", help="also copy the package to FILE")
    p.add_argument("--entry", help=f"the entry file in DIR (default {DEFAULT_ENTRY})")
    p.add_argument("--no-compress", action="store_true", help="do not compress the firmware")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--check",
        action="store_true",
        help="run the code and fingerprint the pipeline, make no package (fast, for linting)",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="package cache (default ~/.cache/oakd/...)")
    p.add_argument(
        "--max-size",
        metavar="SIZE",
        type=_size,
        help="fail if the package is larger, e.g. 24MiB (a 32 MiB flash less 8 MiB)",
    )
    p.add_argument("--name", help="project name in the package's app name (default: DIR's)")
    p.add_argument("--timeout", type=float, metavar="S", help="time limit (default [build])")
    p.add_argument("--memory-mb", type=int, metavar="N", help="memory limit (default [build])")
    p.add_argument("--config", metavar="FILE", help="config file (default: $OAKD_CONFIG, ...)")
    p.add_argument(
        "--telemetry",
        action="append",
        metavar="HOST[:PORT]",
        type=_telemetry_target,
        help="add oakd's telemetry: the app reports its boot, heartbeats and what its Scripts "
        "log to the daemon at HOST (the daemon adds it to watched projects itself; "
        "repeatable)",
    )
    p.set_defaults(func=run)


def _telemetry_target(text: str) -> tuple[str, int]:
    import ipaddress

    from oakd.core.telemetry import DEFAULT_PORT

    host, _, port = text.partition(":")
    try:
        ipaddress.IPv4Address(host)
        number = int(port) if port else DEFAULT_PORT
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected the daemon's IPv4 address as the camera sees it, and "
            f"optionally its port (default {DEFAULT_PORT}), like 10.1.2.5:{DEFAULT_PORT}"
        ) from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is 1 to 65535")
    return host, number


def _size(text: str) -> int:
    from oakd.build.limits import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Build once and report; exit 0 when a package is ready, 1 when the build failed."""
    # `oakd build --json | head -1` in CI: a reader that leaves early is no failure to report.
    return quiet_when_stdout_closes(lambda: _build(args))


def _build(args: argparse.Namespace) -> int:
    # Here, not at the top: every `oakd` command builds the parser, and the builder (asyncio,
    # watchfiles, the cache) is not what `oakd status` should wait for.
    from oakd.build.cache import PackageCache, default_cache_dir
    from oakd.build.model import BuildOptions
    from oakd.build.runner import build_project_sync
    from oakd.build.telemetry import Telemetry
    from oakd.config import load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(f"config error: {exc.message}", exit_code(exc))
    if args.check and args.output:
        return fail("--check makes no package to write: drop -o or --check", EXIT_USAGE)
    path = Path(args.dir).expanduser().resolve()
    known = _project_entry(config, path)
    project = Project(
        path=path,
        entry=args.entry or (known.entry if known else DEFAULT_ENTRY),
        name=args.name or "",
    )
    defaults = BuildOptions.from_config(config.build, known, max_size=args.max_size)
    options = BuildOptions(
        compress=defaults.compress and not args.no_compress,
        timeout_s=args.timeout or defaults.timeout_s,
        memory_mb=args.memory_mb or defaults.memory_mb,
        max_size=args.max_size,
        fingerprint_only=args.check,
        telemetry=Telemetry(tuple(args.telemetry)) if args.telemetry else None,
    )
    cache = PackageCache(
        Path(args.cache_dir).expanduser() if args.cache_dir else default_cache_dir()
    )
    try:
        result = build_project_sync(project, options, cache)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_FAILED)
    copied_error = ""
    if result.ok and result.package and args.output:
        copied_error = _copy(result.package, Path(args.output))
    if args.json:
        data = result.to_json()
        data["copied_to"] = args.output if args.output and not copied_error else None
        print_json(data)
    else:
        _print_result(result, args.output if not copied_error else None)
    for warning in result.warnings:  # on stderr with --json too: a script's log shows it
        print(f"oakd: warning: {warning}", file=sys.stderr)
    if copied_error:
        return fail(copied_error, EXIT_FAILED)
    return EXIT_OK if result.ok else EXIT_FAILED


def _project_entry(config: Config, path: Path) -> ProjectEntry | None:
    """The config's [[project]] for this directory, whose entry and compress apply."""
    for entry in config.project:
        if Path(entry.path).expanduser().resolve() == path:
            return entry
    return None


def _copy(package: Path, target: Path) -> str:
    """Copy the package to `target` atomically; '' on success, else what went wrong."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(package, temp)
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        return f"cannot write {target}: {exc.strerror or exc}"
    return ""


def _print_result(result: BuildResult, copied_to: str | None) -> None:
    """The result for a person: what was built, or what failed and the user's traceback."""
    from oakd.build.limits import format_size

    output = result.output
    if output.text:
        cut = (
            f" (last {format_size(len(output.text.encode()))} of {format_size(output.total_bytes)})"
        )
        header = f"--- output of {result.project.entry}{cut if output.truncated else ''} ---"
        print(header, file=sys.stderr)
        print(output.text, end="" if output.text.endswith("\n") else "\n", file=sys.stderr)
    if result.failure is not None:
        if result.failure.traceback:
            print("--- traceback ---", file=sys.stderr)
            print(result.failure.traceback.rstrip("\n"), file=sys.stderr)
        fail(f"build failed [{result.failure.kind.value}]: {result.failure.message}")
        return
    d = result.durations
    if result.outcome.value == "checked":  # Outcome.CHECKED, without importing the model
        print(f"checked {result.app_name} (the pipeline is fine; no package made)")
    else:
        how = "unchanged: reused the cached package" if result.unchanged else "new package"
        print(f"built {result.app_name} ({how})")
        print(f"  package  {result.package}")
        compression = "compressed" if result.compressed else "uncompressed"
        print(f"  size     {format_size(result.size)}, {compression}")
    print(f"  hash     {result.fingerprint}")
    print(f"  nodes    {result.node_summary()}")
    print(
        f"  time     {d.total_s:.2f} s (depthai import {d.import_s:.2f} s, your code "
        f"{d.user_s:.2f} s, fingerprint {d.fingerprint_s:.2f} s, package {d.package_s:.2f} s)"
    )
    if result.telemetry:
        added = result.telemetry
        wrapped = ", ".join(w["name"] for w in added["wrapped"]) or "none"
        print(
            f"  telemetry node {added['node']} ({added['processor']}) reports to "
            f"{', '.join(added['targets'])}; Scripts given the logging prelude: {wrapped}"
        )
    if copied_to:
        print(f"  copied   to {copied_to}")
