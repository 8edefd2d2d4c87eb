"""`oakd demo` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.

Each test also ends the demo one way (q, SIGHUP from a closed terminal, a killed terminal, a
SIGKILL of the demo) and checks that every process it started is gone: the demo, and each
process whose environment carries the demo's OAKD_DEMO_DIR (the emulator, the daemon, the
daemon's device workers and build processes). Only the first test flashes to the end; the
others end the demo while the first flash is being written, when all of those processes exist.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oakd.demo.stale import remove_stale
from oakd.emulator.fleet import mxid_for_index
from tests.helpers import ask, wait_for
from tests.tui.tmux import Tmux

pytestmark = [
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

STATES = ("bootloader", "flash booted", "booted", "offline")  # as the cameras table writes them
GONE_S = 30.0  # the demo stops its daemon within seconds (SIGKILL after 3 s): margin for load


@dataclass(frozen=True)
class Proc:
    """A process, told apart from a later one that got its PID by its start time."""

    pid: int
    start: int
    argv: tuple[str, ...]

    @property
    def cmdline(self) -> str:
        return " ".join(self.argv)


def proc(pid: int) -> Proc | None:
    """The process `pid`, None if it is gone or a zombie (dead, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3
    if fields[0] in ("Z", "X"):
        return None
    return Proc(pid, int(fields[19]), tuple(argv[:-1]))


def alive(p: Proc) -> bool:
    """`p` still runs (not another process with its PID)."""
    now = proc(p.pid)
    return now is not None and now.start == p.start


def pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def descendants(root: int) -> set[Proc]:
    """The live processes below `root` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for pid in pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(pid)
    found, todo = set(), list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        p = proc(pid)
        if p is not None:
            found.add(p)
    return found


# The suite's environment has COLUMNS=80 and LINES=24 (a plugin sets them). Textual obeys them
# over the terminal's real size: the panes' programs must not inherit them.
class DemoRun:
    """One `oakd demo` in the tmux window, with what it was started with."""

    def __init__(self, tmux: Tmux, root: Path, cameras: int = 3) -> None:
        self.tmux = tmux
        self.project = root / "demo-project"
        self.scratch = root / "t"  # the demo's $TMPDIR: its temporary directory goes here
        self.scratch.mkdir()
        self.cameras = cameras
        self.ids = [mxid_for_index(i) for i in range(cameras)]
        self._marker = f"OAKD_DEMO_DIR={self.scratch}/".encode()
        self.started: set[Proc] = set()  # the last snapshot

    def start(self, size: tuple[int, int]) -> None:
        env = {
            "TERM": "xterm-256color",
            "PYTHONPATH": os.getcwd(),
            "HOME": str(self.project.parent),
            "TMPDIR": str(self.scratch),
        }
        command = f"{sys.executable} -m oakd demo --dir {self.project} --cameras {self.cameras}"
        self.tmux.start(command, env, size)

    def wait_for_cameras(self) -> str:
        """Until every camera has its row; returns the screen."""
        return self.tmux.wait(
            lambda s: all(i in s for i in self.ids), 120, f"{self.cameras} cameras on the screen"
        )

    def socket(self) -> Path:
        [socket] = self.scratch.glob("oakd-demo-*/oakd.sock")
        return socket

    def jobs(self) -> list[dict]:
        found: list[dict] = ask(self.socket(), "jobs")
        return found

    def built_name(self, other_than: str = "") -> str:
        """The app name of the demo project's last good build (one that is not `other_than`):
        what its cameras get. Asked of the demo's daemon, since the daemon's telemetry (its
        address and port) is part of what is built."""

        def built() -> str:
            for project in ask(self.socket(), "projects"):
                build = project.get("last_build") or {}
                if build.get("ok") and build.get("app_name") not in (None, other_than):
                    return str(build["app_name"])
            return ""

        return wait_for(built, 120, "the demo project's build", interval=0.5)

    def wait_for_a_write(self) -> None:
        """Until a flash writes: every kind of process the demo has is running then."""
        wait_for(
            lambda: any(j.get("phase") == "writing" for j in self.jobs()),
            120,
            "a flash writing",
            interval=0.5,
        )

    def demo(self) -> Proc:
        """The `oakd demo` process itself."""
        wanted = ("-m", "oakd", "demo", "--dir", str(self.project))
        [found] = [p for p in map(proc, pids()) if p is not None and p.argv[1:6] == wanted]
        return found

    def processes(self) -> set[Proc]:
        """Every live process the demo started, however deep: they carry its marker."""
        found = set()
        for pid in pids():
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if self._marker in environ:
                p = proc(pid)
                if p is not None:
                    found.add(p)
        return found

    def snapshot(self) -> set[Proc]:
        """The demo and all it started, checked to be all there: a daemon, its zygote (device
        workers and builds fork from it, and show its command line) and the emulator. Both by
        the marker and as the pane's descendants: a process that left the tree (a daemon now
        under PID 1) is found by the marker, and one that lost the marker by the tree."""
        started = self.processes() | descendants(self.tmux.pane_pid())
        kinds = {"oakd daemon", "oakd.zygote device,build", "oakd.emulator"}
        missing = {k for k in kinds if not any(f"-m {k}" in p.cmdline for p in started)}
        assert not missing, f"no {missing} among {started}"
        self.started = started | {self.demo()}
        return self.started

    def assert_all_gone(self, started: set[Proc]) -> None:
        """No process of `started` lives, and the demo started none since."""

        def left() -> set[Proc]:
            return {p for p in started if alive(p)} | self.processes()

        try:
            wait_for(lambda: not left(), GONE_S, "every process of the demo to end", 0.2)
        except AssertionError:
            raise AssertionError(f"still running: {sorted(left(), key=lambda p: p.pid)}") from None

    def kill_leftovers(self) -> None:
        """After a failed test: the processes it started, by PID."""
        for p in self.processes() | self.started:
            if alive(p):
                os.kill(p.pid, signal.SIGKILL)

    def leftovers(self) -> list[Path]:
        """What stays in the demo's $TMPDIR."""
        return sorted(self.scratch.iterdir())


