"""In-process cameras (`LocalFleet`) driven with raw sockets: discovery and XLink by hand."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from oakd.emulator import discovery, xlink
from oakd.emulator import flash as fl
from oakd.emulator.control import Controller
from oakd.emulator.fleet import LocalFleet
from oakd.emulator.state import CameraState
from tests.emulator.helpers import wait_until
from tests.emulator.test_flash_model import make_package

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[LocalFleet]:
    with LocalFleet(count=2, state_dir=tmp_path, reboot_s=0.1, write_speed=0) as running:
        yield running


def ask(address: str, command: int = discovery.CMD_DISCOVER) -> list[tuple[str, str, int]]:
    """Send one discovery datagram; (source IP, MX ID, state) of every reply in 0.3 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.settimeout(0.3)
        sock.sendto(struct.pack("<I", command), (address, discovery.DISCOVERY_PORT))
        replies = []
        try:
            while True:
                data, (source, _port) = sock.recvfrom(100)
                parsed = discovery.parse_reply(data)
                assert parsed is not None
                replies.append((source, *parsed))
        except TimeoutError:
            return sorted(replies)


def test_unicast_discovery_is_answered_from_the_camera_address(fleet: LocalFleet) -> None:
    assert ask("127.0.0.3") == [("127.0.0.3", "18443010EA00000100", 3)]


def test_loopback_broadcast_reaches_every_camera(fleet: LocalFleet) -> None:
    assert ask(discovery.LOOPBACK_BROADCAST) == [
        ("127.0.0.2", "18443010EA00000000", 3),
        ("127.0.0.3", "18443010EA00000100", 3),
    ]


def test_silent_and_booted_cameras(fleet: LocalFleet) -> None:
    fleet.cameras[0].faults.silent = True
    fleet.cameras[1].faults.booted_by_other_host = True
    assert ask(discovery.LOOPBACK_BROADCAST) == [("127.0.0.3", "18443010EA00000100", 1)]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.3", xlink.XLINK_PORT), timeout=1).close()
    fleet.cameras[0].faults.clear()
    assert len(ask(discovery.LOOPBACK_BROADCAST)) == 2


def test_udp_reset_takes_a_flash_booted_camera_to_its_bootloader(tmp_path: Path) -> None:
    seeded = fl.FlashFile(tmp_path / "18443010EA00000000.flash", fl.DEFAULT_FLASH_SIZE, "0.0.28")
    seeded.write(fl.APPLICATION_OFFSET, make_package("seeded"))
    seeded.close()
    with LocalFleet(count=1, state_dir=tmp_path, reboot_s=0.1) as fleet:
        camera = fleet.cameras[0]
        assert camera.state is CameraState.FLASH_BOOTED
        assert ask("127.0.0.2") == [("127.0.0.2", camera.mxid, 4)]
        boots = camera.boots
        ask("127.0.0.2", discovery.CMD_RESET)
        camera.wait_for_state(CameraState.BOOTLOADER, timeout=5, after_boot=boots)
        assert ask("127.0.0.2") == [("127.0.0.2", camera.mxid, 3)]
        assert camera.application_info() is not None  # the app is still there


class MiniHost:
    """Just enough of the host side of XLink to talk to a camera by hand."""

    def __init__(self, address: str) -> None:
        self.sock = socket.create_connection((address, xlink.XLINK_PORT), timeout=5)
        self.next_id = 11

    def send(self, kind: int, name: str = "", stream: int = 0, payload: bytes = b"") -> int:
        self.next_id += 1
        size: dict[int, int] = {xlink.EventType.WRITE_REQ: len(payload)}
        size[xlink.EventType.CREATE_STREAM_REQ] = 5 << 20
        event = xlink.Event(self.next_id, kind, name, stream, size.get(kind, 0), xlink.FLAG_ACK)
        self.sock.sendall(xlink.pack_event(event) + payload)
        return self.next_id

    def receive(self) -> tuple[xlink.Event, bytes]:
        event = xlink.unpack_event(self._exact(xlink.HEADER_SIZE))
        payload = self._exact(event.size) if event.type == xlink.EventType.WRITE_REQ else b""
        return event, payload

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data


