"""The write's bytes, speed and time left, as the daemon computes them for job.progress
(oakd/core/transfer.py)."""

from __future__ import annotations

from oakd.build.limits import short_size
from oakd.core.transfer import Transfer, describe, eta_text

MIB = 1024 * 1024


def test_speed_is_measured_from_the_first_bytes_not_from_the_size() -> None:
    transfer = Transfer(total=10 * MIB, started=0.0)
    # An erase first: 5 s with no bytes. Then 1 MiB/s.
    assert transfer.snapshot(0.0, 5.0)["bytes_per_s"] is None
    first = transfer.snapshot(0.1, 6.0)
    assert first["bytes_done"] == MIB and first["bytes_per_s"] is None  # too soon to say
    later = transfer.snapshot(0.3, 8.0)
    assert later["bytes_per_s"] == MIB
    assert later["eta_s"] == 7.0  # 7 MiB left at 1 MiB/s
    assert transfer.snapshot(1.0, 15.0)["eta_s"] == 0.0


def test_described_as_a_person_reads_it() -> None:
    fields = Transfer(10 * MIB, 0.0)
    fields.snapshot(0.1, 1.0)
    text = describe(fields.snapshot(0.4, 4.0), short_size)
    assert text == "4.00 MiB of 10.00 MiB · 1.00 MiB/s · 6 s left"
    assert describe({"progress": 0.5}, short_size) == ""  # a job that writes no bytes
    assert eta_text(125) == "2 min 5 s"
