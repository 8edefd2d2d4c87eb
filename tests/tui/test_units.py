"""The TUI's pure parts: what it shows of the wire shapes, what it checks before sending."""

from __future__ import annotations

from pathlib import Path

import pytest

from oakd.build.limits import short_size
from oakd.cli import build_parser, tui_cmd
from oakd.errors import ProtocolError
from oakd.protocol.replies import DeviceInfo
from oakd.protocol.typed import from_wire, to_wire
from tests.tui import data
from tui import model
from tui.clock import FixedClock
from tui.connection import Backoff
from tui.operations import OPERATIONS, inspect_confirmation, network_confirmation
from tui.screens.flash import FlashChoice
from tui.screens.flash import choose as choose_flash
from tui.screens.network import NetworkChoice, validate
from tui.screens.watch import WatchChoice
from tui.screens.watch import choose as choose_watch
from tui.suggest import PathSuggester
from tui.widgets.cameras_table import CamerasTable
from tui.widgets.jobs_table import JobsTable, progress_bar
from tui.widgets.keyed_table import KeyedTable, fit
from tui.widgets.projects_table import ProjectsTable


def test_the_cli_has_a_tui_command() -> None:
    args = build_parser().parse_args(["tui", "--socket", "/run/x.sock"])
    assert args.func is tui_cmd.run
    assert args.socket == "/run/x.sock"


def test_bootloader_and_app_come_from_the_inspection() -> None:
    old = data.device(1, "a", "flash_booted", bootloader="0.0.26", app="blink")
    assert old.bootloader_version == "0.0.26"
    minimum = model.minimum_bootloader(data.status(min_bootloader="0.0.28"))  # the daemon's
    assert model.bootloader_outdated(old, minimum)
    assert not model.bootloader_outdated(
        old, model.minimum_bootloader(data.status(min_bootloader="0.0.26"))
    )
    assert not model.bootloader_outdated(old, model.minimum_bootloader(None))  # none: no flag
    unreadable = data.status(min_bootloader="soon")
    assert not model.bootloader_outdated(old, model.minimum_bootloader(unreadable))
    assert old.running_app == "blink"
    fresh = data.device(2, "b", bootloader="0.0.28", app="blink")
    assert not model.bootloader_outdated(fresh, minimum)
    assert fresh.running_app is None  # in its bootloader: nothing runs
    bare = data.device(3)
    assert bare.bootloader_version is None and not model.bootloader_outdated(bare, minimum)
    assert bare.label == data.mxid(3)
    assert model.describe(bare) == f"{data.mxid(3)} (at 10.0.0.13)"


def test_a_reply_that_does_not_fit_its_type_names_the_field() -> None:
    wire = to_wire(data.device(3))
    odd = {**wire, "inspection": {"bootloader": "weird"}, "extra": "a newer daemon's"}
    with pytest.raises(ProtocolError, match=r"inspection\.bootloader: expected a table"):
        from_wire(DeviceInfo, odd)
    newer = from_wire(DeviceInfo, {**wire, "extra": "a newer daemon's field"})
    assert newer == data.device(3)  # unknown keys are left out, the rest is read
    with pytest.raises(ProtocolError, match="state: expected one of 'bootloader'"):
        from_wire(DeviceInfo, {**wire, "state": "sleeping"})


def test_filter_matches_any_column_people_read() -> None:
    camera = data.device(1, "Front", "flash_booted", app="counter")
    for needle in ("fro", "1844301001", "10.0.0.11", "flash", "COUNTER", ""):
        assert model.device_matches(camera, needle), needle
    assert not model.device_matches(camera, "back")


def test_job_order_and_names() -> None:
    jobs = [
        data.job(3, "x", "done"),
        data.job(5, "x", "queued"),
        data.job(4, "x", "running"),
        data.job(2, "x", "queued"),
    ]
    assert [j.id for j in sorted(jobs, key=model.job_order)] == [4, 2, 5, 3]
    assert model.job_what(data.job(1, "x")) == "flash blink"
    assert model.job_what(data.job(1, "x", kind="factory_reset", project=None)) == "reset"


def test_progress_bars() -> None:
    assert progress_bar(0.5, 8).plain == "━━━━━━━━  50%"
    assert progress_bar(0, 8).plain.endswith("   0%")
    assert progress_bar(1.5, 8).plain.endswith(" 100%")  # never past the end


def test_columns_go_least_important_first() -> None:
    widths = [("mark", 3), ("alias", 7), ("id", 20), ("state", 14), ("address", 11)]
    assert fit(widths, 200) == ["mark", "alias", "id", "state", "address"]
    assert fit(widths, 44) == ["mark", "alias", "id", "state"]  # exactly full
    # A narrow column after a wide one that does not fit stays out too: columns come and go
    # in rank order only.
    assert fit([("a", 5), ("b", 30), ("c", 2)], 10) == ["a"]
    # The columns rows are sorted by are drawn at any width.
    assert fit(widths, 5, kept=("alias", "id")) == ["alias", "id"]


