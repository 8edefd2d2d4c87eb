"""The text of the detail pages: a camera, a job, a project's last build."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from oakd.core.versions import Version
from oakd.protocol.replies import DeviceInfo, JobInfo, JobState, ProjectInfo
from oakd.protocol.typed import to_wire
from tui import model
from tui.clock import Clock


def _field(body: Text, name: str, value: Any, style: str = "") -> None:
    body.append(f"{name:<14}", style="bold")
    body.append(f"{'-' if value in (None, '') else value}\n", style=style)


def _section(body: Text, title: str, text: object) -> None:
    """A titled block of text after a blank line; nothing when there is no text."""
    if not text or not str(text).strip():
        return
    body.append(f"\n{title}\n", style="bold")
    body.append(str(text).rstrip("\n") + "\n")


def device_page(device: DeviceInfo, clock: Clock, min_bootloader: Version | None) -> Text:
    """Everything known about a camera."""
    body = Text()
    _field(body, "alias", device.alias)
    _field(body, "MX ID", device.id)
    _field(body, "address", device.address)
    _field(body, "state", device.state.value)
    _field(body, "online", "yes" if device.online else "no")
    _field(body, "first seen", clock.format(device.first_seen))
    _field(body, "last seen", clock.format(device.last_seen))
    version = device.bootloader_version
    outdated = model.bootloader_outdated(device, min_bootloader)
    note = f" (older than {min_bootloader}: update it)" if outdated else ""
    _field(
        body,
        "bootloader",
        (version or "unknown (inspect reads it)") + note,
        "bold yellow" if outdated else "",
    )
    _field(body, "app running", device.running_app)
    _field(body, "flashed app", device.flashed_app)
    _field(body, "flashed hash", device.flashed_hash)
    _field(body, "flashed at", clock.format(device.flashed_at))
    _field(body, "delta flash", device.delta_in_words())
    if device.inspection is not None:
        body.append("\ninspection\n", style="bold")
        body.append(json.dumps(to_wire(device.inspection), indent=2, sort_keys=True))
    return body


def job_page(job: JobInfo, camera: str, clock: Clock) -> Text:
    """A job's parameters and outcome; a failed one's error says what to do."""
    body = Text()
    failed = job.state is JobState.FAILED
    _field(body, "job", f"#{job.id} {job.kind.value}")
    _field(body, "camera", camera)
    _field(body, "state", job.state.value, "bold red" if failed else "")
    _field(body, "phase", job.phase.value if job.phase else None)
    _field(body, "progress", f"{job.progress * 100:.0f}%")
    _field(body, "created", clock.format(job.created))
    _field(body, "started", clock.format(job.started))
    _field(body, "finished", clock.format(job.finished))
    _field(body, "attempts", job.attempts)
    for name, value in sorted(job.params.items()):
        _field(body, name, value)
    if job.message:
        body.append("\noutcome\n", style="bold")
        body.append(f"{job.message}\n")
    if job.error:
        body.append("\nerror\n", style="bold red")
        body.append(f"{job.error}\n", style="red")
    return body


def project_page(project: ProjectInfo, cameras: list[str], clock: Clock) -> Text:
    """A watched project and its last build; a failed build's error, traceback and output come
    first."""
    body = Text()
    result = project.last_build
    if result is not None and result.failed:
        body.append("build failed\n", style="bold red")
        body.append(model.build_error(result) + "\n", style="red")
        # Their own frames tell a person where their code failed; the output, what it printed
        # before.
        _section(body, "traceback", result.error.traceback if result.error else "")
        _section(body, "output", result.output)
        body.append("\n")
    _field(body, "path", project.path)
    _field(body, "entry", project.entry)
    _field(body, "cameras", ", ".join(cameras))
    _field(body, "compress", "yes" if project.compress else "no")
    _field(body, "state", project.state)
    if result is None:
        body.append("\nno build yet\n", style="dim")
        return body
    body.append("\nlast build\n", style="bold")
    _field(body, "finished", clock.format(result.finished))
    _field(body, "result", "ok" if result.ok else "failed", "green" if result.ok else "bold red")
    _field(body, "unchanged", "yes" if result.unchanged else "no")
    _field(body, "app name", result.app_name)
    _field(body, "size", model.human_size(result.size) if result.size else None)
    _field(body, "fingerprint", result.fingerprint)
    if result.ok:
        _section(body, "output", result.output)
    return body
