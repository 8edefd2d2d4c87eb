"""The package cache: one file per package, `<cache>/<hash12>.dap`, written atomically.

The one place packages are kept, by the builds and by `oakd flash --dap` alike: a package's name
is the hash its app name carries (core/package.py: a build's fingerprint, or a foreign .dap's
sha256), so the same package is one file however it arrived. A build whose fingerprint is here
already makes no package. Files are complete or absent: a package is written under a temporary
name, checked (its SBR sections lie within the file), synced, and renamed into place; two
writers of the same package write the same bytes, so the last rename wins harmlessly. Pruning
keeps what `in_use` names (queued flashes, what cameras hold as the base of their next delta).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from oakd.build.firmware import FirmwareCache
from oakd.core.package import HASH_CHARS, MAGIC, package_sections
from oakd.paths import TEMP_GLOB, cache_dir, temporary_beside

SUFFIX = ".dap"
_KEY = re.compile(rf"^[0-9a-f]{{{HASH_CHARS},64}}$")  # a fingerprint, or its first HASH_CHARS
STALE_TEMP_S = 3600.0  # a temporary file this old belongs to a build that died


def packages_dir(cache: Path) -> Path:
    """Where the packages live in an oakd cache directory (--cache-dir)."""
    return cache / "packages"


def default_cache_dir(env: dict[str, str] | None = None) -> Path:
    """<oakd's cache directory>/packages (see oakd.paths.cache_dir)."""
    return packages_dir(cache_dir(None, env))


class PackageCache:
    """Packages by hash in one directory (made on first use); `in_use` names the packages that
    pruning must keep."""

    def __init__(self, root: Path, in_use: Callable[[], set[Path]] = set) -> None:
        self.root = Path(root)
        self.in_use = in_use

    @property
    def firmware(self) -> FirmwareCache:
        """The compressed firmware sections that compressed builds reuse (firmware.py)."""
        return FirmwareCache(self.root / "firmware")

    def path_for(self, key: str) -> Path:
        """Where the package of `key` (a fingerprint or a package hash) lives, whether or not
        it exists: named by the hash its app name carries."""
        if not _KEY.match(key):
            raise ValueError(f"not a fingerprint or package hash: {key!r}")
        return self.root / f"{key[:HASH_CHARS]}{SUFFIX}"

    def lookup(self, key: str) -> Path | None:
        """The cached package of `key`, or None; a hit counts as a use (for prune)."""
        path = self.path_for(key)
        try:
            with path.open("rb") as f:
                if f.read(len(MAGIC)) != MAGIC:
                    return None
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves its packages
            os.utime(path)
        return path

    def store(self, key: str, write: Callable[[Path], object]) -> Path:
        """Have `write(temp_path)` write the package, then move it into place atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path_for(key)
        temp = temporary_beside(final)
        try:
            write(temp)
            package_sections(temp)  # depthai's writer does not report a short write
            with temp.open("rb") as f:
                os.fsync(f.fileno())
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        _sync_dir(self.root)
        return final

    def prune(self, keep: int) -> list[Path]:
        """Delete all but the `keep` most recently used packages (never one `in_use` names),
        and stale temporary files."""
        if not self.root.is_dir():
            return []
        protect = self.in_use()
        removed: list[Path] = []
        now = time.time()
        for temp in self.root.glob(TEMP_GLOB):
            if now - temp.stat().st_mtime > STALE_TEMP_S:
                temp.unlink(missing_ok=True)
                removed.append(temp)
        packages = sorted(
            self.root.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in packages[keep:]:
            if old in protect:
                continue
            old.unlink(missing_ok=True)
            removed.append(old)
        return removed


def _sync_dir(path: Path) -> None:
    """Make a rename in `path` survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
