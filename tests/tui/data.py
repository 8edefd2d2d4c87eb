"""Replies for the TUI tests, built from the daemon's own models and reply types, as the
daemon builds them (oakd/protocol/replies.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from oakd.core.devices import Device, DeviceState
from oakd.core.jobs import Job, JobKind, JobPhase, JobState
from oakd.protocol import PROTOCOL_VERSION
from oakd.protocol.replies import (
    BuildFailure,
    BuildSummary,
    DeviceInfo,
    Inspection,
    JobInfo,
    NetworkFacts,
    ProjectInfo,
)
from oakd.protocol.session import StatusInfo

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
    flashed_hash: str | None = None,
) -> DeviceInfo:
    """A camera as `devices` and the device.* events carry it."""
    inspection = None
    if bootloader or app:
        inspection = {"bootloader": {"version": bootloader}, "application": {"name": app}}
    device = Device(
        id=mxid(n),
        address=f"10.0.0.{10 + n}",
        state=DeviceState(state),
        first_seen=T0 - 3600,
        last_seen=T0,
        alias=alias,
        flashed_app=app,
        flashed_hash=flashed_hash or ("ab12cd" if app else None),
        flashed_at=flashed_at,
        inspection=inspection,
    )
    return DeviceInfo.of(device)


def with_network(camera: DeviceInfo, network: NetworkFacts | None) -> DeviceInfo:
    """The camera with its network config read: `network`, or None for none written."""
    inspection = dataclasses.replace(
        camera.inspection or Inspection(), network=network, network_read=True
    )
    return dataclasses.replace(camera, inspection=inspection)


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
    params: dict[str, Any] | None = None,
) -> JobInfo:
    """A job as `jobs` and job.changed carry it."""
    final = state in ("done", "failed", "cancelled", "skipped", "interrupted")
    made = Job(
        id=job_id,
        device=device_id,
        kind=JobKind(kind),
        state=JobState(state),
        created=T0 - 60,
        params=params if params is not None else {"project": project} if project else {},
        phase=JobPhase(phase) if phase else None,
        progress=progress,
        error=error,
        message=message,
        started=T0 - 30 if state != "queued" else None,
        finished=T0 - 5 if final else None,
        attempts=1 if state != "queued" else 0,
    )
    return JobInfo.of(made)


def build_result(
    ok: bool = True,
    error: BuildFailure | None = None,
    output: str = "",
    fingerprint: str = "f00dfeed",
) -> BuildSummary:
    """One finished build, as project.build and last_build carry it."""
    return BuildSummary(
        ok=ok,
        unchanged=False,
        fingerprint=fingerprint if ok else "",
        app_name=f"blink-{fingerprint}" if ok else None,
        size=10_700_000 if ok else None,
        error=error,
        output=output,
        finished=T0 - 10,
    )


def project(
    path: str = "/home/dev/blink",
    devices: list[str] | None = None,
    state: str = "idle",
    last_build: BuildSummary | None = None,
) -> ProjectInfo:
    """A watched project as `projects` and project.changed carry it."""
    return ProjectInfo(path=path, devices=devices or [], state=state, last_build=last_build)


def status(devices: int = 0, min_bootloader: str = "0.0.28") -> StatusInfo:
    """The daemon's status, as a daemon with default settings answers it; its version pinned,
    so that screenshots do not change with oakd's."""
    return StatusInfo(
        version="0.1.0",
        protocol=PROTOCOL_VERSION,
        pid=1,
        uptime_s=1.0,
        socket="/run/oakd/oakd.sock",
        state_dir="/var/lib/oakd",
        config=None,
        discovery_interval_s=2.0,
        min_bootloader=min_bootloader,
        discovery_scans=1,
        devices=devices,
        online=devices,
        jobs={"queued": 0, "running": 0},
    )


TRACEBACK = """Traceback (most recent call last):
  File "/home/dev/blink/pipeline.py", line 12, in <module>
    cam.setFps(fps)
NameError: name 'fps' is not defined"""
