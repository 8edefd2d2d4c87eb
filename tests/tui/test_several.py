"""One TUI for several daemons (`oakd tui --host a --host b`): both fleets in one table with a
host column, each action sent to the daemon owning its camera, and a daemon that drops shown as
unreachable while the other goes on, then reconnected.

The daemons are two stand-ins (tests/tui/standin.py), each on its own socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from oakd.protocol import EVENT_DEVICE_CHANGED, EVENT_JOB_CHANGED
from oakd.protocol.requests import Cancel, Flash, ListDevices
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import back_to_main, build_fleet_app, connected, screen_of, until
from tests.tui.standin import StandInDaemon
from tui import hosts
from tui.app import OakdApp
from tui.screens.flash import FlashScreen
from tui.widgets import jobs_table
from tui.widgets.keyed_table import DOWN_MARK


@pytest.fixture
def pair(short_tmp: Path) -> Iterator[tuple[StandInDaemon, StandInDaemon]]:
    """Two stand-in daemons: "plant-1" has cameras 1 and 2, "plant-2" cameras 3 and 1 (the
    same MX ID on two daemons: keys must tell them apart)."""
    first = StandInDaemon(short_tmp / "a")
    second = StandInDaemon(short_tmp / "b")
    first.devices = [data.device(1, "front"), data.device(2, "back")]
    second.devices = [data.device(3, "gate"), data.device(1, "dock")]
    first.jobs = [data.job(7, mxid(1), state="running", progress=0.5)]
    second.jobs = [data.job(7, mxid(3), state="queued")]
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


def fleet_app(pair: tuple[StandInDaemon, StandInDaemon]) -> OakdApp:
    return build_fleet_app({"plant-1": pair[0].path, "plant-2": pair[1].path})


async def test_both_fleets_in_one_table_with_a_host_column(
    pair: tuple[StandInDaemon, StandInDaemon],
) -> None:
    app = fleet_app(pair)
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 4, "both fleets")
        assert "host" in app.cameras.shown_columns()
        assert "host" in app.jobs.shown_columns()
        one, two = hosts.key("plant-1", mxid(1)), hosts.key("plant-2", mxid(1))
        assert app.cameras.get_cell(one, "host").plain == "plant-1"
        assert app.cameras.get_cell(two, "host").plain == "plant-2"
        assert app.cameras.get_cell(two, "alias").plain == "dock"  # same MX ID, own row
        # Rows by daemon, then alias.
        assert app.cameras.visible_ids() == [
            hosts.key("plant-1", mxid(2)),
            one,
            two,
            hosts.key("plant-2", mxid(3)),
        ]
        assert app.jobs.row_count == 2  # job #7 of each
        assert app.jobs.get_cell(hosts.key("plant-2", 7), "camera").plain == "gate"
        lines = app.status.text.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("● plant-1: oakd 0.1.0 · 2 cameras (2 online) · 1 running")
        assert lines[1].startswith("● plant-2: oakd 0.1.0 · 2 cameras (2 online) · 0 running")


async def test_one_daemon_keeps_no_host_column(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front")]
    app = build_fleet_app({"only": standin.path})
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        assert app.cameras.visible_ids() == [mxid(1)]
        assert "host" not in app.cameras.shown_columns()


async def test_actions_go_to_the_daemon_that_owns_the_camera(
    pair: tuple[StandInDaemon, StandInDaemon], tmp_path: Path
) -> None:
    first, second = pair
    package = tmp_path / "app.dap"
    package.write_bytes(b"dap")
    app = fleet_app(pair)
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 4, "both fleets")
        gate = hosts.key("plant-2", mxid(3))
        app.cameras.restore_cursor(gate)
        await pilot.press("f")
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(package)
        await pilot.press("enter")
        await back_to_main(pilot)
        await until(pilot, lambda: second.sent(Flash), "the flash at plant-2")
        assert [f.devices for f in second.sent(Flash)] == [[mxid(3)]]
        assert first.sent(Flash) == []
        # The job it queued is plant-2's row, named by plant-2's camera.
        await until(pilot, lambda: app.jobs.row_count == 3, "the queued job")
        job = next(k for k in app.jobs.jobs if k.startswith("plant-2") and k != "plant-2\x1f7")
        assert app.jobs.get_cell(job, "camera").plain == "gate"

        # Marks on both daemons: one Flash each, with that daemon's cameras only.
        app.cameras.marked = {hosts.key("plant-1", mxid(2)), hosts.key("plant-2", mxid(1))}
        await pilot.press("f")
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(package)
        await pilot.press("enter")
        await until(pilot, lambda: len(second.sent(Flash)) == 2, "the second flash at plant-2")
        await until(pilot, lambda: first.sent(Flash), "the flash at plant-1")
        assert [f.devices for f in first.sent(Flash)] == [[mxid(2)]]
        assert second.sent(Flash)[1].devices == [mxid(1)]

        # Cancelling plant-2's job #7 goes to plant-2, though plant-1 has a job #7 too.
        app.jobs.focus()
        app.jobs.restore_cursor(hosts.key("plant-2", 7))
        await pilot.press("x")
        await until(pilot, lambda: second.sent(Cancel), "the cancel at plant-2")
        assert first.sent(Cancel) == []


async def test_a_dropped_daemon_is_shown_unreachable_and_the_other_goes_on(
    pair: tuple[StandInDaemon, StandInDaemon],
) -> None:
    first, second = pair
    app = fleet_app(pair)
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 4, "both fleets")
        gate = hosts.key("plant-2", mxid(3))
        front = hosts.key("plant-1", mxid(1))
        second.stop()
        await until(pilot, lambda: app.status.state == "reconnecting", "plant-2 reconnecting")
        line = app.status.text.splitlines()[1]
        assert line.startswith("⟳ plant-2: reconnecting…")
        assert "no oakd daemon reachable" in line or "closed the connection" in line
        assert app.status.text.splitlines()[0].startswith("● plant-1:")
        # Its rows stay, dimmed, their host marked; plant-1's are as they were.
        assert app.cameras.get_cell(gate, "host").plain == DOWN_MARK + "plant-2"
        assert app.cameras.get_cell(front, "host").plain == "plant-1"
        assert "plant-2: no oakd daemon reachable" in app.log_panel.text()

        # plant-1 still updates its rows, and still takes requests.
        first.publish(EVENT_DEVICE_CHANGED, data.device(1, "front", state="flash_booted"))
        await until(
            pilot,
            lambda: app.cameras.get_cell(front, "state").plain == "flash booted",
            "plant-1's event",
        )
        first.publish(EVENT_JOB_CHANGED, data.job(8, mxid(2), state="running"))
        await until(pilot, lambda: app.jobs.shows(hosts.key("plant-1", 8)), "plant-1's job")

        # plant-2 comes back: reconnected, listed again, its rows bright.
        second.devices = [data.device(3, "gate"), data.device(1, "dock"), data.device(4, "yard")]
        second.start()
        await until(pilot, lambda: app.status.state == "connected", "plant-2 again")
        await until(pilot, lambda: app.cameras.row_count == 5, "plant-2's new camera")
        assert app.cameras.get_cell(gate, "host").plain == "plant-2"
        assert len(second.sent(ListDevices)) == 2
        assert len(first.sent(ListDevices)) == 1  # plant-1 was never disturbed


async def test_a_daemon_never_reached_says_why_while_the_other_works(
    short_tmp: Path, standin: StandInDaemon
) -> None:
    standin.devices = [data.device(1, "front")]
    app = build_fleet_app({"here": standin.path, "gone": short_tmp / "none"})
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.status.state == "unreachable", "gone unreachable")
        await until(pilot, lambda: app.cameras.row_count == 1, "here's camera")
        lines = app.status.text.splitlines()
        assert lines[0].startswith("● here:")
        assert lines[1].startswith("✗ gone: no oakd daemon reachable at")


async def test_each_daemon_keeps_its_own_last_finished_jobs(
    pair: tuple[StandInDaemon, StandInDaemon],
) -> None:
    first, second = pair
    # plant-1 is busy (30 finished jobs, newer ids); plant-2 finished 3 long ago.
    first.jobs = [data.job(100 + n, mxid(1), state="done") for n in range(30)]
    second.jobs = [data.job(n, mxid(3), state="failed") for n in range(1, 4)]
    app = fleet_app(pair)
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.jobs.row_count >= 20, "the jobs")
        shown = {j.host for j in app.jobs.jobs.values()}
        assert shown == {"plant-1", "plant-2"}
        mine = [j for j in app.jobs.jobs.values() if j.host == "plant-1"]
        assert len(mine) == jobs_table.RECENT_LIMIT
        assert all(app.jobs.shows(hosts.key("plant-2", n)) for n in range(1, 4))
