"""The daemon's state in SQLite (WAL): cameras seen, jobs, history. Versioned and migrated.

One daemon per state directory: a lock file is held for the daemon's life, so two daemons on
different sockets cannot run the same queue twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

from oakd.core.devices import Device, DeviceState
from oakd.core.history import KEEP as HISTORY_KEEP
from oakd.core.history import Build
from oakd.core.jobs import Job, JobKind, JobPhase, JobState
from oakd.core.telemetry import AppLine
from oakd.errors import AlreadyRunning, StateError

log = logging.getLogger(__name__)
T = TypeVar("T")
DB_NAME = "oakd.sqlite3"
LOCK_NAME = "daemon.lock"

# Each entry moves the schema from version i to i+1. Never edit a published entry: append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        state TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        flashed_hash TEXT,
        flashed_app TEXT,
        flashed_at REAL,
        inspection TEXT
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        phase TEXT,
        progress REAL NOT NULL DEFAULT 0,
        error TEXT,
        message TEXT,
        params TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL,
        started REAL,
        finished REAL,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_by_state ON jobs (state);
    CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        device TEXT,
        job INTEGER,
        event TEXT NOT NULL,
        message TEXT NOT NULL
    );
    """,
    # v2: projects added at run time (`oakd watch`), kept across restarts.
    """
    CREATE TABLE projects (
        path TEXT PRIMARY KEY,
        entry TEXT NOT NULL,
        devices TEXT NOT NULL,
        compress INTEGER NOT NULL
    );
    """,
    # v3: delta flashing: the package a camera holds, the write journal, the verbatim verdict;
    # what a finished job did.
    """
    ALTER TABLE devices ADD COLUMN flashed_package TEXT;
    ALTER TABLE devices ADD COLUMN flash_journal TEXT;
    ALTER TABLE devices ADD COLUMN delta_verdict TEXT;
    ALTER TABLE jobs ADD COLUMN result TEXT;
    """,
    # v4: rows that could not be read, kept aside (never the reason a list or a service fails).
    """
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        source TEXT NOT NULL,
        row TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # v5: a failed job's error code, as clients match on it (oakd/errors.py ErrorCode).
    """
    ALTER TABLE jobs ADD COLUMN error_code TEXT;
    """,
    # v6: each project's last good builds (oakd/core/history.py), for `builds` and rollbacks.
    """
    CREATE TABLE builds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        finished REAL NOT NULL,
        app_name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        package TEXT NOT NULL,
        size INTEGER NOT NULL,
        changed TEXT NOT NULL
    );
    CREATE INDEX builds_by_project ON builds (project, id);
    """,
    # v7: what each camera's app reported (oakd/core/telemetry.py), the last lines per camera.
    """
    CREATE TABLE app_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        at REAL NOT NULL,
        app TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        level TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX app_log_by_device ON app_log (device, id);
    """,
)
TABLES = ("devices", "jobs", "history", "projects", "quarantine", "builds", "app_log")
SCHEMA_VERSION = len(MIGRATIONS)


def _lock(state_dir: Path) -> IO[str]:
    handle = open(state_dir / LOCK_NAME, "a+")  # noqa: SIM115 - held for the daemon's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunning(
            f"the state directory {state_dir} is in use by oakd daemon {holder}; "
            "stop that daemon first, or give this one its own --state-dir"
        ) from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


class Store:
    """Typed access to the state database; every call is short and runs on the caller's thread."""

    def __init__(self, db: sqlite3.Connection, lock: IO[str] | None) -> None:
        self._db = db
        self._lock = lock

    @classmethod
    def open(cls, state_dir: Path, *, lock: bool = True) -> Store:
        """Open (creating and migrating) the database under `state_dir`."""
        try:
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StateError(
                f"cannot create the state directory {state_dir} ({exc.strerror}); "
                "choose another with --state-dir"
            ) from exc
        handle = _lock(state_dir) if lock else None
        try:
            _check_files(state_dir / DB_NAME)
            db = sqlite3.connect(state_dir / DB_NAME, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives kill -9
            db.execute("PRAGMA foreign_keys=ON")
            _check_database(db, state_dir / DB_NAME)
            _migrate(db, state_dir / DB_NAME)
        except sqlite3.DatabaseError as exc:
            if handle:
                handle.close()
            raise StateError(
                f"the state database {state_dir / DB_NAME} cannot be used ({exc}); move it "
                "aside to start with an empty state"
            ) from exc
        except StateError:
            if handle:
                handle.close()
            raise
        return cls(db, handle)

    def close(self) -> None:
        """Close the database and release the state directory."""
        self._db.close()
        if self._lock:
            self._lock.close()
            self._lock = None

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # devices

    def upsert_device(self, device: Device) -> None:
        """Insert or replace one camera."""
        self.upsert_devices([device])

    def upsert_devices(self, devices: list[Device]) -> None:
        """Insert or replace cameras, in one transaction."""
        if not devices:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO devices VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [_device_row(d) for d in devices],
            )

    def devices(self) -> list[Device]:
        """Every camera ever seen, by MX ID; a row that cannot be read is quarantined."""
        rows = self._db.execute("SELECT rowid, * FROM devices ORDER BY id").fetchall()
        return self._readable("devices", rows, _device)

    def _readable(
        self, table: str, rows: list[tuple[Any, ...]], read: Callable[[tuple[Any, ...]], T]
    ) -> list[T]:
        """The rows `read` can make sense of (each row starts with its rowid); the others are
        moved to the quarantine table and reported in the log."""
        readable = []
        for rowid, *row in rows:
            try:
                readable.append(read(tuple(row)))
            except (ValueError, TypeError, KeyError) as exc:
                self._quarantine(table, rowid, row, f"{type(exc).__name__}: {exc}")
        return readable

    def _quarantine(self, table: str, rowid: int, row: list[Any], reason: str) -> None:
        log.error(
            "the state database's %s row %s cannot be read (%s); it is moved to the table "
            "'quarantine' and left out",
            table,
            rowid,
            reason,
        )
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO quarantine (ts, source, row, reason) VALUES (?,?,?,?)",
                (time.time(), table, json.dumps(row, default=repr), reason),
            )
            self._db.execute(f"DELETE FROM {table} WHERE rowid=?", (rowid,))

    def quarantined(self) -> list[dict[str, Any]]:
        """The rows set aside because they could not be read."""
        rows = self._db.execute("SELECT ts, source, row, reason FROM quarantine").fetchall()
        return [dict(zip(("ts", "source", "row", "reason"), r, strict=True)) for r in rows]

    # jobs

    def add_job(
        self, device: str, kind: JobKind, params: dict[str, Any], now: float | None = None
    ) -> Job:
        """Queue a new job and return it with its id."""
        created = time.time() if now is None else now
        cur = self._db.execute(
            "INSERT INTO jobs (device, kind, state, params, created) VALUES (?,?,?,?,?)",
            (
                device,
                kind.value,
                JobState.QUEUED.value,
                json.dumps(params, sort_keys=True),
                created,
            ),
        )
        assert cur.lastrowid is not None
        return Job(cur.lastrowid, device, kind, JobState.QUEUED, created, dict(params))

    def save_job(self, job: Job) -> None:
        """Write back a job's mutable fields."""
        self._db.execute(
            "UPDATE jobs SET state=?, phase=?, progress=?, error=?, message=?, started=?, "
            "finished=?, attempts=?, params=?, result=?, error_code=? WHERE id=?",
            (
                job.state.value,
                job.phase.value if job.phase else None,
                job.progress,
                job.error,
                job.message,
                job.started,
                job.finished,
                job.attempts,
                job.params_json(),
                _json(job.result),
                job.error_code,
                job.id,
            ),
        )

    def job(self, job_id: int) -> Job | None:
        """One job by id."""
        rows = self._db.execute("SELECT rowid, * FROM jobs WHERE id=?", (job_id,)).fetchall()
        found = self._readable("jobs", rows, _job)
        return found[0] if found else None

    def jobs(self, states: Iterable[JobState] | None = None, limit: int = 100) -> list[Job]:
        """Jobs, newest first, optionally only in some states."""
        if states is None:
            rows = self._db.execute(
                "SELECT rowid, * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        else:
            wanted = [s.value for s in states]
            marks = ",".join("?" * len(wanted))
            rows = self._db.execute(
                f"SELECT rowid, * FROM jobs WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?",
                (*wanted, limit),
            ).fetchall()
        return self._readable("jobs", rows, _job)

    def count_jobs(self) -> dict[str, int]:
        """How many jobs are in each state."""
        rows = self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {state: n for state, n in rows}

    # projects added at run time

    def save_project(self, path: str, entry: str, devices: list[str], compress: bool) -> None:
        """Remember a watched project."""
        self._db.execute(
            "INSERT OR REPLACE INTO projects VALUES (?,?,?,?)",
            (path, entry, json.dumps(devices), int(compress)),
        )

    def forget_project(self, path: str) -> None:
        """Stop remembering a project."""
        self._db.execute("DELETE FROM projects WHERE path=?", (path,))

    def projects(self) -> list[tuple[str, str, list[str], bool]]:
        """The remembered projects: path, entry, devices, compress."""
        rows = self._db.execute("SELECT rowid, * FROM projects ORDER BY path").fetchall()
        return self._readable("projects", rows, _project)

    # builds

    def add_build(self, build: Build, keep: int = HISTORY_KEEP) -> None:
        """Record a good build; only the project's last `keep` stay."""
        self._db.execute(
            "INSERT INTO builds (project, finished, app_name, fingerprint, package, size, "
            "changed) VALUES (?,?,?,?,?,?,?)",
            (
                build.project,
                build.finished,
                build.app_name,
                build.fingerprint,
                build.package,
                build.size,
                json.dumps(list(build.changed)),
            ),
        )
        self._db.execute(
            "DELETE FROM builds WHERE project=? AND id NOT IN "
            "(SELECT id FROM builds WHERE project=? ORDER BY id DESC LIMIT ?)",
            (build.project, build.project, keep),
        )

    def builds(self, project: str | None = None) -> list[Build]:
        """A project's recorded builds (every project's without one), newest first."""
        where, args = ("WHERE project=?", (project,)) if project is not None else ("", ())
        rows = self._db.execute(
            "SELECT rowid, project, finished, app_name, fingerprint, package, size, changed "
            f"FROM builds {where} ORDER BY id DESC",
            args,
        ).fetchall()
        return self._readable("builds", rows, _build)

    # app logs

    def add_app_lines(self, lines: list[AppLine], keep: int) -> None:
        """Append what cameras' apps reported; each camera keeps its last `keep` lines."""
        if not lines:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO app_log (device, at, app, seq, kind, level, source, text) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [(x.device, x.at, x.app, x.seq, x.kind, x.level, x.source, x.text) for x in lines],
            )
            for device in {x.device for x in lines}:
                self._db.execute(
                    "DELETE FROM app_log WHERE device=? AND id <= "
                    "(SELECT id FROM app_log WHERE device=? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (device, device, keep),
                )

    def app_lines(self, device: str, since: float | None = None, limit: int = 200) -> list[AppLine]:
        """A camera's app lines, oldest first: the last `limit` of them (after `since`)."""
        rows = self._db.execute(
            "SELECT rowid, device, at, app, seq, kind, level, source, text FROM app_log "
            "WHERE device=? AND at > ? ORDER BY id DESC LIMIT ?",
            (device, since if since is not None else -1.0, limit),
        ).fetchall()
        return self._readable("app_log", rows[::-1], _app_line)

    # history

    def record(
        self, event: str, message: str, device: str | None = None, job: int | None = None
    ) -> None:
        """Append a line to the history."""
        self._db.execute(
            "INSERT INTO history (ts, device, job, event, message) VALUES (?,?,?,?,?)",
            (time.time(), device, job, event, message),
        )


