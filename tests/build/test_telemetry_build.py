"""What `oakd build --telemetry` adds to a package, and the package's Scripts run in the
emulator: the user's text as written (behind the prelude), reporting to the address given."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from oakd.build.telemetry import LOG_OUTPUT, TELEMETRY_NAME, with_prelude
from oakd.core import telemetry as wire
from oakd.core.package import read_section
from oakd.core.scripts import LEON_CSS, LEON_MSS, Link, read_scripts
from oakd.emulator.camera import Camera
from oakd.emulator.flash import APPLICATION_OFFSET
from oakd.emulator.settings import CameraSettings
from tests.helpers import oakd

pytestmark = pytest.mark.timeout(180)

USER = "import time\nnode.warn('hi from line 2')\nx = 1\nraise ValueError('line 4 fails')\n"
PIPELINE = f"""\
import depthai as dai


def create_pipeline():
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript({USER!r}, "greeter")
    return pipeline
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """Where the app reports: a UDP socket of this test, on loopback."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(30)
    yield sock
    sock.close()


def test_build_adds_telemetry_and_the_emulator_runs_the_users_text_behind_the_prelude(
    tmp_path: Path, listener: socket.socket
) -> None:
    project = tmp_path / "greeter"
    project.mkdir()
    (project / "pipeline.py").write_text(PIPELINE)
    port = listener.getsockname()[1]
    built = oakd(
        "build",
        str(project),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--telemetry",
        f"127.0.0.1:{port}",
        "--json",
    )
    assert built.returncode == 0, built.stderr
    result = json.loads(built.stdout)
    added = result["telemetry"]
    assert added["processor"] == "LEON_CSS" and added["targets"] == [f"127.0.0.1:{port}"]
    assert added["wrapped"] == [{"node": 0, "name": "greeter"}]

    package = Path(result["package"])
    sections = {n: read_section(package, n) for n in ("pipeline", "assets", "asset_storage")}
    found = read_scripts(sections)
    user, telemetry = sorted(found.scripts, key=lambda s: s.id)
    assert (user.name, user.processor) == ("greeter", LEON_MSS)
    assert user.source == with_prelude(USER, "greeter")  # the text, unchanged, behind it
    assert (telemetry.name, telemetry.processor) == (TELEMETRY_NAME, LEON_CSS)
    assert Link(user.id, LOG_OUTPUT, telemetry.id, f"log{user.id}") in found.links

    # Run it as an emulated camera does after booting it from its flash.
    camera = Camera(0, "18443010C1B546F500", "127.0.0.5", tmp_path, CameraSettings(reboot_s=0.1))
    camera.flash.write(APPLICATION_OFFSET, package.read_bytes())
    camera.start()
    try:
        heard: list[wire.Datagram] = []
        while not any(d.kind == "crash" for d in heard):
            data, source = listener.recvfrom(wire.MAX_DATAGRAM)
            assert source[0] == camera.address  # from the camera's address, as on a network
            heard.append(wire.parse(data))
    finally:
        camera.stop()
    boots = [i for i, d in enumerate(heard) if d.kind == "boot"]
    assert boots and heard[boots[0]].app == result["app_name"]
    heard = heard[boots[-1] :]  # the boot that crashed (a crash before it reboots the camera)
    assert [d.seq for d in heard] == list(range(1, len(heard) + 1))  # numbered, none lost
    [hello] = [d for d in heard if d.kind == "log"]
    assert (hello.level, hello.source, hello.text) == ("warn", "greeter", "hi from line 2")
    [crash] = [d for d in heard if d.kind == "crash"]
    # The user's file name and line numbers: the prelude moved nothing.
    assert 'File "greeter", line 4, in <module>' in crash.text, crash.text
    assert crash.text.rstrip().endswith("ValueError: line 4 fails")
    assert "_oakd_run" not in crash.text  # the prelude's own frame is left out
