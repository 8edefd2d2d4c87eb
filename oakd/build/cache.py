"""The package cache: one file per fingerprint, `<cache>/<fingerprint>.dap`, written atomically.

A build whose fingerprint is already here makes no package: the file is reused. Files are
complete or absent: a package is written under a temporary name, checked (its SBR sections lie
within the file), synced, and renamed into place; concurrent builds of the same fingerprint
write the same bytes, so the last rename wins harmlessly.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from oakd.build.firmware import FirmwareCache
from oakd.core.package import MAGIC, package_sections
from oakd.paths import cache_dir

SUFFIX = ".dap"
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
STALE_TEMP_S = 3600.0  # a temporary file this old belongs to a build that died


def default_cache_dir(env: dict[str, str] | None = None) -> Path:
    """<oakd's cache directory>/packages (see oakd.paths.cache_dir)."""
    return cache_dir(None, env) / "packages"


class PackageCache:
    """Packages by fingerprint in one directory (made on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def firmware(self) -> FirmwareCache:
        """The compressed firmware sections that compressed builds reuse (firmware.py)."""
        return FirmwareCache(self.root / "firmware")

    def path_for(self, fingerprint: str) -> Path:
        """Where the package of `fingerprint` lives (whether or not it exists)."""
        if not _FINGERPRINT.match(fingerprint):
            raise ValueError(f"not a fingerprint: {fingerprint!r}")
        return self.root / f"{fingerprint}{SUFFIX}"

    def lookup(self, fingerprint: str) -> Path | None:
        """The cached package of `fingerprint`, or None; a hit counts as a use (for prune)."""
        path = self.path_for(fingerprint)
        try:
            with path.open("rb") as f:
                if f.read(len(MAGIC)) != MAGIC:
                    return None
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves its packages
            os.utime(path)
        return path

    def store(self, fingerprint: str, write: Callable[[Path], object]) -> Path:
        """Have `write(temp_path)` write the package, then move it into place atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path_for(fingerprint)
        temp = self.root / f".{fingerprint}.{os.getpid()}.tmp"
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

    def prune(self, keep: int, protect: set[Path] | frozenset[Path] = frozenset()) -> list[Path]:
        """Delete all but the `keep` most recently used packages (never one in `protect`: a
        queued flash still needs it), and stale temporary files."""
        if not self.root.is_dir():
            return []
        removed: list[Path] = []
        now = time.time()
        for temp in self.root.glob(".*.tmp"):
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
