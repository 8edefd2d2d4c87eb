"""The cameras table: every camera the daemon knows, live, with marks and a filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from oakd.core.versions import Version
from oakd.protocol.replies import DeviceInfo, DeviceState, HealthState
from tui import hosts, model
from tui.clock import Clock
from tui.widgets.keyed_table import DOWN_MARK, KeyedTable

COLUMNS = (
    ("mark", " ", 1),
    ("alias", "alias", None),
    ("id", "MX ID", None),
    ("address", "address", None),
    ("state", "state", 12),
    ("online", "online", 6),
    ("bootloader", "bootloader", 10),
    ("app", "app running", None),
    ("health", "app health", None),
    ("flashed", "last flash", None),
)
# What a narrow terminal keeps, most important first (KeyedTable drops from the end): which
# camera, what it is doing and running, then when it was flashed and its bootloader. Online is
# given up before them, since an offline camera's state says "offline"; the address last, as
# the detail page (enter) has it.
IMPORTANCE = (
    "mark",
    "alias",
    "id",
    "state",
    "app",
    "health",
    "flashed",
    "bootloader",
    "online",
    "address",
)
MARK = "●"

HEALTH_STYLES = {
    HealthState.ALIVE: "green",
    HealthState.BOOTED: "cyan",
    HealthState.FLASHED: "dim",
    HealthState.SILENT: "yellow",
    HealthState.NO_REPORT: "yellow",
    HealthState.CRASH_LOOP: "bold red",
}
HEALTH_REDRAW_S = 1.0  # "alive 3 s" counts up

STATE_STYLES = {
    DeviceState.BOOTLOADER: "green",
    DeviceState.FLASH_BOOTED: "cyan",
    DeviceState.BOOTED: "yellow",
    DeviceState.OFFLINE: "red dim",
}


def sort_key(device: DeviceInfo) -> tuple[str, bool, str, str]:
    """Cameras sort by daemon (with several), then by alias; those without one follow, by MX
    ID."""
    return (device.host, not device.alias, device.label.lower(), device.id)


def matches(device: DeviceInfo, needle: str) -> bool:
    """The filter: any column a person reads, the daemon's name included."""
    host = device.host
    return model.device_matches(device, needle) or bool(host and needle.lower() in host.lower())


