"""The delta planner (oakd.core.delta): which blocks change, and when a full write is due."""

from __future__ import annotations

import dataclasses

from oakd.core import delta as rules
from oakd.core.delta import BLOCK, Delta, FullReason
from oakd.core.package import HEADER_SIZE, MAGIC, SECTION
from oakd.protocol.replies import DeltaVerdict, DeviceInfo, DeviceState


def package(firmware: bytes, pipeline: bytes, checksum: int = 1) -> bytes:
    """A small package: a header, a firmware section at 512, a pipeline at 4 blocks."""
    header = bytearray(HEADER_SIZE)
    header[:2] = MAGIC
    SECTION.pack_into(header, 2, b"__firmware", len(firmware), HEADER_SIZE, checksum, 0, 7)
    at = 4 * BLOCK
    SECTION.pack_into(header, 32, b"pipeline", len(pipeline), at, 0, 0, 0)
    body = bytes(header) + firmware
    return body + bytes(at - len(body)) + pipeline


def test_a_pipeline_change_writes_its_block_and_the_header() -> None:
    base = package(b"F" * 100_000, b"one" * 10)
    new = package(b"F" * 100_000, b"two" * 10)
    plan = rules.plan(base[:HEADER_SIZE], base, new)
    assert plan == Delta((0, 4), len(new))
    assert plan.runs() == [(4, 4)]
    assert plan.size == BLOCK + 30


def test_consecutive_blocks_are_written_as_one_run() -> None:
    delta = Delta((0, 3, 4, 5, 9), 10 * BLOCK)
    assert delta.runs() == [(3, 5), (9, 9)]


def test_a_growing_package_changes_the_blocks_past_the_old_end() -> None:
    base = package(b"F" * 1000, b"p")
    new = package(b"F" * 1000, b"p" * (BLOCK + 10))
    plan = rules.plan(base[:HEADER_SIZE], base, new)
    assert isinstance(plan, Delta) and plan.blocks == (0, 4, 5)


def test_full_writes_say_why() -> None:
    base = package(b"F" * 1000, b"a")
    new = package(b"F" * 1000, b"b")
    assert rules.plan(b"\xff" * HEADER_SIZE, base, new) is FullReason.NO_APP
    other = package(b"G" * 1000, b"a", checksum=3)
    assert rules.plan(other[:HEADER_SIZE], base, new) is FullReason.FOREIGN
    firmware = package(b"F" * 1000, b"b", checksum=2)
    assert rules.plan(base[:HEADER_SIZE], base, firmware) is FullReason.FIRMWARE
    big_base = package(b"F" * 1000, b"a" * 8 * BLOCK)
    big_new = package(b"F" * 1000, b"b" * 8 * BLOCK)
    assert rules.plan(big_base[:HEADER_SIZE], big_base, big_new) is FullReason.TOO_LARGE


def test_the_verdict_in_words() -> None:
    camera = DeviceInfo("X", "10.0.0.2", DeviceState.BOOTLOADER, True, 0.0, 0.0)
    assert "not proven yet" in camera.delta_in_words()
    proven = dataclasses.replace(camera, delta=DeltaVerdict("0.0.28", True))
    assert proven.delta_in_words().startswith("yes")
    refuted = dataclasses.replace(camera, delta=DeltaVerdict("0.0.28", False))
    assert refuted.delta_in_words().startswith("no")
    unfinished = dataclasses.replace(proven, write_unfinished=True)
    assert "did not finish" in unfinished.delta_in_words()


def test_an_unfinished_write_is_repaired_by_what_differs() -> None:
    new = package(b"F" * 100_000, b"two" * 10)
    torn = b"\xff" * HEADER_SIZE + new[HEADER_SIZE : 4 * BLOCK] + b"one" * 10  # header, pipeline
    assert rules.repair(torn, new) == Delta((0, 4), len(new))
    assert rules.repair(new, new) == Delta((), len(new))  # it holds the package already
    assert rules.repair(b"\x00" * len(new), new) is FullReason.TOO_LARGE