@pytest.fixture
def tmux(short_tmp: Path) -> Iterator[Tmux]:
    terminal = Tmux(short_tmp)
    yield terminal
    terminal.kill()


@pytest.fixture
def run(tmux: Tmux, short_tmp: Path) -> Iterator[DemoRun]:
    demo = DemoRun(tmux, short_tmp)
    yield demo
    tmux.kill()
    demo.kill_leftovers()


@pytest.fixture
def one_camera(tmux: Tmux, short_tmp: Path) -> Iterator[DemoRun]:
    demo = DemoRun(tmux, short_tmp, cameras=1)
    yield demo
    tmux.kill()
    demo.kill_leftovers()


def first_line_with(screen: str, text: str) -> str:
    """The first line that shows `text`: for an MX ID, its camera's row (the jobs are below)."""
    return next(line for line in screen.splitlines() if text in line)


def test_the_demo_shows_three_cameras_at_160x48_reflashes_them_and_q_stops_it_all(
    run: DemoRun, tmux: Tmux, short_tmp: Path
) -> None:
    # The emulator's default NOR speed (0.5 MB/s): the first flash takes ~22 s, a reload not.
    run.start((160, 48))
    run.wait_for_cameras()
    socket = run.socket()

    def full_rows(screen: str) -> bool:  # room for every column
        addresses = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
        rows = [first_line_with(screen, mxid) for mxid in run.ids]
        pairs = zip(rows, addresses, strict=True)
        return all(a in r and any(s in r for s in STATES) for r, a in pairs)

    tmux.wait(full_rows, 30, "each camera's row with its address and state")
    # Where the CLI finds this daemon, while the TUI has the screen.
    tmux.wait(lambda s: f"OAKD_SOCKET={socket}" in s, 30, "the socket in the status line")

    first = run.built_name()
    tmux.wait(lambda s: s.count(first) >= 3, 180, f"the three cameras running {first}")
    entry = run.project / "pipeline.py"
    entry.write_text(entry.read_text().replace("Hello from a standalone", "Edited: a standalone"))
    second = run.built_name(other_than=first)
    assert second != first
    tmux.wait(lambda s: s.count(second) >= 3, 180, f"the three cameras re-flashed with {second}")

    def reloads_done() -> list[dict]:
        jobs = run.jobs()
        done = [j for j in jobs if j["params"].get("app_name") == second and j["state"] == "done"]
        return done if len(done) == 3 else []

    # The screen may show the reload jobs before they end (a slow first flash, a loaded machine).
    reloads = wait_for(reloads_done, 180, "the three reloads done", interval=0.5)
    for job in reloads:  # the reload wrote a few blocks, not the whole package
        assert job["result"]["mode"] == "delta", job
        assert job["result"]["written"] < job["result"]["total"] / 10, job

    # What the sample's Script logs on the camera, in the camera's app log (l).
    tmux.keys("l")
    tmux.wait(lambda s: "serving http on port 8080" in s, 60, "the app's own log line")
    tmux.keys("Escape")
    tmux.wait(lambda s: "[1] cameras" in s, 30, "back to the main screen")
    started = run.snapshot()
    tmux.keys("q")
    screen = tmux.wait(lambda s: "exited: 0" in s, 60, "the demo to stop")
    run.assert_all_gone(started)
    assert run.leftovers() == []
    # The TUI gave the screen back: what the demo said before it, and its last words.
    assert f"export OAKD_SOCKET={socket}" in screen
    assert "8080" in screen  # the sample's web page: inside the demo's network only
    assert "oakd demo: stopped" in screen and str(socket) in screen


