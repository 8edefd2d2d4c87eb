"""Benchmark of the builder (not a test): prints medians of several runs.

    uv run python tests/benchmarks/bench_build.py [--runs 7] [--full-runs 3]

- no-op edit: a comment added to pipeline.py, the fingerprint already cached: child start,
  depthai import, the user's code, the fingerprint; no package;
- the same with a 10 MB asset in the pipeline (serializeToJson hands asset bytes to Python);
- full builds, compressed and uncompressed, each into an empty cache;
- for reference: a bare `python -c "import depthai"`, with and without os._exit.
Nothing here touches a network or a camera.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from oakd.build import BuildOptions, BuildResult, PackageCache, Project, build_project_sync

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.build.projects import PIPELINE, write_project

WITH_ASSET = PIPELINE.replace(
    "    return pipeline",
    '    script.getAssetManager().set("model", "model.bin")\n    return pipeline',
)


def median_of(runs: int, once: Callable[[int], float]) -> tuple[float, float, float]:
    """Median, min and max of `runs` timings."""
    times = [once(i) for i in range(runs)]
    return statistics.median(times), min(times), max(times)


def show(label: str, stats: tuple[float, float, float], extra: str = "") -> None:
    median, low, high = stats
    spread = f"(min {low * 1000:.0f}, max {high * 1000:.0f})"
    print(f"{label:<44} median {median * 1000:7.0f} ms  {spread}{extra}")


def build(project: Project, options: BuildOptions, cache: PackageCache) -> BuildResult:
    result = build_project_sync(project, options, cache)
    if not result.ok:
        raise SystemExit(f"build failed: {result.failure}")
    return result


def no_op_edits(root: Path, runs: int, code: str, label: str) -> None:
    """Rebuild after a comment-only edit: always UNCHANGED."""
    project = Project(write_project(root, code))
    cache = PackageCache(root / "cache")
    options = BuildOptions(fingerprint_only=True)
    build(project, options, cache)  # warm the page cache
    parts: dict[str, list[float]] = {"import_s": [], "user_s": [], "fingerprint_s": []}

    def once(i: int) -> float:
        with project.entry_path.open("a") as f:
            f.write(f"# edit {i}\n")
        result = build(project, options, cache)
        for name, values in parts.items():
            values.append(getattr(result.durations, name))
        return result.durations.total_s

    stats = median_of(runs, once)
    detail = ", ".join(f"{k[:-2]} {statistics.median(v) * 1000:.0f}" for k, v in parts.items())
    show(label, stats, f"\n{'':<44} of which (ms, medians): {detail}")


def full_builds(root: Path, runs: int, compress: bool) -> None:
    """A package made from scratch each time."""
    project = Project(write_project(root / "src"))
    packaging: list[float] = []
    sizes: list[int] = []

    def once(i: int) -> float:
        cache = PackageCache(root / f"cache-{i}")
        result = build(project, BuildOptions(compress=compress), cache)
        packaging.append(result.durations.package_s)
        sizes.append(result.size)
        return result.durations.total_s

    label = f"full build, {'compressed' if compress else 'uncompressed'}"
    stats = median_of(runs, once)
    show(label, stats, f"  package {statistics.median(packaging):.2f} s, {sizes[0]:,} bytes")


def bare_import(runs: int, exit_early: bool) -> None:
    code = "import depthai, os; os._exit(0)" if exit_early else "import depthai"

    def once(_: int) -> float:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], check=True, env={**os.environ, "DEPTHAI_LEVEL": "error"}
        )
        return time.perf_counter() - start

    show(f"python -c {code!r}", median_of(runs, once))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of the fast cases")
    parser.add_argument("--full-runs", type=int, default=3, help="runs of the full builds")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory(prefix="oakd-bench-") as tmp:
        root = Path(tmp)
        bare_import(args.runs, exit_early=True)
        bare_import(args.runs, exit_early=False)
        no_op_edits(root / "noop", args.runs, PIPELINE, "no-op edit (child + fingerprint)")
        asset = root / "asset" / "counter"
        asset.mkdir(parents=True)
        (asset / "model.bin").write_bytes(os.urandom(10 * 1024 * 1024))
        no_op_edits(root / "asset", args.runs, WITH_ASSET, "no-op edit, 10 MiB asset")
        full_builds(root / "compressed", args.full_runs, compress=True)
        full_builds(root / "plain", args.full_runs, compress=False)


if __name__ == "__main__":
    main()
