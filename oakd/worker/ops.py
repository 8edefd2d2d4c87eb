"""Device operations with depthai, run inside a device worker process (never in the daemon:
depthai holds the GIL through discovery and while connecting, which would freeze the daemon's
event loop for seconds).

Each operation takes its params (typed in oakd/worker/contract.py) and a Reporter, returns a
JSON-ready result, or raises the contract's DeviceError with its Failure.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import depthai as dai

from oakd.core import delta as rules
from oakd.core.delta import FullReason
from oakd.core.devices import DeviceState
from oakd.core.package import APP_OFFSET
from oakd.core.versions import Version
from oakd.worker import delta as deltas
from oakd.worker.closing import close_within
from oakd.worker.contract import (
    DeviceError,
    DeviceParams,
    Failure,
    FlashParams,
    NetworkParams,
    Op,
    ScanParams,
    bootloader_too_old,
)
from oakd.worker.failures import checked, link_error
from oakd.worker.scan import scan, scan_unicast

MiB = 1024 * 1024
FACTORY_IMAGE_SIZE = 8 * MiB + 512  # the reset image: bootloader padded over config and header
READ_FLASH_MIN = Version.parse("0.0.19")  # READ_FLASH, what deltas and proofs need
COME_BACK_S = 45.0  # a reboot, plus depthai's own 15 s wait, plus margin


class Reporter(Protocol):
    """Where an operation reports its phase and progress."""

    def phase(self, name: str) -> None:
        """connecting, writing or verifying."""

    def progress(self, value: float) -> None:
        """0..1 through the write."""

    def size(self, total_bytes: int) -> None:
        """How many bytes the write that follows writes (progress is a fraction of them)."""


@contextlib.contextmanager
def connected(address: str, report: Reporter, allow_bootloader: bool = False) -> Iterator[Any]:
    """A DeviceBootloader on the camera at `address`; closing it resets the camera."""
    report.phase("connecting")
    try:
        bl = dai.DeviceBootloader(dai.DeviceInfo(address), allowFlashingBootloader=allow_bootloader)
    except RuntimeError as exc:
        raise link_error(str(exc), address, "connecting") from exc
    try:
        yield bl
    except RuntimeError as exc:
        raise link_error(str(exc), address, "talking to it") from exc
    finally:
        close_within(bl)  # a hung close retires this worker (oakd/worker/closing.py)


def wait_back(address: str, mxid: str, states: set[DeviceState], timeout: float) -> DeviceState:
    """Poll unicast discovery until the camera answers in one of `states`."""
    deadline = time.monotonic() + timeout
    last: DeviceState | None = None
    while time.monotonic() < deadline:
        for sighting in scan_unicast([address], window_s=0.2):
            if sighting.mxid == mxid:
                last = sighting.state
                if last in states:
                    return last
    seen = f"it answered as {last.value}" if last else "it did not answer at all"
    wanted = " or ".join(sorted(s.value for s in states))
    raise DeviceError(
        Failure.FAILED, f"the camera did not come back {wanted} within {timeout:.0f} s: {seen}"
    )


def op_scan(params: ScanParams, report: Reporter) -> dict[str, Any]:
    """One discovery scan (broadcast and static addresses). Never connects."""
    found = scan(params.get("static", []))
    return {"sightings": [[s.mxid, s.address, s.state.value] for s in found]}


def _bootloader_facts(bl: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"version": str(bl.getVersion()), "embedded": bl.isEmbeddedVersion()}
    with contextlib.suppress(RuntimeError):
        facts["flashed_version"] = str(bl.getFlashedVersion())
    facts["type"] = bl.getType().name
    facts["user_bootloader"] = bool(bl.isUserBootloaderSupported() and bl.isUserBootloader())
    return facts


def op_inspect(params: DeviceParams, report: Reporter) -> dict[str, Any]:
    """Read what a camera has: bootloader, memory, application, network config."""
    with connected(params["address"], report) as bl:
        result: dict[str, Any] = {"bootloader": _bootloader_facts(bl)}
        memory = bl.getMemoryInfo(dai.DeviceBootloader.Memory.FLASH)
        result["memory"] = {"available": memory.available, "size": memory.size, "info": memory.info}
        app = bl.readApplicationInfo(dai.DeviceBootloader.Memory.FLASH)
        result["application"] = {
            "present": app.hasApplication,
            "name": app.applicationName or None,
            "firmware": app.firmwareVersion or None,
        }
        try:
            config = bl.readConfig()
            result["network"] = {
                "static": config.isStaticIPV4(),
                "address": config.getIPv4(),
                "mask": config.getIPv4Mask(),
                "gateway": config.getIPv4Gateway(),
                "dns": config.getDnsIPv4(),
                "mac": config.getMacAddress(),
            }
        except RuntimeError:
            result["network"] = None  # no config written: DHCP, the factory default
    result["inspected_at"] = time.time()
    return result


def op_flash(params: FlashParams, report: Reporter) -> dict[str, Any]:
    """Preflight, write (a delta where it is safe, else the whole package), read back the app
    name, and see the camera boot the app."""
    address, mxid = params["address"], params["mxid"]
    package = Path(params["package"]).read_bytes()
    expected = params["app_name"]
    with connected(address, report) as bl, tempfile.TemporaryDirectory() as scratch:
        version = Version.parse(str(bl.getVersion()))
        minimum = Version.parse(params["min_bootloader"])
        too_old = bootloader_too_old(mxid, version, minimum)
        if too_old is not None and not params.get("force"):
            raise too_old
        _check_room(bl, len(package))
        io = deltas.FlashIO(bl, address, Path(scratch))
        can_read = version >= max(minimum, READ_FLASH_MIN)
        outcome = _write(io, params, package, str(version), can_read, report)
        report.phase("verifying")
        name = bl.readApplicationInfo(dai.DeviceBootloader.Memory.FLASH).applicationName
        if name != expected:
            raise DeviceError(
                Failure.FAILED,
                f"after the write the camera reports the app {name!r}, not {expected!r}",
            )
    wait_back(address, mxid, {DeviceState.FLASH_BOOTED}, COME_BACK_S)
    return {"app_name": name, "bootloader": str(version), "state": "flash_booted", **outcome}


def _check_room(bl: Any, size: int) -> None:
    memory = bl.getMemoryInfo(dai.DeviceBootloader.Memory.FLASH)
    if memory.available and memory.size:
        region = memory.size - APP_OFFSET
        if size > region:
            raise DeviceError(
                Failure.REFUSED,
                f"the package ({size} bytes) is larger than the camera's application "
                f"region ({region} bytes of {memory.size} in flash); make it smaller (compress "
                "it, drop unused assets)",
            )


def _write(
    io: deltas.FlashIO,
    params: FlashParams,
    package: bytes,
    version: str,
    can_read: bool,
    report: Reporter,
) -> dict[str, Any]:
    """Write a delta if every check allows it, else (or if it fails) the whole package.
    Returns what was done: mode, bytes written, the reason for a full write, the verdict."""
    verdict = params.get("verdict") or {}
    reason: FullReason | None = None
    detail = ""
    if not params.get("delta", True):
        reason = FullReason.DISABLED
    elif not can_read:
        reason = FullReason.OLD_BOOTLOADER
    elif verdict.get("bootloader") != version:
        reason = FullReason.UNPROVEN
    elif not verdict.get("verbatim"):
        reason = FullReason.NOT_VERBATIM
    if reason is None:
        report.phase("comparing")
        repair = bool(params.get("journal"))
        if repair:
            # An earlier write did not finish: nothing is known of the camera's flash but what
            # is read from it now, all of it.
            base: bytes | None = io.read(0, len(package))
            assert base is not None
            plan = rules.repair(base, package)
        else:
            base = _read_base(params.get("base"))
            plan = deltas.choose(io, base, package)
        if isinstance(plan, FullReason):
            reason = plan
        else:
            assert base is not None
            report.phase("writing")
            done = {"mode": "delta", "total": len(package), "repair": repair}
            if not plan.blocks:  # the camera holds the package already
                return {**done, "written": 0}
            try:
                written = deltas.apply(io, plan, base, package, report.progress, report.size)
                return {**done, "written": written}
            except deltas.DeltaFailed as exc:
                reason, detail = exc.reason, exc.detail
            except DeviceError as exc:
                if exc.failure.retried:
                    raise
                reason, detail = FullReason.ERROR, exc.message
    report.phase("writing")
    report.size(len(package))
    checked(
        io.bl.flashDepthaiApplicationPackage(report.progress, bytearray(package)),
        io.address,
        "write the package",
    )
    outcome: dict[str, Any] = {
        "mode": "full",
        "written": len(package),
        "total": len(package),
        "reason": reason.value + (f" ({detail})" if detail else ""),
    }
    if can_read and verdict.get("bootloader") != version:
        # Proven once per camera and bootloader: does the flash hold the package verbatim?
        report.phase("verifying")
        verbatim = deltas.holds_verbatim(io, package)
        outcome["verdict"] = {"bootloader": version, "verbatim": verbatim, "at": time.time()}
    return outcome


def _read_base(path: str | None) -> bytes | None:
    """The package oakd last wrote to the camera, if it is still in the cache."""
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _simple(
    what: str, action: Callable[[Any], tuple[bool, str]], back: set[DeviceState]
) -> Callable[[DeviceParams, Reporter], dict[str, Any]]:
    def op(params: DeviceParams, report: Reporter) -> dict[str, Any]:
        with connected(params["address"], report) as bl:
            report.phase("writing")
            checked(action(bl), params["address"], what)
        report.phase("verifying")
        state = wait_back(params["address"], params["mxid"], back, COME_BACK_S)
        return {"state": state.value}

    return op


op_clear_app = _simple(
    "clear the application", lambda bl: bl.flashClear(), {DeviceState.BOOTLOADER}
)
op_clear_config = _simple(
    "clear the config",
    lambda bl: bl.flashConfigClear(),
    {DeviceState.BOOTLOADER, DeviceState.FLASH_BOOTED},
)


def op_network_config(params: NetworkParams, report: Reporter) -> dict[str, Any]:
    """Write a static or DHCP network config (validated by the daemon before it got here)."""
    with connected(params["address"], report) as bl:
        try:
            config = bl.readConfig()
        except RuntimeError:
            config = dai.DeviceBootloader.Config()
        if params.get("static"):
            config.setStaticIPv4(params["static"], params["mask"], params["gateway"])
        else:
            config.setDynamicIPv4("0.0.0.0", "0.0.0.0", "0.0.0.0")
        if params.get("dns"):
            config.setDnsIPv4(params["dns"], "")
        report.phase("writing")
        checked(bl.flashConfig(config), params["address"], "write the network config")
    return {"static": params.get("static"), "gateway": params.get("gateway")}


def _flash_bootloader(params: DeviceParams, report: Reporter, image: Path | None) -> None:
    with connected(params["address"], report, allow_bootloader=True) as bl:
        report.phase("writing")
        if image is None:
            checked(bl.flashBootloader(report.progress), params["address"], "write the bootloader")
        else:
            checked(
                bl.flashBootloader(report.progress, str(image)),
                params["address"],
                "write the bootloader",
            )


def op_bootloader_update(params: DeviceParams, report: Reporter) -> dict[str, Any]:
    """Flash the bootloader embedded in this depthai (the factory one, not a user one)."""
    _flash_bootloader(params, report, None)
    report.phase("verifying")
    wait_back(
        params["address"],
        params["mxid"],
        {DeviceState.BOOTLOADER, DeviceState.FLASH_BOOTED},
        COME_BACK_S,
    )
    return {"bootloader": str(dai.DeviceBootloader.getEmbeddedBootloaderVersion())}


def op_factory_reset(params: DeviceParams, report: Reporter) -> dict[str, Any]:
    """As Luxonis' Device Manager does it: the embedded bootloader padded with 0xFF to 8 MiB +
    512 bytes, which rewrites the bootloader and erases the user bootloader, the config and
    the application header."""
    binary = bytes(
        dai.DeviceBootloader.getEmbeddedBootloaderBinary(dai.DeviceBootloader.Type.NETWORK)
    )
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "factory-reset.bin"
        image.write_bytes(binary + b"\xff" * (FACTORY_IMAGE_SIZE - len(binary)))
        _flash_bootloader(params, report, image)
    report.phase("verifying")
    wait_back(params["address"], params["mxid"], {DeviceState.BOOTLOADER}, COME_BACK_S)
    return {"bootloader": str(dai.DeviceBootloader.getEmbeddedBootloaderVersion())}


# Each takes the params its Op names in the contract; the worker's loop only sees dicts.
OPS: dict[Op, Callable[[Any, Reporter], dict[str, Any]]] = {
    Op.SCAN: op_scan,
    Op.INSPECT: op_inspect,
    Op.FLASH: op_flash,
    Op.CLEAR_APP: op_clear_app,
    Op.CLEAR_CONFIG: op_clear_config,
    Op.NETWORK_CONFIG: op_network_config,
    Op.BOOTLOADER_UPDATE: op_bootloader_update,
    Op.FACTORY_RESET: op_factory_reset,
}
