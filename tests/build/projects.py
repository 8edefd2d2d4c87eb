"""Pipeline projects for the builder's tests: real files in a temp dir, real depthai code."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

SCRIPT = "node.warn('counter: up')\n"

# A standalone pipeline: one Script node whose source is read from a file of the project.
PIPELINE = """
import depthai as dai


def create_pipeline():
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    with open("script.py") as f:
        script.setScript(f.read(), "counter")
    return pipeline
"""


def write_project(
    root: Path,
    code: str = PIPELINE,
    *,
    name: str = "counter",
    script: str = SCRIPT,
    files: dict[str, str] | None = None,
) -> Path:
    """A project directory `root/name` with pipeline.py, script.py and any extra files."""
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    (path / "pipeline.py").write_text(textwrap.dedent(code))
    (path / "script.py").write_text(script)
    for relative, text in (files or {}).items():
        (path / relative).write_text(textwrap.dedent(text))
    return path


# User code that records its pid and that of a process it starts (in a session of its own when
# `{session}` is True, as a daemon would), so that tests can check nothing survives the build.
# Host pids, read from /proc/self: the build may run in a PID namespace of its own, whose pids
# mean nothing outside it.
SPAWN_AND_RECORD = """
import os, subprocess, sys, time
with open("pids", "w") as f:
    f.write(os.readlink("/proc/self") + "\\n")
record = ("import os, time; open('pids', 'a').write(os.readlink('/proc/self') + '\\\\n'); "
          "time.sleep(300)")
subprocess.Popen([sys.executable, "-c", record], start_new_session={session})
while open("pids").read().count("\\n") < 2:
    time.sleep(0.01)
"""


def spawn_and_record(session: bool = False) -> str:
    """SPAWN_AND_RECORD, the sleeper in the build's session or in one of its own."""
    return SPAWN_AND_RECORD.format(session=session)


def pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (PID 1 in a container may never reap one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def parent_of(pid: int) -> int:
    """The process's parent, as /proc says."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def read_pids(path: Path) -> list[int]:
    """The pids a test's user code wrote, one per line."""
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split()]


def cache_files(cache_dir: Path) -> set[str]:
    """Every file in the cache directory, temporary ones included."""
    return set(os.listdir(cache_dir)) if cache_dir.exists() else set()
