"""The NETWORK bootloader's command protocol on the `__bootloader` stream (protocol notes §3).

One request = one XLink packet holding a little-endian C struct whose first u32 is the command;
one response = one packet likewise; bulk data = further packets of at most 5 MiB. The struct
layouts below are the host's (x86-64) layouts, padding included; requests may be longer than
their struct and their padding may hold garbage, so neither is checked.

`BootloaderService.run()` serves one connection in a thread of its own: it may take seconds
over a flash write, which is why the XLink receive loop (`xlink.Link.serve`) is elsewhere.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Protocol

from oakd.emulator import flash as fl
from oakd.emulator.faults import Faults
from oakd.emulator.state import BootSource, Running
from oakd.emulator.xlink import Link, LinkClosed

log = logging.getLogger(__name__)

BOOTLOADER_STREAM = "__bootloader"
XLINK_STREAM_MAX_SIZE = 5 * 1024 * 1024
BOOTLOADER_TYPE_NETWORK = 1
ERROR_MSG_SIZE = 64


class Request(IntEnum):
    """Request commands (depthai-bootloader-shared `request::Command`)."""

    USB_ROM_BOOT = 0
    BOOT_APPLICATION = 1
    UPDATE_FLASH = 2
    GET_BOOTLOADER_VERSION = 3
    BOOT_MEMORY = 4
    UPDATE_FLASH_EX = 5
    UPDATE_FLASH_EX_2 = 6
    NO_OP = 7
    GET_BOOTLOADER_TYPE = 8
    SET_BOOTLOADER_CONFIG = 9
    GET_BOOTLOADER_CONFIG = 10
    BOOTLOADER_MEMORY = 11
    GET_BOOTLOADER_COMMIT = 12
    UPDATE_FLASH_BOOT_HEADER = 13
    READ_FLASH = 14
    GET_APPLICATION_DETAILS = 15
    GET_MEMORY_DETAILS = 16
    IS_USER_BOOTLOADER = 17


class Response(IntEnum):
    """Response commands (depthai-bootloader-shared `response::Command`)."""

    FLASH_COMPLETE = 0
    FLASH_STATUS_UPDATE = 1
    BOOTLOADER_VERSION = 2
    BOOTLOADER_TYPE = 3
    GET_BOOTLOADER_CONFIG = 4
    BOOTLOADER_MEMORY = 5
    BOOT_APPLICATION = 6
    BOOTLOADER_COMMIT = 7
    READ_FLASH = 8
    APPLICATION_DETAILS = 9
    MEMORY_DETAILS = 10
    IS_USER_BOOTLOADER = 11
    NO_OP = 12


class Memory(IntEnum):
    """Memory enum of the requests."""

    AUTO = -1
    FLASH = 0
    EMMC = 1


# Request layouts (after nothing: the command is the first field).
UPDATE_FLASH = struct.Struct("<IIII")  # cmd, storage (0 SBR, 1 BOOTLOADER), totalSize, numPackets
BOOT_MEMORY = struct.Struct("<III")  # cmd, totalSize, numPackets
UPDATE_FLASH_EX = struct.Struct("<IiiII")  # cmd, memory, section, totalSize, numPackets
UPDATE_FLASH_EX_2 = struct.Struct("<IiIII")  # cmd, memory, offset, totalSize, numPackets
SET_CONFIG = struct.Struct("<IiqIII4x")  # cmd, memory, offset, clear, totalSize, numPackets
GET_CONFIG = struct.Struct("<IiqI4x")  # cmd, memory, offset, maxSize
READ_FLASH_REQ = struct.Struct("<IiII")  # cmd, memory, offset, totalSize
MEMORY_REQ = struct.Struct("<Ii")  # cmd, memory (GET_MEMORY_DETAILS, GET_APPLICATION_DETAILS)

# Response layouts.
FLASH_COMPLETE = struct.Struct("<II64s")  # 72
FLASH_STATUS_UPDATE = struct.Struct("<If")  # 8
BOOTLOADER_VERSION = struct.Struct("<IIII")  # 16
BOOTLOADER_TYPE = struct.Struct("<Ii")  # 8
GET_CONFIG_RESP = struct.Struct("<II64sII")  # 80
BOOTLOADER_MEMORY = struct.Struct("<Ii")  # 8
BOOT_APPLICATION = struct.Struct("<II64s")  # 72
BOOTLOADER_COMMIT = struct.Struct("<I64s")  # 68
READ_FLASH_RESP = struct.Struct("<II64sII")  # 80
APPLICATION_DETAILS = struct.Struct("<II64sIII256s4096s")  # 4436
MEMORY_DETAILS = struct.Struct("<IIi4xq512s")  # 536
IS_USER_BOOTLOADER = struct.Struct("<II")  # 8
NO_OP = struct.Struct("<II")  # 8

# Error texts of the emulator. A real bootloader's wording is unknown (guesses).
NO_CONFIG = "Config not found"
NO_MEMORY = "Memory not available"


def parse_version(text: str) -> tuple[int, int, int]:
    """'0.0.28' -> (0, 0, 28)."""
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def _text(message: str, size: int = ERROR_MSG_SIZE) -> bytes:
    # char[size] with room for the terminating NUL.
    return message.encode("utf-8", "replace")[: size - 1]


def flash_complete(success: bool, message: str = "") -> bytes:
    """FLASH_COMPLETE(success, errorMsg)."""
    return FLASH_COMPLETE.pack(Response.FLASH_COMPLETE, int(success), _text(message))


def flash_status(progress: float) -> bytes:
    """FLASH_STATUS_UPDATE(progress 0..1)."""
    return FLASH_STATUS_UPDATE.pack(Response.FLASH_STATUS_UPDATE, progress)


def bootloader_version(version: str) -> bytes:
    """BOOTLOADER_VERSION(major, minor, patch)."""
    return BOOTLOADER_VERSION.pack(Response.BOOTLOADER_VERSION, *parse_version(version))


def memory_details(has_memory: bool, memory: int, size: int, info: str) -> bytes:
    """MEMORY_DETAILS(hasMemory, memory, memorySize, memoryInfo)."""
    return MEMORY_DETAILS.pack(
        Response.MEMORY_DETAILS, int(has_memory), memory, size, _text(info, 512)
    )


def application_details(info: fl.sbr.ApplicationInfo | None) -> bytes:
    """APPLICATION_DETAILS for the application in flash (None: no application)."""
    fw = info.firmware_version if info else None
    name = info.application_name if info else None
    return APPLICATION_DETAILS.pack(
        Response.APPLICATION_DETAILS,
        1,
        b"",
        int(info is not None),
        int(fw is not None),
        int(name is not None),
        _text(fw or "", 256),
        _text(name or "", 4096),
    )


class BootloaderHost(Protocol):
    """What the command handlers need from the camera that runs them."""

    @property
    def flash(self) -> fl.FlashFile:
        """The camera's flash."""
        ...

    @property
    def write_model(self) -> fl.WriteModel:
        """How long writes take."""
        ...

    @property
    def faults(self) -> Faults:
        """The camera's injected faults."""
        ...

    @property
    def embedded_version(self) -> str:
        """Version of images whose own version cannot be read."""
        ...

    @property
    def memory_info(self) -> str:
        """The memoryInfo string of MEMORY_DETAILS."""
        ...

    @property
    def running(self) -> Running:
        """What runs now (version, user bootloader)."""
        ...

    def reported_version(self) -> str:
        """The bootloader version to report, faults applied."""
        ...

    def reboot_after_link(self, source: BootSource, ram_version: str | None = None) -> None:
        """How to reboot once this connection is gone."""
        ...

    def bootloader_flashed(self) -> None:
        """A bootloader was written to flash."""
        ...


