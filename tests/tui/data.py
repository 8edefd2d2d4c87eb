"""Wire shapes for the TUI tests, built from the daemon's own models where they exist."""

from __future__ import annotations

from typing import Any

from oakd.core.devices import Device, DeviceState
from oakd.core.jobs import Job, JobKind, JobPhase, JobState

Wire = dict[str, Any]

T0 = 1_790_000_000.0  # "now" for every test: 2026-09-21 14:13:20 UTC


def mxid(n: int) -> str:
    """An 18-character MX ID, unique per n."""
    return f"1844301{n:03X}B546F500"


def device(
    n: int,
    alias: str | None = None,
    state: str = "bootloader",
    bootloader: str | None = None,
    app: str | None = None,
    flashed_at: float | None = None,
) -> Wire:
    """A camera as `devices` and the device.* events carry it."""
    inspection = None
    if bootloader or app:
        inspection = {"bootloader": {"version": bootloader}, "application": {"name": app}}
    return Device(
        id=mxid(n),
        address=f"10.0.0.{10 + n}",
        state=DeviceState(state),
        first_seen=T0 - 3600,
        last_seen=T0,
        alias=alias,
        flashed_app=app,
        flashed_hash="ab12cd" if app else None,
        flashed_at=flashed_at,
        inspection=inspection,
    ).to_wire()


def job(
    job_id: int,
    device_id: str,
    state: str = "queued",
    kind: str = "flash_project",
    progress: float = 0.0,
    phase: str | None = None,
    error: str | None = None,
    message: str | None = None,
    project: str | None = "/home/dev/blink",
) -> Wire:
    """A job as `jobs` and job.changed carry it."""
    final = state in ("done", "failed", "cancelled", "skipped", "interrupted")
    return Job(
        id=job_id,
        device=device_id,
        kind=JobKind(kind),
        state=JobState(state),
        created=T0 - 60,
        params={"project": project} if project else {},
        phase=JobPhase(phase) if phase else None,
        progress=progress,
        error=error,
        message=message,
        started=T0 - 30 if state != "queued" else None,
        finished=T0 - 5 if final else None,
        attempts=1 if state != "queued" else 0,
    ).to_wire()


def build_result(ok: bool = True, error: Wire | None = None, output: str = "") -> Wire:
    """One finished build, as project.build and last_build carry it."""
    return {
        "ok": ok,
        "unchanged": False,
        "fingerprint": "f00dfeed" if ok else "",
        "app_name": "blink-f00dfeed" if ok else None,
        "size": 10_700_000 if ok else None,
        "error": error,
        "output": output,
        "finished": T0 - 10,
    }


def project(
    path: str = "/home/dev/blink",
    devices: list[str] | None = None,
    state: str = "idle",
    last_build: Wire | None = None,
) -> Wire:
    """A watched project as `projects` and project.changed carry it."""
    return {
        "path": path,
        "entry": "pipeline.py",
        "devices": devices or [],
        "compress": True,
        "state": state,
        "last_build": last_build,
    }


TRACEBACK = """Traceback (most recent call last):
  File "/home/dev/blink/pipeline.py", line 12, in <module>
    cam.setFps(fps)
NameError: name 'fps' is not defined"""
