"""Helpers for the emulator tests: a connected DeviceBootloader, waiting, progress."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from oakd.worker.closing import close_within
from tests.helpers import EXIT_POISONED

STDERR = 2


@dataclass(frozen=True)
class Package:
    """A depthai application package, as depthai wants it (list) and as flash holds it."""

    name: str
    as_list: list[int]
    raw: bytes


@contextmanager
def connected(dai: Any, address: str, **kwargs: Any) -> Iterator[Any]:
    """A `DeviceBootloader` on the camera at `address`, closed on exit."""
    bootloader = dai.DeviceBootloader(dai.DeviceInfo(address), **kwargs)
    try:
        yield bootloader
    finally:
        # depthai's close() can deadlock under load (oakd/worker/closing.py), and then the
        # link's EventRead00Thr spins, writing "Cannot find file descriptor by key" to fd 2
        # as fast as it can, for good: this process is done for. Were it to go on, every
        # later test here would capture gigabytes of it, and the run's reports with them
        # (one loaded run grew to 14 GB and was OOM-killed). So it exits at once, as the
        # daemon's worker does: xdist fails this test as crashed and starts a fresh worker.
        if not close_within(bootloader):
            os.write(
                STDERR,
                b"oakd tests: depthai's DeviceBootloader.close() hung (a depthai race under "
                b"load); this test process exits before the flood that follows\n",
            )
            os._exit(EXIT_POISONED)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll `predicate` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.02)


class Progress:
    """A progress callback that records what depthai reports, with timestamps."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.times: list[float] = []

    def __call__(self, value: float) -> None:
        self.values.append(value)
        self.times.append(time.monotonic())

    def assert_complete(self) -> None:
        """Rose monotonically and ended at 1.0."""
        assert self.values, "no progress was reported"
        assert self.values == sorted(self.values)
        assert self.values[-1] == pytest.approx(1.0)


def renamed(package: bytes, name: str) -> bytes:
    """`package` with its app_name replaced by `name` of the same length (no rebuild)."""
    from oakd.emulator import sbr

    sections = sbr.parse_header(package[:512])
    assert sections is not None
    index = [s.name for s in sections].index(sbr.APP_NAME_SECTION)
    section = sections[index]
    assert section.size == len(name), "only same-length names"
    out = bytearray(package)
    out[section.offset : section.offset + section.size] = name.encode()
    record = 2 + index * sbr.SECTION.size
    raw_name, size, offset, _checksum, kind, flags = sbr.SECTION.unpack_from(out, record)
    sbr.SECTION.pack_into(out, record, raw_name, size, offset, sbr.djb2(name.encode()), kind, flags)
    return bytes(out)