@pytest.mark.parametrize("table", [CamerasTable, JobsTable, ProjectsTable])
def test_every_table_ranks_each_of_its_columns_once(table: type[KeyedTable]) -> None:
    keys = [key for key, _, _ in table.COLUMNS]
    assert sorted(table.IMPORTANCE) == sorted(keys)
    assert set(table.SORTED_BY) <= set(keys)


def test_sizes_and_times() -> None:
    # As `oakd build` and the daemon's log write them (issue 14: "10.25 MiB" vs "10.7 MB").
    assert model.human_size(10_747_921) == short_size(10_747_921) == "10.25 MiB"
    assert model.human_size(512) == "512 bytes" and model.human_size(None) == "-"
    clock = FixedClock(data.T0)
    assert clock.format(data.T0 - 5) == "14:13:15"
    assert clock.format(data.T0 - 86400) == "2026-09-20 14:13"
    assert clock.format(None) == "-"


def test_flash_paths(tmp_path: Path) -> None:
    (tmp_path / "app.dap").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    assert choose_flash(str(tmp_path)) == FlashChoice(project=str(tmp_path))
    assert choose_flash("app.dap", cwd=tmp_path) == FlashChoice(package=str(tmp_path / "app.dap"))
    assert "neither a project directory nor a .dap" in str(
        choose_flash(str(tmp_path / "notes.txt"))
    )
    assert "does not exist" in str(choose_flash(str(tmp_path / "nope")))
    assert "type the path" in str(choose_flash("  "))


def test_watch_needs_the_entry(tmp_path: Path) -> None:
    assert "has no pipeline.py" in str(choose_watch(str(tmp_path), "", True))
    (tmp_path / "main.py").write_text("")
    assert choose_watch(".", "main.py", False, cwd=tmp_path) == WatchChoice(
        str(tmp_path), "main.py", False
    )


@pytest.mark.parametrize(
    ("static", "gateway", "dns", "cameras", "problem"),
    [
        ("192.168.1.50", "192.168.1.1", "", 1, "address: give it with its prefix"),
        (
            "192.168.1.500/24",
            "192.168.1.1",
            "",
            1,
            "address: '192.168.1.500/24' is not an address/prefix",
        ),
        ("fe80::2/64", "fe80::1", "", 1, "address: the camera takes an IPv4"),
        ("192.168.1.0/24", "192.168.1.1", "", 1, "network or broadcast"),
        ("192.168.1.255/24", "192.168.1.1", "", 1, "network or broadcast"),
        ("192.168.1.50/24", "10.0.0.1", "", 1, "gateway: 10.0.0.1 is not in 192.168.1.0/24"),
        (
            "192.168.1.50/24",
            "192.168.1.50",
            "",
            1,
            "gateway: it cannot be the camera's own address",
        ),
        ("192.168.1.50/24", "gw", "", 1, "gateway: 'gw' is not an address"),
        ("192.168.1.50/24", "192.168.1.1", "dns", 1, "DNS: 'dns' is not an address"),
        ("192.168.1.50/24", "192.168.1.1", "", 2, "one camera at a time"),
    ],
)
def test_static_network_settings_are_checked(
    static: str, gateway: str, dns: str, cameras: int, problem: str
) -> None:
    result = validate(False, static, gateway, dns, cameras)
    assert isinstance(result, str) and problem in result


def test_good_network_settings() -> None:
    assert validate(True, "", "", "", 3) == NetworkChoice(dhcp=True)
    assert validate(False, " 10.1.2.3/16 ", "10.1.0.1", "", 1) == NetworkChoice(
        False, "10.1.2.3/16", "10.1.0.1", None
    )


def test_confirmations_name_the_camera_and_the_loss() -> None:
    camera = data.device(1, "front", "flash_booted", bootloader="0.0.26", app="blink")
    reset = OPERATIONS["factory_reset"].confirmation([camera]).plain
    assert f"front ({data.mxid(1)} at 10.0.0.11)" in reset
    assert "its running app (blink) stops" in reset
    assert "loses the flashed application (blink)" in reset
    assert (
        "loses the current bootloader (0.0.26)"
        in OPERATIONS["bootloader_update"].confirmation([camera]).plain
    )
    network = network_confirmation([camera], "DHCP").plain
    assert "Writes a new network config: DHCP." in network
    assert "only be recovered by opening it" in network
    assert "(blink) stops" in inspect_confirmation([camera]).plain
    for op in OPERATIONS.values():
        assert op.make("X").confirm is True  # type: ignore[attr-defined]


def test_backoff_doubles_up_to_its_limit() -> None:
    delays = Backoff(first=0.25, limit=1.0).delays()
    assert [next(delays) for _ in range(5)] == [0.25, 0.5, 1.0, 1.0, 1.0]


async def test_paths_complete(tmp_path: Path) -> None:
    (tmp_path / "blink").mkdir()
    (tmp_path / "blink.dap").write_bytes(b"")
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "bl")) == str(tmp_path / "blink") + "/"
    assert await suggester.get_suggestion(str(tmp_path / "blink.")) == str(tmp_path / "blink.dap")
    assert await suggester.get_suggestion(str(tmp_path / "zz")) is None
    assert await suggester.get_suggestion("") is None
