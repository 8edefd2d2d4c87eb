"""A project's build history: what changed, and where a rollback goes (oakd/core/history.py)."""

from __future__ import annotations

import dataclasses

from oakd.core.history import Build, changed_sections, rollback_target
from oakd.core.package import Section


def section(name: str, size: int, checksum: int) -> Section:
    return Section(0, name, size, 0, checksum, 0)


def build(n: int) -> Build:
    return Build("/p", float(n), f"p@{n:012d}", f"{n:012d}", f"/cache/{n}.dap", 100, ())


def test_changed_sections_are_named_and_the_app_name_never_counts() -> None:
    before = [section("app_name", 20, 1), section("pipeline", 10, 5), section("gone", 1, 1)]
    after = [section("app_name", 20, 2), section("pipeline", 10, 6), section("new", 1, 1)]
    assert changed_sections(before, after) == ("pipeline", "new", "gone")
    assert changed_sections(after, after) == ()


def test_a_rollback_goes_to_the_newest_older_build_still_cached() -> None:
    builds = [build(3), build(2), build(1)]  # newest first
    everything = lambda path: True  # noqa: E731
    assert rollback_target(builds, build(3).fingerprint, everything) == build(2)
    assert rollback_target(builds, build(2).fingerprint, everything) == build(1)
    pruned = rollback_target(builds, build(3).fingerprint, lambda p: p != build(2).package)
    assert pruned == build(1)
    assert "oldest build recorded" in str(rollback_target(builds, build(1).fingerprint, everything))
    assert "no longer in the cache" in str(
        rollback_target(builds, build(3).fingerprint, lambda p: False)
    )
    # Unknown or unrecorded: never a guess.
    assert "runs no build recorded" in str(rollback_target(builds, None, everything))
    assert "runs no build recorded" in str(rollback_target(builds, "f" * 12, everything))


def test_out_of_sync_is_what_the_record_says_and_never_a_guess() -> None:
    from oakd.protocol.replies import BuildSummary, DeviceInfo, DeviceState, ProjectInfo

    good = BuildSummary(ok=True, fingerprint="ab" * 8)
    project = ProjectInfo("/p", devices=["A", "door"], last_build=good)
    camera = DeviceInfo("A", "10.0.0.2", DeviceState.FLASH_BOOTED, True, 0.0, 0.0)
    runs = dataclasses.replace(camera, flashed_hash="ab" * 6)
    cleared = dataclasses.replace(camera, id="B", alias="door", flashed_hash=None)
    assert project.runs_last_build(runs) is True
    assert project.out_of_sync({"A": runs, "B": cleared}) == ["door"]  # by alias too
    assert project.out_of_sync({"A": runs}) == []  # an unknown camera: not told, not flagged
    failed = dataclasses.replace(project, last_build=BuildSummary(ok=False))
    assert failed.runs_last_build(cleared) is None  # no good build to compare with