class BootloaderService:
    """Serves the bootloader protocol of one connection until it ends."""

    def __init__(self, host: BootloaderHost, link: Link) -> None:
        self.host = host
        self.link = link
        self._handlers: dict[int, Callable[[bytes], None]] = {
            Request.GET_BOOTLOADER_VERSION: self._version,
            Request.GET_BOOTLOADER_COMMIT: self._commit,
            Request.GET_BOOTLOADER_TYPE: self._type,
            Request.GET_MEMORY_DETAILS: self._memory_details,
            Request.GET_APPLICATION_DETAILS: self._application_details,
            Request.IS_USER_BOOTLOADER: self._is_user_bootloader,
            Request.GET_BOOTLOADER_CONFIG: self._get_config,
            Request.SET_BOOTLOADER_CONFIG: self._set_config,
            Request.UPDATE_FLASH: self._update_flash,
            Request.UPDATE_FLASH_EX: self._update_flash_ex,
            Request.UPDATE_FLASH_EX_2: self._update_flash_ex_2,
            Request.READ_FLASH: self._read_flash,
            Request.BOOT_MEMORY: self._boot_memory,
            Request.BOOT_APPLICATION: self._boot_application,
            Request.USB_ROM_BOOT: self._usb_rom_boot,
            Request.BOOTLOADER_MEMORY: self._bootloader_memory,
            Request.UPDATE_FLASH_BOOT_HEADER: self._boot_header,
        }

    def run(self) -> None:
        """Handle requests until the link ends."""
        try:
            while True:
                request = self.link.read(BOOTLOADER_STREAM)
                if len(request) < 4:
                    continue
                command: int = struct.unpack_from("<I", request)[0]
                handler = self._handlers.get(command, self._unknown)
                try:
                    handler(request)
                except struct.error:
                    log.warning("request %d too short (%d bytes), ignored", command, len(request))
        except LinkClosed:
            pass
        except Exception:
            # A bug here must not leave the host waiting for an answer for ever (it waits
            # without timeout): drop the link so that depthai sees an error.
            log.exception("bootloader request failed; dropping the link")
            self.link.drop()

    # -- replies ---------------------------------------------------------------------------

    def _send(self, payload: bytes) -> None:
        self.link.write(BOOTLOADER_STREAM, payload)

    def _complete(self, success: bool, message: str = "") -> None:
        self._send(flash_complete(success, message))

    def _receive(self, total: int, packets: int) -> bytes:
        data = b"".join(self.link.read(BOOTLOADER_STREAM) for _ in range(packets))
        if len(data) != total:
            log.warning("announced %d bytes, received %d", total, len(data))
        return data

    # -- queries ---------------------------------------------------------------------------

    def _version(self, _request: bytes) -> None:
        self._send(bootloader_version(self.host.reported_version()))

    def _commit(self, _request: bytes) -> None:
        # An empty commit keeps the version bare: "0.0.28+abc" would compare below 0.0.28 in
        # depthai and trigger its old-bootloader warning (§3.4).
        self._send(BOOTLOADER_COMMIT.pack(Response.BOOTLOADER_COMMIT, b""))

    def _type(self, _request: bytes) -> None:
        self._send(BOOTLOADER_TYPE.pack(Response.BOOTLOADER_TYPE, BOOTLOADER_TYPE_NETWORK))

    def _memory_details(self, request: bytes) -> None:
        _cmd, memory = MEMORY_REQ.unpack_from(request)
        if memory in (Memory.FLASH, Memory.AUTO):
            reply = memory_details(True, Memory.FLASH, self.host.flash.size, self.host.memory_info)
        else:
            reply = memory_details(False, memory, 0, "")
        self._send(reply)

    def _application_details(self, _request: bytes) -> None:
        self._send(application_details(self.host.flash.application_info()))

    def _is_user_bootloader(self, _request: bytes) -> None:
        user = self.host.running.user_bootloader
        self._send(IS_USER_BOOTLOADER.pack(Response.IS_USER_BOOTLOADER, int(user)))

    def _bootloader_memory(self, _request: bytes) -> None:
        self._send(BOOTLOADER_MEMORY.pack(Response.BOOTLOADER_MEMORY, Memory.FLASH))

    def _unknown(self, request: bytes) -> None:
        command = struct.unpack_from("<I", request)[0]
        log.info("unknown bootloader request %d", command)
        if parse_version(self.host.reported_version()) >= (0, 0, 21):
            self._send(NO_OP.pack(Response.NO_OP, 1))

    # -- configuration ---------------------------------------------------------------------

    def _get_config(self, request: bytes) -> None:
        _cmd, memory, offset, _max_size = GET_CONFIG.unpack_from(request)
        raw = None
        if memory in (Memory.AUTO, Memory.FLASH):
            raw = self.host.flash.config_bytes(fl.CONFIG_OFFSET if offset < 0 else offset)
        if raw is None:
            error = NO_CONFIG if memory in (Memory.AUTO, Memory.FLASH) else NO_MEMORY
            self._send(GET_CONFIG_RESP.pack(Response.GET_BOOTLOADER_CONFIG, 0, _text(error), 0, 0))
            return
        self._send(GET_CONFIG_RESP.pack(Response.GET_BOOTLOADER_CONFIG, 1, b"", len(raw), 1))
        self._send(raw)

    def _set_config(self, request: bytes) -> None:
        _cmd, memory, offset, clear, total, packets = SET_CONFIG.unpack_from(request)
        data = b"" if clear else self._receive(total, packets)
        offset = fl.CONFIG_OFFSET if offset < 0 else offset
        if memory not in (Memory.AUTO, Memory.FLASH):
            self._complete(False, NO_MEMORY)
            return
        if len(data) > fl.CONFIG_SIZE or offset + fl.CONFIG_SIZE > self.host.flash.size:
            self._complete(False, "Config too large")
            return
        # The whole 16 KiB sector is erased and rewritten; depthai expects no progress here.
        sector = data + bytes([fl.ERASED]) * (fl.CONFIG_SIZE - len(data))
        self._program(offset, sector, progress=False, faults=False, exact=True)
        self._complete(True)

    # -- flash writes ----------------------------------------------------------------------

    def _update_flash(self, request: bytes) -> None:
        _cmd, storage, total, packets = UPDATE_FLASH.unpack_from(request)
        data = self._receive(total, packets)
        if storage == 1:
            self._write(fl.BOOTLOADER_OFFSET, data)
        else:
            room = self.host.flash.size - fl.APPLICATION_OFFSET
            if len(data) > room:
                self._complete(False, f"Application too large ({len(data)} > {room} B)")
                return
            self._write(fl.APPLICATION_OFFSET, data)

    def _update_flash_ex(self, request: bytes) -> None:
        _cmd, memory, section, total, packets = UPDATE_FLASH_EX.unpack_from(request)
        data = self._receive(total, packets)
        offset = fl.SECTIONS.get(section, (fl.APPLICATION_OFFSET, -1))[0]
        self._write(offset, data, memory)

    def _update_flash_ex_2(self, request: bytes) -> None:
        _cmd, memory, offset, total, packets = UPDATE_FLASH_EX_2.unpack_from(request)
        data = self._receive(total, packets)
        self._write(offset, data, memory)

    def _write(self, offset: int, data: bytes, memory: int = Memory.AUTO) -> None:
        faults = self.host.faults
        if memory not in (Memory.AUTO, Memory.FLASH):
            self._complete(False, NO_MEMORY)
            return
        if faults.fail_flash is not None:
            self._complete(False, faults.fail_flash)
            return
        if not data or offset + len(data) > self.host.flash.size:
            self._complete(False, f"Write of {len(data)} B at {offset} outside flash")
            return
        bootloader = fl.touches_bootloader(offset, len(data))
        if bootloader:
            # Until the new bootloader is complete, none would boot.
            self.host.flash.erase(fl.BOOT_HEADER_OFFSET, fl.BOOT_HEADER_SIZE)
        self._program(offset, data, progress=True, faults=True)
        if bootloader:
            version = fl.version_in_image(data) or self.host.embedded_version
            self.host.flash.write(fl.BOOT_HEADER_OFFSET, fl.pack_boot_header(version, len(data)))
            self.host.bootloader_flashed()
        self._complete(True)

    def _program(
        self, offset: int, data: bytes, progress: bool, faults: bool, exact: bool = False
    ) -> None:
        drop_at = self.host.faults.drop_for_write() if faults else None
        report = (lambda f: self._send(flash_status(f))) if progress else None
        try:
            self.host.write_model.program(
                self.host.flash, offset, data, report, self.link.closed_event, drop_at, exact
            )
        except fl.Interrupted as exc:
            log.info("flash write interrupted: %s", exc)
            self.link.drop()  # the injected fault; a no-op if the host already left
            raise LinkClosed(str(exc)) from exc
        if drop_at is not None and drop_at >= 1.0:
            self.link.drop()
            raise LinkClosed("link dropped after the write")

    def _boot_header(self, _request: bytes) -> None:
        self._complete(False, "Boot header writes are not emulated")

    # -- reads -----------------------------------------------------------------------------

    def _read_flash(self, request: bytes) -> None:
        _cmd, memory, offset, total = READ_FLASH_REQ.unpack_from(request)
        if memory not in (Memory.AUTO, Memory.FLASH):
            self._send(READ_FLASH_RESP.pack(Response.READ_FLASH, 0, _text(NO_MEMORY), 0, 0))
            return
        if offset + total > self.host.flash.size:
            error = _text(f"Read of {total} B at {offset} outside flash")
            self._send(READ_FLASH_RESP.pack(Response.READ_FLASH, 0, error, 0, 0))
            return
        chunk = XLINK_STREAM_MAX_SIZE
        packets = -(-total // chunk)
        self._send(READ_FLASH_RESP.pack(Response.READ_FLASH, 1, b"", total, packets))
        started = time.monotonic()
        for start in range(offset, offset + total, chunk):
            size = min(chunk, offset + total - start)
            # Reading NOR takes time too; the wait ends early if the host goes away.
            due = started + self.host.write_model.read_duration(start + size - offset)
            if self.link.closed_event.wait(max(0.0, due - time.monotonic())):
                raise LinkClosed("the host left during a read")
            if self.host.faults.drop_for_read():
                self.link.drop()
                raise LinkClosed("link dropped during a read (injected)")
            self._send(self.host.flash.read(start, size))

    # -- boots -----------------------------------------------------------------------------

    def _boot_memory(self, request: bytes) -> None:
        _cmd, total, packets = BOOT_MEMORY.unpack_from(request)
        image = self._receive(total, packets)
        # No response: the device jumps into the image and the link drops (§3.4).
        version = fl.version_in_image(image) or self.host.embedded_version
        self.host.reboot_after_link(BootSource.RAM, version)
        self.link.close()
        raise LinkClosed("booting the image from RAM")

    def _boot_application(self, _request: bytes) -> None:
        if self.host.flash.application_sections() is None:
            self._send(BOOT_APPLICATION.pack(Response.BOOT_APPLICATION, 0, _text("No app")))
            return
        self._send(BOOT_APPLICATION.pack(Response.BOOT_APPLICATION, 1, b""))
        self.host.reboot_after_link(BootSource.FLASH)
        self.link.close()
        raise LinkClosed("booting the application")

    def _usb_rom_boot(self, _request: bytes) -> None:
        # A PoE camera in USB ROM boot is lost to the network; the emulator just resets.
        self.host.reboot_after_link(BootSource.FLASH)
        self.link.close()
        raise LinkClosed("USB ROM boot")
