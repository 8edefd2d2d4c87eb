"""A damaged state database: refused at start with the file kept, or rows set aside one by one;
never an empty start that loses the jobs without a word, never a list that fails whole."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from oakd.core.devices import Device, DeviceState
from oakd.core.jobs import JobKind
from oakd.errors import StateError
from oakd.services.store import DB_NAME, Store


def filled(state: Path) -> Store:
    """A store with two cameras, three jobs and a project."""
    store = Store.open(state, lock=False)
    for i in range(2):
        store.upsert_device(Device(f"CAM{i}", f"127.0.0.{i + 2}", DeviceState.BOOTLOADER, 1, 1))
    for _ in range(3):
        store.add_job("CAM0", JobKind.FLASH_PACKAGE, {"package": "/p.dap"})
    store.save_project("/home/dev/blink", "pipeline.py", ["CAM0"], True)
    return store


def test_a_truncated_database_is_refused_and_kept(tmp_path: Path) -> None:
    filled(tmp_path).close()
    (tmp_path / DB_NAME).write_bytes(b"")
    with pytest.raises(StateError, match=r"empty \(0 bytes\).*move it"):
        Store.open(tmp_path, lock=False)
    assert (tmp_path / DB_NAME).exists()


def test_a_deleted_database_with_its_write_ahead_log_left_is_refused(tmp_path: Path) -> None:
    store = filled(tmp_path)  # open: the rows are in the write-ahead log still
    wal = tmp_path / f"{DB_NAME}-wal"
    assert wal.stat().st_size > 0
    shutil.copy(wal, tmp_path / "kept-wal")
    store.close()
    (tmp_path / DB_NAME).unlink()
    shutil.copy(tmp_path / "kept-wal", wal)
    with pytest.raises(StateError, match="write-ahead log is still there"):
        Store.open(tmp_path, lock=False)
    assert wal.exists()


def test_a_garbage_page_is_refused(tmp_path: Path) -> None:
    filled(tmp_path).close()
    path = tmp_path / DB_NAME
    data = bytearray(path.read_bytes())
    data[4096 : 4096 + 2048] = b"\xa5" * 2048  # the second page
    path.write_bytes(bytes(data))
    with pytest.raises(StateError, match="move it"):
        Store.open(tmp_path, lock=False)


def test_a_dropped_table_is_refused(tmp_path: Path) -> None:
    filled(tmp_path).close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("DROP TABLE jobs")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="the table jobs is missing"):
        Store.open(tmp_path, lock=False)


def test_unreadable_rows_are_quarantined_and_the_rest_is_served(tmp_path: Path) -> None:
    filled(tmp_path).close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("UPDATE jobs SET kind = 'teleport' WHERE id = 1")
    db.execute("UPDATE jobs SET params = 'not json' WHERE id = 2")
    db.execute("UPDATE devices SET state = 'levitating' WHERE id = 'CAM1'")
    db.execute("UPDATE projects SET devices = '{' ")
    db.commit()
    db.close()
    store = Store.open(tmp_path, lock=False)
    try:
        assert [job.id for job in store.jobs()] == [3]
        assert [device.id for device in store.devices()] == ["CAM0"]
        assert store.projects() == []
        reasons = {(q["source"], q["reason"].split(":")[0]) for q in store.quarantined()}
        assert reasons == {
            ("jobs", "ValueError"),
            ("jobs", "JSONDecodeError"),
            ("devices", "ValueError"),
            ("projects", "JSONDecodeError"),
        }
        assert [job.id for job in store.jobs()] == [3]  # set aside once, not again
        assert len(store.quarantined()) == 4
    finally:
        store.close()
