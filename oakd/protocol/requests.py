"""The requests about cameras, jobs, projects and logs: one frozen dataclass each, registered
under its wire name with the type of its answer (`REPLY`, a class of replies.py). Hello, status
and subscribe are session.py's; the frame, the registry and parsing are the package's
(oakd/protocol/__init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from oakd.protocol import Request, request
from oakd.protocol.replies import (
    AppLogLine,
    BuildInfo,
    DeviceInfo,
    JobInfo,
    ProjectInfo,
)


@request
@dataclass(frozen=True)
class ListDevices(Request):
    """Every camera the daemon has seen."""

    TYPE: ClassVar[str] = "devices"
    REPLY: ClassVar[Any] = list[DeviceInfo]


@request
@dataclass(frozen=True)
class ListJobs(Request):
    """Jobs, newest first: queued and running ones, then history up to `limit`."""

    TYPE: ClassVar[str] = "jobs"
    REPLY: ClassVar[Any] = list[JobInfo]
    limit: int = 100


def needs_confirmation(what: str, field_name: str = "confirm") -> str:
    """A confirmation_required error's message: what would be lost, then how an API client
    confirms. Clients that confirm their own way (the CLI's --yes or [y/N]) take `what` back
    with confirmation_subject."""
    return f"{what}. {_CONFIRM_HINT.format(field_name)}"


def confirmation_subject(message: str) -> str:
    """The `what` of a needs_confirmation message (the message itself if it is not one)."""
    head, hint, _ = message.rpartition(". " + _CONFIRM_HINT.split("{}")[0])
    return head if hint else message


_CONFIRM_HINT = "Confirm it explicitly: send it again with {}: true"


@dataclass(frozen=True)
class DestructiveRequest(Request):
    """An operation that loses something on the camera: refused unless `confirm` is true."""

    REPLY: ClassVar[Any] = JobInfo
    device: str
    confirm: bool = False


@request
@dataclass(frozen=True)
class Inspect(Request):
    """Read a camera's bootloader, memory, application and network config, and keep it.

    Connecting stops the app of a FLASH_BOOTED camera: such a camera needs `yes`."""

    TYPE: ClassVar[str] = "inspect"
    REPLY: ClassVar[Any] = DeviceInfo
    device: str
    yes: bool = False


@request
@dataclass(frozen=True)
class Flash(Request):
    """Queue a flash of one package file or one project to each of `devices`.

    Exactly one of `package` (a .dap path) and `project` (a directory) is given. `force`
    flashes a camera whose bootloader is older than flash.min_bootloader; `full` writes the
    whole package even where a delta would do. Returns the jobs."""

    TYPE: ClassVar[str] = "flash"
    REPLY: ClassVar[Any] = list[JobInfo]
    devices: list[str]
    package: str | None = None
    project: str | None = None
    force: bool = False
    full: bool = False


@request
@dataclass(frozen=True)
class Cancel(Request):
    """Cancel a queued job (a running write is never torn off: that is refused)."""

    TYPE: ClassVar[str] = "cancel"
    REPLY: ClassVar[Any] = JobInfo
    job: int


@request
@dataclass(frozen=True)
class FactoryReset(DestructiveRequest):
    """Rewrite the bootloader and erase config and app."""

    TYPE: ClassVar[str] = "factory_reset"


@request
@dataclass(frozen=True)
class ClearApp(DestructiveRequest):
    """Erase the flashed application."""

    TYPE: ClassVar[str] = "clear_app"


@request
@dataclass(frozen=True)
class ClearConfig(DestructiveRequest):
    """Erase the bootloader config (network settings)."""

    TYPE: ClassVar[str] = "clear_config"


@request
@dataclass(frozen=True)
class NetworkConfig(DestructiveRequest):
    """Write the network config: `dhcp`, or `static` "ADDR/PREFIX" with `gateway` (and
    `dns`). Validated before anything is written."""

    TYPE: ClassVar[str] = "network_config"
    dhcp: bool = False
    static: str | None = None
    gateway: str | None = None
    dns: str | None = None


@request
@dataclass(frozen=True)
class BootloaderUpdate(DestructiveRequest):
    """Flash the bootloader embedded in this depthai."""

    TYPE: ClassVar[str] = "bootloader_update"


@request
@dataclass(frozen=True)
class Watch(Request):
    """Watch a project directory and flash it to `devices` whenever it changes."""

    TYPE: ClassVar[str] = "watch"
    REPLY: ClassVar[Any] = ProjectInfo
    path: str
    devices: list[str]
    entry: str = "pipeline.py"
    compress: bool = True


@request
@dataclass(frozen=True)
class Unwatch(Request):
    """Stop watching a project directory."""

    TYPE: ClassVar[str] = "unwatch"
    REPLY: ClassVar[Any] = ProjectInfo
    path: str


@request
@dataclass(frozen=True)
class Builds(Request):
    """A project's last good builds, newest first: app name, hash, size, sections changed."""

    TYPE: ClassVar[str] = "builds"
    REPLY: ClassVar[Any] = list[BuildInfo]
    project: str


@request
@dataclass(frozen=True)
class Rollback(Request):
    """Flash a camera the build before the one it runs (of `project`, or of the watched
    project that flashes it); answers the job."""

    TYPE: ClassVar[str] = "rollback"
    REPLY: ClassVar[Any] = JobInfo
    device: str
    project: str | None = None


@request
@dataclass(frozen=True)
class Logs(Request):
    """What a camera's app reported (boots, log lines, crashes), oldest first: the last
    `limit`, after `since` (seconds since the epoch) if given."""

    TYPE: ClassVar[str] = "logs"
    REPLY: ClassVar[Any] = list[AppLogLine]
    device: str
    since: float | None = None
    limit: int = 200


@request
@dataclass(frozen=True)
class ListProjects(Request):
    """The watched projects with their targets and last build result."""

    TYPE: ClassVar[str] = "projects"
    REPLY: ClassVar[Any] = list[ProjectInfo]
