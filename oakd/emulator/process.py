"""`Fleet`: emulated cameras in a child process, driven from this one.

The cameras run in `python -m oakd.emulator` (the same program as `oakd emulate`), because
depthai holds the GIL through discovery and while constructing a `DeviceBootloader`: cameras
served by threads of the process that calls depthai could not answer it. The child inherits
this process's network namespace.

`fleet.cameras[i]` is a `RemoteCamera`: the same attributes as an in-process `Camera` (mxid,
address, flash_path, state, running, faults, wait_for_state, application_info, config,
read_flash, power_cycle). Faults set on it are sent to the child at once; flash contents are
read straight from the flash file.
"""

from __future__ import annotations

import json
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from oakd.emulator import flash as fl
from oakd.emulator.faults import Faults
from oakd.emulator.identity import DEFAULT_FIRST_IP
from oakd.emulator.sbr import ApplicationInfo
from oakd.emulator.settings import DEFAULTS
from oakd.emulator.state import CameraState, Running

START_TIMEOUT_S = 20.0
REPLY_TIMEOUT_S = 20.0
POLL_S = 0.02


class EmulatorError(Exception):
    """The emulator process failed, refused a command or did not answer."""


class Fleet:
    """N emulated cameras in a child process; a context manager.

    Arguments are those of `oakd emulate`. `faults` maps a camera index or MX ID to the
    faults it starts with. `state_dir=None` uses a temporary directory removed by `stop()`.
    The child's log is `<state_dir>/emulator.log`.
    """

    def __init__(
        self,
        count: int = 1,
        first_ip: str = DEFAULT_FIRST_IP,
        state_dir: Path | str | None = None,
        bootloader_version: str = DEFAULTS.bootloader_version,
        flash_size: int = DEFAULTS.flash_size,
        write_speed: float = DEFAULTS.write_speed,
        erase_sector: int = DEFAULTS.erase_sector,
        read_speed: float = DEFAULTS.read_speed,
        reboot_s: float = DEFAULTS.reboot_s,
        embedded_bootloader_version: str = DEFAULTS.embedded_version,
        watchdog_s: float = DEFAULTS.watchdog_s,
        faults: Mapping[int | str, Faults] | None = None,
        log_level: str = "INFO",
    ) -> None:
        self._tmp: str | None = None
        if state_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="oakd-emulator-")
            state_dir = self._tmp
        self.state_dir = Path(state_dir)
        self.log_path = self.state_dir / "emulator.log"
        self.count = count
        self.argv = [
            sys.executable,
            "-m",
            "oakd.emulator",
            f"--count={count}",
            f"--first-ip={first_ip}",
            f"--state-dir={self.state_dir}",
            f"--bootloader-version={bootloader_version}",
            f"--embedded-bootloader-version={embedded_bootloader_version}",
            f"--flash-size={flash_size}",
            f"--write-speed={write_speed}",
            f"--erase-sector={erase_sector}",
            f"--read-speed={read_speed}",
            f"--reboot-s={reboot_s}",
            f"--watchdog-s={watchdog_s}",
            f"--log-file={self.log_path}",
            f"--log-level={log_level}",
            "--exit-with-stdin",
        ]
        for key, start_faults in (faults or {}).items():
            for spec in fault_specs(start_faults):
                self.argv.append(f"--fault={key}:{spec}")
        self.cameras: list[RemoteCamera] = []
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Fleet:
        """Start the child; returns once every camera answers discovery."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.cameras = []
        self._lines = queue.Queue()
        # The child's stderr (tracebacks, argument errors) goes to its log, read on failure.
        with open(self.log_path, "a") as stderr:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                bufsize=1,
            )
        assert self._proc.stdout is not None
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()
        try:
            for index in range(self.count):
                mxid, address = self._next_line(START_TIMEOUT_S).split()
                self.cameras.append(RemoteCamera(self, index, mxid, address))
        except EmulatorError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the child (flash files stay, unless in a temporary directory)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                assert proc.stdin is not None
                proc.stdin.write("quit\n")
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()  # our own child, by its handle
                proc.wait()
        for camera in self.cameras:
            camera.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def kill(self) -> None:
        """SIGKILL the child, as a power cut of every camera at once; `start()` powers them
        on again with the same flash files."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
        for camera in self.cameras:
            camera.close()

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- access ----------------------------------------------------------------------------

    def camera(self, key: int | str) -> RemoteCamera:
        """A camera by index, MX ID or address."""
        if isinstance(key, int) or key.isdigit():
            return self.cameras[int(key)]
        for camera in self.cameras:
            if key in (camera.mxid, camera.address):
                return camera
        raise KeyError(f"no camera {key!r}")

    def command(self, line: str) -> Any:
        """Send one control command (see control.py); its JSON result, or None for `ok`."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None:
                raise EmulatorError("the emulator is not running")
            try:
                proc.stdin.write(line.rstrip("\n") + "\n")
                proc.stdin.flush()
            except OSError as exc:
                raise EmulatorError(f"emulator gone: {exc}{self._log_tail()}") from exc
            reply = self._next_line(REPLY_TIMEOUT_S)
        status, _, rest = reply.partition(" ")
        if status == "ok":
            return json.loads(rest) if rest else None
        raise EmulatorError(rest or reply)

    def _next_line(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise EmulatorError(f"no answer from the emulator in {timeout:g} s") from None
        if line is None:
            code = self._proc.wait(timeout=5) if self._proc is not None else None
            raise EmulatorError(f"the emulator exited (status {code}){self._log_tail()}")
        return line.rstrip("\n")

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text().splitlines()[-10:]
        except OSError:
            return ""
        return "\nlast log lines:\n" + "\n".join(lines) if lines else ""


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def fault_specs(faults: Faults) -> list[str]:
    """The textual specs (faults.py) that set `faults` on a fresh camera."""
    specs = []
    if faults.drop_link_at is not None:
        specs.append(f"drop-link={faults.drop_link_at!r}")
    if faults.silent:
        specs.append("silent")
    if faults.bootloader_version is not None:
        specs.append(f"bootloader-version={faults.bootloader_version}")
    if faults.booted_by_other_host:
        specs.append("booted")
    if faults.fail_flash is not None:
        specs.append(f"fail-flash={faults.fail_flash}")
    if faults.drop_write is not None:
        specs.append(f"drop-write={faults.drop_write[0]}@{faults.drop_write[1]!r}")
    if faults.drop_read is not None:
        specs.append(f"drop-read={faults.drop_read}")
    return specs


class RemoteFaults:
    """The faults of a camera in the child process; setting an attribute sends it there."""

    def __init__(self, camera: RemoteCamera) -> None:
        self._camera = camera

    def _get(self, field: str) -> Any:
        return self._camera.status()["faults"][field]

    def _set(self, name: str, spec: str | None) -> None:
        key = self._camera.mxid
        if spec is None:
            self._camera.fleet.command(f"clear {key} {name}")
        else:
            self._camera.fleet.command(f"fault {key} {shlex.quote(spec)}")

    @property
    def drop_link_at(self) -> float | None:
        """See `Faults.drop_link_at`."""
        value: float | None = self._get("drop_link_at")
        return value

    @drop_link_at.setter
    def drop_link_at(self, value: float | None) -> None:
        self._set("drop-link", None if value is None else f"drop-link={value!r}")

    @property
    def silent(self) -> bool:
        """See `Faults.silent`."""
        return bool(self._get("silent"))

    @silent.setter
    def silent(self, value: bool) -> None:
        self._set("silent", "silent" if value else None)

    @property
    def bootloader_version(self) -> str | None:
        """See `Faults.bootloader_version`."""
        value: str | None = self._get("bootloader_version")
        return value

    @bootloader_version.setter
    def bootloader_version(self, value: str | None) -> None:
        self._set("bootloader-version", None if value is None else f"bootloader-version={value}")

    @property
    def booted_by_other_host(self) -> bool:
        """See `Faults.booted_by_other_host`."""
        return bool(self._get("booted_by_other_host"))

    @booted_by_other_host.setter
    def booted_by_other_host(self, value: bool) -> None:
        self._set("booted", "booted" if value else None)

    @property
    def fail_flash(self) -> str | None:
        """See `Faults.fail_flash`."""
        value: str | None = self._get("fail_flash")
        return value

    @fail_flash.setter
    def fail_flash(self, value: str | None) -> None:
        self._set("fail-flash", None if value is None else f"fail-flash={value}")

    @property
    def drop_write(self) -> tuple[int, float] | None:
        """See `Faults.drop_write`."""
        value = self._get("drop_write")
        return None if value is None else (int(value[0]), float(value[1]))

    @drop_write.setter
    def drop_write(self, value: tuple[int, float] | None) -> None:
        spec = None if value is None else f"drop-write={value[0]}@{value[1]!r}"
        self._set("drop-write", spec)

    @property
    def drop_read(self) -> int | None:
        """See `Faults.drop_read`."""
        value: int | None = self._get("drop_read")
        return value

    @drop_read.setter
    def drop_read(self, value: int | None) -> None:
        self._set("drop-read", None if value is None else f"drop-read={value}")

    def clear(self) -> None:
        """Remove every fault."""
        self._camera.fleet.command(f"clear {self._camera.mxid}")


class RemoteCamera:
    """A camera of a `Fleet`, seen from the test process."""

    def __init__(self, fleet: Fleet, index: int, mxid: str, address: str) -> None:
        self.fleet = fleet
        self.index = index
        self.mxid = mxid
        self.address = address
        self.flash_path = fleet.state_dir / f"{mxid}.flash"
        self.faults = RemoteFaults(self)
        self._flash: fl.FlashFile | None = None

    def __repr__(self) -> str:
        return f"RemoteCamera({self.mxid} at {self.address})"

    def status(self) -> dict[str, Any]:
        """Everything the child reports about this camera (control.py `status`)."""
        result: dict[str, Any] = self.fleet.command(f"status {self.mxid}")
        return result

    @property
    def state(self) -> CameraState:
        """The camera's state."""
        return CameraState(self.status()["state"])

    @property
    def running(self) -> Running:
        """What runs now: state, bootloader version, user bootloader or not."""
        status = self.status()
        return Running(
            CameraState(status["state"]),
            status["bootloader_version"],
            status["from_flash"],
            status["user_bootloader"],
        )

    @property
    def connected(self) -> bool:
        """Whether a host holds a connection to the bootloader."""
        return bool(self.status()["connected"])

    def reported_version(self) -> str | None:
        """The version the camera's bootloader reports now, faults applied."""
        value: str | None = self.status()["reported_version"]
        return value

    @property
    def boots(self) -> int:
        """How many times the camera has come up since the emulator started."""
        return int(self.status()["boots"])

    def wait_for_state(
        self, wanted: CameraState, timeout: float = 10.0, after_boot: int | None = None
    ) -> None:
        """Block until the camera is in `wanted` (and has booted more than `after_boot`
        times, if given); TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            state = CameraState(status["state"])
            if state is wanted and (after_boot is None or status["boots"] > after_boot):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self.mxid} is {state.value} after {status['boots']} boots, "
                    f"not {wanted.value}"
                )
            time.sleep(POLL_S)

    def power_cycle(self) -> None:
        """Cut power and boot again from flash, dropping any connection."""
        self.fleet.command(f"power-cycle {self.mxid}")

    # -- flash contents, read from the file ------------------------------------------------

    def _file(self) -> fl.FlashFile:
        if self._flash is None:
            self._flash = fl.FlashFile.open_readonly(self.flash_path)
        return self._flash

    def read_flash(self, offset: int, size: int) -> bytes:
        """Bytes of the flash."""
        return self._file().read(offset, size)

    def application_info(self) -> ApplicationInfo | None:
        """Name and firmware version of the application in flash, None if there is none."""
        return self._file().application_info()

    def config(self) -> dict[str, Any] | None:
        """The bootloader configuration in flash, decoded; None if there is none."""
        return self._file().config()

    def flashed_bootloader_version(self) -> str | None:
        """The version of the bootloader in flash (None: none would boot)."""
        return self._file().bootloader_version()

    def close(self) -> None:
        """Release the flash file."""
        if self._flash is not None:
            self._flash.close()
            self._flash = None
