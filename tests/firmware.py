"""The suite's one compressed device firmware, made once for all xdist workers.

Compressing depthai's 28 MB firmware (zlib level 9) takes 3 s of CPU, and a daemon compresses
it on its first build into an empty cache: dozens of test daemons, each with a cache of its
own, paid that again and again on two cores. On a user's machine it is paid once and kept
(oakd/build/firmware.py); here the suite pays it once too, and a test daemon's cache starts
with the compressed firmware as a user's cache holds it after the first build. What the
compression makes is tested against depthai's own compress=True in tests/build/test_firmware.py;
a test that needs an empty cache keeps one (tests/build/conftest.py `cache`).
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from pathlib import Path

import pytest

from oakd.build.firmware import FirmwareCache

_root: Path | None = None  # set at session start (tests/conftest.py); made on first use


def set_root(factory: pytest.TempPathFactory, worker: str | None) -> None:
    """Keep the compressed firmware beside the workers' temporary directories: under xdist,
    pytest's base temporary directory is per worker, and its parent is this run's."""
    global _root
    base = factory.getbasetemp()
    _root = (base.parent if worker else base) / "firmware"


def firmware_dir() -> Path:
    """A directory holding the default board config's compressed firmware (FirmwareCache's
    layout), made by the first worker that asks while the others wait on its lock."""
    if _root is None:
        raise RuntimeError("tests/firmware.py: set_root was not called (tests/conftest.py)")
    _root.mkdir(parents=True, exist_ok=True)
    with (_root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not any(_root.glob("*.zlib")):
            _compress_default_firmware(FirmwareCache(_root))
    return _root


def seed(firmware_cache: Path) -> None:
    """Copy the compressed firmware into a package cache's firmware directory (copies, not
    links: nothing a test does to its cache reaches the other tests)."""
    firmware_cache.mkdir(parents=True, exist_ok=True)
    for made in firmware_dir().glob("*.zlib"):
        shutil.copyfile(made, firmware_cache / made.name)


def _compress_default_firmware(cache: FirmwareCache) -> None:
    import depthai as dai

    from oakd.build.firmware import FIRMWARE
    from oakd.core.package import sections

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.dap"
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            raw, dai.Pipeline(), compress=False, applicationName="seed@000000000000"
        )
        data = raw.read_bytes()
    [firmware] = [s for s in sections(data) if s.name == FIRMWARE]
    cache.get(data[firmware.offset : firmware.offset + firmware.size])