def _app_line(row: tuple[Any, ...]) -> AppLine:
    device, at, app, seq, kind, level, source, text = row
    return AppLine(
        str(device), float(at), str(app), int(seq), str(kind), str(level), str(source), str(text)
    )


def _damaged(path: Path, what: str) -> StateError:
    return StateError(
        f"the state database {path} is damaged: {what}. oakd keeps it as it is; move it (and "
        f"any {path.name}-wal, {path.name}-shm beside it) aside to start with an empty state, "
        "or restore it from a backup"
    )


def _check_files(path: Path) -> None:
    """A database that is gone or emptied while its journal is left must not start empty."""
    wal = path.with_name(path.name + "-wal")
    if not path.exists() and wal.exists() and wal.stat().st_size:
        raise _damaged(path, "it is missing, but its write-ahead log is still there")
    if path.exists() and path.stat().st_size == 0:
        raise _damaged(path, "it is empty (0 bytes): it was truncated")


def _check_database(db: sqlite3.Connection, path: Path) -> None:
    """quick_check, and every table of the schema version it claims."""
    problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise _damaged(path, f"SQLite's quick_check says {'; '.join(problems[:3])}")
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == 0 or version > SCHEMA_VERSION:
        return  # a new database, or one _migrate refuses as too new
    expected = {"devices", "jobs", "history"} | ({"projects"} if version >= 2 else set())
    if version >= 4:
        expected.add("quarantine")
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = sorted(expected - present)
    if missing:
        raise _damaged(path, f"the table {', '.join(missing)} is missing")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{path} has schema version {version}, newer than this oakd understands "
            f"({SCHEMA_VERSION}); upgrade oakd, or move the file aside"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # executescript commits first; the version bump rides in the same script.
        db.executescript(
            f"BEGIN; {MIGRATIONS[target - 1]}\nPRAGMA user_version = {target}; COMMIT;"
        )


