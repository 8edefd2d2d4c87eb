"""One discovery scan, run in a device worker: XLink UDP broadcast through depthai, plus
unicast probes of addresses that broadcasts do not reach. Never connects to a camera.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Sequence

from oakd.core.devices import DeviceState
from oakd.core.registry import Sighting

log = logging.getLogger(__name__)

DISCOVERY_PORT = 11491
DISCOVER = struct.pack("<I", 1)
REPLY = struct.Struct("<I32sI")  # command, MX ID, state (as oakd/emulator/discovery.py answers)
WIRE_STATES = {1: DeviceState.BOOTED, 3: DeviceState.BOOTLOADER, 4: DeviceState.FLASH_BOOTED}
UNICAST_WINDOW_S = 0.5  # as long as depthai's own search listens


def scan_broadcast() -> list[Sighting]:
    """One depthai broadcast search (blocks ~500 ms): PoE cameras only."""
    import depthai as dai

    states = {
        dai.XLinkDeviceState.X_LINK_BOOTED: DeviceState.BOOTED,
        dai.XLinkDeviceState.X_LINK_BOOTLOADER: DeviceState.BOOTLOADER,
        dai.XLinkDeviceState.X_LINK_FLASH_BOOTED: DeviceState.FLASH_BOOTED,
    }
    found: list[Sighting] = []
    for info in dai.XLinkConnection.getAllConnectedDevices():
        # USB devices may show up too; oakd is about PoE cameras in standalone mode.
        if info.protocol != dai.XLinkProtocol.X_LINK_TCP_IP or info.state not in states:
            continue
        found.append(Sighting(info.getMxId(), info.name, states[info.state]))
    return found


def parse_reply(data: bytes, source: str) -> Sighting | None:
    """A discovery reply as a Sighting; None for anything else."""
    if len(data) < REPLY.size:
        return None
    command, raw_id, state = REPLY.unpack_from(data)
    if command != 1 or state not in WIRE_STATES:
        return None
    mxid = raw_id.split(b"\0", 1)[0].decode("ascii", "replace")
    return Sighting(mxid, source, WIRE_STATES[state]) if mxid else None


def scan_unicast(addresses: Sequence[str], window_s: float = UNICAST_WINDOW_S) -> list[Sighting]:
    """Probe each address directly: cameras on other subnets or behind NAT."""
    if not addresses:
        return []
    found: list[Sighting] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.02)
        for address in addresses:
            try:
                sock.sendto(DISCOVER, (address, DISCOVERY_PORT))
            except OSError as exc:
                log.warning("cannot probe %s: %s", address, exc)
        deadline = time.monotonic() + window_s
        while time.monotonic() < deadline and len(found) < len(addresses):
            try:
                data, (source, _) = sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                break
            sighting = parse_reply(data, source)
            if sighting and source in addresses:
                found.append(sighting)
    return found


def scan(static_addresses: Sequence[str]) -> list[Sighting]:
    """One complete scan: broadcast, then the static addresses. Blocks, holding the GIL for
    the broadcast part: run it in a device worker, never in the daemon."""
    return scan_broadcast() + scan_unicast(static_addresses)
