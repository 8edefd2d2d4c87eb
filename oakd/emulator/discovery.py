"""XLink UDP discovery on port 11491, device side (protocol notes §1).

The host sends a 4-byte command: 1 = DISCOVER (answered with 40 bytes: command, MX ID as
char[32], state), 3 = RESET (reboot into the bootloader, no answer). The host takes the
*source address of the reply* as the device's address, so each camera answers from a socket
bound to its own IP. Broadcasts on loopback go to 127.255.255.255: each camera binds a second
socket there (SO_REUSEADDR, every socket gets its own copy).
"""

from __future__ import annotations

import socket
import struct

DISCOVERY_PORT = 11491
LOOPBACK_BROADCAST = "127.255.255.255"

CMD_DISCOVER = 1
CMD_DEVICE_INFO = 2
CMD_RESET = 3

REPLY = struct.Struct("<I32sI")  # 40 bytes; the 52-byte extended form is ignored by 2.33
MXID_FIELD = 32


def parse_command(datagram: bytes) -> int | None:
    """The command of a discovery datagram, None if it is too short to carry one."""
    if len(datagram) < 4:
        return None
    command: int = struct.unpack_from("<I", datagram)[0]
    return command


def pack_reply(mxid: str, wire_state: int) -> bytes:
    """The 40-byte DISCOVER reply."""
    return REPLY.pack(CMD_DISCOVER, mxid.encode("ascii")[: MXID_FIELD - 1], wire_state)


def parse_reply(datagram: bytes) -> tuple[str, int] | None:
    """(MX ID, state) of a DISCOVER reply, None if it is not one (for tests)."""
    if len(datagram) < REPLY.size:
        return None
    command, raw_id, state = REPLY.unpack_from(datagram)
    if command != CMD_DISCOVER:
        return None
    return raw_id.split(b"\0", 1)[0].decode("ascii"), state


def open_sockets(address: str) -> tuple[socket.socket, socket.socket]:
    """(unicast, broadcast) UDP sockets for a camera at `address`; replies go out of the first."""
    unicast = _udp(address)
    try:
        broadcast = _udp(LOOPBACK_BROADCAST)
    except OSError:
        unicast.close()
        raise
    return unicast, broadcast


def _udp(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, DISCOVERY_PORT))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
