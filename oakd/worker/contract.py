"""What the daemon and a device worker say to each other: the operations, their params, the
one error, and how its kinds map to the error codes clients see.

Pure (no depthai, no daemon services): the daemon imports it to call a worker, the worker to
answer. The worker writes one JSON object per line on its stdout: `{"event": "ready" | "phase"
| "progress" | "done" | "error", ...}`; an error line is `DeviceError.to_event()`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypedDict

from oakd.core.jobs import JobKind
from oakd.core.versions import Version
from oakd.errors import ErrorCode, OakdError


class Op(str, Enum):
    """The operations a device worker runs."""

    SCAN = "scan"
    INSPECT = "inspect"
    FLASH = "flash"
    CLEAR_APP = "clear_app"
    CLEAR_CONFIG = "clear_config"
    NETWORK_CONFIG = "network_config"
    BOOTLOADER_UPDATE = "bootloader_update"
    FACTORY_RESET = "factory_reset"


# The operation that carries out each kind of job.
OP_FOR_JOB: dict[JobKind, Op] = {
    JobKind.FLASH_PACKAGE: Op.FLASH,
    JobKind.FLASH_PROJECT: Op.FLASH,
    JobKind.FACTORY_RESET: Op.FACTORY_RESET,
    JobKind.CLEAR_APP: Op.CLEAR_APP,
    JobKind.CLEAR_CONFIG: Op.CLEAR_CONFIG,
    JobKind.NETWORK_CONFIG: Op.NETWORK_CONFIG,
    JobKind.BOOTLOADER_UPDATE: Op.BOOTLOADER_UPDATE,
}


class ScanParams(TypedDict):
    """Op.SCAN: broadcast, then probe these addresses."""

    static: list[str]


class DeviceParams(TypedDict):
    """Every operation on one camera."""

    address: str
    mxid: str
    min_bootloader: str


class FlashParams(DeviceParams, total=False):
    """Op.FLASH: the job's params (core/jobs.flash_params) and what a delta needs."""

    package: str  # the package file, read by the worker
    app_name: str  # the name the camera must report after the write
    hash: str
    force: bool  # flash even an old bootloader
    full: bool  # the user asked for a whole write
    delta: bool  # deltas are allowed (config and `full`)
    base: str | None  # the package oakd last wrote and verified there
    verdict: dict[str, Any] | None  # does this bootloader keep packages verbatim?
    journal: bool  # an earlier write did not finish: read the camera, do not trust `base`


class NetworkParams(DeviceParams, total=False):
    """Op.NETWORK_CONFIG: static when `static` is set, else DHCP."""

    static: str | None
    mask: str | None
    gateway: str | None
    dns: str | None


class Failure(str, Enum):
    """Why an operation did not succeed; decides retries and the client's error code."""

    TRANSIENT = "transient"  # the link dropped, no answer, a deadline: worth retrying
    REFUSED = "refused"  # a preflight check said no; nothing was written
    BOOTLOADER_TOO_OLD = "bootloader_too_old"  # refused unless forced
    FAILED = "failed"  # the camera said no, or did not end as it should

    @property
    def code(self) -> ErrorCode:
        """The error code a client sees for this failure."""
        return _CODES[self]

    @property
    def retried(self) -> bool:
        """Another attempt may succeed."""
        return self is Failure.TRANSIENT


_CODES = {
    Failure.TRANSIENT: ErrorCode.DEVICE_UNREACHABLE,
    Failure.REFUSED: ErrorCode.REFUSED,
    Failure.BOOTLOADER_TOO_OLD: ErrorCode.BOOTLOADER_TOO_OLD,
    Failure.FAILED: ErrorCode.DEVICE_FAILED,
}


class DeviceError(OakdError):
    """The one error of a device operation: raised in the worker, sent as an event line,
    raised again in the daemon with the same failure, and reported with its code."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message, failure.code)
        self.failure = failure

    def to_event(self) -> dict[str, str]:
        """The worker's error line."""
        return {"event": "error", "kind": self.failure.value, "message": self.message}

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> DeviceError:
        """The error a worker's error line describes (an unknown kind counts as failed)."""
        try:
            failure = Failure(event.get("kind"))
        except ValueError:
            failure = Failure.FAILED
        return cls(failure, str(event.get("message") or "the device worker gave no reason"))


def bootloader_too_old(mxid: str, version: Version | str, minimum: Version) -> DeviceError | None:
    """The refusal of a flash on a bootloader older than `minimum`, or None when it is not."""
    if Version.parse(str(version)) >= minimum:
        return None
    return DeviceError(
        Failure.BOOTLOADER_TOO_OLD,
        f"camera {mxid}: its bootloader {version} is older than {minimum} and fails after a "
        f"few reconnects; update it (`oakd bootloader-update {mxid} --yes`) or flash with "
        "--force",
    )
