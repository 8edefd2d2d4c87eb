"""A subscriber that stops reading is dropped; the daemon and other clients carry on.

The server runs in-process here (real Unix socket, real sessions) because the test needs to
publish thousands of events on its bus, which no request can make the daemon do yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from pathlib import Path

import pytest

from oakd.client import Client
from oakd.protocol.session import Status
from oakd.services.bus import EventBus
from oakd.services.listener import bind_socket
from oakd.services.server import Server


async def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_a_client_that_does_not_read_is_dropped(
    short_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = short_tmp / "s"
    bus = EventBus()

    async def status(_: Status) -> dict[str, str]:
        return {"answer": "yes"}

    server = Server(bind_socket(path), path, bus, {Status: status})
    stop = asyncio.Event()
    serving = asyncio.get_running_loop().create_task(server.run(stop))
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(str(path))
    for frame in (
        {"id": 1, "type": "hello", "params": {"protocol": 1, "client": "slow"}},
        {"id": 2, "type": "subscribe", "params": {"topics": ["log"]}},
    ):
        slow.sendall(json.dumps(frame).encode() + b"\n")
    await wait_until(lambda: len(bus) == 1, 10, "the slow client to subscribe")

    reader = await Client.connect(path, name="reader")
    try:
        caplog.set_level(logging.WARNING, logger="oakd.services.server")
        for i in range(5000):
            bus.publish("log", {"line": i, "text": "x" * 500})
            if i % 50 == 0:
                await asyncio.sleep(0)  # let the writers run, as the daemon's loop would
        await wait_until(lambda: len(bus) == 0, 10, "the slow client to be dropped")
        assert "dropping client slow" in caplog.text
        assert "did not read its messages" in caplog.text
        assert await reader.call(Status(), timeout=5) == {"answer": "yes"}
    finally:
        await reader.close()
        slow.close()
        stop.set()
        await serving
    assert not path.exists()
