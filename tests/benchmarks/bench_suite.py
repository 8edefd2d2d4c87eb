"""Where the test suite's CPU goes, by kind of process (issue 11). Prints figures; not a test.

    uv run python tests/benchmarks/bench_suite.py [PYTEST ARGS...]

Runs the README's test command (`pytest`, the suite isolating itself as usual, with
OAKD_REQUIRE_NETNS=1) and, beside it, reads /proc every SAMPLE_S: each process under pytest,
its kind (from its command line) and the CPU it has used. At the end it prints the suite's
wall time; the machine's CPU split over the run (/proc/stat: the suite is CPU-bound on two
cores when idle is small); the exact CPU of pytest and everything it reaped (getrusage); and
the sampled split by kind, with how many processes of each kind ran and what one cost.

This process is the suite's child subreaper (PR_SET_CHILD_SUBREAPER): a process whose parent
died first (a zygote's children, when a test kills its daemon) is reaped here, so that
getrusage counts it too. The sampled split misses what a process used after its last sample
(at most SAMPLE_S of each); the coverage line says how close it came to the exact total. A
forked zygote child is told from the zygote by its parent, not its command line (it has the
zygote's). The sampling costs some CPU itself (printed), so a run here is a little slower than
a plain one. Nothing here touches a network: the sampler only reads /proc.
"""

from __future__ import annotations

import collections
import ctypes
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_S = 0.2
TICK = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
LEFTOVER_WAIT_S = 10.0  # for processes still ending once pytest has exited


@dataclass
class Seen:
    kind: str
    ticks: int


def kind_of(cmdline: str, parent_cmdline: str) -> str:
    """What a process of the suite is, from its command line (and its parent's)."""
    if "oakd.zygote" in cmdline:
        return "zygote child (worker or build)" if "oakd.zygote" in parent_cmdline else "zygote"
    if "sys.stdin.readline" in cmdline:
        return "pytest worker (in-process tests)"
    module = re.search(r"-m (oakd\.\S+)", cmdline)
    if module:
        return {"oakd.emulator": "emulator", "oakd.worker": "device worker (fresh)"}.get(
            module.group(1), module.group(1)
        )
    if "oakd/build/child" in cmdline or "oakd.build.child" in cmdline:
        return "build child (fresh)"
    command = re.search(r"(?:-m oakd|bin/oakd) (\S+)", cmdline)
    if command:
        return "oakd daemon" if command.group(1) == "daemon" else "oakd CLI (other commands)"
    if "pytest" in cmdline:
        return "pytest (main)"
    return Path(cmdline.split(" ", 1)[0]).name or "?"


def read_stat(pid: str) -> tuple[str, str, int] | None:
    """(parent pid, start time, user+system ticks) of a process, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[1], fields[19], int(fields[11]) + int(fields[12])


def cmdline_of(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def machine_ticks() -> list[int]:
    """user, nice, system, idle, iowait, irq, softirq, steal (/proc/stat)."""
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def sample(root: int, seen: dict[tuple[str, str], Seen], members: set[str]) -> None:
    """One pass over /proc: every process descended from `root` (not `root` itself), its kind
    and the CPU it has used so far."""
    stats = {p: s for p in os.listdir("/proc") if p.isdigit() and (s := read_stat(p))}
    members &= set(stats)  # a pid that is gone may come back as another process
    members.add(str(root))
    grew = True
    while grew:  # a child whose parent is a member is a member (until it is reparented)
        grew = False
        for pid, (ppid, _start, _ticks) in stats.items():
            if pid not in members and ppid in members:
                members.add(pid)
                grew = True
    for pid in members - {str(root)}:
        ppid, start, ticks = stats[pid]
        key = (pid, start)
        if key in seen:
            seen[key].ticks = ticks
        elif cmdline := cmdline_of(pid):
            seen[key] = Seen(kind_of(cmdline, cmdline_of(ppid)), ticks)


def reap(suite: subprocess.Popen[bytes]) -> None:
    """Reap every child that has ended (orphans come here too); the suite's exit code is kept."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == suite.pid:
            suite.returncode = os.waitstatus_to_exitcode(status)


def main(pytest_args: list[str]) -> int:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    env = {**os.environ, "OAKD_REQUIRE_NETNS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as .ci/run: bytecode caches are written
    before, start = machine_ticks(), time.monotonic()
    suite = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", *pytest_args], cwd=ROOT, env=env
    )
    seen: dict[tuple[str, str], Seen] = {}
    members: set[str] = set()
    while suite.returncode is None:
        sample(os.getpid(), seen, members)
        time.sleep(SAMPLE_S)
        reap(suite)
    wall = time.monotonic() - start
    after = machine_ticks()
    # What is still running once pytest has exited was left behind by a test: say so.
    deadline = time.monotonic() + LEFTOVER_WAIT_S
    while (left := sorted(members - {str(os.getpid())})) and time.monotonic() < deadline:
        time.sleep(SAMPLE_S)
        reap(suite)
        members &= {p for p in os.listdir("/proc") if p.isdigit()}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    exact = usage.ru_utime + usage.ru_stime

    used = [(a - b) / TICK for a, b in zip(after, before, strict=True)]
    user, system = used[0] + used[1], used[2] + used[5] + used[6]
    idle, steal = used[3] + used[4], used[7]
    by_kind: dict[str, float] = collections.defaultdict(float)
    count: collections.Counter[str] = collections.Counter()
    for process in seen.values():
        by_kind[process.kind] += process.ticks / TICK
        count[process.kind] += 1
    sampled = sum(by_kind.values())

    print(f"\npytest exited {suite.returncode} after {wall:.0f} s")
    print(f"machine: user {user:.0f} s, system {system:.0f} s, idle {idle:.0f} s,", end=" ")
    print(f"steal {steal:.0f} s")
    print(f"pytest and every process under it (getrusage): {exact:.0f} s of CPU")
    mine = sum(os.times()[:2])
    print(
        f"sampled every {SAMPLE_S} s: {sampled:.0f} s ({100 * sampled / max(exact, 1):.0f} %);"
        f" the sampler itself used {mine:.0f} s"
    )
    if left:
        print(f"still running {LEFTOVER_WAIT_S:.0f} s after pytest: {', '.join(left)}")
    print(f"{'CPU s':>7} {'share':>6} {'processes':>9} {'each s':>7}  kind")
    for kind, cpu in sorted(by_kind.items(), key=lambda item: -item[1]):
        share, each = 100 * cpu / sampled, cpu / count[kind]
        print(f"{cpu:7.1f} {share:5.1f}% {count[kind]:9d} {each:7.2f}  {kind}")
    return suite.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
