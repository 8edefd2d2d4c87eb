"""How `oakd demo` ends: its signal handling, the leash on its children, its stale directories.

The signal tests run in a child process: they install handlers and one of them exits hard,
neither of which a test worker should live through. The end-to-end cases (q, a closed or
killed terminal, SIGKILL) are in tests/tui/test_demo_tmux.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from oakd.demo import leashed
from oakd.demo.stale import hold_lock, remove_stale
from tests.helpers import wait_for

# A headless Textual app under Ending; SIGTERM comes from a thread once the app runs.
# STUCK makes the app ignore exit(), as a TUI whose terminal is gone may.
SCRIPT = """
import os, signal, sys, threading
from pathlib import Path
from textual.app import App
from oakd.demo.ending import Ended, Ending

class Tui(App):
    def on_mount(self):
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
    def exit(self, *args, **kwargs):
        if not STUCK:
            super().exit(*args, **kwargs)

ending = Ending(lambda: Path(MARK).write_text("torn down"), grace_s=0.5)
ending.install()
app = Tui()
try:
    with ending.tui(app) as loop:
        app.run(headless=True, loop=loop)
except Ended as ended:
    print("ended by", ended.signum)
    sys.exit(ended.signum + 128)
sys.exit(0)
"""


def run_script(tmp_path: Path, stuck: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    mark = tmp_path / "mark"
    source = f"STUCK = {stuck}\nMARK = {str(mark)!r}\n" + textwrap.dedent(SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=60
    )
    return done, mark


def test_a_signal_asks_the_tui_to_exit_and_the_demo_ends_as_the_signal(tmp_path: Path) -> None:
    done, mark = run_script(tmp_path, stuck=False)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert f"ended by {int(signal.SIGTERM)}" in done.stdout
    assert not mark.exists()  # the caller tears down, not the watchdog


def test_a_tui_that_does_not_exit_is_torn_down_by_the_watchdog(tmp_path: Path) -> None:
    done, mark = run_script(tmp_path, stuck=True)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert mark.read_text() == "torn down"


def test_a_signal_while_starting_unwinds_to_the_teardown() -> None:
    source = textwrap.dedent(
        """
        import os, signal, time
        from oakd.demo.ending import Ended, Ending
        ending = Ending(lambda: None)
        ending.install()
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(30)
        except Ended as ended:
            ending.stopping()
            os.kill(os.getpid(), signal.SIGTERM)  # noted only: the teardown is not cut short
            print("ended by", ended.signum, "then", ending.signum)
        """
    )
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert done.stdout.strip() == f"ended by {int(signal.SIGHUP)} then {int(signal.SIGHUP)}"


def test_a_leashed_child_dies_with_its_parent_even_by_sigkill(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The parent starts a leashed child as the demo starts its daemon, says its PID, and waits.
    source = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from pathlib import Path
        from oakd.demo import leashed
        child = subprocess.Popen(leashed(["/bin/sleep", "60"]))
        Path({str(pid_file)!r}).write_text(str(child.pid))
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", source])
    try:
        wait_for(pid_file.exists, 30, "the child started")
        child = int(pid_file.read_text())
        wait_for(lambda: _argv(child)[:1] == ["/bin/sleep"], 30, "the leash to exec")
        assert os.getsid(child) == child  # a session of its own: no terminal's SIGHUP
    finally:
        parent.kill()
        parent.wait()
    wait_for(lambda: not _running(child), 10, "the leashed child to die with its parent")


def test_leashed_names_this_process_as_the_parent() -> None:
    argv = leashed(["/bin/true"])
    assert argv[-2:] == [str(os.getpid()), "/bin/true"]


def test_remove_stale_removes_only_the_directories_of_dead_demos(tmp_path: Path) -> None:
    live, dead, unlocked = (tmp_path / f"oakd-demo-{n}" for n in ("a", "b", "c"))
    for root in (live, dead, unlocked, tmp_path / "elsewhere"):
        root.mkdir()
    held = hold_lock(live)
    os.close(hold_lock(dead))  # its demo is gone: nobody holds the lock
    try:
        assert remove_stale(tmp_path) == [dead]
        # A directory with no lock may be a demo still setting up: it stays.
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "elsewhere",
            "oakd-demo-a",
            "oakd-demo-c",
        ]
    finally:
        os.close(held)


def _argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"
