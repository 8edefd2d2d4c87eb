"""The state database: created, migrated, locked to one daemon, and typed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oakd.core.devices import Device, DeviceState
from oakd.core.jobs import JobKind, JobState
from oakd.errors import AlreadyRunning, StateError
from oakd.services.store import DB_NAME, SCHEMA_VERSION, Store


def test_a_new_database_is_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "state")
    try:
        assert store.schema_version == SCHEMA_VERSION
    finally:
        store.close()
    db = sqlite3.connect(tmp_path / "state" / DB_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    tmp_path.joinpath(DB_NAME).touch()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateError, match="newer than this oakd understands"):
        Store.open(tmp_path)


def test_a_corrupt_database_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="move it aside"):
        Store.open(tmp_path)


def test_one_daemon_per_state_directory(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    try:
        with pytest.raises(AlreadyRunning, match="in use by oakd daemon pid"):
            Store.open(tmp_path)
    finally:
        first.close()
    Store.open(tmp_path).close()  # released on close


def test_devices_and_jobs_survive_a_reopen(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.upsert_device(
        Device(
            "18443010C1D2E3F400",
            "127.0.0.2",
            DeviceState.FLASH_BOOTED,
            1.0,
            2.0,
            inspection={"bootloader": "0.0.28"},
        )
    )
    job = store.add_job("18443010C1D2E3F400", JobKind.FLASH_PACKAGE, {"package": "abc"})
    job.state, job.progress = JobState.RUNNING, 0.5
    store.save_job(job)
    store.close()
    store = Store.open(tmp_path)
    try:
        (device,) = store.devices()
        assert device.state is DeviceState.FLASH_BOOTED and device.online
        assert device.inspection == {"bootloader": "0.0.28"}
        again = store.job(job.id)
        assert again is not None
        assert (again.state, again.progress, again.params) == (
            JobState.RUNNING,
            0.5,
            {"package": "abc"},
        )
        assert store.count_jobs() == {"running": 1}
        assert [j.id for j in store.jobs([JobState.RUNNING])] == [job.id]
    finally:
        store.close()
