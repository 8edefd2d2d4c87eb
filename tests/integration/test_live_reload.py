"""Live reload in the daemon: save a file, and the cameras run the new pipeline."""

from __future__ import annotations

import json
import queue
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from oakd.build.cache import packages_dir
from oakd.core.package import HASH_CHARS, inspect_package
from oakd.emulator.fleet import mxid_for_index
from tests.helpers import DaemonProcess, RawClient, job_states, wait_for, wait_online

pytestmark = pytest.mark.timeout(400)
APP_OFFSET = 8 * 1024 * 1024

PIPELINE = """\
import depthai as dai


def create_pipeline():
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript("node.warn('{message}')")
    return pipeline
"""


def projects(daemon: DaemonProcess) -> dict[str, dict[str, Any]]:
    """What `oakd projects --json` prints, by path, asked over the socket (tests poll it)."""
    return {p["path"]: p for p in daemon.request("projects")}


def finished_builds(daemon: DaemonProcess, path: Path) -> float:
    build = projects(daemon)[str(path)]["last_build"]
    return build["finished"] if build else 0.0


def next_build(daemon: DaemonProcess, path: Path, after: float) -> dict[str, Any]:
    """Wait for a build that finished after `after`; return it."""
    wait_for(lambda: finished_builds(daemon, path) > after, 120, "the next build", interval=0.1)
    build: dict[str, Any] = projects(daemon)[str(path)]["last_build"]
    return build


def write(path: Path, text: str) -> None:
    """Save as an editor does: a new file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def one_camera(make_fleet: Any, make_daemon: Any) -> tuple[DaemonProcess, str]:
    """A daemon that sees one emulated camera; the camera's MX ID."""
    fleet = make_fleet(1)
    daemon = make_daemon()
    wait_online(daemon, 1)
    return daemon, fleet.cameras[0].mxid


def new_project(root: Path, name: str, message: str) -> Path:
    """A project directory whose pipeline's Script says `message`."""
    project = root / name
    project.mkdir()
    (project / "pipeline.py").write_text(PIPELINE.format(message=message))
    return project


def all_done(daemon: DaemonProcess) -> bool:
    states = job_states(daemon)
    return bool(states) and all(j["state"] in ("done", "skipped") for j in states.values())


