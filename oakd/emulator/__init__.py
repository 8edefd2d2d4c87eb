"""A software OAK PoE camera (RVC2, NETWORK bootloader) that the real depthai 2.x accepts.

Each emulated camera answers XLink discovery (UDP 11491) from its own loopback address, serves
XLink over TCP (11490) and the bootloader protocol on `__bootloader`, and keeps its NOR flash in
`<state-dir>/<MXID>.flash`, laid out as the real NETWORK bootloader does (application at 8 MiB,
config 16 KiB below it). Each wire format is described in the module that serves it:
`discovery`, `xlink`, `bootloader`, `sbr` (the package header), `bson` (the config).

Run it only inside a loopback-only network namespace (the test suite makes one; by hand see the
README's "Tests and your network"): depthai's discovery broadcasts on every interface.

For tests (the usual way)
-------------------------
`Fleet` runs the cameras in a child process. It has to: depthai holds the GIL through
discovery and the `DeviceBootloader` constructor, so cameras served by threads of the process
that calls depthai would never answer it. The child is `python -m oakd.emulator` (= `oakd
emulate`), inherits the network namespace and dies with its parent::

    from oakd.emulator import CameraState, Faults, Fleet, MiB

    with Fleet(count=4, state_dir=tmp_path, write_speed=100e6, reboot_s=0.2,
               faults={3: Faults(silent=True)}) as fleet:
        cam = fleet.cameras[0]
        cam.mxid, cam.address, cam.flash_path      # '18443010EA00000000', '127.0.0.2', Path
        cam.state                                  # CameraState.BOOTLOADER
        ... drive depthai / the daemon against cam.address ...
        cam.wait_for_state(CameraState.FLASH_BOOTED, timeout=10, after_boot=cam.boots)
        cam.application_info()                     # ApplicationInfo(firmware_version, name)
        cam.read_flash(8 * MiB, len(package)) == package
        cam.config()                               # the bootloader config (dict) or None
        cam.faults.drop_link_at = 0.5              # takes effect on the next flash
        cam.faults.clear()
        cam.power_cycle()

Arguments (all optional): count=1, first_ip="127.0.0.2", state_dir (None: a temporary dir
removed at stop), bootloader_version="0.0.28" (what a *new* flash file holds; an existing file
keeps what was flashed into it), flash_size=32 MiB, write_speed=500_000 B/s (a real NOR flash;
0 = instant), reboot_s=1.0, embedded_bootloader_version="0.0.29" (for images whose version
cannot be read), watchdog_s=10.0, faults={index or MXID: Faults(...)}, log_level="INFO".
The child logs to `<state_dir>/emulator.log`. `seed_application(state_dir, index, package)`
puts an app into a flash file before the fleet starts (camera powers on FLASH_BOOTED).

Faults (faults.py), per camera, at start or while running:

    drop_link_at=0.5          the TCP link is cut (RST) half way through programming a flash
                              write and the camera reboots, as on a PoE power loss. depthai
                              raises XLinkReadError("Couldn't read data from stream:
                              '__bootloader' (X_LINK_ERROR)"); the app header is written last,
                              so the camera comes back BOOTLOADER with no app.
    silent=True               no discovery answers: absent from listings, and
                              DeviceBootloader(DeviceInfo(ip)) raises "Specified device not
                              found".
    bootloader_version="0.0.26"  the flashed bootloader reports this; depthai warns "...less
                              than 0.0.28 is susceptible to bootup/restart failure". Cleared by
                              a successful bootloader flash.
    booted_by_other_host=True discovery says BOOTED (1), TCP refused: DeviceBootloader lists
                              skip it; connecting raises "Device not in UNBOOTED, BOOTLOADER or
                              FLASH_BOOTED state".
    fail_flash="message"      flash writes answer FLASH_COMPLETE(0, message): depthai returns
                              (False, "message"); nothing is written.

A running `oakd emulate` takes the same faults on stdin, one command per line, one answer line
each (control.py): `fault 0 drop-link=0.5`, `clear 0 [silent...]`, `status [CAM]`,
`power-cycle CAM`, `quit`. At start: `--fault CAM:SPEC` (CAM = index or MX ID).

In-process (`LocalFleet`)
-------------------------
The same cameras as threads of this process, with `Camera` objects (same attributes). Only for
clients that release the GIL while waiting for the network (raw sockets, asyncio) - not depthai.

MX IDs: `18443010` + `EA` + index as 6 hex digits + `00` (mxid_for_index). Camera i lives at
first_ip + i, so the same index and state dir always find the same flash.

Guessed behaviour (check against a capture of a real OAK-D-PoE; protocol notes [G])
-----------------------------------------------------------------------------------
- Texts: no config -> "Config not found"; EMMC -> "Memory not available"; app too big ->
  "Application too large (N > M B)"; memory info "oakd emulator: NOR flash", 32 MiB, no EMMC.
- Commit string: empty (keeps depthai's version bare; release bootloaders may send one).
- Reboots: 1 s of silence (UDP unanswered, TCP refused rather than unanswered); any end of the
  connection (XLink reset, watchdog reset packet, host gone, 10 s without watchdog pings)
  reboots; a reboot from flash starts the app if there is one (FLASH_BOOTED). UDP reset (3) is
  ignored unless FLASH_BOOTED. A second host is accepted and closed at once; a camera held by
  another host refuses TCP.
- Flash writes: all data is received first, then erase+program at 0.5 MB/s with ~100 progress
  reports; the app's SBR header is programmed last (a torn write leaves no app); a bootloader
  goes to offset 512 and the emulator's own boot header at 0 is rewritten after it (a torn
  bootloader write bricks the camera); an injected flash failure answers before writing.
- Versions of booted/flashed images come from their `\\x000.0.N\\x00` string (0.0.29 if none).
  The factory bootloader starts a user bootloader when the config's userBlSize/userBlChecksum
  match the image. Config is stored as raw BSON at its offset.
- BOOT_MEMORY always boots "a bootloader" (no depthai firmware RPC); the link drops right after
  the data. drop_link sends RST at once, whereas a real power loss sends nothing and depthai
  would notice only after ~6 s.

Modules: xlink (event framing, streams, flow control), discovery (UDP), bootloader (requests,
responses, handlers), flash (file, layout, write-time model), sbr (package header), bson,
state (boot state machine), faults, camera (one camera), fleet (LocalFleet), process (Fleet),
control (stdin commands), cli (`oakd emulate`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Exported lazily: `oakd emulate --help` and every other `oakd` command import this package
# (for the parser) and should not pay for the cameras' modules. Typed code imports the modules.
_EXPORTS = {
    "Camera": "oakd.emulator.camera",
    "CameraSettings": "oakd.emulator.settings",
    "Faults": "oakd.emulator.faults",
    "DEFAULT_WRITE_SPEED": "oakd.emulator.flash",
    "MiB": "oakd.emulator.flash",
    "LocalFleet": "oakd.emulator.fleet",
    "mxid_for_index": "oakd.emulator.fleet",
    "seed_application": "oakd.emulator.fleet",
    "EmulatorError": "oakd.emulator.process",
    "Fleet": "oakd.emulator.process",
    "RemoteCamera": "oakd.emulator.process",
    "ApplicationInfo": "oakd.emulator.sbr",
    "CameraState": "oakd.emulator.state",
}

__all__ = [
    "DEFAULT_WRITE_SPEED",
    "ApplicationInfo",
    "Camera",
    "CameraSettings",
    "CameraState",
    "EmulatorError",
    "Faults",
    "Fleet",
    "LocalFleet",
    "MiB",
    "RemoteCamera",
    "mxid_for_index",
    "seed_application",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'oakd.emulator' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