def test_at_80x24_the_table_stays_readable_and_closing_the_terminal_stops_it_all(
    run: DemoRun, tmux: Tmux
) -> None:
    run.start((80, 24))
    run.wait_for_cameras()
    run.wait_for_a_write()
    screen = tmux.screen()
    # Which columns fit at 80 is tui/widgets/cameras_table.py's choice (issue 14 item 10, commit
    # 491e31a, with its own Pilot tests at 80x24): here, in a real terminal, whatever it picks,
    # a camera's MX ID and its state must be among them, on one row.
    assert "MX ID" in screen and "state" in screen, screen
    for mxid in run.ids:
        row = first_line_with(screen, mxid)
        assert any(s in row for s in STATES), screen

    started = run.snapshot()
    # What a closed terminal does: tmux hangs the pane's terminal up, the demo gets SIGHUP and
    # then EIO on its terminal. Its daemon used to take the SIGHUP as "reload" and live on.
    tmux.run("kill-session", "-t", "demo")
    run.assert_all_gone(started)
    wait_for(lambda: run.leftovers() == [], GONE_S, "the demo's directory removed", 0.2)


def test_a_killed_terminal_stops_it_all(one_camera: DemoRun, tmux: Tmux) -> None:
    one_camera.start((100, 30))
    one_camera.wait_for_cameras()
    one_camera.wait_for_a_write()
    started = one_camera.snapshot()
    os.kill(tmux.server_pid(), signal.SIGKILL)  # the terminal emulator itself, killed
    one_camera.assert_all_gone(started)
    wait_for(lambda: one_camera.leftovers() == [], GONE_S, "the demo's directory removed", 0.2)


def test_a_killed_demo_takes_its_processes_along_and_the_next_one_removes_its_directory(
    one_camera: DemoRun, tmux: Tmux
) -> None:
    one_camera.start((100, 30))
    one_camera.wait_for_cameras()
    one_camera.wait_for_a_write()
    started = one_camera.snapshot()
    os.kill(one_camera.demo().pid, signal.SIGKILL)  # no handler runs: the kernel's leash acts
    one_camera.assert_all_gone(started)
    [left] = one_camera.leftovers()  # its directory: nobody was left to remove it
    assert left.name.startswith("oakd-demo-")
    # What the next `oakd demo` does first. The kernel drops the demo's lock when the last
    # descriptor of it closes, which may trail the processes' exit on a loaded machine (a
    # live lock leaves the directory alone, as it should): a deadline, then the proof.
    removed: list[Path] = []

    def cleaned() -> bool:
        removed.extend(remove_stale(one_camera.scratch))
        return bool(removed)

    wait_for(cleaned, GONE_S, "the dead demo's directory removed", 0.2)
    assert removed == [left]
    assert one_camera.leftovers() == []