class CamerasTable(KeyedTable):
    """One row per camera, keyed by MX ID (with several daemons, by daemon and MX ID:
    tui/hosts.py); the marked cameras are the targets of actions."""

    COLUMNS = COLUMNS
    IMPORTANCE = IMPORTANCE
    OPTIONAL = ("health",)  # only apps built with oakd's telemetry report any
    HOST_AFTER = "mark"  # which daemon matters as much as which camera
    SORTED_BY = ("alias", "id")  # see sort_key
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark", tooltip="Mark or unmark: actions apply to marks"),
        Binding("a", "toggle_all", "Mark all", show=False, tooltip="Mark all shown (again: none)"),
        Binding("f", "app.flash", "Flash", tooltip="Flash a project or a .dap package"),
        Binding("w", "app.watch", "Watch", tooltip="Watch a project: rebuild, flash on change"),
        Binding("i", "app.inspect", "Inspect", tooltip="Read bootloader, app, config"),
        Binding("l", "app.app_log", "App log", tooltip="What the camera's app reported, live"),
        Binding(
            "F",
            "app.device_operation('factory_reset')",
            "Reset",
            tooltip="Factory reset (asks first)",
        ),
        Binding(
            "c",
            "app.device_operation('clear_app')",
            "Clear app",
            show=False,
            tooltip="Erase the app (asks first)",
        ),
        Binding(
            "C",
            "app.device_operation('clear_config')",
            "Clear config",
            show=False,
            tooltip="Erase config (asks first)",
        ),
        Binding(
            "n", "app.network_config", "Network", show=False, tooltip="DHCP or static (asks first)"
        ),
        Binding(
            "r",
            "app.rollback",
            "Roll back",
            show=False,
            tooltip="Flash the project's build before the one it runs (asks first)",
        ),
        Binding(
            "b",
            "app.device_operation('bootloader_update')",
            "Bootloader",
            show=False,
            tooltip="Update it (asks first)",
        ),
    ]

    @dataclass
    class Opened(Message):
        """Enter (or a click on the highlighted row): show everything about a camera."""

        device: DeviceInfo

    @dataclass
    class MarksChanged(Message):
        """The set of marked cameras changed."""

        marked: frozenset[str]

    def __init__(self, clock: Clock, id: str | None = None, several: bool = False) -> None:
        super().__init__(id=id, several=several)
        self.clock = clock
        self.devices: dict[str, DeviceInfo] = {}  # by row key
        self.marked: set[str] = set()  # row keys
        self.filter_text = ""
        # Each daemon's flash.min_bootloader, by host label; None: flag nothing.
        self.min_bootloaders: dict[str, Version | None] = {}

    def on_mount(self) -> None:
        # (Textual calls KeyedTable's on_mount too: handlers run along the class's MRO.)
        self.set_interval(HEALTH_REDRAW_S, self._redraw_alive)

    def _redraw_alive(self) -> None:
        for key, device in self.devices.items():
            health = device.health
            if health is not None and health.state is HealthState.ALIVE and self.shows(key):
                self._put(key, device)

    def forget_rows(self) -> None:
        self.devices.clear()
        self.marked.clear()
        self.min_bootloaders.clear()
        self.post_message(self.MarksChanged(frozenset()))

    def minimum_for(self, device: DeviceInfo) -> Version | None:
        """The minimum bootloader of the daemon that owns `device`."""
        return self.min_bootloaders.get(device.host)

    # -- what the rest of the app asks --------------------------------------------------------

    def label_of(self, key: str) -> str:
        """The alias of a known camera (by row key), else its MX ID."""
        device = self.devices.get(key)
        return device.label if device else key.rpartition(hosts.SEPARATOR)[2]

    def highlighted(self) -> DeviceInfo | None:
        """The camera under the cursor."""
        key = self.highlighted_key()
        return self.devices.get(key) if key else None

    def targets(self) -> list[DeviceInfo]:
        """What an action applies to: the marked cameras, else the highlighted one."""
        marked = [self.devices[i] for i in self.marked if i in self.devices]
        if marked:
            return sorted(marked, key=sort_key)
        current = self.highlighted()
        return [current] if current else []

    def visible_ids(self) -> list[str]:
        """Row keys (MX IDs, with one daemon) of the rows shown, top to bottom."""
        return [str(row.key.value) for row in self.ordered_rows]

    def counts(self, host: str | None = None) -> tuple[int, int]:
        """(cameras, online: answering discovery), of every daemon or of `host`'s."""
        mine = [d for d in self.devices.values() if host is None or d.host == host]
        return len(mine), sum(1 for d in mine if d.online)

    # -- updates from the daemon --------------------------------------------------------------

    def replace_all(
        self, devices: list[DeviceInfo], min_bootloader: Version | None = None, host: str = ""
    ) -> None:
        """A fresh list from daemon `host` after (re)connecting, with its minimum bootloader:
        its rows come, go and change as needed; other daemons' rows stay."""
        self.min_bootloaders[host] = min_bootloader
        fresh = {hosts.key_of(d): d for d in devices}
        own = {k for k, d in self.devices.items() if d.host == host}
        for gone in own - set(fresh):
            self.devices.pop(gone)
            self.marked.discard(gone)
        self.devices.update(fresh)
        self._rebuild()

    def upsert_many(self, devices: list[DeviceInfo]) -> bool:
        """Add or update cameras from events; True when a camera's name changed."""
        renamed = False
        added = False
        for device in devices:
            device_id = hosts.key_of(device)
            old = self.devices.get(device_id)
            renamed |= old is not None and old.label != device.label
            self.devices[device_id] = device
            if not matches(device, self.filter_text):
                self.drop_row(device_id)
                continue
            added |= not self.shows(device_id)
            self._put(device_id, device)
        if added or renamed or self.user_order:  # the user's column may be one that changed
            self._sort()
        return renamed

    # -- marks and filter -----------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted camera."""
        device = self.highlighted()
        if device is not None:
            self._toggle(hosts.key_of(device))

    def action_toggle_all(self) -> None:
        """Mark every shown camera, or unmark all when all shown are marked."""
        shown = set(self.visible_ids())
        if shown and shown <= self.marked:
            self.marked -= shown
        else:
            self.marked |= shown
        for device_id in shown:
            self._set_mark_cell(device_id)
        self.post_message(self.MarksChanged(frozenset(self.marked)))

    def row_matches(self, host: str, cells: tuple[Text, ...]) -> bool:
        return True  # the cameras filter on what a person reads of each camera: `matches`

    def set_filter(self, text: str) -> None:
        """Show only cameras whose columns contain `text` (case-insensitive)."""
        if text != self.filter_text:
            self.filter_text = text
            self._rebuild()

    def on_click(self, event: events.Click) -> None:
        # A click in the mark column marks, as space does: multi-select with the mouse.
        meta = event.style.meta
        column, row = meta.get("column", -1), meta.get("row", -1)
        columns = self.ordered_columns
        if row >= 0 and 0 <= column < len(columns) and columns[column].key.value == "mark":
            self._toggle(str(self.ordered_rows[row].key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        device = self.devices.get(str(event.row_key.value))
        if device is not None:
            self.post_message(self.Opened(device))

    # -- rows ------------------------------------------------------------------------------------

    def _toggle(self, device_id: str) -> None:
        if device_id in self.marked:
            self.marked.discard(device_id)
        else:
            self.marked.add(device_id)
        self._set_mark_cell(device_id)
        self.post_message(self.MarksChanged(frozenset(self.marked)))

    def _set_mark_cell(self, device_id: str) -> None:
        if self.shows(device_id):
            self._put(device_id, self.devices[device_id])

    def _put(self, key: str, device: DeviceInfo) -> None:
        self.put_row(key, self._row(key, device), device.host)

    def _row(self, key: str, device: DeviceInfo) -> tuple[Text, ...]:
        online = device.online
        dim = "" if online else "dim"
        version = device.bootloader_version
        outdated = model.bootloader_outdated(device, self.minimum_for(device))
        return (
            Text(MARK if key in self.marked else " ", style="bold magenta"),
            Text(device.alias or "-", style=dim),
            Text(device.id, style=dim),
            Text(device.address or "-", style=dim),
            Text(device.state.value.replace("_", " "), style=STATE_STYLES[device.state]),
            Text("yes" if online else "no", style="" if online else "red"),
            Text(
                (version or "?") + (" !" if outdated else ""),
                style="bold yellow" if outdated else dim,
            ),
            Text(device.running_app or "-", style=dim),
            self._health(device),
            Text(self.clock.format(device.flashed_at), style=dim),
        )

    def _health(self, device: DeviceInfo) -> Text:
        health = device.health
        if health is None:
            return Text("")
        return Text(health.describe(self.clock.now()), style=HEALTH_STYLES.get(health.state, ""))

    def default_order(self) -> None:
        self._sort()

    def _sort(self) -> None:
        if self.user_sorted():
            return
        current = self.highlighted_key()
        # As sort_key: by daemon (with several: the first cell), by alias, and cameras without
        # one ("-") by MX ID.
        self.sort(*self.sorted_by, key=self._order)
        self.restore_cursor(current)

    def _order(self, cells: tuple[Text, ...]) -> tuple[str, bool, str, str]:
        host = cells[0].plain.removeprefix(DOWN_MARK) if self.several else ""
        alias, device_id = cells[-2].plain, cells[-1].plain
        return (host, alias == "-", (device_id if alias == "-" else alias).lower(), device_id)

    def _rebuild(self) -> None:
        current = self.highlighted_key()
        self.clear_rows()
        shown = [d for d in self.devices.values() if matches(d, self.filter_text)]
        for device in sorted(shown, key=sort_key):
            self._put(hosts.key_of(device), device)
        self.restore_cursor(current)
        self.user_sorted()