def test_save_flashes_changes_and_ignores_what_does_not_matter(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    fleet = make_fleet(2)
    daemon = make_daemon()
    wait_online(daemon, 2)
    project = short_tmp / "counter"
    project.mkdir()
    entry = project / "pipeline.py"
    entry.write_text(PIPELINE.format(message="one"))
    ids = [c.mxid for c in fleet.cameras]
    watch = daemon.cli("watch", str(project), "-d", ids[0], "-d", ids[1])
    assert watch.returncode == 0, watch.stderr

    first = next_build(daemon, project, 0)
    assert first["ok"] and first["flashed"] == ids
    wait_for(lambda: all_done(daemon), 120, "the first flashes")
    packages = packages_dir(daemon.root / "cache")
    made = sorted(packages.glob("*.dap"))
    assert len(made) == 1

    # A log the app writes and a package copied in are no reason to build (issue 14 item 4);
    # a comment changes nothing that matters: no package, no flash.
    for line in range(15):
        with (project / "run.log").open("a") as log:
            log.write(f"line {line}\n")
    (project / "counter.dap").write_bytes(made[0].read_bytes()[:4096])
    write(entry, entry.read_text() + "# tuning the counter later\n")
    second = next_build(daemon, project, first["finished"])
    assert second["ok"] and second["unchanged"]
    assert "run.log" not in daemon.log() and "counter.dap" not in daemon.log()
    assert second["flashed"] == [] and "nothing to flash" in second["note"]
    assert sorted(packages.glob("*.dap")) == made
    assert len(job_states(daemon)) == 2

    # A new Script source is a new package on every camera.
    write(entry, PIPELINE.format(message="two"))
    third = next_build(daemon, project, second["finished"])
    assert third["ok"] and not third["unchanged"] and third["flashed"] == ids
    wait_for(lambda: len(job_states(daemon)) == 4 and all_done(daemon), 120, "the re-flashes")
    package = packages / f"{third['fingerprint'][:HASH_CHARS]}.dap"
    sent = package.read_bytes()
    assert inspect_package(sent).app_name == third["app_name"]
    for camera in fleet.cameras:
        assert camera.read_flash(APP_OFFSET, len(sent)) == sent


def test_watch_refuses_a_directory_without_its_entry_file(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    fleet = make_fleet(1)
    daemon = make_daemon()
    wait_online(daemon, 1)
    camera = fleet.cameras[0].mxid
    empty = short_tmp / "notes"
    empty.mkdir()
    (empty / "README.md").write_text("not a pipeline\n")

    refused = daemon.cli("watch", str(empty), "-d", camera)
    assert refused.returncode != 0
    assert f"no pipeline.py in {empty}" in refused.stderr
    assert "--entry" in refused.stderr and "[bad_params]" in refused.stderr
    other = daemon.cli("watch", str(empty), "-d", camera, "--entry", "main.py")
    assert other.returncode != 0 and f"no main.py in {empty}" in other.stderr
    outside = daemon.cli("watch", str(empty), "-d", camera, "--entry", "../pipeline.py")
    assert outside.returncode != 0 and "is outside the project" in outside.stderr
    assert projects(daemon) == {}
    assert job_states(daemon) == {}


def test_bad_builds_flash_nothing_and_the_daemon_carries_on(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon("[build]\ntimeout_s = 15\n")
    wait_online(daemon, 1)
    project = short_tmp / "broken"
    project.mkdir()
    entry = project / "pipeline.py"
    entry.write_text(PIPELINE.format(message="good"))
    assert daemon.cli("watch", str(project), "-d", camera.mxid).returncode == 0
    good = next_build(daemon, project, 0)
    wait_for(lambda: all_done(daemon), 120, "the good app on the camera")
    app = camera.application_info()
    assert app is not None and app.application_name == good["app_name"]
    last = good["finished"]

    bad_inputs = {
        "syntax": ("def create_pipeline(:\n", "syntax"),
        "exception": (
            "def create_pipeline():\n    raise ValueError('no camera config')\n",
            "exception",
        ),
        # Sleeping, not spinning: the time limit is the same, and a busy loop for the whole
        # limit (tests/build/test_bad_input.py has one) would take a core from the other tests.
        "endless loop": (
            "import time\n\ndef create_pipeline():\n    while True:\n        time.sleep(1)\n",
            "timeout",
        ),
        "xlinkout": (
            "import depthai as dai\n\ndef create_pipeline():\n    p = dai.Pipeline()\n"
            "    x = p.create(dai.node.XLinkOut)\n    x.setStreamName('frames')\n    return p\n",
            "not_standalone",
        ),
    }
    for name, (source, kind) in bad_inputs.items():
        write(entry, source)
        build = next_build(daemon, project, last)
        last = build["finished"]
        assert not build["ok"], name
        assert build["error"]["kind"] == kind, (name, build["error"])
        assert build["error"]["message"], name
        assert "nothing flashed" in build["note"]
        assert projects(daemon)[str(project)]["state"] == "failed"
    assert len(job_states(daemon)) == 1  # only the good flash, ever
    app = camera.application_info()
    assert app is not None and app.application_name == good["app_name"]

    # The directory vanishes and comes back: the watch goes on.
    backup = short_tmp / "backup"
    shutil.move(str(project), backup)
    wait_for(lambda: projects(daemon)[str(project)]["state"] == "missing", 20, "state missing")
    (backup / "pipeline.py").write_text(PIPELINE.format(message="restored"))
    shutil.move(str(backup), project)
    restored = next_build(daemon, project, last)
    assert restored["ok"] and restored["flashed"] == [camera.mxid]
    assert daemon.cli("status").returncode == 0


def test_flash_a_project_once_and_a_configured_project_is_watched(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    fleet = make_fleet(2)
    once, watched = short_tmp / "once", short_tmp / "watched"
    for path, message in ((once, "once"), (watched, "configured")):
        path.mkdir()
        (path / "pipeline.py").write_text(PIPELINE.format(message=message))
    (watched / "data").mkdir()
    daemon = make_daemon(
        f'[[device]]\nid = "{fleet.cameras[1].mxid}"\nalias = "door"\n'
        f'[[project]]\npath = "{watched}"\ndevices = ["door"]\nignore = ["data/*"]\n'
    )
    wait_online(daemon, 2)
    result = daemon.cli(
        "flash", fleet.cameras[0].mxid, "--project", str(once), "--wait", "--json", timeout=180
    )
    assert result.returncode == 0, result.stderr
    (job,) = json.loads(result.stdout)
    assert job["kind"] == "flash_project" and job["state"] == "done"
    assert job["params"]["app_name"].startswith("once@")

    configured = projects(daemon)[str(watched)]
    assert configured["source"] == "config" and configured["devices"] == ["door"]
    wait_for(
        lambda: (fleet.cameras[1].application_info() or None) is not None,
        180,
        "the configured project on the camera aliased door",
    )
    assert daemon.cli("unwatch", str(watched)).returncode == 1  # the config owns it

    # The project's own ignore patterns: data the app records makes no build.
    assert configured["ignore"] == ["data/*"]
    last = wait_for(lambda: finished_builds(daemon, watched), 10, "the configured build")
    (watched / "data" / "samples.csv").write_text("1,2\n")
    write(watched / "pipeline.py", PIPELINE.format(message="configured") + "# later\n")
    assert next_build(daemon, watched, last)["unchanged"]
    assert "samples.csv" not in daemon.log()

    # Flashing a watched project by hand: its row goes to building and back, as clients see
    # it (issue 14: the TUI's row stayed at "building" after a flash from the TUI).
    watcher = RawClient(daemon.socket)
    watcher.hello()
    watcher.request(1, "subscribe", topics=["project"])
    by_hand = daemon.cli("flash", "door", "--project", str(watched), "--json", timeout=180)
    assert by_hand.returncode == 0, by_hand.stderr
    states: list[str] = []
    while "ok" not in states[1:]:
        frame = watcher.recv()
        assert frame is not None
        if frame.get("event") == "project.changed" and frame["data"]["path"] == str(watched):
            states.append(frame["data"]["state"])
    watcher.close()
    assert states[:1] == ["building"] and states[-1] == "ok"
    assert projects(daemon)[str(watched)]["last_build"]["note"] == "flashed on request"

    (once / "pipeline.py").write_text("def create_pipeline(:\n")
    broken = daemon.cli("flash", fleet.cameras[0].mxid, "--project", str(once))
    assert broken.returncode == 1
    assert "[build_failed]" in broken.stderr and "SyntaxError" in broken.stderr
    assert broken.stderr.startswith(f"building {once} on the daemon…")  # not silent meanwhile
    # A script sees how the build failed, not only that it did.
    raw = RawClient(daemon.socket)
    raw.hello()
    answer = raw.request(1, "flash", devices=[fleet.cameras[0].mxid], project=str(once))
    raw.close()
    assert answer["error"]["code"] == "build_failed" and answer["error"]["kind"] == "syntax"


def test_watch_follow_streams_the_projects_builds_and_flashes_until_ctrl_c(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    daemon, camera = one_camera(make_fleet, make_daemon)
    project = new_project(short_tmp, "follow", "one")
    # Another camera's event and the daemon's log are not this project's: not shown.
    follow = daemon.cli_background("watch", str(project), "-d", camera, "--follow")
    out = follow.stdout
    assert out is not None
    arrived: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in out:
            arrived.put(line)

    threading.Thread(target=read, daemon=True).start()
    lines: list[str] = []

    def saw(text: str, timeout: float = 120) -> bool:
        """Until a line with `text` came (within `timeout` s of waiting for it)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in lines):
            try:
                lines.append(arrived.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                return False
            lines[-1] = lines[-1].rstrip("\n")
        return True

    try:
        assert saw(f"watching {project} -> {camera}; Ctrl-C stops"), lines
        assert saw(f"build {project}: follow@"), lines
        assert saw(f"on {camera}: done"), lines
        entry = project / "pipeline.py"
        write(entry, PIPELINE.format(message="two"))
        assert saw("(new package"), lines
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=30) == 0  # Ctrl-C is how it ends: no error
    finally:
        if follow.poll() is None:
            follow.kill()
    assert all(not line.startswith(("log ", "camera ")) for line in lines), lines
    flashes = [line for line in lines if "flash_project" in line]
    assert flashes and all(f"on {camera}" in line for line in flashes), lines


def test_builds_are_kept_and_a_camera_rolls_back_to_the_previous_one(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    daemon, camera = one_camera(make_fleet, make_daemon)
    project = new_project(short_tmp, "roll", "one")
    entry = project / "pipeline.py"
    assert daemon.cli("watch", str(project), "-d", camera).returncode == 0
    first = next_build(daemon, project, 0)
    wait_for(lambda: all_done(daemon), 120, "the first flash")
    write(entry, PIPELINE.format(message="two"))
    second = next_build(daemon, project, first["finished"])
    assert second["fingerprint"] != first["fingerprint"]
    wait_for(lambda: len(job_states(daemon)) == 2 and all_done(daemon), 120, "the second flash")

    listed = daemon.cli("builds", str(project), "--json")
    assert listed.returncode == 0, listed.stderr
    builds = json.loads(listed.stdout)
    assert [b["app_name"] for b in builds] == [second["app_name"], first["app_name"]]
    # Only the script changed, and a Script node's code is one of the package's assets.
    assert builds[0]["changed"] == ["asset_storage"]
    assert builds[1]["changed"] == []  # the first recorded
    table = daemon.cli("builds", str(project))
    assert "asset_storage" in table.stdout and "(first recorded)" in table.stdout

    rolled = daemon.cli("rollback", camera, "--wait", "--json", timeout=180)
    assert rolled.returncode == 0, rolled.stderr
    (job,) = json.loads(rolled.stdout)
    assert job["state"] == "done" and job["params"]["app_name"] == first["app_name"]
    devices = {d["id"]: d for d in json.loads(daemon.cli("devices", "--json").stdout)}
    assert devices[camera]["flashed_app"] == first["app_name"]
    # It no longer runs the project's last build: out of sync, and the table says what to do.
    shown = {p["path"]: p for p in json.loads(daemon.cli("projects", "--json").stdout)}
    assert shown[str(project)]["out_of_sync"] == [camera]
    table = daemon.cli("projects")
    assert "out of sync" in table.stdout and f"oakd flash {camera} --project" in table.stdout
    # The oldest recorded: nothing older to go to, said so.
    again = daemon.cli("rollback", camera)
    assert again.returncode == 1 and "nothing to roll back to" in again.stderr, again.stderr
    # A camera no watched project flashes: which project, then?
    unwatched = daemon.cli("unwatch", str(project))
    assert unwatched.returncode == 0
    lost = daemon.cli("rollback", camera)
    assert lost.returncode == 2 and "--project DIR" in lost.stderr, lost.stderr


def test_a_target_seen_after_the_build_is_flashed_when_it_appears(
    make_fleet, make_daemon, short_tmp: Path
) -> None:
    # The camera boots after the daemon (a PoE switch powering up, say): the first build
    # finds no target, and flashes it once it is seen, not only at the next save.
    camera = mxid_for_index(0)
    project = new_project(short_tmp, "late", "late")
    # Named by an alias of the config: known to the daemon before discovery sees it.
    daemon = make_daemon(
        f'[[device]]\nid = "{camera}"\nalias = "gate"\n'
        f'[[project]]\npath = "{project}"\ndevices = ["gate"]\n'
    )
    built = next_build(daemon, project, 0)
    assert built["ok"] and built["flashed"] == []
    assert "not online yet: gate; flashed when seen" in built["note"]
    fleet = make_fleet(1)
    assert fleet.cameras[0].mxid == camera
    wait_for(lambda: all_done(daemon), 120, "the flash once the camera is seen")
    (job,) = job_states(daemon).values()
    assert job["device"] == camera and job["params"]["app_name"] == built["app_name"]
