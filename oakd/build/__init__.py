"""The pipeline builder: a project directory in, a depthai application package (.dap) out.

    from oakd.build import BuildOptions, PackageCache, Project, build_project

    result = await build_project(Project(Path("~/counter").expanduser()), BuildOptions(), cache)

The user's code runs in a child process with a time and a memory limit (runner.py, child.py);
the package is named by a fingerprint of everything that determines it (fingerprint.py,
core/package.py) and kept in a content-addressed cache (cache.py), so that a save that changes
nothing that matters builds nothing. Names are exported lazily: the child imports this package
too, and it should not pay for asyncio.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "build_project": "oakd.build.runner",
    "build_project_sync": "oakd.build.runner",
    "BuildOptions": "oakd.build.model",
    "BuildResult": "oakd.build.model",
    "Outcome": "oakd.build.model",
    "NodeInfo": "oakd.build.model",
    "Failure": "oakd.build.model",
    "Durations": "oakd.build.model",
    "Project": "oakd.build.project",
    "PackageCache": "oakd.build.cache",
    "default_cache_dir": "oakd.build.cache",
    "BuildError": "oakd.build.errors",
    "FailureKind": "oakd.build.errors",
    "app_name": "oakd.core.package",
    "parse_app_name": "oakd.core.package",
    "app_region_size": "oakd.build.limits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'oakd.build' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
