"""What the TUI shows of devices, jobs and projects: pure functions over the daemon's replies.

The replies are the typed classes of oakd/protocol/replies.py, read by tui/connection.py; what
a reply says of itself (a camera's label, a job's end) is a property there, and what is only
the TUI's way of showing it is here.
"""

from __future__ import annotations

import ipaddress
import os

from oakd.build.limits import short_size
from oakd.core.versions import Version
from oakd.protocol.replies import BuildSummary, DeviceInfo, JobInfo, JobState, NetworkFacts
from oakd.protocol.session import StatusInfo

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
    JobState.RUNNING: "▶",
    JobState.QUEUED: "…",
    JobState.DONE: "✓",
    JobState.FAILED: "✗",
    JobState.CANCELLED: "⊘",
    JobState.SKIPPED: "=",
    JobState.INTERRUPTED: "!",
}


def describe(device: DeviceInfo) -> str:
    """A camera named without ambiguity: alias, MX ID and address."""
    where = f"at {device.address or 'unknown address'}"
    if device.alias:
        return f"{device.alias} ({device.id} {where})"
    return f"{device.id} ({where})"


# The network config an inspection read: a NetworkFacts, NO_CONFIG for none written (DHCP,
# the factory default), or None when no inspection read it.
NO_CONFIG = NetworkFacts()


def network_settings(device: DeviceInfo) -> NetworkFacts | None:
    """The camera's network config as last read (see NO_CONFIG)."""
    inspection = device.inspection
    if inspection is None or not inspection.network_read:
        return None
    return inspection.network or NO_CONFIG


def describe_network(settings: NetworkFacts | None) -> str:
    """A camera's network settings in words, as read (network_settings)."""
    if settings is None:
        return "not read yet (inspect the camera, i, to read it)"
    if settings is NO_CONFIG:
        return "DHCP (no config written: the factory default)"
    if not settings.static:
        return "DHCP"
    dns = f", DNS {settings.dns}" if settings.dns else ""
    return f"static {settings.address}/{prefix_of(settings.mask)}, gateway {settings.gateway}{dns}"


def prefix_of(mask: str) -> str:
    """255.255.255.0 -> '24' (the mask itself when it is no mask)."""
    try:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
    except ValueError:
        return str(mask)


def minimum_bootloader(status: StatusInfo | None) -> Version | None:
    """The daemon's flash.min_bootloader, from its `status`; None when it does not say."""
    try:
        return Version.parse(status.min_bootloader) if status else None
    except ValueError:
        return None


def bootloader_outdated(device: DeviceInfo, minimum: Version | None) -> bool:
    """True when the camera's known bootloader is older than the daemon's minimum (bootloaders
    older than 0.0.28 fail after a handful of reconnects: depthai-core #415, #547)."""
    version = device.bootloader_version
    if version is None or minimum is None:
        return False
    try:
        return Version.parse(version) < minimum
    except ValueError:
        return False


def device_matches(device: DeviceInfo, needle: str) -> bool:
    """Does the filter text occur in any column a person reads?"""
    if not needle:
        return True
    needle = needle.lower()
    fields = (
        device.alias,
        device.id,
        device.address,
        device.state.value,
        device.flashed_app,
        device.bootloader_version,
    )
    return any(needle in f.lower() for f in fields if f)


def job_kind(job: JobInfo) -> str:
    """A short name for what the job does."""
    return JOB_KIND_NAMES.get(job.kind.value, job.kind.value.replace("_", " "))


def job_what(job: JobInfo) -> str:
    """The job in words: 'flash blink to cam-a'-like, without the camera."""
    params = job.params
    # The app name says what goes to the camera; the package path is a cache file named by hash.
    if params.get("app_name"):
        return f"{job_kind(job)} {params['app_name']}"
    source = params.get("project") or params.get("source") or params.get("package")
    if source:
        return f"{job_kind(job)} {os.path.basename(str(source).rstrip('/'))}"
    return job_kind(job)


def job_order(job: JobInfo) -> tuple[int, float]:
    """Running first, then queued (oldest first), then finished (newest first)."""
    if job.state is JobState.RUNNING:
        return (0, job.id)
    if job.state is JobState.QUEUED:
        return (1, job.id)
    return (2, -(job.finished or 0) - job.id * 1e-9)


def project_name(path: str) -> str:
    """A project's directory name."""
    return os.path.basename(path.rstrip("/")) or path


def human_size(size: int | None) -> str:
    """'10.25 MiB': as `oakd build` and the daemon's log write sizes (oakd/build/limits.py)."""
    return "-" if size is None else short_size(size)


TRACEBACK_LINES = 6  # of a failed build's traceback in the log: the user's own frame, mostly


def traceback_tail(result: BuildSummary, lines: int = TRACEBACK_LINES) -> str:
    """The end of a failed build's traceback (the whole is on the project's page)."""
    text = result.error.traceback.rstrip("\n") if result.error else ""
    return "\n".join(text.splitlines()[-lines:])


def build_error(result: BuildSummary) -> str:
    """'kind: message' of a failed build."""
    if result.error is None:
        return "error: the build failed"
    return f"{result.error.kind}: {result.error.message or 'the build failed'}"