def test_xlink_by_hand(fleet: LocalFleet) -> None:
    camera = fleet.cameras[0]
    host = MiniHost(camera.address)
    ping = host.send(xlink.EventType.PING_REQ)
    assert host.receive()[0] == xlink.Event(ping, xlink.EventType.PING_RESP, flags=1)

    create = host.send(xlink.EventType.CREATE_STREAM_REQ, "__bootloader", stream=0)
    reply = host.receive()[0]
    assert (reply.id, reply.type, reply.stream_name) == (create, 11, "__bootloader")
    assert reply.flags & xlink.FLAG_ACK

    write = host.send(xlink.EventType.WRITE_REQ, stream=0, payload=struct.pack("<I", 3))
    seen: dict[int, tuple[xlink.Event, bytes]] = {}
    while len(seen) < 3:
        event, payload = host.receive()
        seen[event.type] = (event, payload)
    assert seen[xlink.EventType.WRITE_RESP][0].id == write
    release = seen[xlink.EventType.READ_REL_REQ][0]
    assert (release.stream_id, release.size) == (0, 4)  # the device consumed our request
    answer, payload = seen[xlink.EventType.WRITE_REQ]
    assert struct.unpack("<IIII", payload) == (2, 0, 0, 28)

    host.sock.sendall(
        xlink.pack_event(xlink.Event(77, xlink.EventType.READ_REL_REQ, "", 0, answer.size, 1))
    )
    assert host.receive()[0].type == xlink.EventType.READ_REL_RESP

    boots = camera.boots
    host.send(xlink.EventType.RESET_REQ)
    assert host.receive()[0].type == xlink.EventType.RESET_RESP
    with pytest.raises(EOFError):
        host.receive()
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=5, after_boot=boots)


def test_control_commands(fleet: LocalFleet) -> None:
    control = Controller(fleet.cameras)
    assert control.execute("fault 1 drop-link=0.5 'fail-flash=no space'") == "ok"
    assert fleet.cameras[1].faults.fail_flash == "no space"
    reply = control.execute("status 18443010EA00000100")
    status = json.loads(reply.removeprefix("ok "))
    assert status["faults"]["drop_link_at"] == 0.5 and status["state"] == "BOOTLOADER"
    assert control.execute("clear 1 drop-link") == "ok"
    assert fleet.cameras[1].faults.drop_link_at is None
    assert control.execute("fault 1 loud").startswith("error unknown fault")
    assert control.execute("fault 7 silent") == "error no camera '7'"
    assert control.execute("launch").startswith("error unknown command")
    assert control.execute("power-cycle 127.0.0.2") == "ok"
    wait_until(lambda: fleet.cameras[0].boots == 2, what="the power cycle")
    assert control.execute("quit") == "ok" and control.quit_requested


def open_session(address: str) -> MiniHost:
    """Connect, ping, open __watchdog as stream 1 and answer everything until quiet."""
    host = MiniHost(address)
    host.send(xlink.EventType.PING_REQ)
    host.receive()
    host.send(xlink.EventType.CREATE_STREAM_REQ, xlink.WATCHDOG_STREAM, stream=1)
    host.receive()
    return host


def test_a_watchdog_reset_packet_reboots_the_camera(fleet: LocalFleet) -> None:
    camera = fleet.cameras[0]
    host = open_session(camera.address)
    boots = camera.boots
    host.send(xlink.EventType.WRITE_REQ, stream=1, payload=xlink.WATCHDOG_RESET)
    with pytest.raises(EOFError):
        while True:
            host.receive()
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=5, after_boot=boots)


def test_a_silent_host_watchdog_drops_the_connection(tmp_path: Path) -> None:
    with LocalFleet(count=1, state_dir=tmp_path, reboot_s=0.1, watchdog_s=0.3) as fleet:
        camera = fleet.cameras[0]
        host = open_session(camera.address)
        host.send(xlink.EventType.WRITE_REQ, stream=1, payload=b"\x00\x00\x00\x00")
        wait_until(lambda: camera.connected, what="the session")
        with pytest.raises(EOFError):  # no further pings: the camera hangs up
            while True:
                host.receive()
        wait_until(lambda: camera.boots == 2, what="the reboot")


def test_a_second_host_is_turned_away(fleet: LocalFleet) -> None:
    first = open_session(fleet.cameras[0].address)
    wait_until(lambda: fleet.cameras[0].connected, what="the first session")
    second = MiniHost(fleet.cameras[0].address)
    with pytest.raises((EOFError, ConnectionResetError)):
        second.receive()
    first.send(xlink.EventType.PING_REQ)
    assert first.receive()[0].type == xlink.EventType.PING_RESP
