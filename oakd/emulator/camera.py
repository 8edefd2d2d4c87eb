"""One emulated OAK PoE camera: its sockets, its boot state machine, its faults.

A camera has one network thread (discovery on UDP 11491, accepting TCP 11490) and, while a host
is connected, a session of two threads: the XLink receive loop and the bootloader command loop.
When the session ends, however it ends, the camera reboots (state.py says into what).
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import Any

from oakd.emulator import discovery
from oakd.emulator import flash as fl
from oakd.emulator.app import CRASH_REBOOT_S, AppRunner, read_app
from oakd.emulator.bootloader import BootloaderService
from oakd.emulator.faults import Faults
from oakd.emulator.settings import CameraSettings
from oakd.emulator.state import (
    BOOTED_WIRE_STATE,
    BootMachine,
    BootSource,
    CameraState,
    FlashFacts,
    Running,
)
from oakd.emulator.xlink import XLINK_PORT, Link

log = logging.getLogger(__name__)

TICK_S = 0.02  # how often the network thread looks at timers (reboots, watchdog)


class Camera:
    """An emulated camera at `address` whose flash is `<state_dir>/<mxid>.flash`."""

    def __init__(
        self,
        index: int,
        mxid: str,
        address: str,
        state_dir: Path,
        settings: CameraSettings | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.index = index
        self.mxid = mxid
        self.address = address
        self.settings = settings or CameraSettings()
        self.faults = faults or Faults()
        self.flash_path = Path(state_dir) / f"{mxid}.flash"
        self.flash = fl.FlashFile(
            self.flash_path, self.settings.flash_size, self.settings.bootloader_version
        )
        self.write_model = fl.WriteModel(
            self.settings.write_speed, self.settings.erase_sector, self.settings.read_speed
        )
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._machine = BootMachine(self.settings.reboot_s)
        self._session: _Session | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._udp: tuple[socket.socket, socket.socket] | None = None
        self._listener: socket.socket | None = None
        self.app = AppRunner(mxid)  # the app's Script nodes, while FLASH_BOOTED (app.py)
        self._app_boot = -1  # the boot whose app was started (an app starts once per boot)
        self._crash_reboot_at: float | None = None

    def __repr__(self) -> str:
        return f"Camera({self.mxid} at {self.address}, {self._machine.state.value})"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Power on (booting from flash at once) and start answering on the network."""
        self._udp = discovery.open_sockets(self.address)
        with self._lock:
            self._machine.reboot(time.monotonic() - self.settings.reboot_s, BootSource.FLASH)
            self._poll_boot()
        # Listen before returning: a client may connect the moment start() is done (later
        # changes of state open and close the listener on the network thread).
        if self.state is CameraState.BOOTLOADER and not self.faults.booted_by_other_host:
            self._listener = _listen(self.address)
        self._thread = threading.Thread(target=self._run, name=f"emu-{self.address}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Power off: close every socket, end any session, release the flash file."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        session = self._session
        if session is not None:
            session.link.close()
            session.join(timeout=5)
        for sock in (*(self._udp or ()), self._listener):
            if sock is not None:
                sock.close()
        self._listener = None
        self.app.stop()
        self.flash.close()

    # -- observation (for tests) -----------------------------------------------------------

    @property
    def state(self) -> CameraState:
        """The camera's state (faults that only change what the network sees aside)."""
        with self._lock:
            self._poll_boot()
            return self._machine.state

    @property
    def running(self) -> Running:
        """What runs now: state, bootloader version, user bootloader or not."""
        with self._lock:
            self._poll_boot()
            return self._machine.running

    @property
    def boots(self) -> int:
        """How many times the camera has come up since the emulator started."""
        with self._lock:
            self._poll_boot()
            return self._machine.boots

    @property
    def connected(self) -> bool:
        """Whether a host holds a connection to the bootloader."""
        return self._session is not None

    def wait_for_state(
        self, wanted: CameraState, timeout: float = 10.0, after_boot: int | None = None
    ) -> None:
        """Block until the camera is in `wanted` (and has booted more than `after_boot`
        times, if given); TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not _reached(self.state, self._machine.boots, wanted, after_boot):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{self.mxid} is {self.state.value} after {self._machine.boots} boots, "
                        f"not {wanted.value}"
                    )
                self._changed.wait(min(remaining, TICK_S * 5))

    def application_info(self) -> fl.sbr.ApplicationInfo | None:
        """Name and firmware version of the application in flash, None if there is none."""
        return self.flash.application_info()

    def config(self) -> dict[str, Any] | None:
        """The bootloader configuration in flash, decoded; None if there is none."""
        return self.flash.config()

    def read_flash(self, offset: int, size: int) -> bytes:
        """Bytes of the flash, as a test would compare them with what was sent."""
        return self.flash.read(offset, size)

    def flashed_bootloader_version(self) -> str | None:
        """The version of the bootloader in flash (None: none would boot)."""
        return self.flash.bootloader_version()

    def power_cycle(self) -> None:
        """Cut power and boot again from flash, dropping any connection."""
        with self._lock:
            session = self._session
            self._machine.reboot(time.monotonic(), BootSource.FLASH)
            self._changed.notify_all()
        if session is not None:
            session.reboot_after_link(BootSource.FLASH)
            session.link.drop()

    # -- used by the bootloader session ----------------------------------------------------

    def reported_version(self) -> str:
        """The bootloader version GET_BOOTLOADER_VERSION answers, faults applied."""
        running = self.running
        if running.from_flash and self.faults.bootloader_version is not None:
            return self.faults.bootloader_version
        return running.version or self.settings.embedded_version

    def bootloader_flashed(self) -> None:
        """A new bootloader is in flash: an injected old version no longer applies."""
        self.faults.bootloader_version = None

    def session_ended(self, session: _Session) -> None:
        """Reboot as the ended session asked (by default: reset, boot from flash)."""
        with self._lock:
            if self._session is not session:
                return
            self._session = None
            log.info("%s: host gone, rebooting (%s)", self.mxid, session.source.value)
            if not self._stopping.is_set() and self._machine.state is not CameraState.OFFLINE:
                self._machine.reboot(time.monotonic(), session.source, session.ram_version)
            self._changed.notify_all()

    # -- network thread --------------------------------------------------------------------

    def _run(self) -> None:
        assert self._udp is not None
        selector = selectors.DefaultSelector()
        for sock in self._udp:
            selector.register(sock, selectors.EVENT_READ, "udp")
        if self._listener is not None:
            selector.register(self._listener, selectors.EVENT_READ, "tcp")
        try:
            while not self._stopping.is_set():
                self._sync_listener(selector)
                for key, _ in selector.select(TICK_S):
                    if key.data == "udp":
                        self._on_datagram(key.fileobj)  # type: ignore[arg-type]
                    else:
                        self._on_connection()
                self._tick()
        except Exception:
            log.exception("%s: network thread failed", self.mxid)
        finally:
            selector.close()

    def _tick(self) -> None:
        self._sync_app()
        with self._lock:
            self._poll_boot()
            session = self._session
        if session is not None:
            last = session.link.last_watchdog
            if last is not None and time.monotonic() - last > self.settings.watchdog_s:
                log.info("%s: host watchdog silent, resetting", self.mxid)
                session.link.close()

    def _sync_app(self) -> None:
        """Run the app's scripts while FLASH_BOOTED, once per boot; a crash reboots."""
        with self._lock:
            self._poll_boot()
            state, boots = self._machine.state, self._machine.boots
        now = time.monotonic()
        if state is not CameraState.FLASH_BOOTED:
            self._crash_reboot_at = None
            if self.app.running:
                self.app.stop()
            return
        if self.faults.kill_app:
            self.faults.kill_app = False
            self._app_boot = boots  # not started again until the next boot
            self.app.stop()
            log.info("%s: app killed (fault); the camera stays up without it", self.mxid)
        elif self._app_boot != boots:
            self._app_boot = boots
            app = read_app(self.flash)
            if app is not None:
                self.app.start(app, self.address)
        elif self.app.crashed():
            log.info("%s: app crashed; rebooting in %.0f s", self.mxid, CRASH_REBOOT_S)
            self._crash_reboot_at = now + CRASH_REBOOT_S
        if self._crash_reboot_at is not None and now >= self._crash_reboot_at:
            self._crash_reboot_at = None
            with self._lock:
                self._machine.reboot(now, BootSource.FLASH)
                self._changed.notify_all()

    def _poll_boot(self) -> None:
        # Called with the lock held.
        if self._machine.due(time.monotonic()):
            facts = FlashFacts(
                bootloader_version=self.flash.bootloader_version(),
                user_bootloader_version=self.flash.user_bootloader_version(
                    self.settings.embedded_version
                ),
                has_application=self.flash.application_sections() is not None,
            )
            running = self._machine.finish(facts)
            log.info("%s: up, %s, bootloader %s", self.mxid, running.state.value, running.version)
            self._changed.notify_all()

    def _discovery_state(self) -> int | None:
        if self.faults.silent:
            return None
        wire = self.state.wire
        if wire is not None and self.faults.booted_by_other_host:
            return BOOTED_WIRE_STATE
        return wire

    def _on_datagram(self, sock: socket.socket) -> None:
        try:
            datagram, source = sock.recvfrom(2048)
        except OSError:
            return
        command = discovery.parse_command(datagram)
        if command == discovery.CMD_DISCOVER:
            wire = self._discovery_state()
            if wire is not None and self._udp is not None:
                try:
                    # Always from the unicast socket: the host takes the reply's source as our IP.
                    self._udp[0].sendto(discovery.pack_reply(self.mxid, wire), source)
                except OSError as exc:
                    log.debug("%s: discovery reply failed: %s", self.mxid, exc)
        elif command == discovery.CMD_RESET:
            with self._lock:
                booted = self.faults.booted_by_other_host or self.faults.silent
                if self._machine.state is CameraState.FLASH_BOOTED and not booted:
                    self._machine.reboot(time.monotonic(), BootSource.FLASH_BOOTLOADER)
                    self._changed.notify_all()

    def _sync_listener(self, selector: selectors.BaseSelector) -> None:
        wanted = self.state is CameraState.BOOTLOADER and not self.faults.booted_by_other_host
        if wanted and self._listener is None:
            try:
                self._listener = _listen(self.address)
            except OSError as exc:
                log.warning("%s: cannot listen on %s: %s", self.mxid, self.address, exc)
                return
            selector.register(self._listener, selectors.EVENT_READ, "tcp")
        elif not wanted and self._listener is not None:
            selector.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _on_connection(self) -> None:
        assert self._listener is not None
        try:
            conn, peer = self._listener.accept()
        except OSError:
            return
        with self._lock:
            busy = self._session is not None or self._machine.state is not CameraState.BOOTLOADER
            if not busy:
                self._session = _Session(self, conn)
        if busy:
            log.info("%s: connection from %s refused (busy)", self.mxid, peer)
            conn.close()
            return
        log.info("%s: host %s connected", self.mxid, peer)
        assert self._session is not None
        self._session.start()


def _reached(state: CameraState, boots: int, wanted: CameraState, after: int | None) -> bool:
    return state is wanted and (after is None or boots > after)


def _listen(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, XLINK_PORT))
        sock.listen(4)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Session:
    """One host connection: the XLink loop and the bootloader loop, each in a thread."""

    def __init__(self, camera: Camera, conn: socket.socket) -> None:
        conn.setblocking(True)
        self.camera = camera
        self.link = Link(conn, on_watchdog_reset=self._watchdog_reset, name=camera.mxid)
        self.source = BootSource.FLASH
        self.ram_version: str | None = None
        self.service = BootloaderService(self, self.link)
        self._reader = threading.Thread(
            target=self._serve, name=f"xlink-{camera.address}", daemon=True
        )
        self._worker = threading.Thread(
            target=self.service.run, name=f"bootloader-{camera.address}", daemon=True
        )

    def start(self) -> None:
        """Start serving the connection."""
        self._worker.start()
        self._reader.start()

    def join(self, timeout: float) -> None:
        """Wait for both threads to end."""
        for thread in (self._reader, self._worker):
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout)

    def _serve(self) -> None:
        self.link.serve()
        # The command thread must have stopped touching flash before the camera boots from it.
        self._worker.join(timeout=10)
        self.camera.session_ended(self)

    def _watchdog_reset(self) -> None:
        self.link.close()

    # -- BootloaderHost ----------------------------------------------------------------------

    @property
    def flash(self) -> fl.FlashFile:
        return self.camera.flash

    @property
    def write_model(self) -> fl.WriteModel:
        return self.camera.write_model

    @property
    def faults(self) -> Faults:
        return self.camera.faults

    @property
    def embedded_version(self) -> str:
        return self.camera.settings.embedded_version

    @property
    def memory_info(self) -> str:
        return self.camera.settings.memory_info

    @property
    def running(self) -> Running:
        return self.camera.running

    def reported_version(self) -> str:
        return self.camera.reported_version()

    def reboot_after_link(self, source: BootSource, ram_version: str | None = None) -> None:
        self.source = source
        self.ram_version = ram_version

    def bootloader_flashed(self) -> None:
        self.camera.bootloader_flashed()
