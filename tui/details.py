"""The text of the detail pages: a camera, a job, a project's last build."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from oakd.core.delta import describe_verdict
from oakd.core.versions import Version
from tui import model
from tui.clock import Clock
from tui.model import Wire


def _field(body: Text, name: str, value: Any, style: str = "") -> None:
    body.append(f"{name:<14}", style="bold")
    body.append(f"{'-' if value in (None, '') else value}\n", style=style)


def _section(body: Text, title: str, text: object) -> None:
    """A titled block of text after a blank line; nothing when there is no text."""
    if not text or not str(text).strip():
        return
    body.append(f"\n{title}\n", style="bold")
    body.append(str(text).rstrip("\n") + "\n")


def device_page(device: Wire, clock: Clock, min_bootloader: Version | None) -> Text:
    """Everything known about a camera."""
    body = Text()
    _field(body, "alias", device.get("alias"))
    _field(body, "MX ID", device.get("id"))
    _field(body, "address", device.get("address"))
    _field(body, "state", device.get("state"))
    _field(body, "online", "yes" if device.get("online") else "no")
    _field(body, "first seen", clock.format(device.get("first_seen")))
    _field(body, "last seen", clock.format(device.get("last_seen")))
    version = model.bootloader_version(device)
    outdated = model.bootloader_outdated(device, min_bootloader)
    note = f" (older than {min_bootloader}: update it)" if outdated else ""
    _field(
        body,
        "bootloader",
        (version or "unknown (inspect reads it)") + note,
        "bold yellow" if outdated else "",
    )
    _field(body, "app running", model.running_app(device))
    _field(body, "flashed app", device.get("flashed_app"))
    _field(body, "flashed hash", device.get("flashed_hash"))
    _field(body, "flashed at", clock.format(device.get("flashed_at")))
    _field(body, "delta flash", describe_verdict(device))
    inspection = device.get("inspection")
    if inspection:
        body.append("\ninspection\n", style="bold")
        body.append(json.dumps(inspection, indent=2, sort_keys=True))
    return body


def job_page(job: Wire, camera: str, clock: Clock) -> Text:
    """A job's parameters and outcome; a failed one's error says what to do."""
    body = Text()
    _field(body, "job", f"#{job.get('id')} {job.get('kind')}")
    _field(body, "camera", camera)
    _field(body, "state", job.get("state"), "bold red" if job.get("state") == "failed" else "")
    _field(body, "phase", job.get("phase"))
    _field(body, "progress", f"{float(job.get('progress') or 0) * 100:.0f}%")
    _field(body, "created", clock.format(job.get("created")))
    _field(body, "started", clock.format(job.get("started")))
    _field(body, "finished", clock.format(job.get("finished")))
    _field(body, "attempts", job.get("attempts"))
    for name, value in sorted((job.get("params") or {}).items()):
        _field(body, name, value)
    if job.get("message"):
        body.append("\noutcome\n", style="bold")
        body.append(f"{job['message']}\n")
    if job.get("error"):
        body.append("\nerror\n", style="bold red")
        body.append(f"{job['error']}\n", style="red")
    return body


def project_page(project: Wire, cameras: list[str], clock: Clock) -> Text:
    """A watched project and its last build; a failed build's error, traceback and output come
    first."""
    body = Text()
    result = project.get("last_build")
    if result and model.build_failed(result):
        body.append("build failed\n", style="bold red")
        body.append(model.build_error(result) + "\n", style="red")
        # The daemon's last_build: error {kind, message, traceback} and output, the text the
        # build printed (oakd/services/projects.build_summary). Their own frames tell a person
        # where their code failed; the output, what it printed before.
        _section(body, "traceback", (result.get("error") or {}).get("traceback"))
        _section(body, "output", result.get("output"))
        body.append("\n")
    _field(body, "path", project.get("path"))
    _field(body, "entry", project.get("entry"))
    _field(body, "cameras", ", ".join(cameras))
    _field(body, "compress", "yes" if project.get("compress") else "no")
    _field(body, "state", project.get("state"))
    if not result:
        body.append("\nno build yet\n", style="dim")
        return body
    body.append("\nlast build\n", style="bold")
    _field(body, "finished", clock.format(result.get("finished")))
    ok = bool(result.get("ok"))
    _field(body, "result", "ok" if ok else "failed", "green" if ok else "bold red")
    _field(body, "unchanged", "yes" if result.get("unchanged") else "no")
    _field(body, "app name", result.get("app_name"))
    _field(body, "size", model.human_size(result.get("size")) if result.get("size") else None)
    _field(body, "fingerprint", result.get("fingerprint"))
    if ok:
        _section(body, "output", result.get("output"))
    return body
