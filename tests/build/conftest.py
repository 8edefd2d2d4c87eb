"""Fixtures of the builder's tests: one real compressed package, shared by the whole suite."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from oakd.build import BuildOptions, BuildResult, PackageCache, Project, build_project_sync
from tests import firmware
from tests.build.projects import write_project


@dataclass(frozen=True)
class Built:
    """A project built once, compressed, into its own cache."""

    project: Project
    cache: PackageCache
    result: BuildResult


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A Script-node project and its real package (DAP creation takes seconds: build it once)."""
    root = tmp_path_factory.mktemp("built")
    project = Project(write_project(root / "src"))
    cache = PackageCache(root / "cache")
    firmware.seed(cache.firmware.root)  # tests/firmware.py
    result = build_project_sync(project, BuildOptions(), cache)
    assert result.ok, result.failure
    return Built(project, cache, result)


@pytest.fixture
def cache(tmp_path: Path) -> PackageCache:
    """An empty package cache of the test's own."""
    return PackageCache(tmp_path / "cache")
