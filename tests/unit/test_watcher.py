"""Which changes in a project directory make a build: the filter with real paths, and a real
watch on a directory (inotify through watchfiles)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from watchfiles import Change

from oakd.config import parse_config
from oakd.errors import ConfigError
from oakd.services.watcher import ProjectFilter, watch_directory
from tests.helpers import wait_for

ROOT = Path("/home/u/build/counter")


def counts(watch_filter: ProjectFilter, relative: str) -> bool:
    return watch_filter(Change.modified, str(ROOT / relative))


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("pipeline.py", True),
        ("lib/nodes.py", True),
        ("models/face.blob", True),
        ("config.json", True),
        ("build/lib/pipeline.py", False),  # the project's own build folder
        ("dist/counter-1.0.tar.gz", False),
        (".cache/uv/x.py", False),
        (".git/index", False),
        ("__pycache__/pipeline.cpython-312.pyc", False),
        ("run.log", False),
        ("logs/daemon.log.1", False),
        ("counter.dap", False),
        (".counter.dap.4242.tmp", False),
        (".pipeline.py.swp", False),
    ],
)
def test_only_what_can_change_the_pipeline_counts(relative: str, expected: bool) -> None:
    # ROOT lies under a directory named build: only the parts inside the project are matched.
    assert counts(ProjectFilter(ROOT), relative) is expected


def test_a_project_adds_its_own_patterns() -> None:
    watch_filter = ProjectFilter(ROOT, ["data/*", "*.csv", "/notes.md", "scratch/"])
    assert not counts(watch_filter, "data/frames/0001.png")
    assert not counts(watch_filter, "results.csv")
    assert not counts(watch_filter, "lib/table.csv")
    assert not counts(watch_filter, "notes.md")
    assert counts(watch_filter, "lib/notes.md")  # "/notes.md" is the one at the root only
    assert not counts(watch_filter, "lib/scratch/try.py")
    assert counts(watch_filter, "lib/data/x.py")  # "data/*" is anchored at the root
    assert counts(watch_filter, "pipeline.py")


def test_a_project_table_names_its_patterns() -> None:
    config = parse_config('[[project]]\npath = "~/p"\nignore = ["data/*", "*.csv"]\n')
    assert config.project[0].ignore == ["data/*", "*.csv"]
    assert parse_config('[[project]]\npath = "~/p"\n').project[0].ignore == []
    with pytest.raises(ConfigError, match=r"\[project\[0\]\.ignore\]"):
        parse_config('[[project]]\npath = "~/p"\nignore = "*.csv"\n')


def test_the_daemons_own_files_inside_a_project_never_count() -> None:
    own = [ROOT / "state", ROOT / "state" / "cache", Path("/run/oakd/oakd.sock")]
    watch_filter = ProjectFilter(ROOT, paths=own)
    assert not counts(watch_filter, "state/oakd.db-wal")
    assert not counts(watch_filter, "state/cache/packages/firmware/x")
    assert counts(watch_filter, "states.py")
    assert counts(watch_filter, "pipeline.py")


class Watching:
    """watch_directory in a thread of its own, its reasons collected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reasons: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        watching = watch_directory(self.path, self.reasons.append, self._stop, 50)
        self._loop.run_until_complete(watching)
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())  # as asyncio.run does

    def ready(self) -> None:
        """Touch a file until a change is reported: the watch is set up then."""
        probe = self.path / "probe.py"

        def touched() -> bool:
            probe.write_text("")
            return any("probe.py" in r for r in self.reasons)

        wait_for(touched, 10, f"a change in {self.path} to be seen", interval=0.2)

    def after(self, name: str) -> list[str]:
        """Write `name` (a file that counts) and return every reason up to the one naming it."""
        (self.path / name).write_text("x = 1\n")
        wait_for(lambda: any(name in r for r in self.reasons), 10, f"a change of {name}")
        return list(self.reasons)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def watching() -> Iterator[list[Watching]]:
    started: list[Watching] = []
    yield started
    for watch in started:
        watch.close()


def test_a_project_under_a_directory_named_build_reloads(
    tmp_path: Path, watching: list[Watching]
) -> None:
    project = tmp_path / "build" / "dist" / ".cache" / "counter"
    project.mkdir(parents=True)
    watch = Watching(project)
    watching.append(watch)
    watch.ready()
    assert any("pipeline.py" in r for r in watch.after("pipeline.py"))


def test_logs_and_built_packages_make_no_build(tmp_path: Path, watching: list[Watching]) -> None:
    project = tmp_path / "counter"
    project.mkdir()
    watch = Watching(project)
    watching.append(watch)
    watch.ready()
    log = project / "run.log"
    for line in range(15):  # as a running app appends to its log
        with log.open("a") as out:
            out.write(f"line {line}\n")
    (project / "counter.dap").write_bytes(b"\0" * 1024)
    # Events arrive in order: whatever the writes above made is reported by now.
    reasons = watch.after("marker.py")
    assert [r for r in reasons if "run.log" in r or "counter.dap" in r] == []