def _device_row(device: Device) -> tuple[Any, ...]:
    return (
        device.id,
        device.address,
        device.state.value,
        device.first_seen,
        device.last_seen,
        device.flashed_hash,
        device.flashed_app,
        device.flashed_at,
        _json(device.inspection),
        device.flashed_package,
        _json(device.flash_journal),
        _json(device.delta_verdict),
    )


def _json(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value) if value is not None else None


def _device(row: tuple[Any, ...]) -> Device:
    id_, address, state, first, last, fhash, fapp, fat, inspection, package, journal, verdict = row
    return Device(
        id=id_,
        address=address,
        state=DeviceState(state),
        first_seen=first,
        last_seen=last,
        flashed_hash=fhash,
        flashed_app=fapp,
        flashed_at=fat,
        inspection=json.loads(inspection) if inspection else None,
        flashed_package=package,
        flash_journal=json.loads(journal) if journal else None,
        delta_verdict=json.loads(verdict) if verdict else None,
    )


def _build(row: tuple[Any, ...]) -> Build:
    project, finished, app_name, fingerprint, package, size, changed = row
    sections = json.loads(changed)
    if not isinstance(sections, list):
        raise ValueError("a build's changed sections must be a list")
    return Build(
        str(project),
        float(finished),
        str(app_name),
        str(fingerprint),
        str(package),
        int(size),
        tuple(str(s) for s in sections),
    )


def _project(row: tuple[Any, ...]) -> tuple[str, str, list[str], bool]:
    path, entry, devices, compress = row
    names = json.loads(devices)
    if not isinstance(path, str) or not isinstance(entry, str) or not isinstance(names, list):
        raise ValueError("a project row needs a path, an entry and a list of cameras")
    return path, entry, [str(n) for n in names], bool(compress)


def _job(row: tuple[Any, ...]) -> Job:
    (
        id_,
        device,
        kind,
        state,
        phase,
        progress,
        error,
        message,
        params,
        created,
        started,
        finished,
        attempts,
        result,
        error_code,
    ) = row
    return Job(
        id=id_,
        device=device,
        kind=JobKind(kind),
        state=JobState(state),
        created=created,
        params=json.loads(params),
        phase=JobPhase(phase) if phase else None,
        progress=progress,
        error=error,
        message=message,
        started=started,
        finished=finished,
        attempts=attempts,
        result=json.loads(result) if result else None,
        error_code=str(error_code) if error_code else None,
    )
