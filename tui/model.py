"""What the TUI shows of devices, jobs and projects: pure functions over their wire shapes.

The shapes are the daemon's `to_wire()` dicts (oakd/core/devices.py, oakd/core/jobs.py) and the
project dict of the `projects` request. Everything optional is read defensively: a daemon that
has not inspected a camera, or an older daemon, leaves fields out.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from oakd.build.limits import short_size
from oakd.core.jobs import FINAL_STATES
from oakd.core.versions import Version

Wire = dict[str, Any]

# A job in one of these states has ended (the daemon's own set, oakd/core/jobs.py).
FINAL_JOB_STATES = frozenset(state.value for state in FINAL_STATES)

JOB_KIND_NAMES = {
    "flash_package": "flash .dap",
    "flash_project": "flash",
    "factory_reset": "reset",
    "clear_app": "clear app",
    "clear_config": "clear cfg",
    "network_config": "network",
    "bootloader_update": "bootloader",
}

JOB_STATE_MARKS = {
    "running": "▶",
    "queued": "…",
    "done": "✓",
    "failed": "✗",
    "cancelled": "⊘",
    "skipped": "=",
    "interrupted": "!",
}


def label(device: Wire) -> str:
    """What a person calls a camera: its alias, else its MX ID."""
    return str(device.get("alias") or device.get("id") or "?")


def describe(device: Wire) -> str:
    """A camera named without ambiguity: alias, MX ID and address."""
    alias = device.get("alias")
    where = f"at {device.get('address') or 'unknown address'}"
    if alias:
        return f"{alias} ({device.get('id')} {where})"
    return f"{device.get('id')} ({where})"


def _section(device: Wire, name: str) -> dict[str, Any]:
    inspection = device.get("inspection")
    if not isinstance(inspection, dict):
        return {}
    part = inspection.get(name)
    return part if isinstance(part, dict) else {}


def bootloader_version(device: Wire) -> str | None:
    """The bootloader version an inspection read, if any."""
    version = _section(device, "bootloader").get("version")
    return str(version) if version else None


def network_settings(device: Wire) -> dict[str, Any] | None:
    """The network config an inspection read: {} for none written (DHCP, the factory
    default), None when no inspection read it."""
    inspection = device.get("inspection")
    if not isinstance(inspection, dict) or "network" not in inspection:
        return None
    network = inspection["network"]
    return network if isinstance(network, dict) else {}


def describe_network(settings: dict[str, Any] | None) -> str:
    """A camera's network settings in words, as read (network_settings)."""
    if settings is None:
        return "not read yet (inspect the camera, i, to read it)"
    if not settings:
        return "DHCP (no config written: the factory default)"
    if not settings.get("static"):
        return "DHCP"
    dns = f", DNS {settings['dns']}" if settings.get("dns") else ""
    return (
        f"static {settings.get('address')}/{prefix_of(settings.get('mask'))}, gateway "
        f"{settings.get('gateway')}{dns}"
    )


def prefix_of(mask: Any) -> str:
    """255.255.255.0 -> '24' (the mask itself when it is no mask)."""
    try:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
    except ValueError:
        return str(mask)


def minimum_bootloader(status: Wire) -> Version | None:
    """The daemon's flash.min_bootloader, from its `status`; None when it does not say."""
    try:
        return Version.parse(str(status["min_bootloader"]))
    except (KeyError, ValueError):
        return None


def bootloader_outdated(device: Wire, minimum: Version | None) -> bool:
    """True when the camera's known bootloader is older than the daemon's minimum (bootloaders
    older than 0.0.28 fail after a handful of reconnects: depthai-core #415, #547)."""
    version = bootloader_version(device)
    if version is None or minimum is None:
        return False
    try:
        return Version.parse(version) < minimum
    except ValueError:
        return False


def flashed_app(device: Wire) -> str | None:
    """The app on the camera's flash, as the daemon knows it: its one record, which the newest
    fact (a verified write, or an inspection) sets."""
    name = device.get("flashed_app")
    return str(name) if name else None


def running_app(device: Wire) -> str | None:
    """The app the camera runs now: only a FLASH_BOOTED camera runs one."""
    if device.get("state") != "flash_booted":
        return None
    return flashed_app(device) or "(unnamed app)"


def device_matches(device: Wire, needle: str) -> bool:
    """Does the filter text occur in any column a person reads?"""
    if not needle:
        return True
    needle = needle.lower()
    fields = (
        device.get("alias"),
        device.get("id"),
        device.get("address"),
        device.get("state"),
        flashed_app(device),
        bootloader_version(device),
    )
    return any(needle in str(f).lower() for f in fields if f)


def job_final(job: Wire) -> bool:
    """No further change will happen to this job."""
    return job.get("state") in FINAL_JOB_STATES


def job_kind(job: Wire) -> str:
    """A short name for what the job does."""
    kind = str(job.get("kind", "?"))
    return JOB_KIND_NAMES.get(kind, kind.replace("_", " "))


def job_what(job: Wire) -> str:
    """The job in words: 'flash blink to cam-a'-like, without the camera."""
    params = job.get("params") or {}
    # The app name says what goes to the camera; the package path is a cache file named by hash.
    if params.get("app_name"):
        return f"{job_kind(job)} {params['app_name']}"
    source = params.get("project") or params.get("source") or params.get("package")
    if source:
        return f"{job_kind(job)} {os.path.basename(str(source).rstrip('/'))}"
    return job_kind(job)


def job_order(job: Wire) -> tuple[int, float]:
    """Running first, then queued (oldest first), then finished (newest first)."""
    state = job.get("state")
    job_id = float(job.get("id", 0))
    if state == "running":
        return (0, job_id)
    if state == "queued":
        return (1, job_id)
    return (2, -float(job.get("finished") or 0) - job_id * 1e-9)


def project_name(path: str) -> str:
    """A project's directory name."""
    return os.path.basename(path.rstrip("/")) or path


def human_size(size: int | None) -> str:
    """'10.25 MiB': as `oakd build` and the daemon's log write sizes (oakd/build/limits.py)."""
    return "-" if size is None else short_size(int(size))


def build_failed(result: Wire | None) -> bool:
    """A finished build that did not produce a package."""
    return bool(result) and not result.get("ok", False)  # type: ignore[union-attr]


TRACEBACK_LINES = 6  # of a failed build's traceback in the log: the user's own frame, mostly


def traceback_tail(result: Wire, lines: int = TRACEBACK_LINES) -> str:
    """The end of a failed build's traceback (the whole is on the project's page)."""
    error = result.get("error") or {}
    text = str(error.get("traceback") or "").rstrip("\n")
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def build_error(result: Wire) -> str:
    """'kind: message' of a failed build."""
    error = result.get("error") or {}
    kind = error.get("kind") or "error"
    return f"{kind}: {error.get('message') or 'the build failed'}"
